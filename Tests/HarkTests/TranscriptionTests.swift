import HarkArchive
import HarkCore
import Foundation
import HarkTestSupport
import Testing
@testable import Hark

/// Recording → worker processes running Hark's Whisper → manifest, transcript files, events.
@Suite(.enabled(if: Fixtures.whisperModelInstalled, "run `make models`"), .timeLimit(.minutes(3)))
struct TranscriptionTests {
    @Test func everySegmentOfARecordingIsTranscribed() async throws {
        var configuration = Fixtures.fileConfiguration(root: try Fixtures.temporaryFolder("transcribe"))
        configuration.transcription = Fixtures.workers()
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let log = EventLog(recorder.events)
        try await recorder.start()
        let summary = try #require(await recorder.waitUntilFinished())
        let folder = URL(fileURLWithPath: summary.sessionPath)
        let manifest = try Fixtures.manifest(in: folder)
        let known = try Fixtures.speechRegions()
        #expect(manifest.segments.count == known.count)
        for (segment, region) in zip(manifest.segments, known) {
            #expect(segment.transcription?.state == .done)
            let heard = (segment.transcription?.text ?? "").lowercased()
            let expected = region.text.lowercased().split(separator: " ").map { $0.filter(\.isLetter) }
            let matched = expected.filter { heard.contains($0) }.count
            #expect(Double(matched) / Double(expected.count) >= 0.8, "segment \(segment.id): '\(heard)' for '\(region.text)'")
        }
        let events = try await log.events
        #expect(events.filter { $0.name == "transcriptionQueued" }.count == known.count)
        let completed = events.compactMap { if case .transcriptionComplete(let e) = $0 { e.segmentID } else { nil } }
        #expect(completed == Array(1...known.count), "one worker: results in segment order")
        let text = try String(contentsOf: folder.appendingPathComponent("transcript.txt"), encoding: .utf8)
        #expect(text.contains("lazy dog"))
        for name in ["transcript.srt", "transcript.vtt", "transcript.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path))
        }
        let firstLine = try String(contentsOf: folder.appendingPathComponent("transcript.jsonl"), encoding: .utf8).split(separator: "\n").first
        let start = (try JSONSerialization.jsonObject(with: Data((firstLine ?? "").utf8)) as? [String: Any])?["start"] as? Double
        #expect(abs((start ?? -1) - manifest.segments[0].audioStart) < 0.5, "times are relative to the session")
        // The sessions root's search index heard every transcript as it arrived (no refresh asked).
        let archive = SessionArchive(root: folder.deletingLastPathComponent())
        for segment in manifest.segments {
            let word = (segment.transcription?.text ?? "").split { !$0.isLetter }.max { $0.count < $1.count } ?? "?"
            let hits = try await archive.search(ArchiveQuery(String(word), session: manifest.id)).hits
            #expect(hits.contains { $0.segment == segment.id && $0.file == segment.file }, "'\(word)' finds segment \(segment.id)")
        }
        #expect(try await archive.refresh().updated == 0, "the index already held the last version of the manifest")
    }

    @Test func aWorkerKilledMidJobStillGetsTheSegmentTranscribed() async throws {
        let pool = TranscriptionWorkerPool(configuration: Fixtures.workers())
        let beckett = Fixtures.repository.appendingPathComponent("Tests/Fixtures/vad/beckett.flac").path
        await pool.submit(WorkerJob(id: 1, file: beckett))
        var killed: Int32?
        var outcome: WorkerOutcome?
        for await (_, event) in pool.results {
            if case .started = event {
                if killed == nil {
                    // The job is on a worker: kill it (SIGKILL) while it transcribes.
                    try await Task.sleep(for: .milliseconds(100))
                    killed = await pool.workerProcessIdentifiers.first
                    if let killed { kill(killed, SIGKILL) }
                }
                continue
            }
            outcome = event
            break
        }
        #expect(killed != nil)
        guard case .transcribed(let reply) = outcome else { Issue.record("not transcribed: \(String(describing: outcome))"); return }
        #expect(reply.text.contains("Fail better"))
        await pool.shutdown()
    }

    @Test func aRunningJobThatIsCancelledStopsEarlyAndItsWorkerTakesTheNext() async throws {
        var workers = Fixtures.workers()
        // float32 at beam 5: about a second of work on the fixture (int8 takes a third of it), time
        // for the cancel to reach the worker even on a loaded machine.
        workers.workers = .executable(path: workers.executable, arguments: workers.arguments + ["--compute-type", "float32"])
        workers.options = TranscriptionOptions(beamSize: 5)
        let pool = TranscriptionWorkerPool(configuration: workers)
        await pool.submit(WorkerJob(id: -1, file: Fixtures.speech))
        var outcomes: [Int: WorkerOutcome] = [:]
        var worker: Int32?
        for await (job, event) in pool.results {
            if case .started = event {
                if job.id == -1 {
                    // On a worker now: the pool cannot take it back, it asks the worker to stop.
                    #expect(await pool.cancel(jobID: -1) == false)
                    worker = await pool.workerProcessIdentifiers.first
                }
                continue
            }
            outcomes[job.id] = event
            if job.id == -1 { await pool.submit(WorkerJob(id: 2, file: Fixtures.speech)) }
            if outcomes.count == 2 { break }
        }
        guard case .failed(_, let code) = outcomes[-1] else { Issue.record("not cancelled: \(String(describing: outcomes[-1]))"); return }
        #expect(code == .cancelled)
        guard case .transcribed(let reply) = outcomes[2] else { Issue.record("the next job was not transcribed"); return }
        #expect(reply.text.contains("lazy dog"))
        #expect(await pool.workerProcessIdentifiers.first == worker, "the same worker, not a replacement")
        await pool.shutdown()
    }

