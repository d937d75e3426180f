import Foundation
import HarkAudio
import HarkVAD

/// Transcribes whole files: audio at any rate is converted to 16 kHz mono; Silero VAD finds the
/// speech, which is grouped into pieces of at most 30 s (Whisper's window), each transcribed
/// (with timestamps unless the options say otherwise) and placed at its time. A file with no speech gives no segments (and no hallucinated words).
public struct FileTranscription: Sendable {
    public let engine: any TranscriptionEngine
    public var options: TranscriptionOptions
    public var modelsDirectory: URL

    public init(engine: any TranscriptionEngine, options: TranscriptionOptions = .init(timestamps: true),
                modelsDirectory: URL = RecorderConfiguration.defaultModelsDirectory()) {
        self.engine = engine
        self.options = options
        self.modelsDirectory = modelsDirectory
    }

    /// The pieces of `samples` to transcribe, as sample ranges of at most 30 s.
    public func pieces(of samples: [Float]) throws -> [Range<Int>] {
        var vad = try SileroVAD(modelsDirectory: modelsDirectory)
        let probabilities = try samples.withUnsafeBufferPointer { try vad.probabilities(of: $0) }
        var rules = SpeechTimestamps()
        rules.maxSpeechSeconds = 29
        rules.speechPadMilliseconds = 200
        let regions = rules.regions(probabilities: probabilities, sampleCount: samples.count)
        let limit = 30 * 16_000
        var pieces: [Range<Int>] = []
        for region in regions {
            if let last = pieces.last, region.end - last.lowerBound <= limit {
                pieces[pieces.count - 1] = last.lowerBound..<region.end
            } else {
                pieces.append(region.start..<min(region.end, region.start + limit))
            }
        }
        return pieces
    }

    /// Transcribes `path`, reporting progress (0…1) after each piece.
    public func transcribe(path: String, progress: (@Sendable (Double) -> Void)? = nil) async throws -> [TranscriptSegment] {
        let samples = try AudioFile.readSpeech(path: path)
        guard !samples.isEmpty else { throw HarkError(.unreadableAudio, "'\(path)' holds no audio.") }
        return try await transcribe(samples: samples, progress: progress)
    }

    /// Transcribes 16 kHz mono `samples`, reporting progress (0…1) after each piece.
    public func transcribe(samples: [Float], progress: (@Sendable (Double) -> Void)? = nil) async throws -> [TranscriptSegment] {
        let pieces = try pieces(of: samples)
        var segments: [TranscriptSegment] = []
        for (index, piece) in pieces.enumerated() {
            let transcript = try await engine.transcribe(Array(samples[piece]), options: options)
            let offset = Double(piece.lowerBound) / 16_000
            if !transcript.isSilence {
                segments += transcript.segments.map { TranscriptSegment(start: $0.start + offset, end: $0.end + offset, text: $0.text) }
            }
            progress?(Double(index + 1) / Double(pieces.count))
        }
        return segments
    }
}
