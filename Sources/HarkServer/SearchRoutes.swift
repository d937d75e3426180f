import Foundation
import Hark
import HarkArchive
import Hummingbird
import Synchronization

extension HarkServer {
    /// `GET /api/search?q=…` — full-text search of every session's utterances, with `literal`,
    /// `since`, `until`, `session`, `language`, `limit` (≤ 1000) and `offset`; answers
    /// `{hits, hasMore, ranked}`, each hit with the URL of its audio. A query SQLite cannot read is a 400.
    func addSearchRoutes(to router: Router<HarkRequestContext>) {
        let search = ArchiveSearchService(archive: archive)
        router.get("/api/search") { request, _ in
            let parameters = request.uri.queryParameters
            guard let text = parameters.get("q") else {
                throw APIError(.badRequest, "Say what to search for: /api/search?q=budget (a word, a \"phrase\", a prefix*).")
            }
            var query = ArchiveQuery(text, literal: parameters.get("literal") == "true")
            query.since = try parameters.get("since").map { try ArchiveQuery.time($0) }
            query.until = try parameters.get("until").map { try ArchiveQuery.time($0, endOfDay: true) }
            query.session = parameters.get("session")
            query.language = parameters.get("language")
            query.limit = try Self.integer(parameters.get("limit"), named: "limit") ?? query.limit
            query.offset = try Self.integer(parameters.get("offset"), named: "offset") ?? 0
            let results = try await search.run(query)
            return JSONBody(SearchPage(results))
        }
    }

    static func integer(_ text: String?, named name: String) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text) else { throw APIError(.badRequest, "\(name) must be a whole number, not '\(text)'.") }
        return value
    }
}

/// Runs searches on the server's archive, first catching up with folders other processes
/// changed — at most every 10 s, so that a busy search box does not stat every session each time.
final class ArchiveSearchService: Sendable {
    let archive: SessionArchive
    private let lastRefresh = Mutex<ContinuousClock.Instant?>(nil)
    static let refreshInterval = Duration.seconds(10)

    init(archive: SessionArchive) { self.archive = archive }

    func run(_ query: ArchiveQuery) async throws -> ArchiveResults {
        _ = try query.expression()
        await refreshIfDue()
        return try await archive.search(query)
    }

    func refreshIfDue() async {
        let due = lastRefresh.withLock { last in
            guard last.map({ ContinuousClock.now - $0 >= Self.refreshInterval }) ?? true else { return false }
            last = .now
            return true
        }
        if due { _ = try? await archive.refresh() }
    }
}

/// A page of hits as the API gives it: each with its audio's URL.
struct SearchPage: Encodable {
    struct Hit: Encodable {
        var hit: ArchiveHit
        func encode(to encoder: any Encoder) throws {
            try hit.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode("/api/sessions/\(hit.session)/segments/\(hit.segment).wav", forKey: .audio)
        }
        enum Key: CodingKey { case audio }
    }
    var hits: [Hit]
    var hasMore: Bool
    var ranked: Bool

    init(_ results: ArchiveResults) {
        hits = results.hits.map(Hit.init)
        hasMore = results.hasMore
        ranked = results.ranked
    }
}
