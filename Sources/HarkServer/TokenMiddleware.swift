import Foundation
import Hummingbird

/// With a token configured, every API route wants `Authorization: Bearer TOKEN` — or `?token=`
/// on the event stream and audio downloads, which browsers fetch without custom headers. The web
/// page itself (no data in it) is served to anyone; it asks for the token.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/api/") || path.hasPrefix("/v1/") else { return try await next(request, context) }
        let bearer = request.headers[.authorization].flatMap { value -> String? in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)) : nil
        }
        let query = request.uri.queryParameters.get("token")
        guard let given = bearer ?? query, Self.equal(given, token) else {
            throw APIError(.unauthorized, bearer == nil && query == nil
                ? "This server wants an access token: send 'Authorization: Bearer TOKEN'."
                : "The access token is wrong.", code: "invalid_api_key")
        }
        return try await next(request, context)
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
