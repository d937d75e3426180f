import Foundation
import HarkCore
import HarkTestSupport
import Synchronization
import Testing
@testable import Hark

/// Workers in this process: the pool's queue, cancels, timeouts and failures with engines that
/// misbehave on purpose, and real Whisper through it. (Workers of an app's own executable are
/// run by `harkTests.ConsumerPackageTests`, in an app built for it.)
@Suite(.timeLimit(.minutes(3))) struct InProcessWorkerTests {
    /// Answers "fake PROMPT" after `delay` (cancellable), first ignoring everything for `stuck` seconds.
    final class FakeEngine: TranscriptionEngine {
        let delay: Duration
        let stuck: Double
        init(delay: Duration = .zero, stuck: Double = 0) {
            self.delay = delay
            self.stuck = stuck
        }

        func transcribe(_ samples: [Float], options: TranscriptionOptions) async throws -> Transcript {
            if stuck > 0 {
                // Not cancellable: what a stuck engine does.
                let seconds = stuck
                try? await onOwnThread { Thread.sleep(forTimeInterval: seconds) }
            }
            if options.prompt == "fail" { throw HarkError(.internalFailure, "the engine broke") }
            try await Task.sleep(for: delay)
            return Transcript(text: "fake \(options.prompt ?? "")", tokens: [], noSpeechProbability: 0, averageLogProbability: 0,
                              isSilence: false, processingTime: 0)
        }
    }

    static func pool(_ make: @escaping @Sendable () -> any TranscriptionEngine, size: Int = 1) -> TranscriptionWorkerPool {
        var configuration = WorkerPoolConfiguration(workers: .inProcessEngine(name: "fake", make: make))
        configuration.size = size
        configuration.jobTimeout = .seconds(1)
        return TranscriptionWorkerPool(configuration: configuration)
    }

    static func job(_ id: Int, _ prompt: String? = nil) -> WorkerJob {
        WorkerJob(id: id, file: Fixtures.speech, options: TranscriptionOptions(prompt: prompt ?? "\(id)"))
    }

    @Test func jobsQueueAndAnswerAsWithProcesses() async throws {
        let pool = Self.pool({ FakeEngine(delay: .milliseconds(20)) })
        for id in 1...4 { #expect(await pool.submit(Self.job(id))) }
        #expect(await pool.submit(Self.job(5, "fail")))
        let outcomes = await WorkerPoolTests.collect(pool, count: 5)
        #expect((1...4).map { WorkerPoolTests.text(outcomes[$0]) } == ["fake 1", "fake 2", "fake 3", "fake 4"])
        guard case .failed(let reason, let code) = outcomes[5] else { Issue.record("expected a failure"); return }
        #expect(reason == "the engine broke" && code == .internalFailure)
        #expect(await pool.workerProcessIdentifiers.isEmpty, "no process was started")
        await pool.shutdown()
    }

    @Test func aRunningJobIsCancelled() async throws {
        let pool = Self.pool({ FakeEngine(delay: .seconds(30)) })
        await pool.submit(Self.job(1))
        var outcome: WorkerOutcome?
        for await (_, event) in pool.results {
            if case .started = event { #expect(await pool.cancel(jobID: 1) == false); continue }
            outcome = event
            break
        }
        guard case .failed(_, let code) = outcome else { Issue.record("expected a failure: \(String(describing: outcome))"); return }
        #expect(code == .cancelled)
        await pool.shutdown()
    }

    /// An engine stuck past the job timeout cannot be killed: its worker is abandoned, a new
    /// engine made, and the job tried again there.
    @Test func aStuckEngineIsReplacedAndTheJobRetried() async throws {
        final class Count: Sendable { let value = Mutex(0) }
        let made = Count()
        let pool = Self.pool({
            let first = made.value.withLock { count in defer { count += 1 }; return count == 0 }
            return FakeEngine(stuck: first ? 3 : 0)
        })
        await pool.submit(Self.job(7))
        let outcomes = await WorkerPoolTests.collect(pool, count: 1)
        #expect(WorkerPoolTests.text(outcomes[7]) == "fake 7")
        #expect(made.value.withLock { $0 } == 2)
        await pool.shutdown()
    }

    /// A job in hand when the pool shuts down is `interrupted` (the durable queue keeps it), as
    /// with a killed process — also when the engine will not stop: the pool waits 2 s, not for it.
    @Test(arguments: [false, true]) func aJobRunningAtShutdownIsInterrupted(engineIsStuck: Bool) async throws {
        let pool = Self.pool({ FakeEngine(delay: .seconds(30), stuck: engineIsStuck ? 10 : 0) })
        var results = pool.results.makeAsyncIterator()
        await pool.submit(Self.job(1))
        guard case (_, .started)? = await results.next() else { Issue.record("expected a start"); return }
        let started = ContinuousClock.now
        await pool.shutdown()
        #expect(ContinuousClock.now - started < .seconds(5))
        guard case (_, .interrupted)? = await results.next() else { Issue.record("expected interrupted"); return }
    }

    /// The reason one job fails with in a pool of `configuration` (one worker).
    static func failure(_ configuration: WorkerPoolConfiguration) async -> String? {
        var configuration = configuration
        configuration.size = 1
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(Self.job(1))
        let outcomes = await WorkerPoolTests.collect(pool, count: 1)
        await pool.shutdown()
        guard case .failed(let reason, _) = outcomes[1] else { return nil }
        return reason
    }

    @Test func aMissingModelFailsJobsSayingSo() async throws {
        let reason = await Self.failure(.inProcess(model: URL(fileURLWithPath: "/nonexistent/whisper-tiny.en")))
        #expect(reason?.contains("/nonexistent/whisper-tiny.en") == true, "\(String(describing: reason))")
    }

    /// Without `HarkWorker.runIfRequested()` (this test process never calls it) the pool will not
    /// start the program again: that would be another copy of it, not a worker.
    @Test func ownExecutableWorkersNeedTheEntry() async throws {
        #expect(!HarkWorker.isAvailable)
        let reason = await Self.failure(.ownExecutable(model: URL(fileURLWithPath: "/tmp/model")))
        #expect(reason?.contains("HarkWorker.runIfRequested()") == true, "\(String(describing: reason))")
        // Automatic workers therefore run in process here.
        guard case .inProcess = WorkerPoolConfiguration().resolved().workers else { Issue.record("expected in-process"); return }
    }

    @Test func workerArgumentsRoundTrip() throws {
        let model = URL(fileURLWithPath: "/models/whisper-base", isDirectory: true)
        let arguments = ["/app"] + HarkWorker.arguments(model: model, computeType: .int8, beamSize: 5)
        #expect(try HarkWorker.parse(arguments) == HarkWorker.Request(model: model, computeType: .int8, beamSize: 5))
        #expect(try HarkWorker.parse(["/app", "record"]) == nil)
        #expect(throws: HarkError.self) { try HarkWorker.parse(["/app", HarkWorker.argument, "--model"]) }
        #expect(throws: HarkError.self) { try HarkWorker.parse(["/app", HarkWorker.argument, "--model", "/m", "--beam-size", "0"]) }
    }

    /// Real Whisper in this process hears what `hark worker` hears.
    @Test(.enabled(if: Fixtures.whisperModelInstalled, "run `make models`"))
    func whisperInProcessHearsTheFixture() async throws {
        let model = RecorderConfiguration.defaultModelsDirectory().appendingPathComponent("whisper-tiny.en")
        var configuration = WorkerPoolConfiguration.inProcess(model: model)
        configuration.size = 1
        configuration.options.beamSize = 1
        let pool = TranscriptionWorkerPool(configuration: configuration)
        await pool.submit(WorkerJob(id: 1, file: Fixtures.speech))
        let outcomes = await WorkerPoolTests.collect(pool, count: 1)
        let text = try #require(WorkerPoolTests.text(outcomes[1])).lowercased()
        for words in ["lazy dog", "i say today", "easier than it looks", "we are done"] { #expect(text.contains(words), "\(text)") }
        await pool.shutdown()
    }
}
