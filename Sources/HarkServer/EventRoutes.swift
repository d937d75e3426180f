import Foundation
import Hark
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

extension HarkServer {
    /// `GET /api/events`: the recorder's events as Server-Sent Events — `event:` the event's name,
    /// `data:` the same JSON as the library's `Codable` form. `?meters=false` leaves out the
    /// per-chunk level and speech-probability events. Each client has a bounded buffer (a client
    /// that falls behind by more loses its stream and reconnects, as EventSource does); a comment
    /// every 15 s keeps proxies from closing an idle stream.
    func addEventRoutes(to router: Router<HarkRequestContext>) {
        let relay = recorder.relay
        let limit = configuration.maxEventClients
        let stallTimeout = configuration.eventClientStallTimeout
        let keepAlive = configuration.eventKeepAliveInterval
        let counter = ClientCounter(limit: limit)
        router.get("/api/events") { request, context -> Response in
            guard counter.enter() else {
                throw APIError(.serviceUnavailable, "Too many event-stream clients (\(limit)); close one and retry.")
            }
            let meters = request.uri.queryParameters.get("meters") != "false"
            let events = relay.subscribe()
            // A small send buffer, so that a client that stops reading is found stalled after
            // kilobytes, not after the megabytes the kernel would otherwise hold for it.
            _ = context.channel.setOption(ChannelOptions.socketOption(.so_sndbuf), value: 16_384)
            let channel = context.channel
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store",
                                       HTTPField.Name("X-Accel-Buffering")!: "no"]
            let body = Self.serverSentEvents(events, meters: meters, keepAlive: keepAlive, stallTimeout: stallTimeout,
                                             onStall: { channel.close(promise: nil) }, leave: counter.leave)
            return Response(status: .ok, headers: headers, body: .init(asyncSequence: body))
        }
    }

    /// The stream's bytes. Events and keep-alives meet in one bounded buffer; a client that lets
    /// 256 messages pile up is cut off (its EventSource reconnects and starts afresh), and so is
    /// one that has not taken its last message for `stallTimeout` (`onStall` closes it).
    static func serverSentEvents(_ events: EventStream, meters: Bool, keepAlive: Duration = .seconds(15),
                                 stallTimeout: Duration = .seconds(30),
                                 onStall: @escaping @Sendable () -> Void = {},
                                 leave: @escaping @Sendable () -> Void) -> WatchedStream {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingOldest(256))
        let watched = WatchedStream(stream)
        continuation.yield(ByteBuffer(string: ": hark events\nretry: 1000\n\n"))
        let producer = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    let encoder = JSON.encoder
                    do {
                        for try await event in events where meters || !event.isMeter {
                            let json = String(decoding: try encoder.encode(event), as: UTF8.self)
                            if case .dropped = continuation.yield(ByteBuffer(string: "event: \(event.name)\ndata: \(json)\n\n")) { break }
                        }
                    } catch {
                        let code = (error as? HarkError)?.code.rawValue ?? "internalFailure"
                        continuation.yield(ByteBuffer(string: "event: streamError\ndata: {\"code\":\"\(code)\"}\n\n"))
                    }
                }
                group.addTask {
                    let padding = ": keep-alive" + String(repeating: " ", count: 4096 - 14) + "\n\n"
                    var sinceKeepAlive = Duration.zero
                    let tick = min(.seconds(1), stallTimeout / 2, keepAlive)
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        if watched.stalled(for: stallTimeout) { onStall(); return }
                        sinceKeepAlive += tick
                        if sinceKeepAlive >= keepAlive {
                            sinceKeepAlive = .zero
                            continuation.yield(ByteBuffer(string: padding))
                        }
                    }
                }
                // Whichever ends first — the events (shutdown, or too slow), a stall — ends the stream.
                await group.next()
                group.cancelAll()
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            producer.cancel()
            leave()
        }
        return watched
    }
}

/// An event stream's bytes that know whether their reader keeps up: Hummingbird asks for the
/// next buffer only once it has written the last, so a buffer handed out long ago with no
/// request since means the write is stuck — the client stopped reading.
final class WatchedStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    private let base: AsyncStream<ByteBuffer>
    /// When the last buffer was handed out, while no next one is asked for; nil while waiting.
    private let handedOut = Mutex<ContinuousClock.Instant?>(nil)

    init(_ base: AsyncStream<ByteBuffer>) { self.base = base }

    func stalled(for limit: Duration) -> Bool {
        handedOut.withLock { $0.map { ContinuousClock.now - $0 > limit } ?? false }
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: AsyncStream<ByteBuffer>.Iterator
        let owner: WatchedStream

        mutating func next() async -> ByteBuffer? {
            owner.handedOut.withLock { $0 = nil }
            let buffer = await base.next()
            owner.handedOut.withLock { $0 = .now }
            return buffer
        }
    }

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), owner: self) }
}

/// Event-stream clients at once, bounded.
final class ClientCounter: Sendable {
    private let count = Mutex(0)
    let limit: Int
    init(limit: Int) { self.limit = limit }

    func enter() -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}
