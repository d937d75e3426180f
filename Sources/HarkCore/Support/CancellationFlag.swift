import Atomics

/// A one-way "stop" signal for work that runs outside Swift concurrency (Whisper on a detached
/// thread), where `Task.isCancelled` cannot reach. Raised from a cancellation handler; the work
/// polls it at its natural steps (an encoder layer, a decoded token).
public final class CancellationFlag: Sendable {
    private let raised = ManagedAtomic(false)

    /// A flag that is not raised.
    public init() {}

    /// Raises the flag; it stays raised. Safe from any thread.
    public func raise() { raised.store(true, ordering: .relaxed) }

    /// Whether `raise()` has been called. Safe from any thread.
    public var isRaised: Bool { raised.load(ordering: .relaxed) }

    /// Throws `cancelled` once the flag is raised.
    public func check() throws(HarkError) {
        if isRaised { throw HarkError(.cancelled, "The transcription was cancelled before it finished.") }
    }
}
