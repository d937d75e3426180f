import DequeModule
import HarkCore

/// The worker pool's logic as a value: jobs queued, running and cancelled, worker slots and their
/// starts, transcription disabled after failed starts. It takes events and returns what to do;
/// `TranscriptionWorkerPool` keeps the processes, continuations and tasks and carries it out.
/// No clocks inside: times come in as arguments, so tests run it without processes or waits.
struct WorkerPoolStateMachine {
    struct Settings: Sendable {
        var size: Int
        var queueLimit: Int
        var maxAttempts: Int
        var recoveryInterval: Duration
        var restartBackoff: Duration
    }

    /// What the pool does after an event, in this order: start slots, publish results, hand
    /// jobs to (or stop, with nil) waiting slots, write cancels to workers.
    struct Actions {
        var startSlots: [Int] = []
        var results: [(job: WorkerJob, outcome: WorkerOutcome)] = []
        var wake: [(slot: Int, job: WorkerJob?)] = []
        var cancels: [(slot: Int, jobID: Int)] = []
    }

    enum NextJob {
        case job(WorkerJob, Actions)
        /// Nothing queued: the slot waits until an event wakes it.
        case wait
        case stop
    }

    enum StartFailure {
        /// Try the next worker after this pause.
        case retry(after: Duration)
        /// Transcription is off; the slot ends.
        case disabled(Actions)
    }

    private struct Worker {
        var version = 1    // from its `ready`: cancels need 2
        var sent: Int?     // the job it was sent, until its answer
    }

    let settings: Settings
    private(set) var stopping = false
    private var pending: Deque<WorkerJob> = []
    private var waiting: [Int] = []              // slots waiting for a job, newest last
    private var running: [Int: WorkerJob] = [:]  // slot → job
    private var workers: [Int: Worker] = [:]     // slot → its worker, while one runs
    private var cancelled: Set<Int> = []         // running jobs asked to stop
    private var liveSlots: Set<Int> = []
    private var nextSlot = 0
    private var disabled: (error: HarkError, since: ContinuousClock.Instant)?

    init(settings: Settings) {
        self.settings = settings
    }

    /// Jobs queued or running.
    var outstanding: Int { pending.count + running.count }

    /// Whether a partial job would start now: a ready worker idle, nothing queued.
    var canStartPartial: Bool { !stopping && disabled == nil && pending.isEmpty && !waiting.isEmpty }

    /// Whether slots should keep workers running: not while stopping, nor while disabled.
    var wantsWorkers: Bool { !stopping && disabled == nil }

    // MARK: Callers

    /// A job to run; nil when the queue is full or the pool is stopping (the caller's durable
    /// queue keeps it). While transcription is disabled it fails at once, unless
    /// `recoveryInterval` has passed, when workers are tried again.
    ///
    /// Partial jobs yield to every other: one runs only if a ready worker is idle now (else nil:
    /// skipped, never queued), and an ordinary job that finds every worker busy stops a partial.
    mutating func submit(_ job: WorkerJob, now: ContinuousClock.Instant) -> Actions? {
        guard !stopping, pending.count < settings.queueLimit else { return nil }
        var actions = Actions()
        if job.isPartial {
            guard canStartPartial else { return nil }
            hand(job, &actions)
            return actions
        }
        if let disabled {
            guard now - disabled.since >= settings.recoveryInterval else {
                actions.results.append((job, .failed(reason: disabled.error.message, code: disabled.error.code)))
                return actions
            }
            self.disabled = nil
        }
        actions.startSlots = startSlotsIfNone()
        hand(job, &actions)
        return actions
    }

    /// Workers start now, before there is a job (they load their models meanwhile).
    mutating func prepare() -> Actions {
        var actions = Actions()
        if !stopping && disabled == nil { actions.startSlots = startSlotsIfNone() }
        return actions
    }

    /// True when the job was still queued (it is gone, no result comes). A running job is asked
    /// to stop: its worker gets a cancel once it has the job and speaks version 2.
    mutating func cancel(jobID: Int) -> (removed: Bool, actions: Actions) {
        var actions = Actions()
        if let index = pending.firstIndex(where: { $0.id == jobID }) {
            pending.remove(at: index)
            return (true, actions)
        }
        guard let slot = running.first(where: { $0.value.id == jobID })?.key else { return (false, actions) }
        cancelled.insert(jobID)
        if workers[slot]?.sent == jobID { appendCancel(jobID, slot, &actions) }
        return (false, actions)
    }

    /// Stops everything: queued jobs are dropped (the durable queue has them), waiting slots
    /// stop; running jobs end as their workers are stopped (`lost` then answers `interrupted`).
    mutating func shutdown() -> Actions {
        stopping = true
        pending.removeAll()
        var actions = Actions()
        actions.wake = waiting.map { ($0, nil) }
        waiting.removeAll()
        return actions
    }

    // MARK: Slots

    mutating func nextJob(for slot: Int) -> NextJob {
        if stopping || disabled != nil { return .stop }
        guard let job = pending.popFirst() else {
            waiting.append(slot)
            return .wait
        }
        var actions = Actions()
        take(job, in: slot, &actions)
        return .job(job, actions)
    }

    mutating func workerReady(_ slot: Int, version: Int) {
        workers[slot] = Worker(version: version)
    }

