import Foundation
import HarkCore

/// A search of the archive: FTS5 query text and filters.
///
/// The text is SQLite FTS5's query syntax: words match words (any case, accents ignored), all of
/// them by default; `"two words"` a phrase; `budg*` a prefix; `AND`, `OR`, `NOT` (upper case) and
/// parentheses combine them; `NEAR(a b, 5)` finds words close together. With `literal`, the text
/// is taken as plain words instead (every word must appear; punctuation is ignored).
public struct ArchiveQuery: Sendable, Hashable, Codable {
    /// The FTS5 query, or plain words when `literal`.
    public var text: String
    /// Take `text` as plain words, with no FTS5 operators.
    public var literal: Bool
    /// Only utterances spoken at or after this time.
    public var since: Date?
    /// Only utterances spoken before this time.
    public var until: Date?
    /// Only this session (its id, the folder name).
    public var session: String?
    /// Only utterances transcribed as this language ("en", "de").
    public var language: String?
    /// At most this many hits (1…1000) after skipping `offset`.
    public var limit: Int
    /// Hits to skip first, for paging (0 or more).
    public var offset: Int

    /// The most hits one query may ask for.
    public static let maxLimit = 1000

    /// A query; nothing is checked until `expression()` (or a search) runs it.
    public init(_ text: String, literal: Bool = false, since: Date? = nil, until: Date? = nil,
                session: String? = nil, language: String? = nil, limit: Int = 20, offset: Int = 0) {
        self.text = text
        self.literal = literal
        self.since = since
        self.until = until
        self.session = session
        self.language = language
        self.limit = limit
        self.offset = offset
    }

    /// The FTS5 expression to run, or an `invalidInput` error saying what is wrong with the limit,
    /// offset or text (what SQLite itself cannot read is found when the search runs).
    public func expression() throws(HarkError) -> String {
        guard (1...Self.maxLimit).contains(limit) else {
            throw HarkError(.invalidInput, "A search returns 1 to \(Self.maxLimit) hits at a time; \(limit) asked.")
        }
        guard offset >= 0 else { throw HarkError(.invalidInput, "A search's offset cannot be negative (\(offset)).") }
        guard text.utf8.count <= 4096 else {
            throw HarkError(.invalidInput, "A search is at most 4096 bytes long; this one has \(text.utf8.count).")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw HarkError(.invalidInput, "Say what to search for: a word, a \"phrase\", a prefix* — `hark search --help` shows more.")
        }
        guard literal else { return trimmed }
        // Each run of letters and digits becomes a quoted word: FTS5 reads no operator in it.
        let words = trimmed.split { !($0.isLetter || $0.isNumber) }
        guard !words.isEmpty else {
            throw HarkError(.invalidInput, "'\(text)' holds no word to search for.")
        }
        return words.map { "\"\($0)\"" }.joined(separator: " ")
    }
}

/// One utterance that matched a search.
public struct ArchiveHit: Sendable, Hashable, Codable {
    /// The session's id (its folder name under the sessions root).
    public var session: String
    /// The segment's number in its session (`segments/0003.wav` is 3).
    public var segment: Int
    /// Seconds from the start of the session.
    public var start: Double
    /// Seconds from the start of the session to the utterance's end.
    public var end: Double
    /// When it was spoken.
    public var spokenAt: Date
    /// The language the utterance was transcribed as ("en"), when known.
    public var language: String?
    /// The utterance's transcript.
    public var text: String
    /// Where the query matched `text`: offsets in UTF-16 code units (as JavaScript and
    /// `NSString` count), in order.
    public var matches: [Range<Int>]
    /// Word times, from the start of the session, when the transcription kept them.
    public var words: [TimedWord]?
    /// The segment's audio: a path relative to the session folder (`segments/0003.wav`).
    public var file: String
    /// Relevance (FTS5's bm25): lower is better; 0 when the results are not ranked.
    public var score: Double

    static let matchOpen = "\u{2}"
    static let matchClose = "\u{3}"

    /// `text` with each match between `open` and `close`.
    public func marked(open: String, close: String) -> String {
        var result = ""
        let utf16 = Array(text.utf16)
        var position = 0
        for range in matches where range.lowerBound >= position && range.upperBound <= utf16.count {
            result += String(decoding: utf16[position..<range.lowerBound], as: UTF16.self)
            result += open + String(decoding: utf16[range], as: UTF16.self) + close
            position = range.upperBound
        }
        return result + String(decoding: utf16[position...], as: UTF16.self)
    }

    /// The text and match ranges of FTS5's `highlight()` output, marked with `matchOpen`/`matchClose`.
    static func unmark(_ highlighted: String) -> (text: String, matches: [Range<Int>]) {
        var text = [UInt16]()
        var matches = [Range<Int>]()
        var opened: Int?
        for unit in highlighted.utf16 {
            switch unit {
            case 0x02: opened = text.count
            case 0x03:
                if let start = opened, start < text.count { matches.append(start..<text.count) }
                opened = nil
            default: text.append(unit)
            }
        }
        return (String(decoding: text, as: UTF16.self), matches)
    }
}

/// A page of hits, best first: by relevance, then the newest. A query that matches more than
/// 2000 utterances (a word said all the time) is not ranked — bm25 over all of them would take
/// too long — and its hits come most recently indexed first, with `ranked` false.
public struct ArchiveResults: Sendable, Hashable, Codable {
    /// This page's hits, best first.
    public var hits: [ArchiveHit]
    /// Whether more hits follow this page (ask again with `offset` + `hits.count`).
    public var hasMore: Bool
    /// False when too many utterances matched to rank: hits are then newest-indexed first.
    public var ranked: Bool

    /// A page of results; `ranked` is true unless said otherwise.
    public init(hits: [ArchiveHit], hasMore: Bool, ranked: Bool = true) {
        self.hits = hits
        self.hasMore = hasMore
        self.ranked = ranked
    }
}

/// What a refresh or rebuild did.
public struct ArchiveRefresh: Sendable, Hashable {
    /// Session folders under the root.
    public var sessions: Int
    /// Sessions (re)read because they were new or had changed, and their utterances.
    public var updated: Int
    /// Utterances in the sessions that were (re)read.
    public var utterances: Int
    /// Sessions whose folders are gone.
    public var removed: Int
    /// Whether the index was missing, unreadable or of another version and was made anew.
    public var recreated: Bool
}
