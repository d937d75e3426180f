import Foundation
import Hark
import HarkCore
import Hummingbird

/// Errors in OpenAI's shape, `{"error":{"message":…,"type":…,"code":…}}`, so that clients of that
/// API show the message; every route answers failures this way.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    var code: String?
    var retryAfter: Int?

    init(_ status: HTTPResponse.Status, _ message: String, code: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.message = Self.withoutPaths(message)
        self.code = code
        self.retryAfter = retryAfter
    }

    /// A Hark error as the status a client should see.
    init(_ error: HarkError) {
        let status: HTTPResponse.Status = switch error.code {
        case .sessionNotFound, .deviceNotFound, .noCaptureDevice: .notFound
        case .alreadyRecording, .notRecording, .sessionBusy: .conflict
        case .unreadableAudio, .unsupportedAudio, .invalidInput, .invalidConfiguration: .badRequest
        case .audioTooLong: .contentTooLarge
        case .busy: .tooManyRequests
        case .modelMissing, .modelCorrupt, .remoteUnavailable, .deviceUnavailable, .transcriptionUnavailable: .serviceUnavailable
        default: .internalServerError
        }
        self.init(status, error.message, code: error.code.rawValue)
    }

    /// Messages name files by their paths for a local user; a client of the server is told
    /// only the last component ('/home/ana/.local/share/hark/sessions' becomes 'sessions').
    static func withoutPaths(_ message: String) -> String {
        var result = ""
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "'") {
            result += rest[...open]
            rest = rest[rest.index(after: open)...]
            guard rest.first == "/", let close = rest.firstIndex(of: "'") else { continue }
            result += rest[..<close].split(separator: "/").last ?? ""
            result += "'"
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let type = status.code >= 500 ? "server_error" : "invalid_request_error"
        let data = try JSON.encoder.encode(ErrorBody(error: .init(message: message, type: type, code: code)))
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

private struct ErrorBody: Encodable {
    struct Detail: Encodable { var message: String; var type: String; var code: String? }
    var error: Detail
}

/// Turns any error a handler throws into an `APIError` response, so none reaches the client as
/// a bare 500 without a message.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HarkError {
            throw APIError(error)
        } catch let error as any HTTPResponseError {
            if error.status == .contentTooLarge { throw APIError(.contentTooLarge, "The upload is larger than this server accepts.") }
            if error.status == .notFound { throw APIError(.notFound, "No such route: \(request.method) \(request.uri.path)") }
            throw error
        }
    }
}
