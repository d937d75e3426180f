import DequeModule

import HarkCore

/// Lines from a worker's stdout, waited for with a deadline, and cancels the pool posts for the
/// worker's running job. Holds at most `limit` unread lines (a worker answers one job at a time,
/// so more means a confused worker; extra lines are dropped) and as many cancels.
actor LineInbox {
    enum Next: Sendable { case line(String), oversized(bytes: Int), timedOut, ended }
    /// What wakes the worker's conversation: its next output, or a cancel to pass on.
    enum Wake: Sendable { case next(Next), cancel(jobID: Int) }

    private var lines: Deque<LineFramer.Item> = []
    private var cancels: Deque<Int> = []
    private var ended = false
    private var waiter: (id: Int, continuation: CheckedContinuation<Wake, Never>)?
    private var nextWaiter = 0
    private let limit = 64

    func push(_ line: LineFramer.Item) {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: .next(Self.next(line)))
        } else if lines.count < limit {
            lines.append(line)
        }
    }

    func requestCancel(_ jobID: Int) {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: .cancel(jobID: jobID))
        } else if cancels.count < limit {
            cancels.append(jobID)
        }
    }

    func finish() {
        ended = true
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: .next(.ended))
        }
    }

    /// An answer already read comes before a cancel posted for it: the cancel is then moot.
    func wait(timeout: Duration) async -> Wake {
        if let line = lines.popFirst() { return .next(Self.next(line)) }
        if let jobID = cancels.popFirst() { return .cancel(jobID: jobID) }
        if ended { return .next(.ended) }
        nextWaiter += 1
        let id = nextWaiter
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { waiter = (id, $0) }
    }

    private func expire(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume(returning: .next(.timedOut))
    }

    private static func next(_ item: LineFramer.Item) -> Next {
        switch item {
        case .line(let line): .line(line)
        case .oversized(let bytes): .oversized(bytes: bytes)
        }
    }
}