    @Test func aCorruptSegmentFailsClearlyAndTheOthersAreDone() async throws {
        let pool = TranscriptionWorkerPool(configuration: Fixtures.workers())
        let corrupt = try Fixtures.temporaryFolder("corrupt").appendingPathComponent("0001.wav")
        try Data("RIFF....WAVEfmt garbage".utf8).write(to: corrupt)
        await pool.submit(WorkerJob(id: 1, file: corrupt.path))
        await pool.submit(WorkerJob(id: 2, file: Fixtures.speech))
        var outcomes: [Int: WorkerOutcome] = [:]
        for await (job, event) in pool.results {
            if case .started = event { continue }
            outcomes[job.id] = event
            if outcomes.count == 2 { break }
        }
        guard case .failed(let reason, _) = outcomes[1] else { Issue.record("the corrupt file did not fail"); return }
        #expect(reason.contains(corrupt.path), "\(reason)")
        guard case .transcribed(let reply) = outcomes[2] else { Issue.record("the good file was not transcribed"); return }
        #expect(reply.text.contains("lazy dog"))
        await pool.shutdown()
    }

    @Test func aCorruptModelFailsEveryJobWithItsReason() async throws {
        let model = try Fixtures.temporaryFolder("badmodel")
        try Data("not a model".utf8).write(to: model.appendingPathComponent("model.bin"))
        let pool = TranscriptionWorkerPool(configuration: Fixtures.workers(model: model.path))
        await pool.submit(WorkerJob(id: 1, file: Fixtures.speech))
        var outcome: WorkerOutcome?
        for await (_, event) in pool.results {
            if case .started = event { continue }
            outcome = event
            break
        }
        guard case .failed(let reason, _) = outcome else { Issue.record("expected a failure"); return }
        #expect(reason.contains("make models"), "\(reason)")
        await pool.shutdown()
    }

    @Test func resumeTranscribesWhatARunLeft() async throws {
        // A run without transcription leaves every segment untranscribed; resume finishes them.
        let recorder = AsyncRecorderBackend(configuration: Fixtures.fileConfiguration(root: try Fixtures.temporaryFolder("resume")))
        try await recorder.start()
        let summary = try #require(await recorder.waitUntilFinished())
        let outcome = try await SessionResume.resume(folder: URL(fileURLWithPath: summary.sessionPath), workers: Fixtures.workers())
        #expect(outcome.transcribed == summary.segmentCount)
        #expect(outcome.failed == 0)
        #expect(outcome.manifest.state == .stopped)
        let hits = try await SessionArchive(root: URL(fileURLWithPath: summary.sessionPath).deletingLastPathComponent())
            .search(ArchiveQuery("\"lazy dog\"")).hits
        #expect(hits.map(\.session) == [outcome.manifest.id], "resume's transcripts reach the index")
    }
}

@Suite(.enabled(if: Fixtures.whisperModelInstalled, "run `make models`"), .timeLimit(.minutes(3)))
struct CatchUpTests {
    /// A recording whose worker never answers and that stops without waiting: every segment is
    /// left queued for a later catch-up.
    static func stuckRun(root: URL) throws -> RecorderConfiguration {
        var configuration = Fixtures.fileConfiguration(root: root)
        var stuck = WorkerPoolConfiguration(executable: try WorkerPoolTests.fakeWorker("sleep 600"), arguments: [])
        stuck.size = 1
        configuration.transcription = stuck
        configuration.transcriptionDrainTime = .zero
        return configuration
    }

    @Test func theNextStartFinishesWhatAnEarlierRunLeftQueued() async throws {
        let root = try Fixtures.temporaryFolder("catchup")
        // An earlier run whose worker never answers, stopped without waiting: all left queued.
        let earlier = AsyncRecorderBackend(configuration: try Self.stuckRun(root: root))
        try await earlier.start()
        let left = try #require(await earlier.waitUntilFinished())
        let before = try Fixtures.manifest(in: URL(fileURLWithPath: left.sessionPath))
        #expect(before.segments.allSatisfy { [.queued, .running].contains($0.transcription?.state) })

        // The next recording (another file) starts: the earlier session is finished in the background.
        var second = Fixtures.fileConfiguration(root: root)
        second.transcription = Fixtures.workers()
        let next = AsyncRecorderBackend(configuration: second)
        try await next.start()
        _ = await next.waitUntilFinished()
        var manifest = before
        for _ in 0..<600 where !manifest.segments.allSatisfy({ $0.transcription?.state == .done }) {
            try await Task.sleep(for: .milliseconds(100))
            manifest = try Fixtures.manifest(in: URL(fileURLWithPath: left.sessionPath))
        }
        #expect(manifest.segments.allSatisfy { $0.transcription?.state == .done }, "\(manifest.segments.map { $0.transcription?.state })")
    }

