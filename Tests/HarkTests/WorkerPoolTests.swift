import Foundation
import HarkTestSupport
import Testing
@testable import Hark

/// The pool with fake workers (shell scripts speaking the protocol) for faults that are hard to
/// cause on demand, and with the real `hark worker` for a real SIGKILL and a real model.
@Suite(.timeLimit(.minutes(2))) struct WorkerPoolTests {
    static func fakeWorker(_ fault: String, version: Int? = nil, everyLine: String = "") throws -> String {
        try TestSupport.fakeWorker(fault, version: version, everyLine: everyLine)
    }

    static func collect(_ pool: TranscriptionWorkerPool, count: Int) async -> [Int: WorkerOutcome] {
        var outcomes: [Int: WorkerOutcome] = [:]
        for await (job, outcome) in pool.results {
            if case .started = outcome { continue }
            outcomes[job.id] = outcome
            if outcomes.count == count { break }
        }
        return outcomes
    }

    static func text(_ outcome: WorkerOutcome?) -> String? {
        if case .transcribed(let message) = outcome { message.text } else { nil }
    }

    @Test func aWorkerThatCrashesMidJobIsReplacedAndTheJobRetried() async throws {
        let marker = try Fixtures.temporaryFolder("crash").appendingPathComponent("crashed").path
        var configuration = WorkerPoolConfiguration(
            executable: try Self.fakeWorker("if [ ! -f \(marker) ]; then touch \(marker); kill -9 $$; fi"), arguments: [])
        configuration.size = 1
        let pool = TranscriptionWorkerPool(configuration: configuration)
        for id in 1...3 { await pool.submit(WorkerJob(id: id, file: "/dev/null")) }
        let outcomes = await Self.collect(pool, count: 3)
        #expect((1...3).map { Self.text(outcomes[$0]) } == ["fake 1", "fake 2", "fake 3"])
        await pool.shutdown()
    }

    @Test func aWorkerThatHangsIsTimedOutAndReplaced() async throws {
        let marker = try Fixtures.temporaryFolder("hang").appendingPathComponent("hung").path
        var configuration = WorkerPoolConfiguration(
            executable: try Self.fakeWorker("if [ ! -f \(marker) ]; then touch \(marker); sleep 600; fi"), arguments: [])
        configuration.size = 1
        configuration.jobTimeout = .milliseconds(500)
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(WorkerJob(id: 7, file: "/dev/null"))
        let outcomes = await Self.collect(pool, count: 1)
        #expect(Self.text(outcomes[7]) == "fake 7")
        await pool.shutdown()
    }

    @Test func aJobThatKeepsKillingWorkersFailsAfterItsAttempts() async throws {
        var configuration = WorkerPoolConfiguration(executable: try Self.fakeWorker("kill -9 $$"), arguments: [])
        configuration.size = 1
        configuration.maxAttempts = 2
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(WorkerJob(id: 1, file: "/dev/null"))
        let outcomes = await Self.collect(pool, count: 1)
        guard case .failed(let reason, _) = outcomes[1] else { Issue.record("expected a failure"); return }
        #expect(reason.contains("2 attempts"), "\(reason)")
        await pool.shutdown()
    }

    /// Runs job -1, cancels it once a worker has it, and returns what the worker was sent.
    static func cancelOnce(version: Int?) async throws -> String {
        let log = try Fixtures.temporaryFolder("cancellog").appendingPathComponent("lines.log")
        // Logs every line it is sent, and answers a job after a second.
        var configuration = WorkerPoolConfiguration(
            executable: try Self.fakeWorker("sleep 1", version: version, everyLine: "echo \"$line\" >> \(log.path)"), arguments: [])
        configuration.size = 1
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(WorkerJob(id: -1, file: "/dev/null"))
        for await (_, outcome) in pool.results {
            if case .started = outcome { _ = await pool.cancel(jobID: -1); continue }
            break
        }
        // The script reads a cancel only after answering its job: give it time to log one.
        var lines = ""
        for _ in 0..<30 where !lines.contains("cancel") {
            try await Task.sleep(for: .milliseconds(100))
            lines = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        }
        await pool.shutdown()
        return lines
    }

    @Test func aCancelGoesOnlyToWorkersThatSpeakVersionTwo() async throws {
        let two = try await Self.cancelOnce(version: 2)
        #expect(two.contains("\"type\":\"cancel\"") && two.contains("\"id\":-1"), "\(two)")
        // A version 1 worker would answer the line as a bad job, taken for the next job's answer.
        let one = try await Self.cancelOnce(version: nil)
        #expect(one.contains("\"type\":\"job\"") && !one.contains("cancel"), "\(one)")
    }

    @Test func aCancelledJobWhoseWorkerDiesIsNotRetried() async throws {
        var configuration = WorkerPoolConfiguration(executable: try Self.fakeWorker("sleep 2; kill -9 $$"), arguments: [])
        configuration.size = 1
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(WorkerJob(id: -1, file: "/dev/null"))
        var starts = 0
        var outcome: WorkerOutcome?
        for await (_, event) in pool.results {
            if case .started = event {
                starts += 1
                #expect(await pool.cancel(jobID: -1) == false)
                continue
            }
            outcome = event
            break
        }
        guard case .failed(_, let code) = outcome else { Issue.record("expected a failure: \(String(describing: outcome))"); return }
        #expect(code == .cancelled)
        #expect(starts == 1, "the cancelled job was tried again")
        await pool.shutdown()
    }

    @Test func aMissingWorkerProgramFailsJobsClearly() async throws {
        var configuration = WorkerPoolConfiguration(executable: "/nonexistent/hark", arguments: ["worker"])
        configuration.maxAttempts = 1
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(WorkerJob(id: 1, file: "/dev/null"))
        let outcomes = await Self.collect(pool, count: 1)
        guard case .failed(let reason, _) = outcomes[1] else { Issue.record("expected a failure"); return }
        #expect(reason.contains("could not be started"), "\(reason)")
        await pool.shutdown()
    }

    /// A worker that says it cannot work and then stays is killed: the slot and shutdown end.
    @Test func aWorkerThatStaysAfterSayingFatalIsKilled() async throws {
        let fatal = #"{"type":"fatal","error":{"code":"modelMissing","message":"no model here"}}"#
        let executable = try TestSupport.fakeWorker("", startup: "echo '\(fatal)'; sleep 600")
        var configuration = WorkerPoolConfiguration(executable: executable, arguments: [])
        configuration.size = 1
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(WorkerJob(id: 1, file: "/dev/null"))
        let outcomes = await Self.collect(pool, count: 1)
        guard case .failed(let reason, _)? = outcomes[1] else { Issue.record("\(outcomes)"); return }
        #expect(reason.contains("no model here"), "\(reason)")
        let started = ContinuousClock.now
        await pool.shutdown()
        #expect(ContinuousClock.now - started < .seconds(15))
    }
}
