import Foundation
import GRDB
import HarkCore

/// The one query behind `SessionArchive.search`.
enum ArchiveSearch {
    /// Ranking computes bm25 for every match (~3 µs each here): past this many matches a query
    /// is not selective enough to rank in time, and its hits come newest-indexed first instead.
    static let rankLimit = 2000

    static func run(_ expression: String, _ query: ArchiveQuery, _ db: Database) throws -> ArchiveResults {
        let matches = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM (SELECT 1 FROM utterance_text WHERE utterance_text MATCH ? LIMIT \(rankLimit + 1))
            """, arguments: [expression]) ?? 0
        let ranked = matches <= rankLimit
        var filters = ["utterance_text MATCH ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [expression]
        if let since = query.since { filters.append("u.at >= ?"); arguments.append(since.timeIntervalSince1970) }
        if let until = query.until { filters.append("u.at < ?"); arguments.append(until.timeIntervalSince1970) }
        if let session = query.session { filters.append("u.session = ?"); arguments.append(session) }
        if let language = query.language { filters.append("u.language = ?"); arguments.append(language) }
        arguments.append(query.limit + 1)
        arguments.append(query.offset)
        // bm25 ranks, among equals the newest first; one row past the page tells whether more
        // follow. Matches are marked (highlight) only for the page, in the outer query; CROSS JOIN
        // keeps SQLite from driving it by the full match (FTS5 then looks each page row up by rowid).
        let page = """
            SELECT u.rowid AS id, \(ranked ? "bm25(utterance_text)" : "0.0") AS score, u.at AS at
            FROM utterance_text JOIN utterances u ON u.rowid = utterance_text.rowid
            WHERE \(filters.joined(separator: " AND "))
            ORDER BY \(ranked ? "score, u.at DESC" : "utterance_text.rowid DESC")
            LIMIT ? OFFSET ?
            """
        let sql = """
            SELECT u.session, u.segment, u.start, u.end, u.at, u.language, u.words, u.file, page.score,
                   highlight(utterance_text, 0, char(2), char(3)) AS marked
            FROM (\(page)) AS page
            CROSS JOIN utterance_text ON utterance_text.rowid = page.id
            CROSS JOIN utterances u ON u.rowid = page.id
            WHERE utterance_text MATCH ?
            ORDER BY \(ranked ? "page.score, page.at DESC" : "page.id DESC")
            """
        arguments.append(expression)
        let decoder = JSONDecoder()
        var hits = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row -> ArchiveHit in
            let (text, matches) = ArchiveHit.unmark(row["marked"] ?? "")
            let words: String? = row["words"]
            return ArchiveHit(
                session: row["session"], segment: row["segment"], start: row["start"], end: row["end"],
                spokenAt: Date(timeIntervalSince1970: row["at"]), language: row["language"], text: text,
                matches: matches, words: words.flatMap { try? decoder.decode([TimedWord].self, from: Data($0.utf8)) },
                file: row["file"], score: row["score"])
        }
        let hasMore = hits.count > query.limit
        if hasMore { hits.removeLast() }
        return ArchiveResults(hits: hits, hasMore: hasMore, ranked: ranked)
    }
}

extension SessionArchive {
    /// Reads every new or changed session folder and forgets gone ones, in batches of 200
    /// sessions per transaction (other writers wait at most one batch).
    func synchronize(_ pool: DatabasePool, recreated: Bool,
                     progress: (@Sendable (Int, Int) -> Void)?) async throws -> ArchiveRefresh {
        let onDisk = Self.sessionFolders(in: root)
        let known = try await pool.read { db in
            try Dictionary(Row.fetchAll(db, sql: "SELECT id, stamp FROM sessions").map { ($0["id"] as String, $0["stamp"] as String) },
                           uniquingKeysWith: { $1 })
        }
        let changed = onDisk.filter { known[$0.id] != $0.stamp }
        let gone = Set(known.keys).subtracting(onDisk.map(\.id))
        var summary = ArchiveRefresh(sessions: onDisk.count, updated: 0, utterances: 0, removed: gone.count, recreated: recreated)
        if !gone.isEmpty {
            try await pool.write { db in for id in gone { try Self.delete(id, db) } }
        }
        var done = 0
        for batch in stride(from: 0, to: changed.count, by: 200) {
            let sessions = changed[batch..<min(batch + 200, changed.count)].compactMap { ArchivedSession.read(folder: $0.folder) }
            try await pool.write { db in for session in sessions { try Self.store(session, db) } }
            summary.updated += sessions.count
            summary.utterances += sessions.reduce(0) { $0 + $1.utterances.count }
            done = min(batch + 200, changed.count)
            progress?(done, changed.count)
        }
        return summary
    }

    /// The folders under `root` that hold a manifest, with its stamp.
    static func sessionFolders(in root: URL) -> [(id: String, folder: URL, stamp: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().compactMap { name in
            guard !name.hasPrefix("."), !name.hasPrefix(fileName) else { return nil }
            let folder = root.appendingPathComponent(name, isDirectory: true)
            guard let stamp = ManifestStamp.of(folder.appendingPathComponent(SessionManifest.fileName)) else { return nil }
            return (name, folder, stamp)
        }
    }

    static func store(_ session: ArchivedSession, _ db: Database) throws {
        try delete(session.id, db)
        try db.execute(sql: "INSERT INTO sessions(id, created, stamp) VALUES (?, ?, ?)",
                       arguments: [session.id, session.created, session.stamp])
        let insert = try db.cachedStatement(sql: """
            INSERT INTO utterances(session, segment, start, end, at, language, text, words, file)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for u in session.utterances {
            try insert.execute(arguments: [session.id, u.segment, u.start, u.end, u.at, u.language, u.text, u.words, u.file])
        }
    }

    static func delete(_ id: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM utterances WHERE session = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [id])
    }
}
