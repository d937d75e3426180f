import HarkCore

/// A file that plays as a microphone: in real time (as a device would deliver it) or as fast as
/// the pipeline can take it.
public final class FileAudioSource: AudioSource, @unchecked Sendable {
    // @unchecked Sendable is safe: the libsndfile handle and the play position are only touched by
    // start/read/stop, which the AudioSource contract confines to one consumer at a time.
    /// How fast `read` hands out the file's audio.
    public enum Pacing: String, Sendable, Hashable, Codable {
        case realTime
        case asFastAsPossible
    }

    /// The file's path.
    public let name: String
    /// The file's own rate and channels; conversion to 16 kHz mono is the caller's.
    public let format: AudioFormat
    /// Whether the file plays in real time or as fast as it is read.
    public let pacing: Pacing
    private let file: SoundFileReader
    private var started: ContinuousClock.Instant?
    private var framesDelivered = 0
    private var stopped = false

    /// Opens `path` with libsndfile. Throws HarkError `.unreadableAudio` for a file it cannot
    /// read, `.unsupportedAudio` for an impossible rate or channel count.
    public init(path: String, pacing: Pacing) throws {
        file = try SoundFileReader(path: path)
        name = path
        format = file.format
        self.pacing = pacing
    }

    /// Starts the clock that real-time pacing measures against; until then `read` waits.
    public func start() throws {
        started = .now
    }

    /// Up to `buffer.count` interleaved samples in whole frames; in real time, no more than the
    /// clock has made due. `.end` at end of file or after `stop()`. Throws HarkError
    /// `.unreadableAudio` when reading fails.
    public func read(into buffer: UnsafeMutableBufferPointer<Float>) throws -> AudioRead {
        guard !stopped else { return .end }
        guard let base = buffer.baseAddress, let started else { return .wait }
        var frames = buffer.count / format.channels
        if pacing == .realTime {
            let elapsed = ContinuousClock.now - started
            let seconds = elapsed.inSeconds
            let due = Int(seconds * format.sampleRate) - framesDelivered
            guard due > 0 else { return .wait }
            frames = min(frames, due)
        }
        let n = try file.read(into: base, frames: frames)
        guard n > 0 else { return .end }
        framesDelivered += n
        return .samples(n * format.channels)
    }

    /// A file never overflows: the consumer pulls at its own pace.
    public func takeDroppedFrames() -> Int { 0 }

    /// Ends the stream: every later `read` returns `.end`.
    public func stop() {
        stopped = true
    }
}
