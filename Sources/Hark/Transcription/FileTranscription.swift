import Foundation
import HarkAudio
import HarkVAD

/// Transcribes whole files: audio at any rate is converted to 16 kHz mono; Silero VAD finds the
/// speech, and windows of at most 30 s (Whisper's) are transcribed one after another, each placed
/// at its time. A file with no speech gives no segments (and no hallucinated words).
///
/// Windows move on as faster-whisper's seek does: Whisper often stops before the words at the end
/// of a window (they may be cut mid-word), so speech after the last timed segment is transcribed
/// again as the start of the next window rather than lost.
public struct FileTranscription: Sendable {
    /// Transcribes each window (16 kHz mono, at most 30 s).
    public let engine: any TranscriptionEngine
    /// Sent with every window. When `language` is nil, the first language detected is used for
    /// the windows after it.
    public var options: TranscriptionOptions
    /// Where the Silero VAD model is found.
    public var modelsDirectory: URL
    /// Each window after the first reads the text before it as its prompt, after
    /// `options.prompt` (faster-whisper's condition_on_previous_text, its default; Hark's is off:
    /// one misheard window then cannot lead the next astray).
    public var conditionOnPreviousText = false

    /// Timestamps are on by default: the timed segments place the text and decide where the
    /// next window starts.
    public init(engine: any TranscriptionEngine, options: TranscriptionOptions = .init(timestamps: true),
                modelsDirectory: URL = RecorderConfiguration.defaultModelsDirectory()) {
        self.engine = engine
        self.options = options
        self.modelsDirectory = modelsDirectory
    }

    static let sampleRate = 16_000
    static let windowSamples = 30 * sampleRate

    /// The speech in `samples` (Silero, 200 ms of padding), as sample ranges.
    public func speech(in samples: [Float]) throws -> [Range<Int>] {
        var vad = try SileroVAD(modelsDirectory: modelsDirectory)
        let probabilities = try samples.withUnsafeBufferPointer { try vad.probabilities(of: $0) }
        var rules = SpeechTimestamps()
        rules.speechPadMilliseconds = 200
        return rules.regions(probabilities: probabilities, sampleCount: samples.count).map { $0.start..<$0.end }
    }

    /// The window starting at `seek`: the speech from there, with the silences between, up to the
    /// end of the last region that fits in 30 s (or 30 s, when one region alone is longer).
    static func window(from seek: Int, speech: [Range<Int>]) -> Range<Int>? {
        guard let first = speech.firstIndex(where: { $0.upperBound > seek }) else { return nil }
        let start = max(seek, speech[first].lowerBound)
        var end = min(speech[first].upperBound, start + windowSamples)
        for region in speech[(first + 1)...] {
            guard region.upperBound - start <= windowSamples else { break }
            end = region.upperBound
        }
        return start..<end
    }

    /// Where the next window starts after `window`, whose text is timed up to `covered` (samples,
    /// absolute): there, when speech follows that the text missed and the window moved on by at
    /// least a second; else at the window's end.
    static func nextSeek(after window: Range<Int>, covered: Int?, speech: [Range<Int>]) -> Int {
        guard let covered, covered >= window.lowerBound + sampleRate, covered < window.upperBound else { return window.upperBound }
        let missed = covered..<window.upperBound
        // Padding aside (200 ms each side), is anything left of the speech after the text?
        let spoken = speech.reduce(0) { $0 + max(0, min($1.upperBound, missed.upperBound) - max($1.lowerBound, missed.lowerBound)) }
        return spoken > 2 * sampleRate / 5 ? covered : window.upperBound
    }

    /// Transcribes `path`, reporting progress (0…1) after each piece.
    public func transcribe(path: String, progress: (@Sendable (Double) -> Void)? = nil) async throws -> [TranscriptSegment] {
        try await transcript(path: path, progress: progress).segments
    }

    /// Transcribes 16 kHz mono `samples`, reporting progress (0…1) after each window.
    public func transcribe(samples: [Float], progress: (@Sendable (Double) -> Void)? = nil) async throws -> [TranscriptSegment] {
        try await transcript(samples: samples, progress: progress).segments
    }

    /// The whole file's text: its timed segments and its language.
    public struct Result: Sendable, Hashable {
        /// Timed text, in seconds from the start of the audio.
        public var segments: [TranscriptSegment]
        /// As faster-whisper: detected on the first window (unless given) and kept for the rest.
        public var language: String?
        /// How likely `language` was when detected; nil when it was given or not detected.
        public var languageProbability: Double?
    }

    /// Transcribes `path`, reporting progress (0…1) after each piece.
    public func transcript(path: String, progress: (@Sendable (Double) -> Void)? = nil) async throws -> Result {
        let samples = try AudioFile.readSpeech(path: path)
        guard !samples.isEmpty else { throw HarkError(.unreadableAudio, "'\(path)' holds no audio.") }
        return try await transcript(samples: samples, progress: progress)
    }

    /// Transcribes 16 kHz mono `samples`, reporting progress (0…1) after each window.
    public func transcript(samples: [Float], progress: (@Sendable (Double) -> Void)? = nil) async throws -> Result {
        let speech = try speech(in: samples)
        let first = speech.first?.lowerBound ?? 0
        let total = Double(max(1, (speech.last?.upperBound ?? 0) - first))
        var segments: [TranscriptSegment] = []
        var seek = 0
        var options = options
        var result = Result(segments: [], language: options.language)
        while let window = Self.window(from: seek, speech: speech) {
            var windowOptions = options
            if conditionOnPreviousText, !segments.isEmpty {
                // Whisper reads the last 223 tokens: a tail of the text before is enough.
                let before = String(segments.suffix(40).map(\.text).joined(separator: " ").suffix(2000))
                windowOptions.prompt = [options.prompt, before].compactMap { $0 }.joined(separator: " ")
            }
            let transcript = try await engine.transcribe(Array(samples[window]), options: windowOptions)
            if options.language == nil, let language = transcript.language {
                options.language = language
                result.language = language
                result.languageProbability = transcript.languageProbability
            }
            let offset = Double(window.lowerBound) / Double(Self.sampleRate)
            var covered: Int?
            if !transcript.isSilence {
                let timed = transcript.segments.map { $0.shifted(by: offset) }
                segments += timed
                covered = timed.last.map { Int(($0.end * Double(Self.sampleRate)).rounded()) }
            }
            seek = Self.nextSeek(after: window, covered: covered, speech: speech)
            progress?(min(1, Double(seek - first) / total))
        }
        result.segments = segments
        return result
    }
}
