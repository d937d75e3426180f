import Foundation
import HarkCore

/// Finishes what an earlier run left in a session: closes a manifest still marked "recording"
/// (the recorder was killed) and transcribes every saved segment that is not done — queued,
/// running when the run died, failed, or never queued.
public enum SessionResume {
    /// What a resume left behind, counted over all of the session's segments.
    public struct Outcome: Sendable {
        /// Segments whose transcription is done, earlier ones included.
        public var transcribed: Int
        /// Segments whose transcription failed.
        public var failed: Int
        /// The session's manifest as the resume left it.
        public var manifest: SessionManifest
    }

    /// Resumes the session at `folder`, reporting events to `events` (if given). Returns when
    /// every segment has a result or `timeout` passes. Throws `sessionBusy` while another process
    /// holds the session, and `modelMissing` when `workers` have no model to load.
    /// With `again`, every segment is transcribed anew (`hark retranscribe`, e.g. with another model).
    public static func resume(folder: URL, workers: WorkerPoolConfiguration, timeout: Duration? = nil,
                              retryFailed: Bool = true, again: Bool = false,
                              events handler: (@Sendable (RecorderEvent) -> Void)? = nil) async throws -> Outcome {
        // Without its model nothing could be transcribed: said before any segment is touched.
        if let problem = workers.unavailability() { throw problem }
        let store = try SessionStore.open(folder: folder)   // sessionBusy while another process records it
        let broadcaster = EventBroadcaster()
        let forwarding = handler.map { handler in
            let stream = broadcaster.subscribe()
            return Task { for try await event in stream { handler(event) } }
        }
        _ = try await OpenUtteranceRecovery.recover(store)
        if let error = await store.closeInterrupted() { throw error }
        let pool = TranscriptionWorkerPool(configuration: workers)
        let transcriber = SessionTranscriber(store: store, pool: pool, events: broadcaster)
        let collector = Task { await transcriber.run() }
        for segment in await store.manifest.segments where again || segment.transcription?.state != .done {
            if segment.transcription?.state == .failed && !retryFailed && !again { continue }
            await transcriber.enqueue(segment, again: again)
        }
        await transcriber.drain(timeout: timeout)
        await pool.shutdown()
        await collector.value
        broadcaster.finish()
        _ = await forwarding?.result
        await store.releaseLock()
        let manifest = await store.manifest
        return Outcome(transcribed: manifest.segments.filter { $0.transcription?.state == .done }.count,
                       failed: manifest.segments.filter { $0.transcription?.state == .failed }.count,
                       manifest: manifest)
    }

    /// Every session under `root` (but `excluding`) with segments whose transcription an earlier
    /// run queued but never finished, resumed one after another. Failures stay in the manifests;
    /// a session another process records (or resumes) is left to it.
    static func finishEarlierSessions(under root: URL, excluding current: URL, workers: WorkerPoolConfiguration) async {
        guard let sessions = try? SessionLibrary(root: root).list() else { return }
        for manifest in sessions where !Task.isCancelled {
            let folder = root.appendingPathComponent(manifest.id, isDirectory: true)
            guard folder.standardizedFileURL != current.standardizedFileURL,
                  manifest.segments.contains(where: { $0.state == .saved && [.queued, .running].contains($0.transcription?.state) })
            else { continue }
            // A session another process owns makes `resume` throw `sessionBusy`: skipped here.
            _ = try? await resume(folder: folder, workers: workers, retryFailed: false)
        }
    }
}
