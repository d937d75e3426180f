import Foundation
import HTTPTypes
import Hummingbird

/// With a token configured, every API route wants `Authorization: Bearer TOKEN` — or `?token=`
/// on the event stream and audio downloads, which browsers fetch without custom headers. The web
/// page itself (no data in it) is served to anyone; it asks for the token.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Only the page itself is open. Judged by the path's components, as the router splits
        // them, so that "//api/…" is not a way around the token.
        if request.uri.path.split(separator: "/").isEmpty { return try await next(request, context) }
        // The realtime route checks the token itself: browsers send it as a subprotocol.
        if request.uri.path.split(separator: "/") == ["v1", "realtime"] { return try await next(request, context) }
        let bearer = request.headers[.authorization].flatMap { value -> String? in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)) : nil
        }
        // Only where a browser cannot send a header: the event stream (EventSource) and audio
        // (<audio src>). A token in a URL leaks through logs and history; a POST or DELETE has
        // no reason to carry one there.
        let query = Self.acceptsQueryToken(request) ? request.uri.queryParameters.get("token") : nil
        guard let given = bearer ?? query, Self.equal(given, token) else {
            throw APIError(.unauthorized, bearer == nil && query == nil
                ? "This server wants an access token: send 'Authorization: Bearer TOKEN'."
                : "The access token is wrong.", code: "invalid_api_key")
        }
        return try await next(request, context)
    }

    static func acceptsQueryToken(_ request: Request) -> Bool {
        guard request.method == .get || request.method == .head else { return false }
        let parts = request.uri.path.split(separator: "/")
        return parts == ["api", "events"] || (parts.count == 5 && parts[0] == "api" && parts[1] == "sessions" && parts[3] == "segments")
    }

    /// Compares without stopping at the first difference, so timing does not leak the token.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = x.count ^ y.count
        for i in 0..<max(x.count, y.count) {
            difference |= Int((i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0))
        }
        return difference == 0
    }
}

/// Without a token the server is for this machine only — but a web page open in its browser can
/// still send it requests: a form post to start the microphone, or, through DNS rebinding, reads
/// of sessions. So requests must name a loopback host, and state-changing ones may come from no
/// other origin than the server's own.
struct LoopbackOnlyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let host = request.head.authority, !Self.isLoopbackAuthority(host) {
            throw APIError(.forbidden, "This server answers only requests for 127.0.0.1 or localhost; serve with a token (--token) to allow others.")
        }
        if request.method != .get, request.method != .head, let origin = request.headers[HTTPField.Name("Origin")!],
           !Self.isLoopbackAuthority(URL(string: origin).map { "\($0.host ?? ""):\($0.port ?? 0)" } ?? "") {
            throw APIError(.forbidden, "Requests from other web sites ('\(origin)') are refused.")
        }
        return try await next(request, context)
    }

    /// "127.0.0.1:8765", "localhost", "[::1]:8765" and the like.
    static func isLoopbackAuthority(_ authority: String) -> Bool {
        var host = Substring(authority)
        if host.hasPrefix("[") {
            host = host.dropFirst().prefix { $0 != "]" }
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        return ServerConfiguration.isLoopback(String(host))
    }
}

/// Headers on every answer, errors included: no other site may frame the page (clickjacking the
/// Record button), and browsers must not guess content types.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Content-Security-Policy")!] = "frame-ancestors 'none'"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return response
    }
}