    /// A session another process owns (its lock held) is left to it; the catch-up goes on to the
    /// next one. Sessions are caught up oldest first, so once the newer is done, the older —
    /// locked — was passed over.
    @Test func theCatchUpSkipsASessionAnotherProcessOwns() async throws {
        let root = try Fixtures.temporaryFolder("catchup-locked")
        let stuckRun = try Self.stuckRun(root: root)
        func stuckSession() async throws -> URL {
            let run = AsyncRecorderBackend(configuration: stuckRun)
            try await run.start()
            return URL(fileURLWithPath: try #require(await run.waitUntilFinished()).sessionPath)
        }
        // Locked before the second run starts, whose own catch-up must pass it over too.
        let owned = try await stuckSession()
        let lock = try SessionLock.acquire(owned)
        defer { lock.release() }
        let other = try await stuckSession()
        #expect(owned.lastPathComponent < other.lastPathComponent)

        var next = Fixtures.fileConfiguration(root: root)
        next.transcription = Fixtures.workers()
        let recorder = AsyncRecorderBackend(configuration: next)
        try await recorder.start()
        _ = await recorder.waitUntilFinished()
        var caughtUp = try Fixtures.manifest(in: other)
        for _ in 0..<600 where !caughtUp.segments.allSatisfy({ $0.transcription?.state == .done }) {
            try await Task.sleep(for: .milliseconds(100))
            caughtUp = try Fixtures.manifest(in: other)
        }
        #expect(caughtUp.segments.allSatisfy { $0.transcription?.state == .done })
        let untouched = try Fixtures.manifest(in: owned)
        #expect(untouched.state == .stopped && untouched.segments.allSatisfy { $0.transcription?.state != .done },
                "\(untouched.segments.map { $0.transcription?.state })")
    }
}

@Suite(.enabled(if: Fixtures.whisperModelInstalled, "run `make models`"), .timeLimit(.minutes(3)))
struct BlockingTranscriptionTests {
    @Test func theBlockingBackendTranscribesTheSame() async throws {
        var configuration = Fixtures.fileConfiguration(root: try Fixtures.temporaryFolder("blocking"))
        configuration.transcription = Fixtures.workers()
        let asyncRecorder = AsyncRecorderBackend(configuration: configuration)
        try await asyncRecorder.start()
        let a = try #require(await asyncRecorder.waitUntilFinished())
        let shared = configuration
        let b = try await onOwnThread {
            let recorder = RecorderBackend(configuration: shared)
            try recorder.start()
            return try #require(recorder.waitUntilFinished())
        }
        let texts = { (summary: RecordingSummary) in
            try Fixtures.manifest(in: URL(fileURLWithPath: summary.sessionPath)).segments.map { $0.transcription?.text }
        }
        #expect(try texts(a) == texts(b))
        #expect(try texts(a).allSatisfy { $0?.isEmpty == false })
        let transcript = { (summary: RecordingSummary) in
            try String(contentsOf: URL(fileURLWithPath: summary.sessionPath).appendingPathComponent("transcript.srt"), encoding: .utf8)
        }
        #expect(try transcript(a) == transcript(b))
    }
}

@Suite(.enabled(if: Fixtures.whisperModelInstalled, "run `make models`"), .timeLimit(.minutes(3)))
struct RealRecordingTranscriptionTests {
    /// Beckett's lines from moonshine-voice's `beckett.wav`, cut by the VAD into short utterances.
    @Test func aRealRecordingComesBackAsItsScript() async throws {
        var configuration = Fixtures.fileConfiguration(
            root: try Fixtures.temporaryFolder("beckett"),
            path: Fixtures.repository.appendingPathComponent("Tests/Fixtures/vad/beckett.flac").path)
        configuration.vadMode = .silero
        configuration.transcription = Fixtures.workers()
        let recorder = AsyncRecorderBackend(configuration: configuration)
        try await recorder.start()
        let summary = try #require(await recorder.waitUntilFinished())
        let manifest = try Fixtures.manifest(in: URL(fileURLWithPath: summary.sessionPath))
        let heard = manifest.segments.compactMap { $0.transcription?.text }.joined(separator: " ")
        let said = "Ever tried. Ever failed. No matter. Try again. Fail again. Fail better."
        let rate = TestSupport.wordErrorRate(heard: heard, said: said)
        print("beckett WER \(String(format: "%.3f", rate)) over \(manifest.segments.count) segments: '\(heard)'")
        #expect(rate <= 0.10, "heard '\(heard)'")
    }
}
