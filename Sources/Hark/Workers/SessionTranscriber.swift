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
    /// The speculation for the current pause, not yet known to be a segment.
    private var speculation: Speculation?
    /// Speculations that turned out to be saved segments, by job id, until their result.
    private var linked: [Int: Speculation] = [:]
    /// Speculations dropped while a worker ran them: their scratch files go when they end.
    private var abandoned: [Int: Speculation] = [:]
    private var nextSpeculationID = -1

    init(store: SessionStore, pool: TranscriptionWorkerPool, events: EventBroadcaster) {
        self.store = store
        self.pool = pool
        self.events = events
    }

    /// Queues a saved segment (not one already done, unless `again`). A live recording passes
    /// where the utterance lies in the stream (`span`), so a speculation of that very audio
    /// becomes its transcription, and when its speech ended, which latencies count from.
    func enqueue(_ segment: SegmentRecord, again: Bool = false, span: Speculation.Span? = nil,
                 speechEnded: ContinuousClock.Instant? = nil) async {
        guard segment.state == .saved, again || segment.transcription?.state != .done else { return }
        let attempts = again ? 0 : segment.transcription?.attempts ?? 0
        // Linked before the first suspension: the speculation's results, which may arrive while
        // the manifest is written, then find their segment, and the writes stay in order.
        var match: Speculation?
        if let span, var current = speculation, current.span == span {
            speculation = nil
            current.segment = segment
            inFlight += 1
            if current.outcome == nil { linked[current.jobID] = current }
            match = current
        }
        queuedAt[segment.id] = speechEnded ?? .now
        events.publish(.transcriptionQueued(.init(segmentID: segment.id)))
        let running = match.map { $0.started && $0.outcome == nil } ?? false
        report(await store.setTranscription(TranscriptionRecord(state: running ? .running : .queued,
                                                                 attempts: running ? 1 : attempts), forSegment: segment.id))
        if let match {
            if let outcome = match.outcome { await settle(match, outcome) }
            return
        }
        if await pool.submit(job(for: segment)) {
            inFlight += 1
        }
        // Refused (queue full or shutting down): it stays `queued` on disk for the next run.
    }

    /// Speech has started: the workers load their models now, while the utterance is spoken,
    /// not after it ends.
    func prepare() async {
        await pool.prepare()
    }

    /// Starts transcribing a tentative utterance while the hangover runs (see `Speculation`).
    /// A pause supersedes the previous pause's speculation, which speech proved wrong.
    func speculate(_ utterance: Utterance, sampleRate: Int) async {
        await dropSpeculation()
        let id = nextSpeculationID
        nextSpeculationID -= 1
        guard let candidate = Speculation.write(utterance, sampleRate: sampleRate, jobID: id) else { return }
        speculation = candidate   // before submitting: its first result may come before submit returns
        if await !pool.submit(WorkerJob(id: id, file: candidate.file.path)), speculation?.jobID == id {
            speculation = nil
            candidate.discard()
        }
    }

    /// Forgets the current speculation: out of the queue if no worker has it yet, else its worker
    /// is asked to stop (freeing it for the next utterance sooner) and its outcome is ignored.
    private func dropSpeculation() async {
        guard let dropped = speculation else { return }
        speculation = nil
        if dropped.outcome != nil { dropped.discard(); return }
        // Listed first: its result may arrive while the pool is asked.
        abandoned[dropped.jobID] = dropped
        if await pool.cancel(jobID: dropped.jobID) {
            abandoned[dropped.jobID] = nil
            dropped.discard()
        }
    }

    private func handleSpeculative(_ job: WorkerJob, _ outcome: WorkerOutcome) async {
        let isStart = if case .started = outcome { true } else { false }
        if let match = linked[job.id] {
            if isStart { await handle(self.job(for: match.segment!), outcome); return }
            linked[job.id] = nil
            await settle(match, outcome)
        } else if var current = speculation, current.jobID == job.id {
            if isStart { current.started = true } else { current.outcome = outcome }
            speculation = current
        } else if !isStart, let dropped = abandoned.removeValue(forKey: job.id) {
            dropped.discard()
        }
    }

    /// A linked speculation's outcome is its segment's. A transcript is kept; anything else
    /// (a crash, an outage) sends the segment the ordinary way, with its own attempts.
    private func settle(_ match: Speculation, _ outcome: WorkerOutcome) async {
        match.discard()
        let segmentJob = job(for: match.segment!)
        switch outcome {
        case .transcribed, .interrupted:
            await handle(segmentJob, outcome)
        case .failed, .unavailable, .started:
            if await !pool.submit(segmentJob) { gaveUp(segmentJob.id) }
        }
    }

    private func job(for segment: SegmentRecord) -> WorkerJob {
        WorkerJob(id: segment.id, file: store.folder.appendingPathComponent(segment.file).path)
    }

    /// Collects results until the pool's stream ends.
    func run() async {
        for await (job, outcome) in pool.results {
            if job.id < 0 {
                await handleSpeculative(job, outcome)
            } else {
                await handle(job, outcome)
            }
        }
        for retry in retries.values { retry.cancel() }
        retries.removeAll()
        for leftover in [speculation].compactMap({ $0 }) + Array(linked.values) + Array(abandoned.values) { leftover.discard() }
        speculation = nil
        linked.removeAll()
        abandoned.removeAll()
    }

    private func handle(_ job: WorkerJob, _ outcome: WorkerOutcome) async {
        let id = job.id
        switch outcome {
        case .started:
            report(await store.setTranscription(TranscriptionRecord(state: .running, attempts: job.attempts + 1), forSegment: id))
            return
        case .transcribed(let transcript):
            let text = transcript.isSilence ? "" : transcript.text
            report(await store.setTranscription(
                TranscriptionRecord(state: .done, attempts: job.attempts + 1, text: text, segments: transcript.segments), forSegment: id))
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
        await dropSpeculation()   // every segment is queued by now: a pause's guess is moot
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
