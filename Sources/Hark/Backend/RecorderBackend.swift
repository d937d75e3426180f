import Dispatch
import Foundation
import HarkCore
import Synchronization

/// The blocking recorder for plain scripts: the same recorder as `AsyncRecorderBackend` (it wraps
/// one), so the session folders and events are identical.
///
/// Call it from ordinary threads, not from async code: each call blocks its thread until the
/// async work finishes.
public final class RecorderBackend: Sendable {
    /// The async recorder this one blocks on (for code that has both kinds of caller).
    public let recorder: AsyncRecorderBackend

    /// A recorder with `configuration`; nothing starts or loads until `start()`.
    public init(configuration: RecorderConfiguration = .init()) {
        recorder = AsyncRecorderBackend(configuration: configuration)
    }

    /// With a handler called for every event, in order, on a background task.
    public init(configuration: RecorderConfiguration = .init(), eventHandler: @escaping @Sendable (RecorderEvent) -> Void) {
        recorder = AsyncRecorderBackend(configuration: configuration, eventHandler: eventHandler)
    }

    @available(*, noasync, message: "Blocks its thread; from async code use AsyncRecorderBackend (the `recorder` property).")
    /// Starts a session (see `AsyncRecorderBackend.start()`); blocks until it records. Throws `HarkError`.
    public func start() throws { try blocking { [recorder] in try await recorder.start() } }

    @available(*, noasync, message: "Blocks its thread; from async code use AsyncRecorderBackend (the `recorder` property).")
    @discardableResult
    /// Stops, saving the utterance in progress; blocks until the session is closed. Throws `notRecording` when
    /// idle.
    public func stop() throws -> RecordingSummary { try blocking { [recorder] in try await recorder.stop() } }

    @available(*, noasync, message: "Blocks its thread; from async code use AsyncRecorderBackend (the `recorder` property).")
    /// Blocks until the recording ends (a file input at its end); nil if none was started.
    public func waitUntilFinished() -> RecordingSummary? { blocking { [recorder] in await recorder.waitUntilFinished() } }

    @available(*, noasync, message: "Blocks its thread; from async code use AsyncRecorderBackend (the `recorder` property).")
    /// Changes the VAD mode at the next 32 ms chunk; throws when the mode's detector is not available.
    public func setVADMode(_ mode: VADMode) throws { try blocking { [recorder] in try await recorder.setVADMode(mode) } }

    /// Whether a recording runs now.
    public var isRecording: Bool { blocking { [recorder] in await recorder.isRecording } }

    /// The current (or last) session folder; set once `start()` returns.
    public var sessionURL: URL? { blocking { [recorder] in await recorder.sessionURL } }

    /// Every event from now on, as with `AsyncRecorderBackend.events`.
    public var events: EventStream { recorder.events }
}

/// Runs `operation` on the cooperative pool and blocks this thread until it returns.
private func blocking<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await operation()) } catch { outcome = .failure(error) }
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}

private func blocking<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
    // The throwing form cannot fail here, as `operation` does not throw.
    try! blocking { () async throws -> T in await operation() }
}
