import Foundation
import HarkCore
import GRDB
import Testing
@testable import HarkArchive

/// The index through real SQLite, over session folders written as the recorder writes them.
@Suite("Session archive")
struct SessionArchiveTests {
    @Test func theIndexBuiltFromFoldersHoldsWhatTheManifestsSay() async throws {
        let root = try ArchiveFolder.make()
        try ArchiveFolder.write(root, id: "2026-12-01T09-00-00Z", created: 1_764_579_600, texts: [
            (" We need to cut the travel budget.", "en"), (" Das Budget ist zu hoch.", "de"), (nil, nil),
        ], words: true)
        try ArchiveFolder.write(root, id: "2026-12-02T09-00-00Z", created: 1_764_666_000, texts: [(" The budget review is on Friday.", "en")])
        let archive = SessionArchive(root: root)
        let summary = try await archive.refresh()
        #expect(summary.sessions == 2 && summary.updated == 2 && summary.utterances == 3 && summary.recreated)

        let hits = try await archive.search(ArchiveQuery("budget")).hits
        #expect(hits.count == 3)
        for hit in hits {
            let manifest = try JSON.decoder.decode(SessionManifest.self, from: Data(contentsOf: root.appendingPathComponent("\(hit.session)/session.json")))
            let segment = try #require(manifest.segments.first { $0.id == hit.segment })
            let transcription = try #require(segment.transcription)
            #expect(hit.text == transcription.text?.trimmingCharacters(in: .whitespaces))
            #expect(hit.language == transcription.language)
            #expect(hit.file == segment.file)
            let pieces = manifest.transcriptSegments.filter { $0.segment == segment.id }.map(\.piece)
            #expect(hit.start == pieces.first?.start && hit.end == pieces.last?.end)
            #expect(hit.spokenAt == manifest.createdAt.addingTimeInterval(hit.start))
            #expect(hit.words == (pieces.flatMap { $0.words ?? [] }.nilIfEmpty))
            #expect(hit.marked(open: "[", close: "]").lowercased().contains("[budget]"))
        }
        // A failed or empty transcription is no utterance.
        #expect(try await archive.search(ArchiveQuery("untranscribed")).hits.isEmpty)
        // Filters: language, session, time.
        #expect(try await archive.search(ArchiveQuery("budget", language: "de")).hits.map(\.segment) == [2])
        #expect(try await archive.search(ArchiveQuery("budget", session: "2026-12-02T09-00-00Z")).hits.count == 1)
        let since = Date(timeIntervalSince1970: 1_764_666_000)
        #expect(try await archive.search(ArchiveQuery("budget", since: since)).hits.map(\.session) == ["2026-12-02T09-00-00Z"])
        #expect(try await archive.search(ArchiveQuery("budget", until: since)).hits.count == 2)
        // Phrases, prefixes, boolean operators, and accents ignored.
        #expect(try await archive.search(ArchiveQuery("\"budget review\"")).hits.count == 1)
        #expect(try await archive.search(ArchiveQuery("trav*")).hits.count == 1)
        #expect(try await archive.search(ArchiveQuery("budget NOT travel")).hits.count == 2)
        #expect(try await archive.search(ArchiveQuery("friday OR hoch")).hits.count == 2)
        // Paging.
        let page = try await archive.search(ArchiveQuery("budget", limit: 2))
        #expect(page.hits.count == 2 && page.hasMore)
        let rest = try await archive.search(ArchiveQuery("budget", limit: 2, offset: 2))
        #expect(rest.hits.count == 1 && !rest.hasMore)
        #expect(Set((page.hits + rest.hits).map { "\($0.session)#\($0.segment)" }).count == 3)
    }

    @Test func aChangedManifestIsReadAgainAndADeletedSessionLeaves() async throws {
        let root = try ArchiveFolder.make()
        try ArchiveFolder.write(root, id: "a", created: 1_764_579_600, texts: [(" first words", "en")])
        try ArchiveFolder.write(root, id: "b", created: 1_764_579_700, texts: [(" other words", "en")])
        let archive = SessionArchive(root: root)
        try await archive.refresh()
        // A transcript arrives in "a" (the manifest is rewritten), "b" is deleted.
        try ArchiveFolder.write(root, id: "a", created: 1_764_579_600, texts: [(" first words", "en"), (" a late transcript", "en")])
        try FileManager.default.removeItem(at: root.appendingPathComponent("b"))
        let summary = try await archive.refresh()
        #expect(summary.updated == 1 && summary.removed == 1)
        #expect(try await archive.search(ArchiveQuery("late")).hits.map(\.segment) == [2])
        #expect(try await archive.search(ArchiveQuery("other")).hits.isEmpty)
        // Nothing changed: nothing read.
        #expect(try await archive.refresh().updated == 0)
        // One session read on demand, and one forgotten.
        try ArchiveFolder.write(root, id: "a", created: 1_764_579_600, texts: [(" replaced", "en")])
        try await archive.update(sessionFolder: root.appendingPathComponent("a"))
        #expect(try await archive.search(ArchiveQuery("late")).hits.isEmpty)
        try await archive.remove(session: "a")
        #expect(try await archive.search(ArchiveQuery("replaced")).hits.isEmpty)
    }

