import Foundation
import HarkTestSupport
import Testing
@testable import Hark

/// Workers start when speech is first heard, so their models load while the first utterance is
/// spoken. Real-time input (run with the timed suites: under a loaded parallel run, a process
/// start can take longer than an utterance).
@Suite(.timeLimit(.minutes(2))) struct WorkerWarmUpTests {
    @Test func workersStartWithTheFirstSpeechNotTheFirstSegment() async throws {
        let folder = try Fixtures.temporaryFolder("warmup")
        let log = folder.appendingPathComponent("started.log")
        var configuration = Fixtures.fileConfiguration(root: folder, pacing: .realTime)
        var workers = WorkerPoolConfiguration(executable: try TestSupport.fakeWorker(":", startup: "date +%s.%N >> \(log.path)"),
                                              arguments: [])
        workers.size = 1
        configuration.transcription = workers
        configuration.speculativeTranscription = false   // a pause's speculation would start them too
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let events = recorder.events
        try await recorder.start()
        var heard: Double?, saved: Double?
        for try await event in events {
            switch event {
            case .speechStarted: heard = heard ?? Date().timeIntervalSince1970
            case .segmentSaved: saved = Date().timeIntervalSince1970
            default: break
            }
            if saved != nil { break }
        }
        _ = try await recorder.stop()
        let started = try #require(Double(String(contentsOf: log, encoding: .utf8).split(separator: "\n").first ?? ""))
        let speech = try #require(heard), segment = try #require(saved)
        #expect(started >= speech - 0.05, "not before speech: \(started - speech) s")
        #expect(started < segment, "the worker started \(started - segment) s after the first segment was saved")
    }

    @Test func prepareStartsThePoolsWorkersBeforeAnyJob() async throws {
        var workers = WorkerPoolConfiguration(executable: try TestSupport.fakeWorker(":"), arguments: [])
        workers.size = 1
        let pool = TranscriptionWorkerPool(configuration: workers)
        #expect(await pool.workerProcessIdentifiers.isEmpty)
        await pool.prepare()
        var waited = 0
        while await pool.workerProcessIdentifiers.isEmpty && waited < 200 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        #expect(await pool.workerProcessIdentifiers.count == 1)
        await pool.shutdown()
    }
}
