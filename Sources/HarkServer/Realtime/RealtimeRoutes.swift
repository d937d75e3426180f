import Foundation
import Hark
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// The context of the WebSocket router: Hummingbird's, the upgrade's handler slot, and the
/// connection, so that a client that stops reading can be cut off.
struct RealtimeRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}

/// `GET /v1/realtime`: who may connect (the server's token, as `Authorization: Bearer` or, from
/// browsers, which cannot set headers on a WebSocket, the `openai-insecure-api-key.TOKEN`
/// subprotocol), how many at once, and a recorder per connection.
final class RealtimeHub: Sendable {
    let limits: RealtimeLimits
    let token: String?
    /// What each connection's recorder starts from: the server recorder's VAD, segmenter,
    /// workers and sessions folder.
    let recorder: RecorderConfiguration
    let logger: Logger
    private let open = Mutex(0)

    init(limits: RealtimeLimits, token: String?, recorder: RecorderConfiguration, logger: Logger) {
        self.limits = limits
        self.token = token
        self.recorder = recorder
        self.logger = logger
    }

    static let path = "/v1/realtime"
    static let keyProtocolPrefix = "openai-insecure-api-key."

    /// Why this upgrade request may not connect, as the HTTP answer it gets instead; nil if it may.
    func refusal(for request: Request) -> APIError? {
        if let token {
            let bearer = request.headers[.authorization].flatMap { value -> String? in
                value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)) : nil
            }
            let offered = Self.protocols(request).first { $0.hasPrefix(Self.keyProtocolPrefix) }.map { String($0.dropFirst(Self.keyProtocolPrefix.count)) }
            guard let given = bearer ?? offered else {
                return APIError(.unauthorized, "This server wants an access token: send 'Authorization: Bearer TOKEN' (browsers: the WebSocket subprotocol 'openai-insecure-api-key.TOKEN').",
                                code: "invalid_api_key")
            }
            guard TokenMiddleware<RealtimeRequestContext>.equal(given, token) else {
                return APIError(.unauthorized, "The access token is wrong.", code: "invalid_api_key")
            }
        } else if let origin = request.headers[HTTPField.Name("Origin")!],
                  !LoopbackOnlyMiddleware<RealtimeRequestContext>.isLoopbackAuthority(URL(string: origin).map { "\($0.host ?? ""):\($0.port ?? 0)" } ?? "") {
            // A WebSocket is a GET that browsers open from any site; without a token only pages
            // of this machine may stream to it.
            return APIError(.forbidden, "Realtime connections from other web sites ('\(origin)') are refused.")
        }
        if let intent = request.uri.queryParameters.get("intent"), intent != "transcription" {
            return APIError(.badRequest, "This server runs transcription sessions only: connect with ?intent=transcription.", code: "invalid_intent")
        }
        return nil
    }

    /// The 101's headers: a browser that offered subprotocols fails the connection unless one is
    /// chosen, so "realtime" (or the first offered that is not the key) is echoed.
    func upgradeHeaders(for request: Request) -> HTTPFields {
        let offered = Self.protocols(request)
        guard !offered.isEmpty else { return [:] }
        let chosen = offered.contains("realtime") ? "realtime" : (offered.first { !$0.hasPrefix(Self.keyProtocolPrefix) } ?? offered[0])
        return [.secWebSocketProtocol: chosen]
    }

    private static func protocols(_ request: Request) -> [String] {
        request.headers[values: .secWebSocketProtocol].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// One place, or nil when all `maxConnections` are taken.
    func acquire() -> Bool {
        open.withLock { count in
            guard count < limits.maxConnections else { return false }
            count += 1
            return true
        }
    }

    func release() { open.withLock { $0 -= 1 } }

    var openConnections: Int { open.withLock { $0 } }
}

extension HarkServer {
    /// The router behind WebSocket upgrades. A request it refuses goes on to the HTTP router,
    /// whose `/v1/realtime` route answers why (401, 403, or 426 for a plain GET).
    func makeRealtimeRouter() -> Router<RealtimeRequestContext> {
        let router = Router(context: RealtimeRequestContext.self)
        let hub = realtime
        router.ws(RouterPath(RealtimeHub.path)) { request, _ in
            hub.refusal(for: request) == nil ? .upgrade(hub.upgradeHeaders(for: request)) : .dontUpgrade
        } onUpgrade: { inbound, outbound, context in
            await RealtimeConnection.serve(hub: hub, inbound: inbound, outbound: outbound, request: context.request,
                                           channel: context.requestContext.channel)
        }
        return router
    }

    func addRealtimeRoutes(to router: Router<HarkRequestContext>) {
        let hub = realtime
        router.get(RouterPath(RealtimeHub.path)) { request, _ -> Response in
            if let refusal = hub.refusal(for: request) { throw refusal }
            throw APIError(.upgradeRequired, "This is a WebSocket endpoint (the OpenAI Realtime API's transcription session): connect with ws://…/v1/realtime?intent=transcription.")
        }
    }
}
