import HarkCore
import Foundation
import Synchronization
import HarkAudio
import Testing
@testable import Hark

@Suite(.timeLimit(.minutes(1))) struct RecorderBackendTests {
    @Test func fileInputMakesOneSegmentPerSentenceAtTheRightTimes() async throws {
        let root = try Fixtures.temporaryFolder()
        let recorder = AsyncRecorderBackend(configuration: Fixtures.fileConfiguration(root: root))
        let log = EventLog(recorder.events)
        try await recorder.start()
        let folder = try #require(await recorder.sessionURL)
        let summary = try #require(await recorder.waitUntilFinished())
        #expect(summary.stopReason == .endOfInput)
        #expect(await !recorder.isRecording)

        let known = try Fixtures.speechRegions()
        let manifest = try Fixtures.manifest(in: folder)
        #expect(manifest.state == .stopped)
        #expect(manifest.segments.count == known.count)
        for (segment, region) in zip(manifest.segments, known) {
            #expect(abs(segment.speechStart - region.start) < 0.15, "segment \(segment.id) starts at \(segment.speechStart)")
            #expect(abs(segment.speechEnd - region.end) < 0.15, "segment \(segment.id) ends at \(segment.speechEnd)")
            #expect(segment.state == .saved)
            let (samples, format) = try AudioFile.read(path: folder.appendingPathComponent(segment.file).path)
            #expect(format == .speech)
            #expect(abs(Double(samples.count) / 16_000 - segment.duration) < 0.001)
        }

        let events = try await log.events
        #expect(events.first?.name == "recordingStarted")
        #expect(events.last?.name == "recordingStopped")
        let saved = events.compactMap { if case .segmentSaved(let e) = $0 { e.segment.id } else { nil } }
        #expect(saved == Array(1...known.count))
        let starts = events.filter { $0.name == "speechStarted" }.count
        let ends = events.filter { $0.name == "speechEnded" }.count
        #expect(starts == known.count && ends == known.count)
    }

    @Test func sileroIsTheDefaultAndCutsTheKnownSentences() async throws {
        var configuration = Fixtures.fileConfiguration(root: try Fixtures.temporaryFolder())
        configuration.vadMode = RecorderConfiguration().vadMode
        #expect(configuration.vadMode == .silero)
        let recorder = AsyncRecorderBackend(configuration: configuration)
        try await recorder.start()
        let summary = try #require(await recorder.waitUntilFinished())
        let manifest = try Fixtures.manifest(in: URL(fileURLWithPath: summary.sessionPath))
        let known = try Fixtures.speechRegions()
        #expect(manifest.vadModes.first?.mode == .silero)
        #expect(manifest.segments.count == known.count)
        for (segment, region) in zip(manifest.segments, known) {
            #expect(abs(segment.speechStart - region.start) < 0.15, "segment \(segment.id) starts at \(segment.speechStart)")
            #expect(abs(segment.speechEnd - region.end) < 0.15, "segment \(segment.id) ends at \(segment.speechEnd)")
        }
    }

    @Test func aMissingModelIsAClearErrorAtStart() async throws {
        var configuration = Fixtures.fileConfiguration(root: try Fixtures.temporaryFolder())
        configuration.vadMode = .silero
        configuration.modelsDirectory = URL(fileURLWithPath: "/nonexistent/models")
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let error = await #expect(throws: HarkError.self) { try await recorder.start() }
        #expect(error?.code == .modelMissing)
        #expect(error?.message.contains("--vad energy") == true)
        #expect(await !recorder.isRecording)
    }

    @Test func segmentAudioIsTheSourceAudio() async throws {
        let root = try Fixtures.temporaryFolder()
        let summary = try await onOwnThread {
            let recorder = RecorderBackend(configuration: Fixtures.fileConfiguration(root: root))
            try recorder.start()
            return try #require(recorder.waitUntilFinished())
        }
        let source = try AudioFile.read(path: Fixtures.speech).samples
        let folder = URL(fileURLWithPath: summary.sessionPath)
        for segment in try Fixtures.manifest(in: folder).segments {
            let samples = try AudioFile.read(path: folder.appendingPathComponent(segment.file).path).samples
            let start = Int((segment.audioStart * 16_000).rounded())
            let r = Signal.correlation(samples[...], source[start..<start + samples.count])
            #expect(r > 0.999, "segment \(segment.id) correlates \(r) with the source")
        }
    }

    @Test func asyncAndBlockingBackendsWriteIdenticalSessions() async throws {
        let rootA = try Fixtures.temporaryFolder(), rootB = try Fixtures.temporaryFolder()
        let asyncRecorder = AsyncRecorderBackend(configuration: Fixtures.fileConfiguration(root: rootA))
        try await asyncRecorder.start()
        let a = try #require(await asyncRecorder.waitUntilFinished())
        let b = try await onOwnThread {
            let blocking = RecorderBackend(configuration: Fixtures.fileConfiguration(root: rootB))
            try blocking.start()
            return try #require(blocking.waitUntilFinished())
        }
        let folderA = URL(fileURLWithPath: a.sessionPath), folderB = URL(fileURLWithPath: b.sessionPath)
        var manifestA = try Fixtures.manifest(in: folderA), manifestB = try Fixtures.manifest(in: folderB)
        for m in [\SessionManifest.id] { manifestB[keyPath: m] = manifestA[keyPath: m] }
        manifestB.createdAt = manifestA.createdAt
        manifestB.stoppedAt = manifestA.stoppedAt
        #expect(manifestA == manifestB)
        let files = { (folder: URL) in try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("segments").path).sorted() }
        #expect(try files(folderA) == files(folderB))
        for file in try files(folderA) {
            let da = try Data(contentsOf: folderA.appendingPathComponent("segments/\(file)"))
            let db = try Data(contentsOf: folderB.appendingPathComponent("segments/\(file)"))
            #expect(da == db, "segments/\(file) differs")
        }
    }

    @Test func lifecycleRulesStartTwiceStopIdleAndRestart() async throws {
        let root = try Fixtures.temporaryFolder()
        let recorder = AsyncRecorderBackend(configuration: Fixtures.fileConfiguration(root: root, pacing: .realTime))
        let idle = await #expect(throws: HarkError.self) { try await recorder.stop() }
        #expect(idle?.code == .notRecording)
        #expect(await recorder.sessionURL == nil)

        try await recorder.start()
        let first = await recorder.sessionURL
        let twice = await #expect(throws: HarkError.self) { try await recorder.start() }
        #expect(twice?.code == .alreadyRecording)
        #expect(await recorder.isRecording)
        _ = try await recorder.stop()
        #expect(await !recorder.isRecording)
        let again = await #expect(throws: HarkError.self) { try await recorder.stop() }
        #expect(again?.code == .notRecording)

        try await recorder.start()
        let second = await recorder.sessionURL
        #expect(first != nil && second != nil && first != second, "each recording gets its own folder")
        _ = try await recorder.stop()
    }

    @Test func stoppingMidUtteranceSavesIt() async throws {
        let root = try Fixtures.temporaryFolder()
        let recorder = AsyncRecorderBackend(configuration: Fixtures.fileConfiguration(root: root, pacing: .realTime))
        let events = recorder.events
        try await recorder.start()
        _ = try await events.first { $0.name == "speechStarted" }   // inside the first sentence (1.0–3.83 s)
        let summary = try await recorder.stop()
        #expect(summary.stopReason == .requested)
        let manifest = try Fixtures.manifest(in: URL(fileURLWithPath: summary.sessionPath))
        let segment = try #require(manifest.segments.first)
        #expect(manifest.segments.count == 1)
        #expect(segment.endReason == .stopped)
        #expect(abs(segment.speechStart - 1.0) < 0.15)
        #expect(FileManager.default.fileExists(atPath: URL(fileURLWithPath: summary.sessionPath).appendingPathComponent(segment.file).path))
    }

    @Test func vadModeChangesAtRuntimeAreAppliedAndReported() async throws {
        let root = try Fixtures.temporaryFolder()
        let recorder = AsyncRecorderBackend(configuration: Fixtures.fileConfiguration(root: root, pacing: .realTime))
        let log = EventLog(recorder.events)
        let events = recorder.events
        try await recorder.start()
        _ = try await events.first { $0.name == "audioLevel" }
        try await recorder.setVADMode(.manual)
        _ = try await events.first { $0.name == "vadModeChanged" }
        let summary = try await recorder.stop()
        let changes = try await log.events.compactMap { if case .vadModeChanged(let e) = $0 { e } else { nil } }
        #expect(changes.count == 1)
        #expect(changes.first?.from == .energy && changes.first?.to == .manual)
        let time = try #require(changes.first?.time)
        #expect((time * 16_000).truncatingRemainder(dividingBy: 512) == 0, "applied at a chunk boundary")
        let manifest = try Fixtures.manifest(in: URL(fileURLWithPath: summary.sessionPath))
        #expect(manifest.vadModes.map(\.mode) == [.energy, .manual])
        #expect(await recorder.currentVADMode == .manual)
    }

    @Test func manualModeCutsOnlyAtStartAndStop() async throws {
        let root = try Fixtures.temporaryFolder()
        var configuration = Fixtures.fileConfiguration(root: root)
        configuration.vadMode = .manual
        let recorder = AsyncRecorderBackend(configuration: configuration)
        try await recorder.start()
        let summary = try #require(await recorder.waitUntilFinished())
        #expect(summary.segmentCount == 1)
        let segment = try #require(try Fixtures.manifest(in: URL(fileURLWithPath: summary.sessionPath)).segments.first)
        #expect(segment.audioStart == 0 && abs(segment.audioEnd - 16.15) < 0.05)
    }

    @Test func syncAndAsyncCallbacksGetEveryEventInOrder() async throws {
        let collected = Collected()
        let root = try Fixtures.temporaryFolder()
        let syncRecorder = AsyncRecorderBackend(configuration: Fixtures.fileConfiguration(root: root)) { (event: RecorderEvent) in
            collected.append("sync", event)
        }
        let asyncRecorder = AsyncRecorderBackend(configuration: Fixtures.fileConfiguration(root: root)) { (event: RecorderEvent) async in
            await Task.yield()
            collected.append("async", event)
        }
        for recorder in [syncRecorder, asyncRecorder] {
            try await recorder.start()
            _ = await recorder.waitUntilFinished()
        }
        // Handlers run on their own task; wait for the final event to arrive.
        for _ in 0..<200 where collected.lossless("async").last != "recordingStopped" || collected.lossless("sync").last != "recordingStopped" {
            try await Task.sleep(for: .milliseconds(10))
        }
        for kind in ["sync", "async"] {
            let names = collected.lossless(kind)
            #expect(names.first == "recordingStarted")
            #expect(names.last == "recordingStopped")
            #expect(names.filter { $0 == "segmentSaved" }.count == 4)
        }
    }

    @Test func unwritableOutputFolderIsAClearError() async throws {
        var configuration = Fixtures.fileConfiguration(root: URL(fileURLWithPath: "/etc/passwd/sessions"))
        configuration.keepAudio = true
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let error = await #expect(throws: HarkError.self) { try await recorder.start() }
        #expect(error?.code == .outputNotWritable)
        #expect(error?.message.contains("--out") == true)
        #expect(await !recorder.isRecording)
    }

    @Test func unreadableInputIsAClearErrorAndLeavesNoFolder() async throws {
        let root = try Fixtures.temporaryFolder()
        let text = root.appendingPathComponent("notes.txt")
        try Data("not audio".utf8).write(to: text)
        let recorder = AsyncRecorderBackend(configuration: Fixtures.fileConfiguration(root: root, path: text.path))
        let error = await #expect(throws: HarkError.self) { try await recorder.start() }
        #expect(error?.code == .unreadableAudio)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["notes.txt"])
    }

    @Test func keepAudioWritesTheWholeRecording() async throws {
        let root = try Fixtures.temporaryFolder()
        var configuration = Fixtures.fileConfiguration(root: root)
        configuration.keepAudio = true
        let recorder = AsyncRecorderBackend(configuration: configuration)
        try await recorder.start()
        let summary = try #require(await recorder.waitUntilFinished())
        let recording = try AudioFile.read(path: summary.sessionPath + "/recording.wav").samples
        let source = try AudioFile.read(path: Fixtures.speech).samples
        #expect(abs(recording.count - source.count) < 512)
        let n = min(recording.count, source.count)
        #expect(Signal.correlation(recording[0..<n], source[0..<n]) > 0.999)
    }
}

final class Collected: Sendable {
    private let names = Mutex<[String: [String]]>([:])
    func append(_ kind: String, _ event: RecorderEvent) {
        guard !event.isCoalescable else { return }
        names.withLock { $0[kind, default: []].append(event.name) }
    }
    func lossless(_ kind: String) -> [String] { names.withLock { $0[kind] ?? [] } }
}