    /// The job was written to the slot's worker; a cancel asked for meanwhile goes now.
    mutating func jobSent(_ jobID: Int, to slot: Int) -> Actions {
        workers[slot]?.sent = jobID
        var actions = Actions()
        if cancelled.contains(jobID) { appendCancel(jobID, slot, &actions) }
        return actions
    }

    /// The slot's worker answered its job. A job stopped by the shutdown (an in-process
    /// worker's answers `cancelled`; a process is killed) is `interrupted`, as a lost one is.
    mutating func answered(_ slot: Int, _ outcome: WorkerOutcome) -> Actions {
        workers[slot]?.sent = nil
        var actions = Actions()
        guard let job = running.removeValue(forKey: slot) else { return actions }
        let askedToStop = cancelled.remove(job.id) != nil
        if stopping, !askedToStop, !job.isPartial, case .failed(_, .cancelled?) = outcome {
            actions.results.append((job, .interrupted))
        } else {
            actions.results.append((job, outcome))
        }
        return actions
    }

    /// The slot's job lost its worker (crash, hang, garbage): tried again elsewhere, or failed
    /// after `maxAttempts`; a cancelled one is not retried, and while stopping it is `interrupted`.
    mutating func lost(_ slot: Int, reason: String) -> Actions {
        workers[slot]?.sent = nil
        var actions = Actions()
        guard var job = running.removeValue(forKey: slot) else { return actions }
        if cancelled.remove(job.id) != nil {
            actions.results.append((job, .failed(reason: "cancelled", code: .cancelled)))
        } else if job.isPartial {
            actions.results.append((job, .failed(reason: reason, code: .cancelled)))   // superseded by the next one anyway
        } else if stopping {
            actions.results.append((job, .interrupted))
        } else {
            job.attempts += 1
            if job.attempts >= settings.maxAttempts {
                actions.results.append((job, .failed(reason: "\(reason) (\(job.attempts) attempts)")))
            } else {
                hand(job, &actions)
            }
        }
        return actions
    }

    mutating func workerEnded(_ slot: Int) {
        workers[slot] = nil
    }

    /// A worker of `slot` never got ready, the `failedStarts`-th time in a row.
    mutating func startFailed(_ slot: Int, _ error: HarkError, failedStarts: Int, now: ContinuousClock.Instant) -> StartFailure {
        guard failedStarts >= settings.maxAttempts else {
            return .retry(after: settings.restartBackoff * (1 << min(failedStarts - 1, 6)))
        }
        let reason = HarkError(error.code, "\(error.message) Transcription is off after \(failedStarts) failed starts; it is tried again on a later job.")
        return .disabled(disable(reason, now: now))
    }

    /// A worker said it cannot work (`fatal`: no model, a corrupt one).
    mutating func fatal(_ error: HarkError, now: ContinuousClock.Instant) -> Actions {
        disable(error, now: now)
    }

    mutating func slotEnded(_ slot: Int) {
        liveSlots.remove(slot)
        waiting.removeAll { $0 == slot }
    }

    // MARK: -

    private mutating func startSlotsIfNone() -> [Int] {
        guard liveSlots.isEmpty else { return [] }
        let slots = (0..<max(1, settings.size)).map { nextSlot + $0 }
        nextSlot += slots.count
        liveSlots.formUnion(slots)
        return slots
    }

    private mutating func hand(_ job: WorkerJob, _ actions: inout Actions) {
        if let slot = waiting.popLast() {
            // Running from here, not from when the slot resumes: a cancel meanwhile finds it.
            take(job, in: slot, &actions)
            actions.wake.append((slot, job))
        } else {
            pending.append(job)
            preemptPartial(&actions)
        }
    }

    /// A job waits while a partial holds a worker: that partial is stopped (one per waiting job).
    private mutating func preemptPartial(_ actions: inout Actions) {
        let partials = running.filter { $0.value.isPartial && !cancelled.contains($0.value.id) }
        guard let (slot, partial) = partials.min(by: { $0.key < $1.key }) else { return }
        cancelled.insert(partial.id)
        if workers[slot]?.sent == partial.id { appendCancel(partial.id, slot, &actions) }
    }

    private mutating func take(_ job: WorkerJob, in slot: Int, _ actions: inout Actions) {
        running[slot] = job
        actions.results.append((job, .started))
    }

    private func appendCancel(_ jobID: Int, _ slot: Int, _ actions: inout Actions) {
        // A version 1 worker would answer the line with an id-less error, taken for the next
        // job's answer: it runs the job to its end instead.
        guard let worker = workers[slot], worker.version >= 2 else { return }
        actions.cancels.append((slot, jobID))
    }

    /// Every job fails with `error` until `recoveryInterval` has passed; waiting slots stop.
    private mutating func disable(_ error: HarkError, now: ContinuousClock.Instant) -> Actions {
        if disabled == nil { disabled = (error, now) }
        var actions = Actions()
        for (slot, job) in running.sorted(by: { $0.key < $1.key }) {
            running[slot] = nil
            cancelled.remove(job.id)
            actions.results.append((job, .failed(reason: error.message, code: error.code)))
        }
        while let job = pending.popFirst() { actions.results.append((job, .failed(reason: error.message, code: error.code))) }
        actions.wake = waiting.map { ($0, nil) }
        waiting.removeAll()
        return actions
    }
}
