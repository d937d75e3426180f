import Foundation
import Testing

@Suite("hark resume", .enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
struct ResumeCommandTests {
    static func manifest(_ out: URL) throws -> [String: Any] {
        let session = try #require(try sessionFolders(in: out).first)
        let data = try Data(contentsOf: out.appendingPathComponent(session).appendingPathComponent("session.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func aRecorderKilledWithSIGKILLLosesNothingAndResumeFinishesIt() async throws {
        let out = try temporaryFolder("sigkill")
        let hark = try HarkProcess(["record", "--input", HarkProcess.speech, "--realtime", "--out", out.path])
        // Two sentences saved, the third being spoken: kill it without warning.
        try await hark.waitForOutput("#2 ")
        try await hark.waitForOutput("speech at 00:08")
        kill(hark.processIdentifier, SIGKILL)
        _ = try await hark.exitStatus(timeout: .seconds(10))
        let before = try Self.manifest(out)
        #expect(before["state"] as? String == "recording", "the killed run could not close it")
        let saved = (before["segments"] as? [[String: Any]] ?? []).count
        #expect(saved >= 2)

        let resume = try await HarkProcess.run(["resume", "--out", out.path])
        #expect(resume.status == 0, "\(resume.stdout)\(resume.stderr)")
        let after = try Self.manifest(out)
        #expect(after["state"] as? String == "stopped")
        #expect(after["stopReason"] as? String == "interrupted")
        let segments = after["segments"] as? [[String: Any]] ?? []
        #expect(segments.count == saved)
        for segment in segments {
            let transcription = segment["transcription"] as? [String: Any]
            #expect(transcription?["state"] as? String == "done", "\(segment)")
        }
        let session = try #require(try sessionFolders(in: out).first)
        let transcript = try String(contentsOf: out.appendingPathComponent(session).appendingPathComponent("transcript.txt"), encoding: .utf8)
        #expect(transcript.contains("lazy dog"), "\(transcript)")
    }
}

@Suite("hark resume after a kill mid-utterance", .enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
struct OpenUtteranceTests {
    @Test func theUtteranceBeingSpokenIsRebuiltFromTheKeptRecording() async throws {
        let out = try temporaryFolder("midutterance")
        let hark = try HarkProcess(["record", "--input", HarkProcess.speech, "--realtime", "--keep-audio", "--no-transcribe",
                                    "--out", out.path])
        // The second sentence (5.2–7.4 s) is being spoken; wait a second more, so that the
        // recording (synced every second) holds most of it, then kill.
        try await hark.waitForOutput("speech at 00:05")
        try await Task.sleep(for: .milliseconds(1500))
        kill(hark.processIdentifier, SIGKILL)
        _ = try await hark.exitStatus(timeout: .seconds(10))
        let before = (try ResumeCommandTests.manifest(out)["segments"] as? [[String: Any]] ?? []).count
        #expect(before == 1, "only the first sentence was saved before the kill")

        let resume = try await HarkProcess.run(["resume", "--out", out.path])
        #expect(resume.status == 0, "\(resume.stdout)\(resume.stderr)")
        let segments = try ResumeCommandTests.manifest(out)["segments"] as? [[String: Any]] ?? []
        #expect(segments.count == 2, "the open utterance became segment 2")
        let text = (segments.last?["transcription"] as? [String: Any])?["text"] as? String ?? ""
        #expect(text.lowercased().contains("please"), "the start of \"Please save every word…\": \(text)")
    }
}

@Suite("hark resume, bad input") struct ResumeBadInputTests {
    @Test func anUnknownSessionIsNamed() async throws {
        let out = try temporaryFolder("nosession")
        for command in ["resume", "retranscribe"] {
            let result = try await HarkProcess.run([command, "no-such-session", "--out", out.path])
            #expect(result.status != 0)
            #expect(result.stderr.contains("No session 'no-such-session'"), "\(result.stderr)")
        }
        let latest = try await HarkProcess.run(["resume", "--out", out.path])
        #expect(latest.status != 0)
        #expect(latest.stderr.contains("no sessions under"), "\(latest.stderr)")
    }
}
