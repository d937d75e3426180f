import Foundation
import HarkTestSupport
import Subprocess
import Testing
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// `/v1/realtime` driven by OpenAI's own Python package (`openai[realtime]`, pinned in
/// scripts/test-requirements.txt, installed by `make test-env`) against the built `hark serve`:
/// the speech fixture streamed at real time, as a client of OpenAI would stream it.
@Suite("realtime with the openai package", .serialized, .timeLimit(.minutes(3)))
struct RealtimeClientTests {
    static let python = HarkProcess.repository.appendingPathComponent(".build/test-venv/bin/python").path
    static var clientInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: python) || ProcessInfo.processInfo.environment["HARK_REQUIRE_MODELS"] == "1"
    }

    /// The client's event lines.
    static func stream(port: Int, token: String, file: String = HarkProcess.speech, extra: [String] = []) async throws -> [[String: Any]] {
        let script = HarkProcess.repository.appendingPathComponent("scripts/realtime-client.py").path
        let result = try await Subprocess.run(.path(FilePath(python)),
                                              arguments: Arguments([script, file, "--base-url", "http://127.0.0.1:\(port)/v1",
                                                                    "--api-key", token] + extra),
                                              output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        #expect(result.terminationStatus.isSuccess, "\(result.standardError)")
        return result.standardOutput.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    @Test(.enabled(if: TranscribeCommandTests.modelInstalled && clientInstalled, "run `make models test-env`"))
    func deltasComeBeforeEachCompletedTranscriptAndTheSessionIsSaved() async throws {
        let out = try temporaryFolder("realtime-openai")
        let (server, port) = try await ServeCommandTests.serve(["--out", out.path], environment: ["HARK_TOKEN": "rt-token"])
        defer { server.interrupt() }
        // The fixture, then a long sentence: deltas carry stable text only (words two partials
        // agree on), which the fixture's 3 s sentences may never reach on a CPU without AVX-512.
        let audio = try await ServeCommandTests.speechWithALongSentence(in: try temporaryFolder("realtime-openai-audio"))
        let events = try await Self.stream(port: port, token: "rt-token", file: audio.path, extra: ["--save"])
        let types = events.compactMap { $0["type"] as? String }
        #expect(types.first == "session.created", "\(types)")
        #expect(!types.contains("error"), "\(events.filter { $0["type"] as? String == "error" })")

        let completed = events.filter { $0["type"] as? String == "conversation.item.input_audio_transcription.completed" }
        let known = [
            "The quick brown fox jumps over the lazy dog.", "Please save every word I say today.",
            "Recording speech is easier than it looks.", "One more sentence, and then we are done.",
            ServeCommandTests.longSentence,
        ]
        #expect(completed.count == known.count, "\(types)")
        let heard = completed.compactMap { $0["transcript"] as? String }
        let rate = TestSupport.wordErrorRate(heard: heard.joined(separator: " "), said: known.joined(separator: " "))
        #expect(rate < 0.2, "\(heard)")
        // Partial text is best effort: the connection's one worker does finals first, so on a CPU
        // without AVX-512 only some utterances get a delta in time. Deltas must come, and never
        // after their item's completed.
        var itemsWithDeltas = 0
        for event in completed {
            let item = event["item_id"] as? String ?? ""
            let index = events.firstIndex { ($0 as NSDictionary).isEqual(to: event) } ?? 0
            let isDelta = { (e: [String: Any]) in
                e["type"] as? String == "conversation.item.input_audio_transcription.delta" && e["item_id"] as? String == item
            }
            if events[..<index].contains(where: isDelta) { itemsWithDeltas += 1 }
            #expect(!events[index...].contains(where: isDelta), "a delta after \(item)'s completed")
            #expect(types.contains("input_audio_buffer.committed"))
            #expect(((event["usage"] as? [String: Any])?["seconds"] as? Double ?? 0) > 1)
        }
        #expect(itemsWithDeltas >= 1, "no delta before any completed transcript")

        // ?save=true: the connection's utterances are a session like any other.
        server.interrupt()
        #expect(try await server.exitStatus() == 0, "\(server.stderr)")
        let sessions = try sessionFolders(in: out)
        #expect(sessions.count == 1, "\(sessions)")
        let manifest = try Data(contentsOf: out.appendingPathComponent(sessions.first ?? "").appendingPathComponent("session.json"))
        let object = try JSONSerialization.jsonObject(with: manifest) as? [String: Any]
        let segments = object?["segments"] as? [[String: Any]] ?? []
        #expect(segments.count == known.count, "\(segments.count) segments")
        #expect(segments.allSatisfy { (($0["transcription"] as? [String: Any])?["text"] as? String)?.isEmpty == false }, "\(segments)")
        #expect((object?["source"] as? [String: Any])?["kind"] as? String == "stream")
    }
}
