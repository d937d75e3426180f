import Foundation
import Hark
import HTTPTypes
import Hummingbird
import Synchronization

extension HarkServer {
    /// `GET /api/events`: the recorder's events as Server-Sent Events — `event:` the event's name,
    /// `data:` the same JSON as the library's `Codable` form. `?meters=false` leaves out the
    /// per-chunk level and speech-probability events. Each client has a bounded buffer (a client
    /// that falls behind by more loses its stream and reconnects, as EventSource does); a comment
    /// every 15 s keeps proxies from closing an idle stream.
    func addEventRoutes(to router: Router<BasicRequestContext>) {
        let relay = recorder.relay
        let limit = configuration.maxEventClients
        let counter = ClientCounter(limit: limit)
        router.get("/api/events") { request, _ -> Response in
            guard counter.enter() else {
                throw APIError(.serviceUnavailable, "Too many event-stream clients (\(limit)); close one and retry.")
            }
            let meters = request.uri.queryParameters.get("meters") != "false"
            let events = relay.subscribe()
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store",
                                       HTTPField.Name("X-Accel-Buffering")!: "no"]
            return Response(status: .ok, headers: headers, body: .init(asyncSequence: Self.serverSentEvents(events, meters: meters, leave: counter.leave)))
        }
    }

    /// The stream's bytes. Events and keep-alives meet in one bounded buffer; a client that lets
    /// 256 messages pile up is cut off (its EventSource reconnects and starts afresh).
    static func serverSentEvents(_ events: EventStream, meters: Bool, leave: @escaping @Sendable () -> Void) -> AsyncStream<ByteBuffer> {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingOldest(256))
        continuation.yield(ByteBuffer(string: ": hark events\nretry: 1000\n\n"))
        let producer = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    let encoder = JSON.encoder
                    do {
                        for try await event in events where meters || !event.isCoalescable {
                            let json = String(decoding: try encoder.encode(event), as: UTF8.self)
                            if case .dropped = continuation.yield(ByteBuffer(string: "event: \(event.name)\ndata: \(json)\n\n")) { break }
                        }
                    } catch {
                        let code = (error as? HarkError)?.code.rawValue ?? "internalFailure"
                        continuation.yield(ByteBuffer(string: "event: streamError\ndata: {\"code\":\"\(code)\"}\n\n"))
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(15))
                        continuation.yield(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                }
                // Whichever ends first — the events (shutdown, or too slow) — ends the stream.
                await group.next()
                group.cancelAll()
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            producer.cancel()
            leave()
        }
        return stream
    }
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
