import Foundation
import Testing

/// Inputs that used to end a Hark process, tried on the built `hark` as a user (or an attacker)
/// would: each must get a clear answer and leave the process running or exiting cleanly.
@Suite("bad inputs", .serialized, .timeLimit(.minutes(3)))
struct HardeningTests {
    static let beckett = HarkProcess.repository.appendingPathComponent("Tests/Fixtures/vad/beckett.flac").path

    /// A FLAC whose STREAMINFO says 0 samples ("length unknown", as encoders writing to a pipe
    /// do): the reference's recipe, clearing the 36-bit total-samples field.
    static func unknownLengthFLAC() throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: beckett)))
        bytes[21] &= 0xF0
        for i in 22..<26 { bytes[i] = 0 }
        let path = try temporaryFolder("flac").appendingPathComponent("unknown-length.flac").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(.enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
    func aFLACOfUnknownLengthIsTranscribedAndItsSpeechFound() async throws {
        let file = try Self.unknownLengthFLAC()
        let text = try await HarkProcess.run(["transcribe", file])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Fail better"), "\(text.stdout)")
        let vad = try await HarkProcess.run(["vad", file])
        #expect(vad.status == 0, "\(vad.stderr)")
        #expect(vad.stdout.components(separatedBy: "\n").filter { $0.contains(" – ") }.count >= 5, "\(vad.stdout)")
    }

    static func curl(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await HarkProcess.run(executable: "/usr/bin/curl", ["-sS", "--max-time", "20"] + arguments)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "curl is needed (make deps)"))
    func theServerAnswersBadRequestsAndLivesOn() async throws {
        let out = try temporaryFolder("serve-bad")
        let (server, port) = try await ServeCommandTests.serve(["--out", out.path, "--token", "secret"])
        defer { server.interrupt() }
        let base = "http://127.0.0.1:\(port)"
        let auth = ["-H", "Authorization: Bearer secret"]

        // An empty multipart boundary trapped inside MultipartKit and ended the process.
        for type in ["multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"", "multipart/form-data; boundary=" + String(repeating: "b", count: 71)] {
            let reply = try await Self.curl(auth + ["-w", "\n%{http_code}", "-H", "Content-Type: \(type)", "--data-binary", "x",
                                                    "\(base)/v1/audio/transcriptions"])
            #expect(reply.stdout.hasSuffix("\n400"), "\(type): \(reply.stdout)")
            #expect(reply.stdout.contains(#""error":{"#) && reply.stdout.contains("boundary"), "\(reply.stdout)")
        }
        // A part header name with a byte of 128 or more indexed past MultipartKit's table.
        let crafted = try temporaryFolder("form").appendingPathComponent("body.bin")
        try (Data("--b\r\nConte".utf8) + Data([0xE3, 0xE2]) + Data(": x\r\n\r\nRIFF\r\n--b--\r\n".utf8)).write(to: crafted)
        let highByte = try await Self.curl(auth + ["-w", "\n%{http_code}", "-H", "Content-Type: multipart/form-data; boundary=b",
                                                   "--data-binary", "@\(crafted.path)", "\(base)/v1/audio/transcriptions"])
        #expect(highByte.stdout.hasSuffix("\n400"), "\(highByte.stdout)")
        let health = try await Self.curl(auth + ["-i", "\(base)/api/health"])
        #expect(health.stdout.contains("200 OK"), "the server lives on: \(health.stdout) \(health.stderr)")
        // No other site may frame the page.
        #expect(health.stdout.lowercased().contains("x-frame-options: deny"), "\(health.stdout)")
        #expect(health.stdout.contains("frame-ancestors 'none'"), "\(health.stdout)")

        // ?token= is for what browsers fetch without headers (events, audio), not for changes.
        let post = try await Self.curl(["-w", "\n%{http_code}", "-X", "POST", "\(base)/api/recorder/start?token=secret"])
        #expect(post.stdout.hasSuffix("\n401"), "\(post.stdout)")
        let events = try await Self.curl(["-w", "\n%{http_code}", "--max-time", "2", "\(base)/api/events?token=secret"])
        #expect(events.stdout.contains("hark events"), "\(events.stdout)")

        // Sessions on disk are outside input too: one whose manifest names a file outside its
        // folder is refused, not served; one with absurd times is served, clamped. Errors name
        // no server paths.
        let recorded = try await HarkProcess.run(["record", "--input", Self.beckett, "--no-transcribe", "--out", out.path])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let original = try #require(try sessionFolders(in: out).first)
        try Self.copySession(out, original, as: "escape") { segment in segment["file"] = "../../../../../../etc/passwd" }
        try Self.copySession(out, original, as: "far") { segment in
            segment["transcription"] = ["state": "done", "attempts": 1, "text": "far",
                                        "segments": [["start": 1e300, "end": -1e300, "text": "far"]]]
        }
        let escape = try await Self.curl(auth + ["-w", "\n%{http_code}", "\(base)/api/sessions/escape/segments/1"])
        #expect(!escape.stdout.contains("root:"), "\(escape.stdout)")
        #expect(escape.stdout.contains("not inside its folder"), "\(escape.stdout)")
        #expect(!escape.stdout.contains(out.path), "no absolute paths: \(escape.stdout)")
        for _ in 0..<2 {
            let far = try await Self.curl(auth + ["-w", "\n%{http_code}", "\(base)/api/sessions/far/transcript?format=srt"])
            #expect(far.stdout.hasSuffix("\n200") && far.stdout.contains("far"), "\(far.stdout) \(far.stderr)")
        }
        let missing = try await Self.curl(auth + ["\(base)/api/sessions/nope"])
        #expect(missing.stdout.contains("No session") && !missing.stdout.contains(out.path), "\(missing.stdout)")

        server.interrupt()
        #expect(try await server.exitStatus() == 0, "\(server.stderr)")
    }

    /// A copy of session `original` under `out` named `name`, its first segment changed by `change`.
    static func copySession(_ out: URL, _ original: String, as name: String, _ change: (inout [String: Any]) -> Void) throws {
        let copy = out.appendingPathComponent(name)
        try FileManager.default.copyItem(at: out.appendingPathComponent(original), to: copy)
        let file = copy.appendingPathComponent("session.json")
        var manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var segments = try #require(manifest["segments"] as? [[String: Any]])
        change(&segments[0])
        manifest["segments"] = segments
        manifest["id"] = name
        try JSONSerialization.data(withJSONObject: manifest).write(to: file)
    }
}
