import Foundation
import HarkTestSupport
import Testing
@testable import Hark

/// Speculative transcription: a pause's tentative utterance is transcribed while the hangover
/// runs, and its result becomes the segment's when the segment turns out to be that audio.
@Suite(.timeLimit(.minutes(3))) struct SpeculationTests {
    /// Records the fixture with fake workers that log each job; returns the manifest and the log.
    func record(speculate: Bool) async throws -> (SessionManifest, folder: URL, jobs: String) {
        let log = try Fixtures.temporaryFolder("speculation-log").appendingPathComponent("jobs.log")
        var configuration = Fixtures.fileConfiguration(root: try Fixtures.temporaryFolder("speculation"))
        var workers = WorkerPoolConfiguration(executable: try TestSupport.fakeWorker("echo \"$line\" >> \(log.path)"), arguments: [])
        workers.size = 1
        configuration.transcription = workers
        configuration.speculativeTranscription = speculate
        // On a loaded machine starting the workers alone has taken ~25 s: the default 30 s drain
        // would leave segments queued and test the machine's speed, not speculation.
        configuration.transcriptionDrainTime = .seconds(120)
        let recorder = AsyncRecorderBackend(configuration: configuration)
        try await recorder.start()
        let summary = try #require(await recorder.waitUntilFinished())
        let folder = URL(fileURLWithPath: summary.sessionPath)
        return (try Fixtures.manifest(in: folder), folder, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    @Test func aSegmentThatEndsInSilenceTakesItsSpeculationsResult() async throws {
        let (manifest, folder, jobs) = try await record(speculate: true)
        #expect(manifest.segments.count == 4)
        for segment in manifest.segments {
            #expect(segment.transcription?.state == .done)
            #expect(segment.transcription?.text?.hasPrefix("fake -") == true, "segment \(segment.id): \(segment.transcription?.text ?? "-")")
            // Its own file was never sent: the speculation's copy of the same audio was.
            #expect(!jobs.contains(folder.appendingPathComponent(segment.file).path))
        }
        // The scratch copies the workers were sent are gone.
        let scratch = jobs.split(separator: "\n").compactMap { line -> String? in
            guard let data = line.data(using: .utf8),
                  let job = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return job["file"] as? String
        }
        // In this process's private scratch folder (see ScratchFolder).
        #expect(!scratch.isEmpty && scratch.allSatisfy { $0.contains("/hark-\(getuid())/\(getpid())/speculative-") }, "\(scratch)")
        #expect(scratch.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "scratch copies left: \(scratch)")
    }

    @Test func withoutSpeculationEachSegmentIsSentAsItself() async throws {
        let (manifest, folder, jobs) = try await record(speculate: false)
        #expect(manifest.segments.map { $0.transcription?.text } == manifest.segments.map { "fake \($0.id)" })
        for segment in manifest.segments { #expect(jobs.contains(folder.appendingPathComponent(segment.file).path)) }
        #expect(!jobs.contains("speculative-"))
    }

    @Test(.enabled(if: Fixtures.whisperModelInstalled, "run `make models`"))
    func speculationGivesTheSameTextsAsWaitingForTheSegment() async throws {
        func texts(speculate: Bool) async throws -> [String?] {
            var configuration = Fixtures.fileConfiguration(root: try Fixtures.temporaryFolder("speculation-whisper"))
            configuration.transcription = Fixtures.workers()
            configuration.speculativeTranscription = speculate
            let recorder = AsyncRecorderBackend(configuration: configuration)
            try await recorder.start()
            let summary = try #require(await recorder.waitUntilFinished())
            return try Fixtures.manifest(in: URL(fileURLWithPath: summary.sessionPath)).segments.map { $0.transcription?.text }
        }
        let waited = try await texts(speculate: false)
        let speculated = try await texts(speculate: true)
        #expect(waited.count == 4 && waited.allSatisfy { $0?.isEmpty == false })
        #expect(speculated == waited)
    }
}

/// Conditioning on the previous utterance: each job's prompt is the recorder's prompt followed
/// by the text last transcribed, as the fake workers' job log shows.
@Suite(.timeLimit(.minutes(3))) struct ConditioningTests {
    @Test func eachUtteranceReadsTheTextBeforeIt() async throws {
        let log = try Fixtures.temporaryFolder("conditioning-log").appendingPathComponent("jobs.log")
        var configuration = Fixtures.fileConfiguration(root: try Fixtures.temporaryFolder("conditioning"))
        var workers = WorkerPoolConfiguration(executable: try TestSupport.fakeWorker("echo \"$line\" >> \(log.path)"), arguments: [])
        workers.size = 1
        workers.options.prompt = "Hark."
        workers.options.hotwords = "Silero"
        workers.conditionOnPreviousText = true
        configuration.transcription = workers
        configuration.speculativeTranscription = false
        configuration.transcriptionDrainTime = .seconds(120)
        let recorder = AsyncRecorderBackend(configuration: configuration)
        try await recorder.start()
        let summary = try #require(await recorder.waitUntilFinished())
        let manifest = try Fixtures.manifest(in: URL(fileURLWithPath: summary.sessionPath))
        #expect(manifest.segments.count == 4)
        let jobs = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        #expect(jobs.count == 4)
        #expect(jobs.allSatisfy { $0["hotwords"] as? String == "Silero" })
        #expect(jobs.first?["prompt"] as? String == "Hark.")
        // One worker answers in order: every later job follows the one before.
        for (index, job) in jobs.enumerated().dropFirst() {
            #expect(job["prompt"] as? String == "Hark. fake \(jobs[index - 1]["id"] as? Int ?? -1)", "\(job)")
        }
    }
}
