import Hummingbird
import NIOCore
import Synchronization

/// The context of `hark serve`'s routes: Hummingbird's basic one, plus the request's connection,
/// so that a deadline can close a connection whose peer stalls (an upload that trickles, an
/// event-stream client that stopped reading) — Hummingbird's own idle timer only covers the
/// time between requests.
struct HarkRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Closes `channel` unless `cancel` is called within `limit`; `expired` says whether it did.
/// Scheduled on the connection's own event loop, as NIO times its connections.
final class ConnectionDeadline: Sendable {
    private let fired = Mutex(false)
    private let scheduled = Mutex<Scheduled<Void>?>(nil)

    init(_ limit: Duration, closing channel: any Channel) {
        let task = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(limit / .nanoseconds(1)))) { [weak self] in
            self?.fired.withLock { $0 = true }
            channel.close(promise: nil)
        }
        scheduled.withLock { $0 = task }
    }

    var expired: Bool { fired.withLock { $0 } }

    func cancel() { scheduled.withLock { $0?.cancel() } }
}
