import Foundation
import HarkCore

/// The durable transcription queue of one session: each saved segment is marked `queued` in the
/// manifest, handed to the worker pool, marked `running`, then `done` (text, transcript files
/// rewritten) or `failed` (reason). Events: `transcriptionQueued` when queued;
/// `transcriptionComplete`/`transcriptionFailed` in the order results arrive — segment order with
/// one worker, completion order with several.
actor SessionTranscriber {
    let store: SessionStore
    let pool: TranscriptionWorkerPool
    private let events: EventBroadcaster
    private var queuedAt: [Int: ContinuousClock.Instant] = [:]
    private var inFlight = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Segments waiting for an unavailable remote service, with how often it has failed them.
    private var unavailableCount: [Int: Int] = [:]
    private var retries: [Int: Task<Void, Never>] = [:]

    init(store: SessionStore, pool: TranscriptionWorkerPool, events: EventBroadcaster) {
        self.store = store
        self.pool = pool
        self.events = events
    }

    /// Queues a saved segment (not one already done, unless `again`).
    func enqueue(_ segment: SegmentRecord, again: Bool = false) async {
        guard segment.state == .saved, again || segment.transcription?.state != .done else { return }
        let attempts = again ? 0 : segment.transcription?.attempts ?? 0
        report(await store.setTranscription(TranscriptionRecord(state: .queued, attempts: attempts), forSegment: segment.id))
        events.publish(.transcriptionQueued(.init(segmentID: segment.id)))
        queuedAt[segment.id] = .now
        let file = store.folder.appendingPathComponent(segment.file).path
        if await pool.submit(WorkerJob(id: segment.id, file: file)) {
            inFlight += 1
        }
        // Refused (queue full or shutting down): it stays `queued` on disk for the next run.
    }

    /// Collects results until the pool's stream ends.
    func run() async {
        for await (job, outcome) in pool.results {
            await handle(job, outcome)
        }
        for retry in retries.values { retry.cancel() }
        retries.removeAll()
    }

    private func handle(_ job: WorkerJob, _ outcome: WorkerOutcome) async {
        let id = job.id
        switch outcome {
        case .started:
            report(await store.setTranscription(TranscriptionRecord(state: .running, attempts: job.attempts + 1), forSegment: id))
            return
        case .transcribed(let reply):
            let text = reply.isSilence == true ? "" : (reply.text ?? "")
            report(await store.setTranscription(
                TranscriptionRecord(state: .done, attempts: job.attempts + 1, text: text, segments: reply.segments), forSegment: id))
            report(await store.writeTranscripts())
            let latency = queuedAt[id].map { (ContinuousClock.now - $0).inSeconds }
            events.publish(.transcriptionComplete(.init(segmentID: id, text: text, latency: latency)))
        case .unavailable(let reason):
            await retryLater(job, reason: reason)
            return
        case .interrupted:
            // Stopped before it finished: queued again on disk for the next run.
            report(await store.setTranscription(TranscriptionRecord(state: .queued, attempts: job.attempts), forSegment: id))
        case .failed(let reason, _):
            report(await store.setTranscription(
                TranscriptionRecord(state: .failed, attempts: max(1, job.attempts), error: reason), forSegment: id))
            events.publish(.transcriptionFailed(.init(segmentID: id, reason: reason, attempts: max(1, job.attempts))))
        }
        queuedAt[id] = nil
        unavailableCount[id] = nil
        retries[id] = nil
        inFlight = max(0, inFlight - 1)
        if inFlight == 0 { for waiter in idleWaiters { waiter.resume() }; idleWaiters.removeAll() }
    }

    /// The service is down: the segment goes back to `queued` (its attempts unspent) and is handed
    /// to the pool again after a backoff of 1, 2, 4 … 30 s. It counts as pending, so `drain` waits
    /// for it; if the recorder stops first, it stays queued on disk for `hark resume`.
    private func retryLater(_ job: WorkerJob, reason: String) async {
        let failures = (unavailableCount[job.id] ?? 0) + 1
        unavailableCount[job.id] = failures
        let delay = Duration.seconds(min(30, 1 << min(failures - 1, 5)))
        report(await store.setTranscription(TranscriptionRecord(state: .queued, attempts: job.attempts, error: reason),
                                            forSegment: job.id))
        if failures == 1 || failures.isMultiple(of: 10) {
            report(HarkError(.remoteUnavailable, "Segment \(job.id) waits for the transcription service: \(reason)"))
        }
        let pool = pool
        retries[job.id] = Task {
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            if await !pool.submit(job) { self.gaveUp(job.id) }
        }
    }

    /// The pool refused a retry (it is shutting down): the segment stays queued on disk.
    private func gaveUp(_ id: Int) {
        retries[id] = nil
        queuedAt[id] = nil
        unavailableCount[id] = nil
        inFlight = max(0, inFlight - 1)
        if inFlight == 0 { releaseWaiters() }
    }

    /// Waits until every queued segment has a result, or `timeout` passes (the rest stay queued).
    func drain(timeout: Duration?) async {
        guard inFlight > 0 else { return }
        let timer = timeout.map { timeout in
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.releaseWaiters()
            }
        }
        await withCheckedContinuation { idleWaiters.append($0) }
        timer?.cancel()
    }

    private func releaseWaiters() {
        for waiter in idleWaiters { waiter.resume() }
        idleWaiters.removeAll()
    }

    private func report(_ error: HarkError?) {
        guard let error else { return }
        events.publish(.recorderError(.init(code: error.code, message: error.message, fatal: false)))
    }
}