    @Test(arguments: ["garbage", "pages"])
    func aCorruptIndexIsSetAsideAndMadeAgain(damage: String) async throws {
        let root = try ArchiveFolder.make()
        for n in 0..<40 {
            try ArchiveFolder.write(root, id: "s\(n)", created: 1_764_579_600 + Double(n), texts: (0..<10).map { (" budget item \(n) number \($0) " + String(repeating: "filler words ", count: 20), "en") })
        }
        var archive = SessionArchive(root: root)
        try await archive.refresh()
        archive.close()
        let index = root.appendingPathComponent(SessionArchive.fileName)
        let wal = (try? FileManager.default.attributesOfItem(atPath: index.path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "closing folds the log into the file")
        var bytes = try [UInt8](Data(contentsOf: index))
        if damage == "garbage" {
            bytes = Array("this is not a database, it is a note someone saved here".utf8)
        } else {
            // Keep the header and the first page; overwrite every later page with noise.
            for i in 4096..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
        }
        try Data(bytes).write(to: index)

        archive = SessionArchive(root: root)
        #expect(await !archive.check().isEmpty, "the damage is seen")
        let hits = try await archive.search(ArchiveQuery("budget", limit: 1000)).hits
        #expect(hits.count == 400, "the index was made again from the folders")
        #expect(FileManager.default.fileExists(atPath: index.path + ".corrupt"), "the damaged file is kept aside")
        #expect(await archive.check().isEmpty)
    }

    @Test func aWordSaidAllTheTimeIsNotRankedButPaged() async throws {
        let root = try ArchiveFolder.make()
        for n in 0..<21 {
            try ArchiveFolder.write(root, id: String(format: "s%02d", n), created: 1_764_579_600 + Double(n) * 3600,
                                    texts: (0..<100).map { (" budget line \($0)", "en") })
        }
        let archive = SessionArchive(root: root)
        try await archive.refresh()
        let first = try await archive.search(ArchiveQuery("budget"))
        #expect(!first.ranked && first.hasMore && first.hits.count == 20)
        #expect(first.hits.first?.session == "s20", "the most recently indexed first")
        let second = try await archive.search(ArchiveQuery("budget", offset: 20))
        #expect(Set(first.hits.map { "\($0.session)#\($0.segment)" }).isDisjoint(with: second.hits.map { "\($0.session)#\($0.segment)" }))
        #expect(first.hits.allSatisfy { $0.matches.count == 1 }, "hits are marked as ranked ones are")
        #expect(try await archive.search(ArchiveQuery("\"line 7\"")).ranked, "a selective query is ranked")
    }

    @Test func anIndexOfAnotherVersionIsMadeAgain() async throws {
        let root = try ArchiveFolder.make()
        try ArchiveFolder.write(root, id: "a", created: 1_764_579_600, texts: [(" budget", "en")])
        let archive = SessionArchive(root: root)
        try await archive.refresh()
        archive.close()
        // As a later Hark would leave it: another schema version, tables of its own.
        let database = try DatabaseQueue(path: root.appendingPathComponent(SessionArchive.fileName).path)
        try await database.write { db in
            try db.execute(sql: "DROP TABLE utterances; CREATE TABLE utterances(x); PRAGMA user_version = 99")
        }
        try database.close()
        let other = SessionArchive(root: root)
        #expect(try await other.search(ArchiveQuery("budget")).hits.count == 1)
        #expect(try await other.refresh().updated == 0)
    }

    @Test(arguments: ["\"unclosed", "budget AND", "(budget", "NOT", "col:budget", "budget)"])
    func aQuerySQLiteCannotReadIsAnInvalidInputError(text: String) async throws {
        let root = try ArchiveFolder.make()
        try ArchiveFolder.write(root, id: "a", created: 1_764_579_600, texts: [(" budget", "en")])
        let archive = SessionArchive(root: root)
        try await archive.refresh()
        let error = await #expect(throws: HarkError.self) { try await archive.search(ArchiveQuery(text)) }
        #expect(error?.code == .invalidInput, "\(String(describing: error))")
        #expect(error?.message.contains("phrase") == true)
        // The same words as plain text find what there is.
        let literal = try await archive.search(ArchiveQuery(text, literal: true)).hits
        #expect(literal.count == (["(budget", "budget)"].contains(text) ? 1 : 0))
    }

    @Test func limitsAndEmptyQueriesAreRefusedBeforeSQLite() throws {
        #expect(throws: HarkError.self) { try ArchiveQuery("  ").expression() }
        #expect(throws: HarkError.self) { try ArchiveQuery("x", limit: 0).expression() }
        #expect(throws: HarkError.self) { try ArchiveQuery("x", limit: 5000).expression() }
        #expect(throws: HarkError.self) { try ArchiveQuery("x", offset: -1).expression() }
        #expect(throws: HarkError.self) { try ArchiveQuery("?!", literal: true).expression() }
        #expect(try ArchiveQuery("don't stop", literal: true).expression() == "\"don\" \"t\" \"stop\"")
    }

    @Test func timesAreReadAsPeopleTypeThem() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let now = Date(timeIntervalSince1970: 1_764_851_400)   // 2025-12-04T12:30:00Z
        #expect(try ArchiveQuery.time("7d", now: now, calendar: calendar) == now.addingTimeInterval(-7 * 86_400))
        #expect(try ArchiveQuery.time("12h", now: now, calendar: calendar) == now.addingTimeInterval(-12 * 3600))
        #expect(try ArchiveQuery.time("today", now: now, calendar: calendar) == Date(timeIntervalSince1970: 1_764_806_400))
        #expect(try ArchiveQuery.time("2025-12-04", now: now, calendar: calendar) == Date(timeIntervalSince1970: 1_764_806_400))
        #expect(try ArchiveQuery.time("2025-12-04", endOfDay: true, now: now, calendar: calendar) == Date(timeIntervalSince1970: 1_764_892_800))
        #expect(try ArchiveQuery.time("2025-12-04T09:30:00Z", now: now, calendar: calendar) == Date(timeIntervalSince1970: 1_764_840_600))
        #expect(throws: HarkError.self) { try ArchiveQuery.time("last tuesday", now: now, calendar: calendar) }
    }

