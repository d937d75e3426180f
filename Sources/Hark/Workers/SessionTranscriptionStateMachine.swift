import Foundation
import HarkCore

/// The durable transcription queue's logic as a value: which segments are in flight, the pause's
/// speculation and what became of it, retries while a remote service is down. It takes events and
/// returns actions; `SessionTranscriber` does the I/O (manifest, pool, files, events) in their
/// order and feeds the pool's answers back. Times come in as arguments: no clocks inside.
struct SessionTranscriptionStateMachine {
    enum Action {
        case write(TranscriptionRecord, segment: Int)
        case writeTranscripts
        case publish(RecorderEvent)
        case report(HarkError)
        /// Hand to the pool; answer with `submitted(_:accepted:)`.
        case submit(WorkerJob)
        /// Take out of the pool; answer with `cancelAnswered(jobID:removed:)`.
        case cancel(jobID: Int)
        /// A speculation's scratch file is no longer needed.
        case discard(URL)
        /// Hand to the pool again after `after` (a service is down).
        case retry(WorkerJob, after: Duration)
        /// Nothing is in flight any more: `drain` may return.
        case settled
        /// The pause's speculation has its transcript while speech is still paused: worth showing
        /// now, as the segment's probable text (see `PartialTranscriptSchedule.tentativeFinal`).
        case tentativeFinal(segmentID: Int, span: Speculation.Span, Transcript)
    }

    /// A segment in flight: queued, running, or waiting for a retry.
    private struct Tracked {
        var queuedAt: ContinuousClock.Instant
        var unavailable = 0   // times the service was down for it
    }

    let folder: URL
    private var tracked: [Int: Tracked] = [:]
    /// The speculation for the current pause, not yet known to be a segment.
    private var speculation: Speculation?
    /// Speculations that turned out to be saved segments, by job id, until their result.
    private var linked: [Int: Speculation] = [:]
    /// Speculations dropped while a worker ran them: their scratch files go when they end.
    private var abandoned: [Int: Speculation] = [:]
    private var nextSpeculationID = -1

    init(folder: URL) {
        self.folder = folder
    }

    /// Segments still waiting for a result.
    var inFlight: Int { tracked.count }

    // MARK: Segments

    /// A saved segment to transcribe (not one already done, unless `again`). `span` says where a
    /// live utterance lies in the stream: a speculation of that very audio becomes its
    /// transcription. Latency counts from `speechEnded`.
    mutating func enqueue(_ segment: SegmentRecord, again: Bool, span: Speculation.Span?, speechEnded: ContinuousClock.Instant,
                          now: ContinuousClock.Instant) -> [Action] {
        guard segment.state == .saved, again || segment.transcription?.state != .done else { return [] }
        var match: Speculation?
        if let span, var current = speculation, current.span == span {
            speculation = nil
            current.segment = segment
            if current.outcome == nil { linked[current.jobID] = current }
            match = current
        }
        tracked[segment.id] = Tracked(queuedAt: speechEnded)
        let attempts = again ? 0 : segment.transcription?.attempts ?? 0
        let running = match.map { $0.started && $0.outcome == nil } ?? false
        var actions: [Action] = [.publish(.transcriptionQueued(.init(segmentID: segment.id))),
                                 .write(TranscriptionRecord(state: running ? .running : .queued, attempts: running ? 1 : attempts),
                                        segment: segment.id)]
        if let match {
            if let outcome = match.outcome { actions += settle(match, outcome, now: now) }
        } else {
            actions.append(.submit(job(for: segment)))
        }
        return actions
    }

    /// The pool took the job, or refused it (queue full, shutting down): a refused segment stays
    /// `queued` on disk for the next run; a refused speculation is dropped.
    mutating func submitted(_ job: WorkerJob, accepted: Bool) -> [Action] {
        guard !accepted else { return [] }
        if job.id < 0 {
            guard let current = speculation, current.jobID == job.id else { return [] }
            speculation = nil
            return [.discard(current.file)]
        }
        return untrack(job.id)
    }

    // MARK: Speculation

    /// The id for the next pause's speculation or partial transcript, whose audio the caller writes.
    mutating func nextSpeculation() -> Int {
        defer { nextSpeculationID -= 1 }
        return nextSpeculationID
    }

    /// A pause's tentative utterance, written: it supersedes the previous pause's speculation.
    mutating func speculate(_ candidate: Speculation) -> [Action] {
        var actions = dropSpeculation()
        speculation = candidate   // before submitting: its first result may come before submit returns
        actions.append(.submit(WorkerJob(id: candidate.jobID, file: candidate.file.path)))
        return actions
    }

    /// Forgets the current speculation: out of the queue if no worker has it yet, else its worker
    /// is asked to stop (freeing it for the next utterance sooner) and its outcome is ignored.
    mutating func dropSpeculation() -> [Action] {
        guard let dropped = speculation else { return [] }
        speculation = nil
        if dropped.outcome != nil { return [.discard(dropped.file)] }
        abandoned[dropped.jobID] = dropped   // listed first: its result may arrive while the pool is asked
        return [.cancel(jobID: dropped.jobID)]
    }

