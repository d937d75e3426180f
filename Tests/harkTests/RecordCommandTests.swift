import Foundation
import Testing

@Suite("hark record")
struct RecordCommandTests {
    @Test func noCaptureDeviceAtAllSaysSo() async throws {
        // An empty PulseAudio runtime folder and no sound card: PortAudio finds no input.
        let out = try temporaryFolder("nodevice")
        let result = try await HarkProcess.run(["record", "--out", out.path, "--duration", "1"],
                                               environment: ["PULSE_RUNTIME_PATH": out.appendingPathComponent("no-pulse").path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("input device") || result.stderr.contains("capture device"), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func nonAudioInputIsRefusedClearly() async throws {
        let out = try temporaryFolder("nonaudio")
        let result = try await HarkProcess.run(["record", "--input", "/etc/passwd", "--out", out.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/etc/passwd"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }

    @Test func missingInputFileIsNamed() async throws {
        let out = try temporaryFolder("missing")
        let result = try await HarkProcess.run(["record", "--input", "/nonexistent/talk.wav", "--out", out.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/talk.wav"), "\(result.stderr)")
    }

    @Test func unwritableOutputFolderIsRefusedClearly() async throws {
        let result = try await HarkProcess.run(["record", "--input", HarkProcess.speech, "--out", "/proc/hark-sessions"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/proc/hark-sessions"), "\(result.stderr)")
    }

    @Test func badOptionsTeach() async throws {
        let result = try await HarkProcess.run(["record", "--vad", "loud"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("Unknown VAD mode 'loud'"), "\(result.stderr)")
    }

    @Test func endSilenceSetsTheHangoverAndIsChecked() async throws {
        let out = try temporaryFolder("endsilence")
        // The fixture's sentences are 1.1 s or more apart: a 1.2 s hangover joins some of them.
        let joined = try await HarkProcess.run(["record", "--input", HarkProcess.speech, "--out", out.path, "--json",
                                                "--vad", "energy", "--no-transcribe", "--end-silence", "1.2", "--no-speculate"])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(joined.stdout.split(separator: "\n").filter { $0.contains("\"segmentSaved\"") }.count < 4)
        let bad = try await HarkProcess.run(["record", "--end-silence", "0"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--end-silence must be more than 0"), "\(bad.stderr)")
    }

    @Test func recordsAFileIntoASessionWithJSONEvents() async throws {
        let out = try temporaryFolder("json")
        let result = try await HarkProcess.run(["record", "--input", HarkProcess.speech, "--out", out.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = result.stdout.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        #expect(events.allSatisfy { $0 != nil }, "every line is one JSON object")
        let names = events.compactMap { $0?["event"] as? String }
        #expect(names.first == "recordingStarted")
        #expect(names.last == "recordingStopped")
        #expect(names.filter { $0 == "segmentSaved" }.count == 4)
    }

    @Test func ctrlCMidUtteranceSavesItAndClosesTheSession() async throws {
        let out = try temporaryFolder("sigint")
        let hark = try HarkProcess(["record", "--input", HarkProcess.speech, "--realtime", "--out", out.path])
        try await hark.waitForOutput("speech at")   // the first sentence (1.0–3.8 s) is open
        hark.interrupt()
        let status = try await hark.exitStatus(timeout: .seconds(20))
        #expect(status == 0, "\(hark.stdout)\(hark.stderr)")

        let sessions = try sessionFolders(in: out)
        try #require(sessions.count == 1)
        let folder = out.appendingPathComponent(sessions[0])
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("session.json"))) as? [String: Any]
        #expect(manifest?["state"] as? String == "stopped")
        let segments = manifest?["segments"] as? [[String: Any]] ?? []
        #expect(segments.count == 1)
        #expect(segments.first?["endReason"] as? String == "stopped", "cut by Ctrl-C, not by silence")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("segments/0001.wav").path))
        #expect(hark.stdout.contains("Stopped after"))
        // With the model installed it is transcribed before the exit; without, it stays queued.
        let state = (segments.first?["transcription"] as? [String: Any])?["state"] as? String
        #expect(state == "done" || state == nil, "\(segments)")
    }
}
