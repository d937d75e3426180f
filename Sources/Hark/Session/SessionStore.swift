import Foundation
import HarkAudio
import HarkCore

/// Owns one session folder: segment files, the full recording, and `session.json`.
///
/// Every change is followed by an atomic rewrite of the manifest. A segment whose file cannot be
/// written (disk full) stays in memory as `unsaved` and is retried with each later save and at the
/// end; at most `maxUnsaved` are held, after which saving fails for good (the recording stops).
actor SessionStore {
    nonisolated let folder: URL
    let fileSystem: any SessionFileSystem
    private let maxUnsaved: Int
    var manifest: SessionManifest   // changed only by this actor and its extensions
    private var unsavedAudio: [Int: [UInt8]] = [:]
    private var recording: RecordingFileWriter?
    private var recordingFailed = false
    /// This store's ownership of the folder (see `SessionLock`), until `releaseLock`.
    private let lock: SessionLock?
    /// The sessions root's search index, told when transcripts change (nil: not indexed).
    let archiveUpdates: ArchiveUpdates?

    init(folder: URL, manifest: SessionManifest, fileSystem: any SessionFileSystem, maxUnsaved: Int,
         recording: sending RecordingFileWriter?, lock: SessionLock?, indexed: Bool = true) {
        archiveUpdates = indexed ? ArchiveUpdates(folder: folder) : nil
        self.recording = recording
        self.lock = lock
        self.folder = folder
        self.manifest = manifest
        self.fileSystem = fileSystem
        self.maxUnsaved = maxUnsaved
    }

    /// Makes a new session folder under `root`, named after the time, locks it (`SessionLock`)
    /// and writes its first manifest. Two recorders starting in the same second get two folders:
    /// each name is claimed by `mkdir`, which only one process can win.
    static func create(root: URL, source: SessionManifest.Source, configuration: RecorderConfiguration,
                       vadMode: VADMode, now: Date = Date()) throws -> SessionStore {
        let fileSystem = configuration.fileSystem
        try fileSystem.createDirectory(at: root)
        let base = sessionName(for: now)
        var id = base
        var attempt = 1
        while mkdir(root.appendingPathComponent(id).path, 0o755) != 0 {
            guard errno == EEXIST, attempt < 10_000 else {
                throw POSIXFileSystem.failure(errno, writing: root.appendingPathComponent(id))
            }
            attempt += 1
            id = "\(base)-\(attempt)"
        }
        let folder = root.appendingPathComponent(id, isDirectory: true)
        let lock = try SessionLock.acquire(folder)
        try fileSystem.createDirectory(at: folder.appendingPathComponent(SessionManifest.segmentsFolder))
        let manifest = SessionManifest(id: id, createdAt: now, source: source, segmenter: configuration.segmenter,
                                       vadMode: vadMode, keepsRecording: configuration.keepAudio)
        try fileSystem.writeAtomically(try SessionStore.encode(manifest), to: folder.appendingPathComponent(SessionManifest.fileName))
        let recording = configuration.keepAudio
            ? try RecordingFileWriter(path: folder.appendingPathComponent(SessionManifest.recordingFile).path) : nil
        return SessionStore(folder: folder, manifest: manifest, fileSystem: fileSystem,
                            maxUnsaved: configuration.maxUnsavedSegments, recording: recording, lock: lock,
                            indexed: configuration.indexesTranscripts)
    }

    static func sessionName(for date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ v: Int?) -> String { String(format: "%02d", v ?? 0) }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day))T\(two(c.hour))-\(two(c.minute))-\(two(c.second))Z"
    }

    static func encode(_ manifest: SessionManifest) throws -> [UInt8] {
        Array(try JSON.encoder(pretty: true).encode(manifest)) + [0x0A]
    }

    /// Saves an utterance as the next segment. Returns its record and the write error, if any
    /// (the record is then `unsaved`). Throws only when too many segments are stuck unsaved.
    func save(_ utterance: Utterance, sampleRate: Int) throws -> (SegmentRecord, HarkError?) {
        let id = manifest.segments.count + 1
        let rate = Double(sampleRate)
        var record = SegmentRecord(
            id: id, file: SessionManifest.segmentFile(id),
            speechStart: Double(utterance.speechStart) / rate, speechEnd: Double(utterance.speechEnd) / rate,
            audioStart: Double(utterance.audioStart) / rate, audioEnd: Double(utterance.audioEnd) / rate,
            endReason: utterance.endReason, state: .unsaved)
        let bytes = try WAVEncoder.pcm16(utterance.samples, sampleRate: sampleRate)
        retryUnsaved()
        var failure: HarkError?
        do {
            try fileSystem.writeAtomically(bytes, to: folder.appendingPathComponent(record.file))
            record.state = .saved
        } catch {
            failure = error as? HarkError ?? HarkError(.writeFailed, "\(error)")
            unsavedAudio[id] = bytes
        }
        manifest.segments.append(record)
        if let manifestError = writeManifest() { failure = failure ?? manifestError }
        if unsavedAudio.count > maxUnsaved {
            throw HarkError(.diskFull, """
                \(unsavedAudio.count) segments could not be written to '\(folder.path)' (\(failure?.message ?? "write failed")). \
                Recording stopped; free space and run `hark sessions show \(manifest.id)`.
                """)
        }
        return (manifest.segments[id - 1], failure)
    }

    /// Appends converted audio to the full recording when one is kept.
    func appendRecording(_ samples: [Float]) -> HarkError? {
        guard let recording, !recordingFailed else { return nil }
        do {
            try samples.withUnsafeBufferPointer { try recording.append($0) }
            return nil
        } catch {
            recordingFailed = true
            return error as? HarkError
        }
    }

    func noteModeChange(_ mode: VADMode, at time: Double) -> HarkError? {
        manifest.vadModes.append(.init(time: time, mode: mode))
        return writeManifest()
    }

    func noteProgress(duration: Double, droppedFrames: Int) {
        manifest.duration = duration
        manifest.droppedFrames = droppedFrames
    }

    /// Final retry of unsaved segments, then the closing manifest.
    func finish(duration: Double, droppedFrames: Int, reason: RecordingSummary.StopReason, now: Date = Date())
        -> (RecordingSummary, HarkError?) {
        retryUnsaved()
        recording = nil
        manifest.duration = duration
        manifest.droppedFrames = droppedFrames
        manifest.state = .stopped
        manifest.stoppedAt = now
        manifest.stopReason = reason
        let error = writeManifest()
        let summary = RecordingSummary(
            sessionID: manifest.id, sessionPath: folder.path, duration: duration,
            segmentCount: manifest.segments.count,
            unsavedSegmentCount: manifest.segments.filter { $0.state == .unsaved }.count,
            droppedFrames: droppedFrames, stopReason: reason)
        return (summary, error)
    }

    private func retryUnsaved() {
        for id in unsavedAudio.keys.sorted() {
            guard let bytes = unsavedAudio[id] else { continue }
            let record = manifest.segments[id - 1]
            guard (try? fileSystem.writeAtomically(bytes, to: folder.appendingPathComponent(record.file))) != nil else {
                return
            }
            unsavedAudio[id] = nil
            manifest.segments[id - 1].state = .saved
        }
    }

    /// Gives the folder up to other owners (the recording and its transcriptions are over),
    /// once the search index holds the final manifest.
    func releaseLock() async {
        archiveUpdates?.changed()
        await archiveUpdates?.flush()
        lock?.release()
    }

    /// Rewrites `session.json`; on failure the previous version stays whole on disk.
    @discardableResult
    func writeManifest() -> HarkError? {
        do {
            try fileSystem.writeAtomically(try Self.encode(manifest), to: folder.appendingPathComponent(SessionManifest.fileName))
            return nil
        } catch {
            return error as? HarkError ?? HarkError(.writeFailed, "\(error)")
        }
    }
}
