import DequeModule

import HarkCore

/// Lines from a worker's stdout, waited for with a deadline. Holds at most `limit` unread lines
/// (a worker answers one job at a time, so more means a confused worker; extra lines are dropped).
actor LineInbox {
    enum Next: Sendable { case line(String), oversized(bytes: Int), timedOut, ended }

    private var lines: Deque<LineFramer.Item> = []
    private var ended = false
    private var waiter: (id: Int, continuation: CheckedContinuation<Next, Never>)?
    private var nextWaiter = 0
    private let limit = 64

    func push(_ line: LineFramer.Item) {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: Self.next(line))
        } else if lines.count < limit {
            lines.append(line)
        }
    }

    func finish() {
        ended = true
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: .ended)
        }
    }

    func next(timeout: Duration) async -> Next {
        if let line = lines.popFirst() { return Self.next(line) }
        if ended { return .ended }
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
        waiter.continuation.resume(returning: .timedOut)
    }

    private static func next(_ item: LineFramer.Item) -> Next {
        switch item {
        case .line(let line): .line(line)
        case .oversized(let bytes): .oversized(bytes: bytes)
        }
    }
}
