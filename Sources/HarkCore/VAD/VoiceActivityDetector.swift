/// A speech detector: one probability per chunk of 16 kHz mono audio.
///
/// Thread rules: a detector is owned by one capture loop at a time and called from it only.
/// `speechProbability` is on the hot path and must not allocate after warm-up.
public protocol VoiceActivityDetector: Sendable {
    /// Samples per call (512 = 32 ms at 16 kHz for every detector Hark ships).
    var chunkSize: Int { get }
    /// The probability, 0...1, that `chunk` (exactly `chunkSize` samples) holds speech.
    mutating func speechProbability(_ chunk: UnsafeBufferPointer<Float>) throws -> Float
    /// Forgets all stream state, as at the start of a new recording.
    mutating func reset()
}

/// The samples per VAD chunk at 16 kHz: 32 ms.
public let vadChunkSize = 512
