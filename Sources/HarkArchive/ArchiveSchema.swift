import GRDB

/// The tables of `index.sqlite`. Everything in it is derived from the session folders, so a
/// schema change needs no migration: an index of another version is emptied and filled again.
enum ArchiveSchema {
    /// Raised whenever a table or what a row holds changes meaning.
    static let version = 2

    /// `sessions` remembers which version of each `session.json` the rows came from (its stamp);
    /// `utterances` holds one row per transcribed segment; `utterance_text` is the FTS5 index of
    /// their text, kept in step by triggers (an external-content table: the text is stored once).
    static let statements = [
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY NOT NULL,
            created REAL NOT NULL,
            stamp TEXT NOT NULL
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE utterances (
            rowid INTEGER PRIMARY KEY,
            session TEXT NOT NULL,
            segment INTEGER NOT NULL,
            start REAL NOT NULL,
            end REAL NOT NULL,
            at REAL NOT NULL,
            language TEXT,
            text TEXT NOT NULL,
            words TEXT,
            file TEXT NOT NULL
        )
        """,
        "CREATE INDEX utterances_by_session ON utterances(session)",
        """
        CREATE VIRTUAL TABLE utterance_text USING fts5(
            text, content='utterances', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2',
            prefix='2 3')
        """,
        """
        CREATE TRIGGER utterances_added AFTER INSERT ON utterances BEGIN
            INSERT INTO utterance_text(rowid, text) VALUES (new.rowid, new.text);
        END
        """,
        """
        CREATE TRIGGER utterances_removed AFTER DELETE ON utterances BEGIN
            INSERT INTO utterance_text(utterance_text, rowid, text) VALUES ('delete', old.rowid, old.text);
        END
        """,
    ]

    /// Creates the tables, or empties an index written by another version (or any, `anew`).
    /// Returns whether the index was (re)created, and so holds no session yet.
    static func install(_ db: Database, anew: Bool = false) throws -> Bool {
        let found = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if !anew, found == version, try db.tableExists("utterances") { return false }
        for name in ["utterance_text", "utterances", "sessions"] {
            try db.execute(sql: "DROP TABLE IF EXISTS \(name)")
        }
        for statement in statements { try db.execute(sql: statement) }
        try db.execute(sql: "PRAGMA user_version = \(version)")
        return true
    }
}