    mutating func cancelAnswered(jobID: Int, removed: Bool) -> [Action] {
        guard removed, let dropped = abandoned.removeValue(forKey: jobID) else { return [] }
        return [.discard(dropped.file)]
    }

    // MARK: Results

    /// An outcome from the pool, for a segment (id ≥ 1) or a speculation (id < 0).
    mutating func received(_ job: WorkerJob, _ outcome: WorkerOutcome, now: ContinuousClock.Instant) -> [Action] {
        job.id < 0 ? receivedSpeculative(job, outcome, now: now) : handle(job, outcome, now: now)
    }

    /// The pool's stream ended: every scratch file goes.
    mutating func finish() -> [Action] {
        let leftovers = [speculation].compactMap { $0 } + Array(linked.values) + Array(abandoned.values)
        speculation = nil
        linked.removeAll()
        abandoned.removeAll()
        return leftovers.map { .discard($0.file) }
    }

    private mutating func receivedSpeculative(_ job: WorkerJob, _ outcome: WorkerOutcome, now: ContinuousClock.Instant) -> [Action] {
        let isStart = if case .started = outcome { true } else { false }
        if let match = linked[job.id], let segment = match.segment {
            if isStart { return handle(self.job(for: segment), outcome, now: now) }
            linked[job.id] = nil
            return settle(match, outcome, now: now)
        }
        if var current = speculation, current.jobID == job.id {
            if isStart { current.started = true } else { current.outcome = outcome }
            speculation = current
            guard case .transcribed(let transcript) = outcome else { return [] }
            return [.tentativeFinal(segmentID: current.segmentID, span: current.span, transcript)]
        }
        if !isStart, let dropped = abandoned.removeValue(forKey: job.id) { return [.discard(dropped.file)] }
        return []
    }

    /// A linked speculation's outcome is its segment's. A transcript is kept; anything else
    /// (a crash, an outage) sends the segment the ordinary way, with its own attempts.
    private mutating func settle(_ match: Speculation, _ outcome: WorkerOutcome, now: ContinuousClock.Instant) -> [Action] {
        guard let segment = match.segment else { return [.discard(match.file)] }
        let segmentJob = job(for: segment)
        switch outcome {
        case .transcribed, .interrupted:
            return [.discard(match.file)] + handle(segmentJob, outcome, now: now)
        case .failed, .unavailable, .started:
            return [.discard(match.file), .submit(segmentJob)]
        }
    }

    private mutating func handle(_ job: WorkerJob, _ outcome: WorkerOutcome, now: ContinuousClock.Instant) -> [Action] {
        let id = job.id
        var actions: [Action]
        switch outcome {
        case .started:
            return [.write(TranscriptionRecord(state: .running, attempts: job.attempts + 1), segment: id)]
        case .transcribed(let transcript):
            let text = transcript.isSilence ? "" : transcript.text
            let latency = tracked[id].map { (now - $0.queuedAt).inSeconds }
            let record = TranscriptionRecord(state: .done, attempts: job.attempts + 1, text: text, segments: transcript.segments,
                                             language: transcript.language, languageProbability: transcript.languageProbability)
            actions = [.write(record, segment: id),
                       .writeTranscripts,
                       .publish(.transcriptionComplete(.init(segmentID: id, text: text, latency: latency, language: transcript.language)))]
        case .unavailable(let reason):
            return retryLater(job, reason: reason)
        case .interrupted:
            // Stopped before it finished: queued again on disk for the next run.
            actions = [.write(TranscriptionRecord(state: .queued, attempts: job.attempts), segment: id)]
        case .failed(let reason, _):
            let attempts = max(1, job.attempts)
            actions = [.write(TranscriptionRecord(state: .failed, attempts: attempts, error: reason), segment: id),
                       .publish(.transcriptionFailed(.init(segmentID: id, reason: reason, attempts: attempts)))]
        }
        return actions + untrack(id)
    }

    /// The service is down: the segment goes back to `queued` (its attempts unspent) and is handed
    /// to the pool again after a backoff of 1, 2, 4 … 30 s. It stays in flight, so `drain` waits
    /// for it; if the recorder stops first, it stays queued on disk for `hark resume`.
    private mutating func retryLater(_ job: WorkerJob, reason: String) -> [Action] {
        let failures = (tracked[job.id]?.unavailable ?? 0) + 1
        tracked[job.id]?.unavailable = failures
        var actions: [Action] = [.write(TranscriptionRecord(state: .queued, attempts: job.attempts, error: reason), segment: job.id)]
        if failures == 1 || failures.isMultiple(of: 10) {
            actions.append(.report(HarkError(.remoteUnavailable, "Segment \(job.id) waits for the transcription service: \(reason)")))
        }
        actions.append(.retry(job, after: .seconds(min(30, 1 << min(failures - 1, 5)))))
        return actions
    }

    private mutating func untrack(_ id: Int) -> [Action] {
        guard tracked.removeValue(forKey: id) != nil else { return [] }
        return tracked.isEmpty ? [.settled] : []
    }

    private func job(for segment: SegmentRecord) -> WorkerJob {
        WorkerJob(id: segment.id, file: folder.appendingPathComponent(segment.file).path)
    }
}
