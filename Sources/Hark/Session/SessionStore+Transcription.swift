import Foundation
import HarkCore

extension SessionStore {
    /// An existing session folder, to finish what an earlier run left (`hark resume`). Locked
    /// for this store: `sessionBusy` while another process records (or resumes) it.
    static func open(folder: URL, fileSystem: any SessionFileSystem = POSIXFileSystem()) throws -> SessionStore {
        let manifest = try SessionLibrary(root: folder.deletingLastPathComponent()).load(id: folder.path)
        let lock = try SessionLock.acquire(folder)
        return SessionStore(folder: folder, manifest: manifest, fileSystem: fileSystem, maxUnsaved: 16, recording: nil, lock: lock)
    }

    /// Closes a session whose recorder was killed (its manifest still says "recording").
    func closeInterrupted(now: Date = Date()) -> HarkError? {
        guard manifest.state == .recording else { return nil }
        manifest.state = .stopped
        manifest.stoppedAt = now
        manifest.stopReason = .interrupted
        return writeManifest()
    }

    func setTranscription(_ record: TranscriptionRecord, forSegment id: Int) -> HarkError? {
        guard id >= 1, id <= manifest.segments.count else { return nil }
        manifest.segments[id - 1].transcription = record
        return writeManifest()
    }

    /// transcript.txt, .srt, .vtt and .jsonl from every finished segment, times relative to the
    /// session start; each rewritten atomically.
    func writeTranscripts() -> HarkError? {
        var lines = ""
        let encoder = JSON.encoder
        let timed = manifest.transcriptSegments
        let languages = Dictionary(manifest.segments.map { ($0.id, $0.transcription?.language) }, uniquingKeysWith: { $1 })
        for (segment, placed) in timed {
            struct Line: Encodable { var segment: Int; var start: Double; var end: Double; var text: String; var language: String?; var words: [TimedWord]? }
            let line = Line(segment: segment, start: placed.start, end: placed.end, text: placed.text,
                            language: languages[segment] ?? nil, words: placed.words)
            if let data = try? encoder.encode(line) {
                lines += String(decoding: data, as: UTF8.self) + "\n"
            }
        }
        do {
            for format in [TranscriptFormat.txt, .srt, .vtt] {
                try fileSystem.writeAtomically(Array(format.render(timed.map(\.piece)).utf8),
                                               to: folder.appendingPathComponent("transcript.\(format.rawValue)"))
            }
            try fileSystem.writeAtomically(Array(lines.utf8), to: folder.appendingPathComponent("transcript.jsonl"))
            archiveUpdates?.changed()
            return nil
        } catch {
            return error as? HarkError ?? HarkError(.writeFailed, "\(error)")
        }
    }
}
