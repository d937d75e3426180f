import DequeModule

/// The buffer of one event subscriber, as a value-type state machine (the lock lives in its storage).
///
/// Policy: lossless events queue up to `limit`; meter events and partial transcripts
/// (`isCoalescable`) keep only the latest of each kind. Order is kept by sequence number, so a meter value is delivered where its newest
/// version was published. If a subscriber lets `limit` lossless events pile up, it is ended with
/// `eventConsumerTooSlow` after the buffered events: nothing is skipped silently, nothing grows
/// without bound.
struct EventBufferStateMachine: ~Copyable {
    typealias Continuation = CheckedContinuation<RecorderEvent?, any Error>

    private struct Entry {
        var sequence: UInt64
        var event: RecorderEvent
    }

    private enum Terminal {
        case finished
        case failed(HarkError)
    }

    let limit: Int
    private var lossless: Deque<Entry> = []
    /// The latest coalescable event of each kind, by `RecorderEvent.name`.
    private var latest: [String: Entry] = [:]
    private var sequence: UInt64 = 0
    private var waiter: Continuation?
    private var terminal: Terminal?

    init(limit: Int) {
        self.limit = limit
    }

    enum Wake {
        case none
        case resume(Continuation, RecorderEvent?)
        case fail(Continuation, HarkError)
    }

    /// Whether the subscriber has ended and can be forgotten by the publisher.
    var isTerminated: Bool { terminal != nil }

    mutating func push(_ event: RecorderEvent) -> Wake {
        guard terminal == nil else { return .none }
        if let waiter {
            self.waiter = nil
            return .resume(waiter, event)
        }
        sequence += 1
        let entry = Entry(sequence: sequence, event: event)
        if event.isCoalescable {
            latest[event.name] = entry
        } else {
            if lossless.count >= limit {
                terminal = .failed(HarkError(.eventConsumerTooSlow, """
                    An event subscriber fell \(limit) events behind and was ended. Read events promptly \
                    (the session folder on disk is complete regardless).
                    """))
            } else {
                lossless.append(entry)
            }
        }
        return .none
    }

    enum Next {
        case event(RecorderEvent)
        case end
        case error(HarkError)
        case suspended
    }

    /// Takes the next event, or parks `continuation` until one is pushed.
    mutating func next(orPark continuation: Continuation) -> Next {
        if let event = popOldest() { return .event(event) }
        switch terminal {
        case .finished: return .end
        case .failed(let error): return .error(error)
        case nil:
            waiter = continuation
            return .suspended
        }
    }

    /// Takes the next event if one is buffered, without parking.
    mutating func poll() -> Next? {
        if let event = popOldest() { return .event(event) }
        switch terminal {
        case .finished: return .end
        case .failed(let error): return .error(error)
        case nil: return nil
        }
    }

    /// Ends the stream after what is buffered.
    mutating func finish() -> Wake {
        if terminal == nil { terminal = .finished }
        return takeWaiter()
    }

    /// Ends the stream now (the consumer was cancelled).
    mutating func cancel() -> Wake {
        lossless.removeAll()
        latest.removeAll()
        terminal = .finished
        return takeWaiter()
    }

    private mutating func takeWaiter() -> Wake {
        guard let waiter else { return .none }
        self.waiter = nil
        return .resume(waiter, nil)
    }

    private mutating func popOldest() -> RecorderEvent? {
        let coalesced = latest.min { $0.value.sequence < $1.value.sequence }
        if let first = lossless.first, first.sequence < coalesced?.value.sequence ?? .max { return lossless.removeFirst().event }
        guard let coalesced else { return nil }
        latest[coalesced.key] = nil
        return coalesced.value.event
    }
}

extension EventBufferStateMachine.Wake {
    func run() {
        switch self {
        case .none: break
        case .resume(let continuation, let event): continuation.resume(returning: event)
        case .fail(let continuation, let error): continuation.resume(throwing: error)
        }
    }
}
