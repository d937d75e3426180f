import Foundation
import Testing

/// A session has one owner: while `hark record` runs, `hark resume` and `retranscribe` refuse its
/// session; once the recorder is gone — even killed — the kernel has dropped its lock.
@Suite("one owner per session", .serialized, .timeLimit(.minutes(3)),
       .enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
struct SessionLockTests {
    @Test func resumeRefusesASessionBeingRecordedAndTakesItOnceTheRecorderIsKilled() async throws {
        let out = try temporaryFolder("lock")
        // A minute of speech, so the recorder is surely still recording while resume is tried.
        let long = out.deletingLastPathComponent().appendingPathComponent("lock-\(UUID().uuidString).wav").path
        let joined = try await HarkProcess.run(executable: "/usr/bin/sox", Array(repeating: HarkProcess.speech, count: 4) + [long])
        try #require(joined.status == 0, "sox: \(joined.stderr)")
        let hark = try HarkProcess(["record", "--input", long, "--realtime", "--keep-audio", "--no-transcribe",
                                    "--out", out.path])
        try await hark.waitForOutput("#1 ")
        for command in ["resume", "retranscribe"] {
            let refused = try await HarkProcess.run([command, "latest", "--out", out.path])
            #expect(refused.status != 0, "\(command): \(refused.stdout)")
            #expect(refused.stderr.contains("being recorded"), "\(command): \(refused.stderr)")
        }
        #expect(try ResumeCommandTests.manifest(out)["state"] as? String == "recording", "resume left the live session alone")

        kill(hark.processIdentifier, SIGKILL)
        _ = try await hark.exitStatus(timeout: .seconds(10))
        let resumed = try await HarkProcess.run(["resume", "latest", "--out", out.path])
        #expect(resumed.status == 0, "no stale lock after SIGKILL: \(resumed.stdout)\(resumed.stderr)")
        #expect(try ResumeCommandTests.manifest(out)["state"] as? String == "stopped")
    }
}
