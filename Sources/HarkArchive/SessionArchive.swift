import Foundation
import GRDB
import HarkCore
import Synchronization

/// Every transcribed utterance under a sessions root, searchable: `index.sqlite` in the root,
/// an SQLite full-text (FTS5) index derived from the session folders.
///
/// The folders stay the truth. The index is updated as transcripts arrive (each recording keeps
/// it current), `refresh()` catches up with whatever changed behind its back (a session recorded
/// by an older Hark, deleted by hand, a process killed mid-update) by comparing each manifest's
/// stamp, and an index that is unreadable, corrupt or of another version is set aside and made
/// again. Several processes may write at once: the database is in WAL mode and a writer waits up
/// to 10 s for another.
///
/// Methods run SQLite on GRDB's own dispatch queues, never on the caller's executor. Errors are
/// `HarkError`s: `invalidInput` for a query SQLite cannot read, `writeFailed` when the index
/// cannot be written at all.
public final class SessionArchive: Sendable {
    /// The index's file name in the sessions root.
    public static let fileName = "index.sqlite"
    /// The sessions root: the folders indexed, and where the index lives.
    public let root: URL
    /// `index.sqlite` in `root`.
    public var indexURL: URL { root.appendingPathComponent(Self.fileName) }

    private let opened = Mutex<DatabasePool?>(nil)

    /// Opens nothing yet: the index is opened, or created with `root`, on the first call that needs it.
    public init(root: URL) {
        self.root = root
    }

    // MARK: Keeping it current

    /// Brings the index in line with the folders: new and changed sessions read, gone ones removed.
    /// `progress` hears (done, total) as sessions are read.
    @discardableResult
    public func refresh(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(HarkError) -> ArchiveRefresh {
        try await recovering { pool, recreated in
            try await self.synchronize(pool, recreated: recreated, progress: progress)
        }
    }

    /// Empties the index and reads every session again.
    @discardableResult
    public func rebuild(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(HarkError) -> ArchiveRefresh {
        try await recovering { pool, _ in
            _ = try await pool.write { db in try ArchiveSchema.install(db, anew: true) }
            var summary = try await self.synchronize(pool, recreated: true, progress: progress)
            try await pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM") }
            summary.recreated = true
            return summary
        }
    }

    /// Reads one session folder under the root again (after its transcripts changed).
    public func update(sessionFolder folder: URL) async throws(HarkError) {
        try await recovering { pool, recreated in
            if recreated { _ = try await self.synchronize(pool, recreated: true, progress: nil); return }
            guard let session = ArchivedSession.read(folder: folder) else {
                try await pool.write { db in try Self.delete(folder.lastPathComponent, db) }
                return
            }
            try await pool.write { db in try Self.store(session, db) }
        }
    }

    /// Forgets a session (its folder was deleted).
    public func remove(session id: String) async throws(HarkError) {
        try await recovering { pool, _ in
            try await pool.write { db in try Self.delete(id, db) }
        }
    }

    // MARK: Searching

    /// The utterances that match `query`, best first. Reads the index as it is: call `refresh()`
    /// first when other programs may have changed the folders without updating it.
    public func search(_ query: ArchiveQuery) async throws(HarkError) -> ArchiveResults {
        let expression = try query.expression()
        return try await recovering { pool, recreated in
            if recreated { _ = try await self.synchronize(pool, recreated: true, progress: nil) }
            return try await pool.read { db in try ArchiveSearch.run(expression, query, db) }
        }
    }

    /// Problems SQLite's integrity checks find in the index (tables and full-text index); empty
    /// when it is sound. Repairs nothing: `rebuild()` does.
    public func check() async -> [String] {
        do {
            let (pool, _) = try open()
            var problems = try await pool.read { db in
                try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            }
            do {
                try await pool.write { db in
                    try db.execute(sql: "INSERT INTO utterance_text(utterance_text, rank) VALUES ('integrity-check', 1)")
                }
            } catch let error as DatabaseError where Self.isCorruption(error) {
                problems.append("full-text index: \(error.message ?? "\(error)")")
            }
            return problems
        } catch {
            return ["\((error as? DatabaseError)?.message ?? "\(error)")"]
        }
    }

    /// Closes the database (it opens again on the next call), its write-ahead log folded in.
    public func close() {
        guard let pool = opened.withLock({ pool in defer { pool = nil }; return pool }) else { return }
        _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        try? pool.close()
    }
}

extension SessionArchive {
    /// Runs `work` on the open index; an index that turns out unreadable or corrupt is set aside,
    /// made anew and `work` tried once more (told the index is new, so it can fill it first).
    private func recovering<T: Sendable>(_ work: @Sendable (DatabasePool, Bool) async throws -> T) async throws(HarkError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let (pool, recreated) = try open()
                return try await work(pool, recreated)
            } catch let error as HarkError {
                throw error
            } catch let error as DatabaseError where Self.isCorruption(error) && attempt == 1 {
                setAside(because: error)
            } catch let error as DatabaseError {
                throw Self.harkError(error, index: indexURL)
            } catch {
                throw HarkError(.writeFailed, "The search index '\(indexURL.path)' failed: \(error)")
            }
        }
    }

    private func open() throws -> (DatabasePool, Bool) {
        try opened.withLock { current in
            if let current { return (current, false) }
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.label = "hark.index"
            configuration.prepareDatabase { db in
                // The index is derived: after a power cut it may lose its last writes (the next
                // refresh redoes them), never its consistency.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            let pool = try DatabasePool(path: indexURL.path, configuration: configuration)
            let created = try pool.write { db in try ArchiveSchema.install(db) }
            current = pool
            return (pool, created)
        }
    }

    /// Moves a corrupt index (and its WAL) aside as `index.sqlite.corrupt`, so the next open starts afresh.
    private func setAside(because error: DatabaseError) {
        close()
        let fm = FileManager.default
        let aside = root.appendingPathComponent(Self.fileName + ".corrupt")
        try? fm.removeItem(at: aside)
        try? fm.moveItem(at: indexURL, to: aside)
        for suffix in ["-wal", "-shm"] { try? fm.removeItem(atPath: indexURL.path + suffix) }
    }

    static func isCorruption(_ error: DatabaseError) -> Bool {
        [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode.primaryResultCode)
    }

    static func harkError(_ error: DatabaseError, index: URL) -> HarkError {
        let message = error.message ?? "\(error)"
        if error.resultCode.primaryResultCode == .SQLITE_ERROR, message.hasPrefix("fts5:") || message.hasPrefix("no such column") || message.contains("unterminated string") {
            return HarkError(.invalidInput, """
                The search could not be read (\(message)). Words match words, "quoted words" a phrase, word* a prefix; \
                AND, OR, NOT (upper case) and parentheses combine them. `--literal` (API: literal=true) takes the text as plain words.
                """)
        }
        if [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_PERM].contains(error.resultCode.primaryResultCode) {
            return HarkError(.writeFailed, "The search index '\(index.path)' cannot be used (\(message)). Check the folder's space and permissions.")
        }
        if error.resultCode.primaryResultCode == .SQLITE_BUSY {
            return HarkError(.busy, "The search index '\(index.path)' stayed locked by another process for 10 s; try again.")
        }
        return HarkError(.internalFailure, "The search index '\(index.path)' failed: \(message)")
    }
}
