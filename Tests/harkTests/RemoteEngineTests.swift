import Foundation
import Testing

/// `hark record --engine remote`: transcription by other `hark serve` processes — through an
/// outage, and through nginx with one of two servers killed mid-run.
@Suite("remote engine", .serialized, .timeLimit(.minutes(4)),
       .enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
struct RemoteEngineTests {
    /// A port nothing listens on (bound, read and released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try #require(bind(fd, $0, length) == 0)
                try #require(getsockname(fd, $0, &length) == 0)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func serve(port: Int) async throws -> HarkProcess {
        let process = try HarkProcess(["serve", "--port", String(port), "--beam-size", "1", "--out", try temporaryFolder("farm").path])
        try await process.waitForOutput("listening on http://", timeout: .seconds(60))
        return process
    }

    static func transcriptions(in sessions: URL) throws -> [[String: Any]] {
        let id = try #require(try sessionFolders(in: sessions).first)
        let data = try Data(contentsOf: sessions.appendingPathComponent(id).appendingPathComponent("session.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (manifest["segments"] as? [[String: Any]] ?? []).map { $0["transcription"] as? [String: Any] ?? [:] }
    }

    @Test func anOutageKeepsSegmentsQueuedUntilTheServerComesBack() async throws {
        let port = try Self.freePort()
        let out = try temporaryFolder("remote-outage")
        let record = try HarkProcess(["record", "--input", HarkProcess.speech, "--vad", "energy", "--out", out.path,
                                      "--engine", "remote", "--endpoint", "http://127.0.0.1:\(port)", "--drain", "120"])
        // Nothing answers: the segments wait, queued, and say why.
        try await record.waitForOutput("waits for the transcription service", timeout: .seconds(60))
        let waiting = try Self.transcriptions(in: out)
        #expect(!waiting.isEmpty && waiting.allSatisfy { ["queued", "running"].contains($0["state"] as? String) }, "\(waiting)")
        #expect(!waiting.contains { $0["state"] as? String == "failed" })
        let server = try await Self.serve(port: port)
        defer { server.interrupt() }
        #expect(try await record.exitStatus(timeout: .seconds(120)) == 0, "\(record.stdout)\n\(record.stderr)")
        let done = try Self.transcriptions(in: out)
        #expect(done.count == 4 && done.allSatisfy { $0["state"] as? String == "done" }, "\(done)")
        #expect(record.stdout.contains("lazy dog"), "\(record.stdout)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx"), "nginx is needed (make deps)"))
    func twoServersBehindNginxSurviveLosingOne() async throws {
        let (first, second, front) = (try Self.freePort(), try Self.freePort(), try Self.freePort())
        let farm = try temporaryFolder("nginx")
        // The README's recipe, on free ports.
        let recipe = try String(contentsOf: HarkProcess.repository.appendingPathComponent("docs/scale-out/nginx.conf"), encoding: .utf8)
        try recipe.replacingOccurrences(of: "127.0.0.1:8766", with: "127.0.0.1:\(first)")
            .replacingOccurrences(of: "127.0.0.1:8767", with: "127.0.0.1:\(second)")
            .replacingOccurrences(of: "127.0.0.1:8765", with: "127.0.0.1:\(front)")
            .write(to: farm.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        let servers = [try await Self.serve(port: first), try await Self.serve(port: second)]
        defer { servers.forEach { $0.interrupt() } }
        let nginx = try HarkProcess(executable: "/usr/sbin/nginx", ["-p", farm.path, "-e", "stderr", "-c", farm.appendingPathComponent("nginx.conf").path])
        defer { nginx.send(SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(20)
        while (try? await Curl.request("GET", "http://127.0.0.1:\(front)/v1/models").0) != 200 {
            try #require(ContinuousClock.now < deadline, "nginx did not come up: \(nginx.stderr)")
            try await Task.sleep(for: .milliseconds(100))
        }

        // Three times the four sentences, played as a live microphone would.
        let input = farm.appendingPathComponent("twelve.wav").path
        #expect(try await HarkProcess.run(executable: "/usr/bin/sox", [HarkProcess.speech, HarkProcess.speech, HarkProcess.speech, input]).status == 0)
        let out = try temporaryFolder("nginx-sessions")
        let record = try HarkProcess(["record", "--input", input, "--realtime", "--vad", "energy", "--out", out.path,
                                      "--engine", "remote", "--endpoint", "http://127.0.0.1:\(front)", "--drain", "120"])
        try await record.waitForOutput("#2 »", timeout: .seconds(60))
        servers[0].send(SIGKILL)   // one transcription machine dies mid-run
        #expect(try await record.exitStatus(timeout: .seconds(150)) == 0, "\(record.stdout)\n\(record.stderr)")
        let done = try Self.transcriptions(in: out)
        #expect(done.count == 12 && done.allSatisfy { $0["state"] as? String == "done" }, "\(done)")
        let log = (try? String(contentsOf: farm.appendingPathComponent("access.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("upstream=127.0.0.1:\(first)") && log.contains("upstream=127.0.0.1:\(second)"),
                "both servers took work before one died:\n\(log)")
    }
}
