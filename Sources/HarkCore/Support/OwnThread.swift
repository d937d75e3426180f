import Foundation

/// Runs blocking work (Whisper's matrix products, a fraction of a second to seconds; a blocking
/// façade call) on a thread of its own. On Swift's cooperative pool it would hold one of only as
/// many threads as there are cores, stalling every other task of the process meanwhile (on one
/// core, all of them: a worker could not even read the cancel for the job it runs).
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20   // as a main thread has: the work may recurse or keep large frames
        thread.start()
    }
}
