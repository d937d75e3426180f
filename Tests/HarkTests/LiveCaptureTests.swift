import Foundation
import HarkAudio
import HarkCore
import Testing
@testable import Hark

/// Through the real parts: a PulseAudio null sink as the microphone, PortAudio's callback, the
/// ring, soxr, the detector, the segmenter and the session folder.
@Suite(.serialized, .timeLimit(.minutes(2))) struct LiveCaptureTests {
    init() async throws { try await VirtualMicrophone.start() }

    @Test func speechPlayedIntoTheMicrophoneIsCutAtTheKnownSentences() async throws {
        let root = try Fixtures.temporaryFolder("live")
        var configuration = RecorderConfiguration()
        configuration.input = .device(.systemDefault)
        configuration.sessionsDirectory = root
        configuration.keepAudio = true   // the default detector: Silero
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let log = EventLog(recorder.events)
        let saved = recorder.events
        try await recorder.start()
        try await VirtualMicrophone.play(Fixtures.speech)
        // The last sentence is saved once its hangover has passed after playback ends.
        var count = 0
        for try await event in saved where event.name == "segmentSaved" {
            count += 1
            if count == 4 { break }
        }
        let summary = try await recorder.stop()
        let folder = URL(fileURLWithPath: summary.sessionPath)

        let events = try await log.events
        #expect(!events.contains { $0.name == "audioDropped" }, "no audio dropped")
        guard case .recordingStarted(let started) = events.first else { Issue.record("no recordingStarted"); return }
        #expect(started.inputFormat.sampleRate != 16_000 || started.inputFormat.channels != 1,
                "the device's own format is captured and converted (\(started.inputFormat))")

        // Where the played file begins inside the recording (paplay and PulseAudio add latency).
        let source = try AudioFile.read(path: Fixtures.speech).samples
        let recording = try AudioFile.read(path: folder.appendingPathComponent("recording.wav").path).samples
        let lag = Signal.offset(of: source, in: recording, maximum: 5 * 16_000)
        let delay = Double(lag) / 16_000

        let known = try Fixtures.speechRegions()
        let manifest = try Fixtures.manifest(in: folder)
        #expect(manifest.segments.count == known.count)
        for (segment, region) in zip(manifest.segments, known) {
            #expect(abs(segment.speechStart - delay - region.start) < 0.15,
                    "segment \(segment.id) starts at \(segment.speechStart - delay), expected \(region.start)")
            #expect(abs(segment.speechEnd - delay - region.end) < 0.15,
                    "segment \(segment.id) ends at \(segment.speechEnd - delay), expected \(region.end)")
            let samples = try AudioFile.read(path: folder.appendingPathComponent(segment.file).path).samples
            let r = Signal.envelopeMatch(samples, in: source, near: Int((segment.audioStart * 16_000).rounded()) - lag)
            #expect(r > 0.98, "segment \(segment.id)'s envelope correlates \(r) with the source")
            print("live segment \(segment.id): start \(String(format: "%+.3f", segment.speechStart - delay - region.start)) s, end \(String(format: "%+.3f", segment.speechEnd - delay - region.end)) s, envelope correlation \(String(format: "%.4f", r))")
        }
    }

    @Test func aDeviceThatDoesNotExistIsAClearError() async throws {
        var configuration = RecorderConfiguration()
        configuration.input = .device(.nameContaining("no such microphone"))
        configuration.sessionsDirectory = try Fixtures.temporaryFolder("nodevice")
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let error = await #expect(throws: HarkError.self) { try await recorder.start() }
        #expect(error?.code == .deviceNotFound)
        #expect(error?.message.contains("Inputs are:") == true, "the error lists the inputs there are")
        #expect(await recorder.sessionURL == nil)
    }
}

/// The whole path: virtual microphone → PortAudio → Silero → segments → worker processes running
/// Hark's Whisper → transcripts, scored against what was said.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: Fixtures.whisperModelInstalled, "run `make models`"))
struct LiveTranscriptionTests {
    init() async throws { try await VirtualMicrophone.start() }

    /// Word error rate: word-level edit distance over the reference's length, ignoring case and punctuation.
    static func wordErrorRate(heard: String, said: String) -> Double {
        func words(_ s: String) -> [String] {
            s.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "'" }.map(String.init)
        }
        let h = words(heard), r = words(said)
        var row = Array(0...h.count)
        for i in 1...max(1, r.count) where !r.isEmpty {
            var next = [i] + Array(repeating: 0, count: h.count)
            for j in 1...max(1, h.count) where !h.isEmpty {
                next[j] = min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1))
            }
            row = next
        }
        return Double(row[h.count]) / Double(max(1, r.count))
    }

    /// Plays `file` into the microphone while recording with transcription, then stops (which
    /// saves the last utterance and waits for its transcription); returns the text heard.
    static func hear(_ file: String) async throws -> (text: String, summary: RecordingSummary) {
        var configuration = RecorderConfiguration()
        configuration.sessionsDirectory = try Fixtures.temporaryFolder("livetext")
        configuration.transcription = Fixtures.workers()
        let recorder = AsyncRecorderBackend(configuration: configuration)
        try await recorder.start()
        try await VirtualMicrophone.play(file)
        let summary = try await recorder.stop()
        let manifest = try Fixtures.manifest(in: URL(fileURLWithPath: summary.sessionPath))
        return (manifest.segments.compactMap { $0.transcription?.text }.joined(separator: " "), summary)
    }

    @Test func spokenSentencesComeBackAsText() async throws {
        let (heard, summary) = try await Self.hear(Fixtures.speech)
        let said = try Fixtures.speechRegions().map(\.text).joined(separator: " ")
        let rate = Self.wordErrorRate(heard: heard, said: said)
        print("live WER (espeak-ng) \(String(format: "%.3f", rate)): '\(heard)'")
        #expect(summary.droppedFrames == 0)
        #expect(rate <= 0.10, "heard '\(heard)'")
    }

    @Test func aRealRecordingComesBackAsItsScript() async throws {
        let beckett = Fixtures.repository.appendingPathComponent("Tests/Fixtures/vad/beckett.flac").path
        let (heard, summary) = try await Self.hear(beckett)
        let rate = Self.wordErrorRate(heard: heard, said: "Ever tried. Ever failed. No matter. Try again. Fail again. Fail better.")
        print("live WER (beckett) \(String(format: "%.3f", rate)) over \(summary.segmentCount) segments: '\(heard)'")
        #expect(summary.droppedFrames == 0)
        #expect(rate <= 0.10, "heard '\(heard)'")
    }

    @Test func wordErrorRateCountsEdits() {
        #expect(Self.wordErrorRate(heard: "the quick brown fox", said: "The quick brown fox.") == 0)
        #expect(Self.wordErrorRate(heard: "the quick fox", said: "the quick brown fox") == 0.25)
        #expect(Self.wordErrorRate(heard: "", said: "one two") == 1)
    }
}
