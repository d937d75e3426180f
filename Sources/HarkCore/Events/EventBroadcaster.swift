import Synchronization

/// Fans recorder events out to any number of subscribers, each with its own bounded buffer
/// (see `EventBufferStateMachine` for the policy). `publish` never blocks or suspends.
///
/// Thread rules: any thread may publish, subscribe or finish.
public final class EventBroadcaster: Sendable {
    private struct State {
        var subscribers: [Int: EventSubscription] = [:]
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())
    /// The most lossless events one subscriber may have waiting.
    public let bufferLimit: Int

    /// `bufferLimit` is how many lossless events one subscriber may have waiting before it is ended
    /// with `eventConsumerTooSlow`.
    public init(bufferLimit: Int = 4096) {
        self.bufferLimit = bufferLimit
    }

    /// A new stream of every event published from now on.
    public func subscribe() -> EventStream {
        let subscription = state.withLock { state -> EventSubscription in
            let subscription = EventSubscription(limit: bufferLimit)
            if state.finished {
                subscription.finish()
            } else {
                state.subscribers[state.nextID] = subscription
                state.nextID += 1
            }
            return subscription
        }
        return EventStream(subscription: subscription)
    }

    /// Hands `event` to every current subscriber, without blocking. After `finish()` it reaches no one.
    public func publish(_ event: RecorderEvent) {
        let subscribers = state.withLock { state in
            state.subscribers = state.subscribers.filter { !$0.value.isTerminated }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.push(event) }
    }

    /// Ends every stream once its buffered events are read.
    public func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}

/// One subscriber's buffer and its lock.
final class EventSubscription: Sendable {
    private let machine: Mutex<EventBufferStateMachine>

    init(limit: Int) {
        machine = Mutex(EventBufferStateMachine(limit: limit))
    }

    var isTerminated: Bool { machine.withLock { $0.isTerminated } }

    func push(_ event: RecorderEvent) { machine.withLock { $0.push(event) }.run() }
    func finish() { machine.withLock { $0.finish() }.run() }
    func cancel() { machine.withLock { $0.cancel() }.run() }

    func next() async throws -> RecorderEvent? {
        if let ready = machine.withLock({ $0.poll() }) { return try Self.value(of: ready) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                switch machine.withLock({ $0.next(orPark: continuation) }) {
                case .suspended: break
                case .event(let event): continuation.resume(returning: event)
                case .end: continuation.resume(returning: nil)
                case .error(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            cancel()
        }
    }

    private static func value(of next: EventBufferStateMachine.Next) throws -> RecorderEvent? {
        switch next {
        case .event(let event): return event
        case .end, .suspended: return nil
        case .error(let error): throw error
        }
    }
}

/// The events of a recorder as an `AsyncSequence`. Each `events` access is its own subscription;
/// iterate it once. It throws `HarkError.eventConsumerTooSlow` if the reader falls far behind.
public struct EventStream: AsyncSequence, Sendable {
    /// Recorder events in the order they were published; coalescable ones may be skipped for newer.
    public typealias Element = RecorderEvent
    let subscription: EventSubscription

    /// Reads the stream's subscription. Iterators of one stream share it, so each event reaches only
    /// one of them.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: EventSubscription
        /// The next event, or nil once the broadcaster has finished or the task is cancelled. Throws
        /// `HarkError` `.eventConsumerTooSlow` after the buffered events if this subscriber fell `bufferLimit`
        /// events behind.
        public mutating func next() async throws -> RecorderEvent? {
            try await subscription.next()
        }
    }

    /// An iterator over this stream's subscription (see `AsyncIterator`).
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(subscription: subscription)
    }
}