    @Test func matchesAreMarkedInUTF16Offsets() {
        let (text, matches) = ArchiveHit.unmark("Ça \u{2}coûte\u{3} 😀 \u{2}cher\u{3}")
        #expect(text == "Ça coûte 😀 cher")
        #expect(matches == [3..<8, 12..<16])
        let hit = ArchiveHit(session: "s", segment: 1, start: 0, end: 1, spokenAt: Date(), language: nil, text: text,
                             matches: matches, words: nil, file: "f", score: 0)
        #expect(hit.marked(open: "<", close: ">") == "Ça <coûte> 😀 <cher>")
    }
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}

/// Session folders as the recorder leaves them.
enum ArchiveFolder {
    static func make() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hark-archive-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A stopped session: one segment per text, 4 s apart; a nil text is a failed transcription.
    @discardableResult
    static func write(_ root: URL, id: String, created: Double, texts: [(String?, String?)], words: Bool = false) throws -> SessionManifest {
        let folder = root.appendingPathComponent(id, isDirectory: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("segments"), withIntermediateDirectories: true)
        var manifest = SessionManifest(id: id, createdAt: Date(timeIntervalSince1970: created),
                                       source: .init(kind: .file, name: "test.wav", format: AudioFormat(sampleRate: 16_000, channels: 1)),
                                       segmenter: SegmenterConfiguration(), vadMode: .silero, keepsRecording: false)
        manifest.state = .stopped
        for (index, (text, language)) in texts.enumerated() {
            let id = index + 1
            let start = Double(index) * 4
            let transcription = text.map { text in
                TranscriptionRecord(state: .done, attempts: 1, text: text,
                                    segments: [TranscriptSegment(start: 0.2, end: 2.5, text: text,
                                                                 words: words ? [TimedWord(word: " word", start: 0.3, end: 0.6, probability: 0.9)] : nil)],
                                    language: language)
            } ?? TranscriptionRecord(state: .failed, attempts: 3, error: "untranscribed")
            manifest.segments.append(SegmentRecord(id: id, file: SessionManifest.segmentFile(id), speechStart: start + 0.2,
                                                   speechEnd: start + 2.5, audioStart: start, audioEnd: start + 3,
                                                   endReason: .silence, state: .saved, transcription: transcription))
        }
        try JSON.encoder(pretty: true).encode(manifest).write(to: folder.appendingPathComponent(SessionManifest.fileName), options: .atomic)
        return manifest
    }
}
