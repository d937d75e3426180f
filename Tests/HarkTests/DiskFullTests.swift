import Foundation
import HarkAudio
import HarkCore
import Synchronization
import Testing
@testable import Hark

/// A disk that refuses writes when `refuses` says so, counting segment writes as they come.
private final class FillingDisk: SessionFileSystem {
    private let real = POSIXFileSystem()
    private let segmentWrites = Mutex(0)
    private let refuses: @Sendable (_ url: URL, _ segmentWrites: Int) -> Bool

    init(refuses: @escaping @Sendable (_ url: URL, _ segmentWrites: Int) -> Bool) {
        self.refuses = refuses
    }

    func createDirectory(at url: URL) throws { try real.createDirectory(at: url) }

    func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        let count = segmentWrites.withLock { n in
            if url.pathExtension == "wav" { n += 1 }
            return n
        }
        if refuses(url, count) { throw POSIXFileSystem.failure(ENOSPC, writing: url) }
        try real.writeAtomically(bytes, to: url)
    }
}

@Suite struct DiskFullTests {
    @Test func savedSegmentsAndManifestSurviveADiskThatStaysFull() async throws {
        let root = try Fixtures.temporaryFolder("diskfull")
        var configuration = Fixtures.fileConfiguration(root: root)
        // Full from the third segment on; hold one segment in memory, then give up.
        configuration.fileSystem = FillingDisk { _, segmentWrites in segmentWrites >= 3 }
        configuration.maxUnsavedSegments = 1
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let log = EventLog(recorder.events)
        try await recorder.start()
        let folder = try #require(await recorder.sessionURL)
        let summary = try #require(await recorder.waitUntilFinished())

        #expect(summary.stopReason == .failed)
        #expect(summary.unsavedSegmentCount >= 1)
        let events = try await log.events
        let errors = events.compactMap { if case .recorderError(let e) = $0 { e } else { nil } }
        #expect(errors.contains { $0.code == .diskFull && $0.fatal })
        #expect(errors.allSatisfy { $0.message.contains("disk is full") || $0.message.contains("could not be written") })

        // What reached the disk before it filled is whole: the manifest parses and lists the
        // two saved segments, whose files decode to their recorded lengths.
        let manifest = try Fixtures.manifest(in: folder)
        #expect(manifest.segments.count == 2)
        for segment in manifest.segments {
            #expect(segment.state == .saved)
            let (samples, _) = try AudioFile.read(path: folder.appendingPathComponent(segment.file).path)
            #expect(abs(Double(samples.count) / 16_000 - segment.duration) < 0.001)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("segments").path)
        #expect(leftovers.sorted() == ["0001.wav", "0002.wav"], "no temporary or partial files")
    }

    @Test func aDiskThatFillsBrieflyLosesNothing() async throws {
        let root = try Fixtures.temporaryFolder("diskblip")
        var configuration = Fixtures.fileConfiguration(root: root)
        // Segment 3 and the manifest that would list it fail once; the retry with segment 4 works.
        configuration.fileSystem = FillingDisk { _, segmentWrites in segmentWrites == 3 }
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let log = EventLog(recorder.events)
        try await recorder.start()
        let folder = try #require(await recorder.sessionURL)
        let summary = try #require(await recorder.waitUntilFinished())

        #expect(summary.stopReason == .endOfInput)
        #expect(summary.unsavedSegmentCount == 0)
        let events = try await log.events
        let errors = events.compactMap { if case .recorderError(let e) = $0 { e } else { nil } }
        #expect(!errors.isEmpty && errors.allSatisfy { $0.code == .diskFull && !$0.fatal })

        let manifest = try Fixtures.manifest(in: folder)
        #expect(manifest.state == .stopped)
        #expect(manifest.segments.map(\.state) == Array(repeating: .saved, count: 4))
        let source = try AudioFile.read(path: Fixtures.speech).samples
        for segment in manifest.segments {
            let samples = try AudioFile.read(path: folder.appendingPathComponent(segment.file).path).samples
            let start = Int((segment.audioStart * 16_000).rounded())
            #expect(Signal.correlation(samples[...], source[start..<start + samples.count]) > 0.999)
        }
    }
}
