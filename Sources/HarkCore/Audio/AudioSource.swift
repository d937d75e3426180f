/// The rate and channel layout of a stream of interleaved `Float` samples.
public struct AudioFormat: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Frames per second, in Hz.
    public var sampleRate: Double
    /// Samples per frame (interleaved channels).
    public var channels: Int

    /// Creates a format from its fields.
    public init(sampleRate: Double, channels: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// What every stage after capture works in: 16 kHz mono.
    public static let speech = AudioFormat(sampleRate: 16_000, channels: 1)

    /// Like "16000 Hz, mono" or "44100 Hz, 2 channels".
    public var description: String {
        let rate = sampleRate == sampleRate.rounded() ? "\(Int(sampleRate))" : "\(sampleRate)"
        return "\(rate) Hz, \(channels == 1 ? "mono" : "\(channels) channels")"
    }
}

/// The outcome of one `AudioSource.read`.
public enum AudioRead: Sendable, Equatable {
    /// This many interleaved samples (a whole number of frames) were copied.
    case samples(Int)
    /// Nothing is ready yet; ask again after a short wait.
    case wait
    /// The source has ended (end of file); nothing more will come.
    case end
    /// The producer of pushed audio marks this point of the stream (see `AudioMark`).
    case mark(AudioMark)
}

/// What a producer of pushed audio asks at a point of the stream.
public enum AudioMark: Sendable, Equatable {
    /// The utterance open here ends here: everything before is one segment (a client's commit).
    case commit
    /// The utterance open here is dropped, unsaved (a client's clear).
    case discard
}

/// A capture stage: a microphone, or a file that plays as one.
///
/// Thread rules: `start`, `read`, `takeDroppedFrames` and `stop` are called by one consumer at a time
/// (the recorder's capture loop). Whatever thread the underlying library calls back on stays inside
/// the source.
public protocol AudioSource: AnyObject, Sendable {
    /// A human-readable name: the device name or file path.
    var name: String { get }
    /// The native format the source delivers in.
    var format: AudioFormat { get }
    /// Starts delivering audio. Throws `HarkError` when the input cannot start.
    func start() throws
    /// Copies interleaved samples into `buffer` (never more than `buffer.count`).
    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws -> AudioRead
    /// Frames lost since the last call (ring overflow), resetting the count.
    func takeDroppedFrames() -> Int
    /// Stops delivering audio.
    func stop()
}

/// Converts the source's native audio to 16 kHz mono for the rest of the pipeline.
///
/// Thread rules: owned by one consumer; not shared.
public protocol SpeechFormatConverter {
    /// Appends converted samples for `input` (interleaved, in the source format) to `output`.
    mutating func convert(_ input: UnsafeBufferPointer<Float>, into output: inout [Float]) throws
    /// Appends whatever the converter still holds (its filter delay) at end of stream.
    mutating func flush(into output: inout [Float]) throws
}
