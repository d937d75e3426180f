import Foundation
import Testing

/// A session has one owner: while `hark record` runs, `hark resume` and `retranscribe` refuse its
/// session; once the recorder is gone — even killed — the kernel has dropped its lock.
@Suite("one owner per session", .serialized, .timeLimit(.minutes(3)),
       .enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
struct SessionLockTests {
    @Test func resumeRefusesASessionBeingRecordedAndTakesItOnceTheRecorderIsKilled() async throws {
        let out = try temporaryFolder("lock")
        let hark = try HarkProcess(["record", "--input", HarkProcess.speech, "--realtime", "--keep-audio", "--no-transcribe",
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
