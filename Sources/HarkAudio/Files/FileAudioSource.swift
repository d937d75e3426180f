import HarkCore

/// A file that plays as a microphone: in real time (as a device would deliver it) or as fast as
/// the pipeline can take it.
public final class FileAudioSource: AudioSource, @unchecked Sendable {
    // @unchecked Sendable is safe: the libsndfile handle and the play position are only touched by
    // start/read/stop, which the AudioSource contract confines to one consumer at a time.
    public enum Pacing: String, Sendable, Hashable, Codable {
        case realTime
        case asFastAsPossible
    }

    public let name: String
    public let format: AudioFormat
    public let pacing: Pacing
    private let file: SoundFileReader
    private var started: ContinuousClock.Instant?
    private var framesDelivered = 0
    private var stopped = false

    public init(path: String, pacing: Pacing) throws {
        file = try SoundFileReader(path: path)
        name = path
        format = file.format
        self.pacing = pacing
    }

    public func start() throws {
        started = .now
    }

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

    public func stop() {
        stopped = true
    }
}
