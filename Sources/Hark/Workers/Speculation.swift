import Foundation
import HarkAudio
import HarkCore

/// A transcription started when speech paused, before the hangover confirmed the utterance's end
/// (see `SegmenterStep.tentative`). Its audio is the utterance's, sample for sample, so when the
/// segment is saved its result is the segment's result; if speech resumes, it is dropped.
///
/// At most one exists per session: a newer pause replaces the older speculation.
struct Speculation {
    /// Where the tentative utterance lies in the stream: equal positions mean equal audio.
    struct Span: Hashable {
        var audioStart: Int, audioEnd: Int, speechEnd: Int
    }

    let span: Span
    /// The id its segment gets if the utterance ends here.
    let segmentID: Int
    /// A negative job id, so results can never be mistaken for a segment's.
    let jobID: Int
    /// A scratch copy of the audio for the worker (not the session's durable segment file).
    let file: URL
    var started = false
    var outcome: WorkerOutcome?
    /// The saved segment this turned out to be, once linked.
    var segment: SegmentRecord?

    /// Writes `utterance` as the segment file would hold it (16-bit PCM) into a scratch file.
    static func write(_ utterance: Utterance, sampleRate: Int, jobID: Int, segmentID: Int) -> Speculation? {
        // A name of its own: several recorders (and job counters) may share a process.
        guard let bytes = try? WAVEncoder.pcm16(utterance.samples, sampleRate: sampleRate),
              let file = try? ScratchFolder.write(bytes, name: "speculative-\(UUID().uuidString).wav") else { return nil }
        return Speculation(span: Span(utterance), segmentID: segmentID, jobID: jobID, file: file)
    }
}

extension Speculation.Span {
    init(_ utterance: Utterance) {
        self.init(audioStart: utterance.audioStart, audioEnd: utterance.audioEnd, speechEnd: utterance.speechEnd)
    }
}
