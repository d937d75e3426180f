import HarkCore
import Foundation
import HarkAudio
import HarkTestSupport
import Testing
@testable import Hark

/// What the review found in the worker path and the session folder, each through the real part:
/// worker processes (fake ones, for faults), real files, real locks.
@Suite(.timeLimit(.minutes(2))) struct RobustnessTests {
    /// A worker script that prints `lines` as its answer to every job.
    static func scriptedWorker(answer: String) throws -> String {
        let script = try Fixtures.temporaryFolder("scripted").appendingPathComponent("worker.sh")
        try """
            #!/bin/sh
            echo '{"type":"ready","version":2}'
            while read -r line; do
              cat '\(try Self.file(answer))'
            done
            """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        return script.path
    }

    static func file(_ text: String) throws -> String {
        let path = try Fixtures.temporaryFolder("answer").appendingPathComponent("answer.json").path
        try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func one(_ configuration: WorkerPoolConfiguration, id: Int = 1) async -> WorkerOutcome? {
        var configuration = configuration
        configuration.size = 1
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(WorkerJob(id: id, file: "/dev/null"))
        let outcome = await WorkerPoolTests.collect(pool, count: 1)[id]
        await pool.shutdown()
        return outcome
    }

    @Test func aWorkerThatFailsBeforeReadyDisablesTranscriptionAfterThreeStartsThenRecovers() async throws {
        let flag = try Fixtures.temporaryFolder("recover").appendingPathComponent("fixed").path
        var configuration = WorkerPoolConfiguration(
            executable: try TestSupport.fakeWorker("", startup: "[ -f \(flag) ] || { echo 'not json'; exit 3; }"), arguments: [])
        configuration.size = 1
        configuration.restartBackoff = .milliseconds(10)
        configuration.recoveryInterval = .zero
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(WorkerJob(id: 1, file: "/dev/null"))
        let first = await WorkerPoolTests.collect(pool, count: 1)[1]
        guard case .failed(let reason, let code) = first else { Issue.record("expected a failure, got \(String(describing: first))"); return }
        #expect(code == .transcriptionUnavailable)
        #expect(reason.contains("3 failed starts") && reason.contains("not json"), "\(reason)")
        // The cause goes away: the next job starts workers again.
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        await pool.submit(WorkerJob(id: 2, file: "/dev/null"))
        #expect(WorkerPoolTests.text(await WorkerPoolTests.collect(pool, count: 1)[2]) == "fake 2")
        await pool.shutdown()
    }

    @Test func whileDisabledJobsFailAtOnceWithTheReason() async throws {
        var configuration = WorkerPoolConfiguration(executable: try TestSupport.fakeWorker("", startup: "exit 1"), arguments: [])
        configuration.size = 1
        configuration.restartBackoff = .milliseconds(10)
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(WorkerJob(id: 1, file: "/dev/null"))
        _ = await WorkerPoolTests.collect(pool, count: 1)
        await pool.submit(WorkerJob(id: 2, file: "/dev/null"))
        guard case .failed(let reason, .transcriptionUnavailable?) = await WorkerPoolTests.collect(pool, count: 1)[2] else {
            Issue.record("expected an immediate failure"); return
        }
        #expect(reason.contains("exited before it was ready"), "\(reason)")
        await pool.shutdown()
    }

    @Test func numbersFromAWorkerAreClampedAndLineSeparatorsInTextSurvive() async throws {
        // As another program (or a remote server, through one) may write it: the separators raw,
        // which JSON allows inside strings, and numbers no recording has.
        let text = "one\u{2028}two\u{2029}three\u{85}four"
        let answer = #"{"type":"result","id":1,"text":"\#(text)","noSpeechProbability":7,"processingTime":1e308,"#
            + #""segments":[{"start":1e300,"end":-5,"text":"\#(text)"}]}"#
        let outcome = await Self.one(WorkerPoolConfiguration(executable: try Self.scriptedWorker(answer: answer), arguments: []))
        guard case .transcribed(let transcript) = outcome else { Issue.record("not transcribed: \(String(describing: outcome))"); return }
        #expect(transcript.text == text)
        #expect(transcript.noSpeechProbability == 1)
        #expect(transcript.processingTime == TranscriptLimits.maxSeconds)
        let segment = try #require(transcript.segments.first)
        #expect(segment.start == TranscriptLimits.maxSeconds && segment.end == segment.start)
        #expect(TranscriptFormat.srt.render(transcript.segments).contains("240:00:00,000"))
    }

    @Test func aReplyLongerThan128KiBIsAResultNotACrash() async throws {
        let long = String(repeating: "word ", count: 60_000)   // 300 kB: hours of speech
        let answer = WorkerReply.result(id: 1, Transcript(text: long, tokens: [], noSpeechProbability: 0, averageLogProbability: 0,
                                                          isSilence: false, processingTime: 1)).encodedLine()
        let outcome = await Self.one(WorkerPoolConfiguration(executable: try Self.scriptedWorker(answer: String(answer.dropLast())), arguments: []))
        guard case .transcribed(let transcript) = outcome else { Issue.record("not transcribed: \(String(describing: outcome))"); return }
        #expect(transcript.text.count == long.count)
    }

    @Test func twoRecordersInTheSameSecondGetTwoFoldersEachLocked() async throws {
        let root = try Fixtures.temporaryFolder("same-second")
        let configuration = Fixtures.fileConfiguration(root: root)
        let now = Date()
        let source = SessionManifest.Source(kind: .file, name: "x", format: .speech)
        let stores = try (0..<3).map { _ in try SessionStore.create(root: root, source: source, configuration: configuration, vadMode: .silero, now: now) }
        #expect(Set(stores.map(\.folder.lastPathComponent)).count == 3)
        for store in stores {
            #expect(throws: HarkError.self) { try SessionLock.acquire(store.folder) }
            #expect(throws: HarkError.self) { try SessionStore.open(folder: store.folder) }
            await store.releaseLock()
            try SessionLock.acquire(store.folder).release()
        }
    }

    @Test func scratchAudioIsPrivateAndDeadProcessesScratchIsCleaned() throws {
        let file = try ScratchFolder.write([1, 2, 3], name: "probe-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: file) }
        var info = stat()
        #expect(stat(file.path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat(file.deletingLastPathComponent().path, &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(stat(file.deletingLastPathComponent().deletingLastPathComponent().path, &info) == 0 && info.st_mode & 0o777 == 0o700)
        // A crashed process's folder (no such pid: above pid_max) goes; a live one's stays.
        let root = try Fixtures.temporaryFolder("scratch-root")
        for name in ["99999999", "1", String(getpid()), "notes"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(name), withIntermediateDirectories: false)
        }
        ScratchFolder.removeFoldersOfDeadProcesses(in: root)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == ["1", String(getpid()), "notes"].sorted())
    }

    @Test func decodedAudioIsBoundedByDuration() throws {
        let error = try #require(throws: HarkError.self) { try AudioFile.readSpeech(path: Fixtures.speech, maxSeconds: 2) }
        #expect(error.code == .audioTooLong)
        #expect(error.message.contains("2 s"), "\(error.message)")
        #expect(try AudioFile.readSpeech(path: Fixtures.speech, maxSeconds: 20).count > 15 * 16_000)
    }
}
