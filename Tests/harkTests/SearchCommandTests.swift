import Foundation
import Hark
import HarkArchive
import Testing

/// `hark search` and `hark index` as a user runs them: a real recording, transcribed by real
/// workers, found again; the index file damaged; two processes writing it at once.
@Suite("hark search", .serialized, .timeLimit(.minutes(4)),
       .enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
struct SearchCommandTests {
    /// One recorded and transcribed session of the speech fixture under a new sessions folder.
    static func recordedSession() async throws -> (out: URL, id: String) {
        let out = try temporaryFolder("search")
        let recorded = try await HarkProcess.run(["record", "--input", HarkProcess.speech, "--out", out.path, "--workers", "1"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let id = try #require(try sessionFolders(in: out).first)
        return (out, id)
    }

    @Test func findsWhatWasSaidMarksItAndPlaysIt() async throws {
        let (out, id) = try await Self.recordedSession()
        let found = try await HarkProcess.run(["search", "lazy", "dog", "--out", out.path])
        #expect(found.status == 0, "\(found.stderr)")
        let lines = found.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix(id) == true, "\(found.stdout)")
        #expect(lines.first?.lowercased().contains("[lazy] [dog]") == true, "matches are marked: \(found.stdout)")
        let wav = lines.dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        #expect(wav.hasPrefix(out.appendingPathComponent(id).path) && wav.hasSuffix(".wav"))
        #expect(FileManager.default.fileExists(atPath: wav))

        let json = try await HarkProcess.run(["search", "\"then we are done\"", "--json", "--out", out.path])
        let page = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)\(json.stderr)")
        let hits = page["hits"] as? [[String: Any]] ?? []
        #expect(hits.count == 1 && hits.first?["session"] as? String == id)
        #expect(FileManager.default.fileExists(atPath: hits.first?["path"] as? String ?? ""))
        #expect((hits.first?["matches"] as? [[Int]])?.count == 1, "a phrase is marked as one span")

        // Filters: nothing before the recording, nothing in German, all of it today.
        for (arguments, expected) in [(["--until", "2020-01-01"], 0), (["--language", "de"], 0), (["--since", "today"], 1), (["--session", "latest"], 1)] {
            let result = try await HarkProcess.run(["search", "lazy", "--json", "--out", out.path] + arguments)
            let count = ((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["hits"] as? [Any])?.count
            #expect(count == expected, "\(arguments): \(result.stdout)\(result.stderr)")
        }

        // --play hands the best hit's file to the player.
        let played = out.appendingPathComponent("played.txt")
        let player = out.appendingPathComponent("player.sh")
        try "#!/bin/sh\necho \"$@\" > '\(played.path)'\n".write(to: player, atomically: true, encoding: .utf8)
        chmod(player.path, 0o755)
        let playing = try await HarkProcess.run(["search", "lazy", "--play", "--out", out.path], environment: ["HARK_PLAYER": player.path])
        #expect(playing.status == 0, "\(playing.stderr)")
        #expect(try String(contentsOf: played, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == wav)
    }

    @Test func badQueriesAndTimesSayWhatToType() async throws {
        let (out, _) = try await Self.recordedSession()
        let syntax = try await HarkProcess.run(["search", "\"lazy", "--out", out.path])
        #expect(syntax.status != 0)
        #expect(syntax.stderr.contains("phrase") && syntax.stderr.contains("--literal"), "\(syntax.stderr)")
        let literal = try await HarkProcess.run(["search", "\"lazy", "--literal", "--out", out.path])
        #expect(literal.status == 0 && literal.stdout.lowercased().contains("[lazy]"), "\(literal.stdout)\(literal.stderr)")
        let time = try await HarkProcess.run(["search", "lazy", "--since", "last week", "--out", out.path])
        #expect(time.status != 0 && time.stderr.contains("7d"), "\(time.stderr)")
        let nothing = try await HarkProcess.run(["search", "zebra", "--out", out.path])
        #expect(nothing.status == 0 && nothing.stdout.contains("Nothing matches"), "\(nothing.stdout)")
        let empty = try await HarkProcess.run(["search", "lazy", "--out", out.appendingPathComponent("none").path])
        #expect(empty.status != 0 && empty.stderr.contains("no sessions"), "\(empty.stderr)")
    }

    @Test func aDamagedIndexIsSeenAndMadeAgain() async throws {
        let (out, _) = try await Self.recordedSession()
        #expect(try await HarkProcess.run(["index", "check", "--out", out.path]).stdout.contains("sound"))
        let index = out.appendingPathComponent("index.sqlite")
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: index.path + suffix) }
        try Data("not a database".utf8).write(to: index)
        let check = try await HarkProcess.run(["index", "check", "--out", out.path])
        #expect(check.status != 0 && check.stderr.contains("hark index rebuild"), "\(check.stdout)\(check.stderr)")
        let found = try await HarkProcess.run(["search", "lazy", "--out", out.path])
        #expect(found.status == 0 && found.stdout.lowercased().contains("[lazy]"), "\(found.stdout)\(found.stderr)")
        let rebuilt = try await HarkProcess.run(["index", "rebuild", "--out", out.path])
        #expect(rebuilt.status == 0 && rebuilt.stdout.contains("Indexed 4 utterances of 1 sessions"), "\(rebuilt.stdout)\(rebuilt.stderr)")
    }

    @Test func twoProcessesWritingAtOnceLoseNothing() async throws {
        let (out, id) = try await Self.recordedSession()
        // 60 copies of the session, indexed by two processes at once, one session per transaction.
        let names = (1...60).map { String(format: "copy-%02d", $0) }
        for name in names {
            try FileManager.default.copyItem(at: out.appendingPathComponent(id), to: out.appendingPathComponent(name))
        }
        let first = try HarkProcess(["index", "update", "--out", out.path] + names.prefix(30))
        let second = try HarkProcess(["index", "update", "--out", out.path] + names.suffix(30))
        #expect(try await first.exitStatus() == 0, "\(first.stderr)")
        #expect(try await second.exitStatus() == 0, "\(second.stderr)")
        // Read as it is (no refresh): every copy is there, once.
        let hits = try await SessionArchive(root: out).search(ArchiveQuery("\"lazy dog\"", limit: 1000)).hits
        #expect(Set(hits.map(\.session)) == Set(names + [id]))
        #expect(hits.count == 61)
    }
}
