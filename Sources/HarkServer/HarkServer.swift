import Foundation
import Hark
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle

/// `hark serve`: the recorder, its sessions and an OpenAI-compatible transcription API over HTTP,
/// plus a web page. Run it as a service (`run()` or inside a `ServiceGroup`); on graceful shutdown
/// the recording in progress is stopped and saved and the event streams end.
public struct HarkServer: Service {
    /// The configuration served, an empty token taken as none.
    public let configuration: ServerConfiguration
    let recorder: RecorderController
    let transcriptions: TranscriptionQueue?
    let realtime: RealtimeHub
    /// The search index of the sessions folder (`/api/search`).
    let archive: SessionArchive
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    /// `onRunning` gets the port actually bound (useful with port 0).
    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "hark.serve"),
                onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws {
        var configuration = configuration
        if configuration.token?.isEmpty == true { configuration.token = nil }   // an empty token is none
        guard configuration.token != nil || ServerConfiguration.isLoopback(configuration.host) else {
            throw HarkError.invalidConfiguration("""
                serving on '\(configuration.host)' would let anyone on the network record and read sessions; \
                set an access token (--token or HARK_TOKEN) or bind to 127.0.0.1
                """)
        }
        self.configuration = configuration
        self.logger = logger
        self.onRunning = onRunning
        recorder = RecorderController(configuration: configuration.recorder)
        archive = SessionArchive(root: configuration.recorder.sessionsDirectory)
        realtime = RealtimeHub(limits: configuration.realtime, token: configuration.token, recorder: configuration.recorder, logger: logger)
        transcriptions = try configuration.transcription.map {
            var workers = $0
            workers.maxAudioSeconds = configuration.maxUploadSeconds
            return try TranscriptionQueue(workers: workers, limit: configuration.queueLimit, maxUploadBytes: configuration.maxUploadBytes)
        }
    }

    /// Serves until graceful shutdown, which stops the recorder (saving the recording in progress)
    /// and then the transcription workers. Throws what the HTTP server throws.
    public func run() async throws {
        await prepare()
        let application = makeApplication()
        // The server stops when shutdown is asked for; the recorder is stopped first so that its
        // event streams end and no connection is left open.
        try await withGracefulShutdownHandler {
            try await application.runService()
        } onGracefulShutdown: { [recorder] in
            Task { await recorder.shutdown() }
        }
        await finish()
    }

    /// The HTTP application: the API and page routes, and WebSocket upgrades for `/v1/realtime`.
    func makeApplication() -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            // A client that stops sending its upload half-way is cut off (it holds a queue place).
            server: .http1WebSocketUpgrade(
                webSocketRouter: makeRealtimeRouter(),
                configuration: .init(http1: .init(idleTimeout: .seconds(30)),
                                     ws: .init(maxFrameSize: configuration.realtime.maxFrameBytes))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hark"),
            onServerRunning: { [onRunning] channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Starts relaying the recorder's events and collecting transcription results.
    func prepare() async {
        await recorder.begin()
        await transcriptions?.begin()
    }

    /// Stops the recorder (saving what is open) and the workers.
    func finish() async {
        await recorder.shutdown()
        await transcriptions?.shutdown()
    }

    func makeRouter() -> Router<HarkRequestContext> {
        let router = Router(context: HarkRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: APIErrorMiddleware())
        if let token = configuration.token {
            router.add(middleware: TokenMiddleware(token: token))
        } else {
            router.add(middleware: LoopbackOnlyMiddleware())
        }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        router.get("/api/health") { _, _ in JSONBody(["status": "ok"]) }
        addRecorderRoutes(to: router)
        addEventRoutes(to: router)
        addSessionRoutes(to: router)
        addSearchRoutes(to: router)
        addTranscriptionRoutes(to: router)
        addRealtimeRoutes(to: router)
        return router
    }
}

/// Any `Encodable` as a JSON response (dates in ISO 8601, keys sorted).
struct JSONBody<Value: Encodable & Sendable>: ResponseGenerator {
    let value: Value
    var status: HTTPResponse.Status = .ok
    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try JSON.encoder.encode(value))))
    }
}
