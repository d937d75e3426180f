import Foundation
import HarkCore

/// Finishes what an earlier run left in a session: closes a manifest still marked "recording"
/// (the recorder was killed) and transcribes every saved segment that is not done — queued,
/// running when the run died, failed, or never queued.
public enum SessionResume {
    public struct Outcome: Sendable {
        public var transcribed: Int
        public var failed: Int
        public var manifest: SessionManifest
    }

    /// Resumes the session at `folder`, reporting events to `events` (if given). Returns when
    /// every segment has a result or `timeout` passes.
    public static func resume(folder: URL, workers: WorkerPoolConfiguration, timeout: Duration? = nil,
                              retryFailed: Bool = true,
                              events handler: (@Sendable (RecorderEvent) -> Void)? = nil) async throws -> Outcome {
        let store = try SessionStore.open(folder: folder)
        let broadcaster = EventBroadcaster()
        let forwarding = handler.map { handler in
            let stream = broadcaster.subscribe()
            return Task { for try await event in stream { handler(event) } }
        }
        if let error = await store.closeInterrupted() { throw error }
        let pool = TranscriptionWorkerPool(configuration: workers)
        let transcriber = SessionTranscriber(store: store, pool: pool, events: broadcaster)
        let collector = Task { await transcriber.run() }
        for segment in await store.manifest.segments where segment.transcription?.state != .done {
            if segment.transcription?.state == .failed && !retryFailed { continue }
            await transcriber.enqueue(segment)
        }
        await transcriber.drain(timeout: timeout)
        await pool.shutdown()
        await collector.value
        broadcaster.finish()
        _ = await forwarding?.result
        let manifest = await store.manifest
        return Outcome(transcribed: manifest.segments.filter { $0.transcription?.state == .done }.count,
                       failed: manifest.segments.filter { $0.transcription?.state == .failed }.count,
                       manifest: manifest)
    }
}
