import HarkCore

/// The recorder's states and the moves between them, as a value with no I/O, so the rules for
/// "start twice", "stop when idle" and "stop while the input ended on its own" are tested alone.
struct RecorderLifecycle: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case idle
        case starting
        case recording
        case stopping
        /// The input ended (or failed) by itself; the summary waits for `stop()` or the next start.
        case ended(RecordingSummary)
    }

    private(set) var state = State.idle

    var isRecording: Bool {
        switch state {
        case .starting, .recording, .stopping: true
        case .idle, .ended: false
        }
    }

    mutating func beginStart() throws {
        switch state {
        case .idle, .ended:
            state = .starting
        case .starting, .recording:
            throw HarkError(.alreadyRecording, "Already recording; call stop() before starting again.")
        case .stopping:
            throw HarkError(.alreadyRecording, "The previous recording is still stopping; start again once stop() returns.")
        }
    }

    mutating func startSucceeded() { state = .recording }
    mutating func startFailed() { state = .idle }

    enum StopPlan: Equatable {
        /// Tell the capture loop to stop and wait for its summary.
        case stopCapture
        /// Another stop() is already waiting; wait for the same summary.
        case awaitStop
        /// The recording already ended by itself.
        case alreadyEnded(RecordingSummary)
    }

    mutating func beginStop() throws -> StopPlan {
        switch state {
        case .recording:
            state = .stopping
            return .stopCapture
        case .stopping:
            return .awaitStop
        case .ended(let summary):
            state = .idle
            return .alreadyEnded(summary)
        case .idle:
            throw HarkError(.notRecording, "Not recording; there is nothing to stop.")
        case .starting:
            throw HarkError(.notRecording, "The recorder is still starting; call stop() after start() returns.")
        }
    }

    mutating func stopFinished() { state = .idle }

    /// The capture loop finished. Only matters if nobody asked it to.
    mutating func captureEnded(_ summary: RecordingSummary) {
        if state == .recording { state = .ended(summary) }
    }
}
