import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif
import Testing

/// `hark tui` driven through tmux as a person would: keys in, the drawn pane out.
@Suite("hark tui", .serialized, .timeLimit(.minutes(3)),
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "tmux is needed (make deps)"))
struct TUITests {
    final class Tmux: Sendable {
        let name = "hark-test-\(UUID().uuidString.prefix(8))"

        init(command: String, environment: [String: String], width: Int = 80, height: Int = 24) async throws {
            let env = environment.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            _ = try await Self.run(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)",
                                    "env \(env) \(command); echo HARK-EXITED $?; sleep 120"])
        }

        /// Runs a tmux client through swift-subprocess, which closes inherited descriptors and resets
        /// the signal mask: a tmux server started by Foundation's `Process` inherits the descriptor
        /// that `Process` watches for the client's exit (so the client never "ends") and the blocked
        /// signals of the cooperative thread that spawned it.
        @discardableResult
        static func run(_ arguments: [String], output: Bool = false) async throws -> String {
            // The client that starts the server must not hand it a pipe to read to its end.
            guard output else {
                _ = try await Subprocess.run(.path("/usr/bin/tmux"), arguments: Arguments(arguments),
                                             output: .discarded, error: .discarded)
                return ""
            }
            return try await Subprocess.run(.path("/usr/bin/tmux"), arguments: Arguments(arguments),
                                            output: .string(limit: 1 << 20), error: .discarded).standardOutput
        }

        func keys(_ keys: String...) async throws { _ = try await Self.run(["send-keys", "-t", name] + keys) }
        func pane(escapes: Bool = false) async throws -> String {
            try await Self.run(["capture-pane", "-p", "-t", name] + (escapes ? ["-e"] : []), output: true)
        }
        func resize(width: Int, height: Int) async throws {
            _ = try await Self.run(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"])
        }
        /// Ends the session and whatever runs in it; synchronous so that a `defer` can call it. The
        /// server already runs, so Foundation's `Process` is safe here.
        func close() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
            process.arguments = ["kill-session", "-t", name]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try? process.run()
            process.waitUntilExit()
        }

        /// Waits (no fixed sleeps) until the pane shows `text`.
        func waitFor(_ text: String, timeout: Duration = .seconds(60)) async throws -> String {
            let deadline = ContinuousClock.now + timeout
            while true {
                let pane = try await pane()
                if pane.contains(text) { return pane }
                if ContinuousClock.now > deadline { throw TimeoutError(what: "'\(text)' on the screen", output: pane) }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    static let pulse = ProcessInfo.processInfo.environment["PULSE_RUNTIME_PATH"] ?? "/tmp/hark-pulse"

    static func startMicrophone() async throws {
        let script = HarkProcess.repository.appendingPathComponent("scripts/virtual-mic.sh").path
        let result = try await Tmux.runProcess(script, ["start"], environment: ["PULSE_RUNTIME_PATH": pulse])
        try #require(result == 0, "scripts/virtual-mic.sh start failed")
    }

    @Test(.enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
    func recordTranscribeChangeModeStopAndQuit() async throws {
        try await Self.startMicrophone()
        let out = try temporaryFolder("tui")
        let tmux = try await Tmux(command: "\(HarkProcess.executable.path) tui --out \(out.path)",
                                  environment: ["PULSE_RUNTIME_PATH": Self.pulse, "TERM": "xterm-256color"])
        defer { tmux.close() }
        _ = try await tmux.waitFor("Press SPACE to record")
        try await tmux.keys("Space")
        _ = try await tmux.waitFor("● REC")
        let player = Task {
            try await Tmux.runProcess(HarkProcess.repository.appendingPathComponent("scripts/virtual-mic.sh").path,
                                      ["play", HarkProcess.speech], environment: ["PULSE_RUNTIME_PATH": Self.pulse])
        }
        // The utterance being spoken grows on its own line ("#N  » words") before its final.
        let growing = try await tmux.waitFor("» ")
        #expect(growing.split(separator: "\n").contains { $0.hasPrefix("#") && $0.contains("» ") && $0.count > 8 }, "\(growing)")
        _ = try await tmux.waitFor("lazy dog")
        try await tmux.keys("m")
        _ = try await tmux.waitFor("VAD mode silero → silero:high")
        try await tmux.resize(width: 120, height: 40)           // redrawn at the new size
        _ = try await tmux.waitFor("then we are done")
        _ = try await player.value
        try await tmux.keys("Space")
        _ = try await tmux.waitFor("Stopped: ")
        try await tmux.keys("q")
        let after = try await tmux.waitFor("HARK-EXITED 0")
        #expect(!after.contains("SPACE record"), "the terminal is restored")

        let session = try #require(try sessionFolders(in: out).first)
        let folder = out.appendingPathComponent(session)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("session.json"))) as? [String: Any]
        let segments = manifest?["segments"] as? [[String: Any]] ?? []
        #expect(segments.count == 4)
        #expect(segments.allSatisfy { ($0["transcription"] as? [String: Any])?["state"] as? String == "done" })
        let transcript = try String(contentsOf: folder.appendingPathComponent("transcript.txt"), encoding: .utf8)
        #expect(transcript.contains("lazy dog"))
        let modes = (manifest?["vadModes"] as? [[String: Any]] ?? []).compactMap { ($0["mode"] as? [String: Any])?["sensitivity"] as? String }
        #expect(modes == ["normal", "high"], "\(manifest?["vadModes"] ?? "")")
    }

    @Test func noColorDrawsWithoutColours() async throws {
        let out = try temporaryFolder("nocolor")
        let tmux = try await Tmux(command: "\(HarkProcess.executable.path) tui --no-transcribe --out \(out.path)",
                                  environment: ["NO_COLOR": "1", "TERM": "xterm-256color", "PULSE_RUNTIME_PATH": Self.pulse])
        defer { tmux.close() }
        _ = try await tmux.waitFor("Press SPACE to record")
        let drawn = try await tmux.pane(escapes: true)
        let colour = try Regex("\u{1B}\\[[0-9;]*(3[0-7]|4[0-7]|38;|48;)")
        #expect(!drawn.contains(colour), "no colour codes with NO_COLOR")
        try await tmux.keys("q")
        _ = try await tmux.waitFor("HARK-EXITED 0")
    }

    @Test func aNarrowTerminalStillDraws() async throws {
        let out = try temporaryFolder("narrow")
        let tmux = try await Tmux(command: "\(HarkProcess.executable.path) tui --no-transcribe --out \(out.path)",
                                  environment: ["TERM": "xterm", "PULSE_RUNTIME_PATH": Self.pulse], width: 80, height: 24)
        defer { tmux.close() }
        let pane = try await tmux.waitFor("q quit")
        #expect(pane.split(separator: "\n").allSatisfy { $0.count <= 80 })
        try await tmux.resize(width: 25, height: 6)
        _ = try await tmux.waitFor("too small")
        try await tmux.resize(width: 80, height: 24)
        _ = try await tmux.waitFor("Press SPACE to record")
        try await tmux.keys("q")
        _ = try await tmux.waitFor("HARK-EXITED 0")
    }

    @Test func sigtermStopsItAndRestoresTheTerminal() async throws {
        let out = try temporaryFolder("sigterm")
        let tmux = try await Tmux(command: "\(HarkProcess.executable.path) tui --no-transcribe --out \(out.path)",
                                  environment: ["TERM": "xterm", "PULSE_RUNTIME_PATH": Self.pulse])
        defer { tmux.close() }
        _ = try await tmux.waitFor("Press SPACE to record")
        try await tmux.keys("Space")
        _ = try await tmux.waitFor("● REC")
        // Only hark's own command line starts with its path (the pane's shell starts with "sh").
        let status = try await Tmux.runProcess("/usr/bin/pkill", ["-TERM", "-f", "^\(HarkProcess.executable.path) tui --no-transcribe --out \(out.path)"],
                                               environment: [:])
        #expect(status == 0, "hark tui was found and signalled")
        let after = try await tmux.waitFor("HARK-EXITED 0")
        #expect(!after.contains("● REC"), "the terminal is restored")
        let session = try #require(try sessionFolders(in: out).first)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent(session)
            .appendingPathComponent("session.json"))) as? [String: Any]
        #expect(manifest?["state"] as? String == "stopped")
    }

    @Test func aDumbTerminalGetsAClearMessage() async throws {
        let result = try await HarkProcess.run(["tui"], environment: ["TERM": "dumb"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("hark record"), "\(result.stderr)")
        #expect(!result.stdout.contains("\u{1B}["), "no escape codes written")
    }
}

extension TUITests.Tmux {
    static func runProcess(_ path: String, _ arguments: [String], environment: [String: String]) async throws -> Int32 {
        var overrides: [Environment.Key: String?] = [:]
        for (key, value) in environment { overrides[Environment.Key(stringLiteral: key)] = value }
        let result = try await Subprocess.run(.path(FilePath(path)), arguments: Arguments(arguments),
                                              environment: .inherit.updating(overrides),
                                              output: .discarded, error: .discarded)
        if case .exited(let code) = result.terminationStatus { return code }
        return -1
    }
}
