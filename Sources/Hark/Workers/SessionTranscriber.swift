import Foundation
import HarkCore

/// The durable transcription queue of one session: each saved segment is marked `queued` in the
/// manifest, handed to the worker pool, marked `running`, then `done` (text, transcript files
/// rewritten) or `failed` (reason). Events: `transcriptionQueued` when queued;
/// `transcriptionComplete`/`transcriptionFailed` in the order results arrive — segment order with
/// one worker, completion order with several.
///
/// With partial transcripts on, it also transcribes the utterance being spoken and publishes
/// `transcriptionPartial` events, when `PartialTranscriptSchedule` says so.
///
/// The decisions are `SessionTranscriptionStateMachine`'s and `PartialTranscriptSchedule`'s; this
/// actor does their I/O in order and keeps what cannot be a value: retry timers and the drain's waiters.
actor SessionTranscriber {
    let store: SessionStore
    let pool: TranscriptionWorkerPool
    private let events: EventBroadcaster
    private var machine: SessionTranscriptionStateMachine
    private var partials: PartialTranscriptSchedule?
    private var retries: [Int: Task<Void, Never>] = [:]
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []

    init(store: SessionStore, pool: TranscriptionWorkerPool, events: EventBroadcaster,
         partials: PartialTranscriptConfiguration? = nil, sampleRate: Int = 16_000) {
        self.store = store
        self.pool = pool
        self.events = events
        machine = SessionTranscriptionStateMachine(folder: store.folder)
        self.partials = partials.map { configuration in
            var options = pool.configuration.options
            options.beamSize = max(1, configuration.beamSize)
            options.timestamps = false
            return PartialTranscriptSchedule(settings: .init(interval: max(1, Int(configuration.interval * Double(sampleRate))),
                                                             sampleRate: sampleRate, options: options))
        }
    }

    /// Queues a saved segment (not one already done, unless `again`). A live recording passes
    /// where the utterance lies in the stream (`span`), so a speculation of that very audio
    /// becomes its transcription, and when its speech ended, which latencies count from.
    func enqueue(_ segment: SegmentRecord, again: Bool = false, span: Speculation.Span? = nil,
                 speechEnded: ContinuousClock.Instant? = nil) async {
        // Decided before the first suspension: a linked speculation's results, which may arrive
        // while the manifest is written, then find their segment, and the writes stay in order.
        let now = ContinuousClock.now
        let ended = partials?.ended(segmentID: segment.id) ?? []
        await perform(machine.enqueue(segment, again: again, span: span, speechEnded: speechEnded ?? now, now: now))
        await performPartial(ended)
    }

    /// Speech has started: the workers load their models now, while the utterance is spoken,
    /// not after it ends.
    func prepare() async {
        await pool.prepare()
    }

    /// Starts transcribing a tentative utterance while the hangover runs (see `Speculation`).
    /// A pause supersedes the previous pause's speculation, which speech proved wrong.
    func speculate(_ utterance: Utterance, sampleRate: Int, segmentID: Int) async {
        await perform(machine.dropSpeculation())
        guard let candidate = Speculation.write(utterance, sampleRate: sampleRate, jobID: machine.nextSpeculation(),
                                                segmentID: segmentID) else { return }
        await perform(machine.speculate(candidate))
    }

    /// The first quiet chunk of a pause in utterance `segmentID`: a partial of all of it is due.
    func quiet(segmentID: Int, audioStart: Int) async {
        await performPartial(partials?.quiet(segmentID: segmentID, audioStart: audioStart) ?? [])
    }

    /// The pause's speculation of utterance `segmentID` starts: it will show the text.
    func paused(segmentID: Int) {
        partials?.paused(segmentID: segmentID)
    }

    /// The open utterance `segmentID` was dropped unsaved: its speculation and partials go (the
    /// next utterance takes its id afresh).
    func discarded(segmentID: Int) async {
        await perform(machine.dropSpeculation())
        await performPartial(partials?.ended(segmentID: segmentID) ?? [])
    }

    /// Speech went on after a pause: the pause's speculation is moot, partials go on.
    func resumed() async {
        await perform(machine.dropSpeculation())
        partials?.resumed()
    }

    // MARK: Partial transcripts

    /// Whether a partial of the open utterance is due (see `PartialTranscriptSchedule`); false
    /// when partials are off. A due partial that no idle worker could take is noted as blocked.
    func partialDue(segmentID: Int, audioStart: Int, position: Int) async -> Bool {
        guard partials?.isDue(segmentID: segmentID, audioStart: audioStart, position: position) == true else { return false }
        guard await pool.canStartPartial else {
            partials?.blocked(at: position)
            return false
        }
        return true
    }

    /// Transcribes the utterance heard so far (after `partialDue` said yes).
    func transcribePartial(_ utterance: Utterance, segmentID: Int, sampleRate: Int) async {
        guard partials != nil, let bytes = try? WAVEncoder.pcm16(utterance.samples, sampleRate: sampleRate),
              let file = try? ScratchFolder.write(bytes, name: "partial-\(UUID().uuidString).wav") else { return }
        await performPartial(partials?.start(jobID: machine.nextSpeculation(), file: file, segmentID: segmentID,
                                      audioStart: utterance.audioStart, audioEnd: utterance.audioEnd) ?? [.discard(file)])
    }

    /// Partials that waited a whole interval for a worker, so far.
    var skippedPartials: Int { partials?.skipped ?? 0 }

    /// Collects results until the pool's stream ends.
    func run() async {
        for await (job, outcome) in pool.results {
            if job.isPartial {
                await performPartial(partials?.received(jobID: job.id, outcome) ?? [])
            } else {
                await perform(machine.received(job, outcome, now: .now))
            }
        }
        for retry in retries.values { retry.cancel() }
        retries.removeAll()
        await perform(machine.finish())
        await performPartial(partials?.finish() ?? [])
    }

    /// Waits until every queued segment has a result, or `timeout` passes (the rest stay queued).
    func drain(timeout: Duration?) async {
        await perform(machine.dropSpeculation())   // every segment is queued by now: a pause's guess is moot
        guard machine.inFlight > 0 else { return }
        let timer = timeout.map { timeout in
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.releaseDrain()
            }
        }
        await withCheckedContinuation { drainWaiters.append($0) }
        timer?.cancel()
    }

    private func perform(_ actions: [SessionTranscriptionStateMachine.Action]) async {
        for action in actions {
            switch action {
            case .write(let record, let segment):
                report(await store.setTranscription(record, forSegment: segment))
            case .writeTranscripts:
                report(await store.writeTranscripts())
            case .publish(let event):
                events.publish(event)
            case .report(let error):
                report(error)
            case .submit(let job):
                let accepted = await pool.submit(job)
                await perform(machine.submitted(job, accepted: accepted))
            case .cancel(let jobID):
                let removed = await pool.cancel(jobID: jobID)
                await perform(machine.cancelAnswered(jobID: jobID, removed: removed))
            case .discard(let file):
                try? FileManager.default.removeItem(at: file)
            case .retry(let job, let delay):
                retries[job.id] = Task { [weak self] in
                    try? await Task.sleep(for: delay)
                    guard !Task.isCancelled else { return }
                    await self?.retryDue(job)
                }
            case .settled:
                releaseDrain()
            case .tentativeFinal(let segmentID, let span, let transcript):
                await performPartial(partials?.tentativeFinal(segmentID: segmentID, audioStart: span.audioStart,
                                                       audioEnd: span.audioEnd, transcript) ?? [])
            }
        }
    }

    private func performPartial(_ actions: [PartialTranscriptSchedule.Action]) async {
        for action in actions {
            switch action {
            case .submit(let job):
                let accepted = await pool.submit(job)
                await performPartial(partials?.submitted(jobID: job.id, accepted: accepted) ?? [])
            case .cancel(let jobID):
                // A partial never waits in the queue, so it is running: its outcome comes.
                _ = await pool.cancel(jobID: jobID)
            case .discard(let file):
                try? FileManager.default.removeItem(at: file)
            case .publish(let partial):
                events.publish(.transcriptionPartial(partial))
            }
        }
    }

    private func retryDue(_ job: WorkerJob) async {
        retries[job.id] = nil
        await perform([.submit(job)])
    }

    private func releaseDrain() {
        for waiter in drainWaiters { waiter.resume() }
        drainWaiters.removeAll()
    }

    private func report(_ error: HarkError?) {
        guard let error else { return }
        events.publish(.recorderError(.init(code: error.code, message: error.message, fatal: false)))
    }
}
