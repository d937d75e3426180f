import Foundation
import HarkCore

/// One session folder as the index sees it: the version of its manifest (`stamp`) and the rows
/// made from it. A folder whose manifest cannot be read has a stamp and no rows, so it is read
/// again only once it changes.
struct ArchivedSession: Sendable {
    struct Utterance: Sendable {
        var segment: Int
        var start: Double
        var end: Double
        /// Seconds since 1970 when the utterance was spoken (the session's start plus `start`).
        var at: Double
        var language: String?
        var text: String
        /// `[TimedWord]` as JSON, times from the session's start.
        var words: String?
        var file: String
    }

    var id: String
    var created: Double
    var stamp: String
    var utterances: [Utterance]

    /// Reads `folder`'s manifest. nil when the folder holds no `session.json` (not a session).
    static func read(folder: URL) -> ArchivedSession? {
        let file = folder.appendingPathComponent(SessionManifest.fileName)
        // The manifest is replaced by rename while a recorder runs: read until the stamp before and
        // after the read agree, so the rows never claim a newer version than they came from.
        for _ in 0..<5 {
            guard let before = ManifestStamp.of(file) else { return nil }
            let data = FileManager.default.contents(atPath: file.path)
            guard ManifestStamp.of(file) == before else { continue }
            guard let data, let manifest = try? JSON.decoder.decode(SessionManifest.self, from: data).validated() else {
                return ArchivedSession(id: folder.lastPathComponent, created: 0, stamp: before, utterances: [])
            }
            return ArchivedSession(manifest: manifest, id: folder.lastPathComponent, stamp: before)
        }
        return nil
    }

    init(id: String, created: Double, stamp: String, utterances: [Utterance]) {
        self.id = id
        self.created = created
        self.stamp = stamp
        self.utterances = utterances
    }

    init(manifest: SessionManifest, id: String, stamp: String) {
        let created = manifest.createdAt.timeIntervalSince1970
        let pieces = Dictionary(grouping: manifest.transcriptSegments, by: \.segment)
        let encoder = JSON.encoder
        self.init(id: id, created: created, stamp: stamp, utterances: manifest.segments.compactMap { segment in
            guard let transcription = segment.transcription, transcription.state == .done else { return nil }
            let timed = (pieces[segment.id] ?? []).map(\.piece)
            let text = Self.searchable(transcription.text ?? timed.map(\.text).joined())
            guard !text.isEmpty else { return nil }
            let start = timed.first?.start ?? segment.audioStart
            let end = timed.last?.end ?? segment.audioEnd
            let words = timed.flatMap { $0.words ?? [] }
            return Utterance(segment: segment.id, start: start, end: end, at: created + start,
                             language: transcription.language, text: text,
                             words: words.isEmpty ? nil : (try? encoder.encode(words)).map { String(decoding: $0, as: UTF8.self) },
                             file: segment.file)
        })
    }

    /// The text as stored: trimmed, without the two control characters that mark matches.
    static func searchable(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: ArchiveHit.matchOpen, with: "")
            .replacingOccurrences(of: ArchiveHit.matchClose, with: "")
    }
}

/// Which version of a file this is: inode, size and modification time. Manifests are replaced by
/// rename, so every rewrite gets a new inode, even within one clock tick.
enum ManifestStamp {
    static func of(_ file: URL) -> String? {
        var info = stat()
        guard stat(file.path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        return "\(info.st_ino):\(info.st_size):\(time.tv_sec).\(time.tv_nsec)"
    }
}
