import Foundation
import Hark
import Hummingbird

extension HarkServer {
    /// `GET /api/sessions` (summaries, newest first), `GET /api/sessions/:id` (the manifest),
    /// `GET /api/sessions/:id/transcript?format=txt|srt|vtt|json`,
    /// `GET /api/sessions/:id/segments/:n` (the WAV), `DELETE /api/sessions/:id`.
    func addSessionRoutes(to router: Router<HarkRequestContext>) {
        let library = SessionLibrary(root: configuration.recorder.sessionsDirectory)
        let recorder = recorder
        let archive = archive
        router.get("/api/sessions") { _, _ in
            JSONBody(try await Self.offMain { try library.list().reversed().map(SessionSummary.init) })
        }
        router.get("/api/sessions/:id") { _, context in
            let id = try Self.sessionID(context)
            return JSONBody(try await Self.offMain { try library.load(id: id) })
        }
        router.get("/api/sessions/:id/transcript") { request, context in
            let id = try Self.sessionID(context)
            let name = request.uri.queryParameters.get("format") ?? "txt"
            guard let format = TranscriptFormat(rawValue: name) else {
                throw APIError(.badRequest, "Unknown transcript format '\(name)'; use txt, srt, vtt or json.")
            }
            let manifest = try await Self.offMain { try library.load(id: id) }
            let text = format.render(manifest.transcriptSegments.map(\.piece), source: manifest.id)
            return Response(status: .ok, headers: [.contentType: format.contentType],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/api/sessions/:id/segments/:segment") { _, context in
            let id = try Self.sessionID(context)
            let number = context.parameters.get("segment").map { $0.hasSuffix(".wav") ? String($0.dropLast(4)) : $0 }
            guard let number, let segmentID = Int(number) else {
                throw APIError(.badRequest, "Name a segment by its number, e.g. /api/sessions/\(id)/segments/1.")
            }
            let (manifest, data) = try await Self.offMain { () -> (SessionManifest, Data?) in
                let manifest = try library.load(id: id)
                guard let segment = manifest.segments.first(where: { $0.id == segmentID }) else { return (manifest, nil) }
                return (manifest, FileManager.default.contents(atPath: library.folder(of: id).appendingPathComponent(segment.file).path))
            }
            guard let data else {
                throw APIError(.notFound, "Session \(manifest.id) has no saved segment \(segmentID) (it has \(manifest.segments.count)).")
            }
            return Response(status: .ok, headers: [.contentType: "audio/wav", .contentLength: String(data.count)],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.delete("/api/sessions/:id") { _, context in
            let id = try Self.sessionID(context)
            if await recorder.activeSessionID() == id {
                throw APIError(.conflict, "Session \(id) is being recorded; stop the recorder before deleting it.")
            }
            try await Self.offMain {
                _ = try library.load(id: id)   // only a folder that is a session
                // Not one that another process records or transcribes.
                let lock = try SessionLock.acquire(library.folder(of: id))
                defer { lock.release() }
                try FileManager.default.removeItem(at: library.folder(of: id))
            }
            try? await archive.remove(session: id)   // else the next refresh forgets it
            return Response(status: .noContent)
        }
    }

    /// A session id from the path: a folder name, never a path, so that no request reaches
    /// outside the sessions folder.
    static func sessionID(_ context: HarkRequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard !id.isEmpty, !id.hasPrefix("."), id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:".contains($0) }) else {
            throw APIError(.badRequest, "'\(id)' is not a session id; GET /api/sessions lists them.")
        }
        return id
    }

    /// File reads off the server's event loops.
    static func offMain<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await Task.detached { try work() }.value
    }
}

/// One line of the sessions list.
struct SessionSummary: Codable, Sendable {
    var id: String
    var createdAt: Date
    var state: SessionManifest.State
    var duration: Double
    var segments: Int
    var transcribed: Int
    var source: String

    init(_ manifest: SessionManifest) {
        id = manifest.id
        createdAt = manifest.createdAt
        state = manifest.state
        duration = manifest.duration
        segments = manifest.segments.count
        transcribed = manifest.segments.filter { $0.transcription?.state == .done }.count
        source = manifest.source.name
    }
}

extension TranscriptFormat {
    var contentType: String {
        switch self {
        case .txt: "text/plain; charset=utf-8"
        case .srt: "application/x-subrip; charset=utf-8"
        case .vtt: "text/vtt; charset=utf-8"
        case .json: "application/json"
        }
    }
}
