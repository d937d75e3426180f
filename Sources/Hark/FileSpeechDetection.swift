import Foundation
import HarkAudio
import HarkVAD

@_exported import struct HarkVAD.SpeechTimestamps

/// Where speech lies in an audio file, by Silero VAD (the batch path) and silero-vad's
/// `get_speech_timestamps` rules.
public struct FileSpeech: Sendable, Codable {
    /// One stretch of speech, padded as `SpeechTimestamps` pads it.
    public struct Region: Sendable, Hashable, Codable {
        /// Seconds from the start of the file.
        public var start: Double
        /// Seconds from the start of the file to the region's end (exclusive).
        public var end: Double
        /// The same, in samples at 16 kHz.
        public var startSample: Int
        /// The sample just after the region's last, at 16 kHz.
        public var endSample: Int
    }

    /// The file that was read.
    public var path: String
    /// The audio's length in seconds, after conversion to 16 kHz.
    public var duration: Double
    /// The speech found, in order.
    public var regions: [Region]
    /// One speech probability per 32 ms chunk.
    public var probabilities: [Float]

    /// Reads `path` (any format libsndfile reads; converted to 16 kHz mono with libsoxr — note
    /// silero-vad itself decimates rates that are multiples of 16 kHz without filtering, so
    /// regions on such files may differ slightly from its), then finds speech.
    public static func detect(path: String, rules: SpeechTimestamps = .init(),
                              modelsDirectory: URL = RecorderConfiguration.defaultModelsDirectory()) throws -> FileSpeech {
        var vad = try SileroVAD(modelsDirectory: modelsDirectory)
        let samples = try AudioFile.readSpeech(path: path)
        guard !samples.isEmpty else {
            throw HarkError(.unreadableAudio, "'\(path)' holds no audio.")
        }
        let probabilities = try samples.withUnsafeBufferPointer { try vad.probabilities(of: $0) }
        let regions = rules.regions(probabilities: probabilities, sampleCount: samples.count).map {
            Region(start: Double($0.start) / 16_000, end: Double($0.end) / 16_000, startSample: $0.start, endSample: $0.end)
        }
        return FileSpeech(path: path, duration: Double(samples.count) / 16_000, regions: regions, probabilities: probabilities)
    }
}
