import DequeModule
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// How transcription worker processes are run.
public struct WorkerPoolConfiguration: Sendable {
    /// The worker program: `hark` (with `arguments` ["worker"]) or anything speaking `WorkerProtocol`.
    public var executable: String
    public var arguments: [String]
    /// Added to the environment the workers inherit (a remote endpoint's token, say).
    public var environment: [String: String] = [:]
    /// Worker processes; the default fits the machine (one per two cores, at least one).
    public var size: Int = max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
    /// A job taking longer is abandoned, its worker killed and replaced, and the job retried.
    public var jobTimeout: Duration = .seconds(120)
    /// How long a new worker may take to load its model.
    public var startTimeout: Duration = .seconds(120)
    /// Attempts per job when workers crash or hang (a worker's own error is not retried); also
    /// the failed starts in a row (a worker that exits, or says anything but `ready`, before it
    /// is ready) after which transcription is disabled until `recoveryInterval` has passed.
    public var maxAttempts = 3
    /// While transcription is disabled, jobs fail at once with the reason; the first job after
    /// this long tries to start workers again, so the pool recovers once the cause is gone (a
    /// model installed, say).
    public var recoveryInterval: Duration = .seconds(10)
    /// The first pause between failed starts, doubled after each (0.2 s, 0.4 s, …).
    public var restartBackoff: Duration = .milliseconds(200)
    /// Decoded audio per job beyond this is refused by the worker (`audioTooLong`); nil: the
    /// reader's default (`AudioFile.defaultMaxSeconds`).
    public var maxAudioSeconds: Double?
    /// Jobs waiting in memory; beyond this `submit` refuses (the durable queue keeps them).
    public var queueLimit = 1024
    /// Beam 5, faster-whisper's default: on utterances cut out of a talk, greedy decoding misheard
    /// two of the fixture's four sentences that beam search got right.
    public var options = TranscriptionOptions(beamSize: 5)

    public init(executable: String, arguments: [String] = ["worker"]) {
        self.executable = executable
        self.arguments = arguments
    }
}

extension WorkerPoolConfiguration {
    var environmentUpdates: [Environment.Key: String?] {
        var updates: [Environment.Key: String?] = [:]
        for (key, value) in environment { updates[Environment.Key(stringLiteral: key)] = value }
        return updates
    }
}

public struct WorkerJob: Sendable, Hashable {
    public var id: Int
    public var file: String
    public var attempts = 0
    public init(id: Int, file: String) {
        self.id = id
        self.file = file
    }
}

public enum WorkerOutcome: Sendable {
    /// A worker took the job (attempt `job.attempts + 1`).
    case started
    case transcribed(Transcript)
    case failed(reason: String, code: HarkError.Code? = nil)
    /// The worker's engine could not reach its service (remote transcription): the job is not
    /// spent, and the caller's durable queue tries it again later.
    case unavailable(reason: String)
    /// The pool shut down while the job ran; it was not attempted to the end.
    case interrupted
}

/// Worker processes, started lazily (on the first job, or earlier by `prepare`) and restarted
/// when they die or hang, fed from one bounded queue. Results arrive on `results` in completion order.
public actor TranscriptionWorkerPool {
    public nonisolated let configuration: WorkerPoolConfiguration
    /// Bounded by `queueLimit` + workers: every result answers a submitted job.
    public nonisolated let results: AsyncStream<(job: WorkerJob, outcome: WorkerOutcome)>
    private let continuation: AsyncStream<(job: WorkerJob, outcome: WorkerOutcome)>.Continuation
    private var pending: Deque<WorkerJob> = []
    private var idle: [(slot: Int, continuation: CheckedContinuation<WorkerJob?, Never>)] = []
    private var running: [Int: WorkerJob] = [:]   // slot → job
    /// A slot's worker process while it runs.
    private struct Attached {
        let pid: Int32
        let input: StandardInputWriter
        var version = 1   // from its `ready`: cancels need 2
        var sent: Int?    // the job it was sent, until its answer
    }
    private var attached: [Int: Attached] = [:]   // slot → its worker
    private var cancelled: Set<Int> = []          // running jobs asked to stop
    private var slots: [Task<Void, Never>?] = []
    private var stopping = false
    /// Transcription disabled: why, with its code, and since when.
    private var disabled: (error: HarkError, since: ContinuousClock.Instant)?
    private var settled: [CheckedContinuation<Void, Never>] = []

    public init(configuration: WorkerPoolConfiguration) {
        self.configuration = configuration
        (results, continuation) = AsyncStream.makeStream()
    }

    /// Queues `job`; false when the in-memory queue is full or the pool is shutting down.
    @discardableResult
    public func submit(_ job: WorkerJob) -> Bool {
        guard !stopping, pending.count < configuration.queueLimit else { return false }
        if let disabled {
            guard ContinuousClock.now - disabled.since >= configuration.recoveryInterval else {
                continuation.yield((job, .failed(reason: disabled.error.message, code: disabled.error.code)))
                return true
            }
            self.disabled = nil   // time to try again: the job waits for the new workers
        }
        if slots.isEmpty { startSlots() }
        hand(job)
        return true
    }

    /// Starts the workers now if they are not running, so that they load their models while
    /// there is nothing for them yet (the recorder calls this when it first hears speech).
    public func prepare() {
        if slots.isEmpty && !stopping && disabled == nil { startSlots() }
    }

    /// Takes a job out of the queue if no worker has it yet: true, and no result will come for it.
    /// A job a worker is running is asked to stop early: false, and its outcome still comes (a
    /// `cancelled` failure, or its result if it finished first).
    public func cancel(jobID: Int) -> Bool {
        if let index = pending.firstIndex(where: { $0.id == jobID }) {
            pending.remove(at: index)
            settleIfIdle()
            return true
        }
        guard let slot = running.first(where: { $0.value.id == jobID })?.key else { return false }
        cancelled.insert(jobID)
        // Not yet written to its worker: the slot sends the cancel right after the job.
        if attached[slot]?.sent == jobID { sendCancel(jobID, to: slot) }
        return false
    }

    private func sendCancel(_ jobID: Int, to slot: Int) {
        // A version 1 worker would answer the line with an id-less error, taken for the next
        // job's answer: it runs the job to its end instead.
        guard let worker = attached[slot], worker.version >= 2 else { return }
        // The slot writes nothing while it waits for this job's answer; a cancel that arrives
        // after the next job was sent names an id the worker no longer runs, and is ignored.
        let line = WorkerRequest.cancel(id: jobID).encodedLine()
        Task { _ = try? await worker.input.write(line) }
    }

    /// Jobs queued or running.
    public var outstanding: Int { pending.count + running.count }

    /// The running workers' process ids (for diagnostics and fault tests).
    public var workerProcessIdentifiers: [Int32] { attached.keys.sorted().compactMap { attached[$0]?.pid } }

    /// Waits until nothing is queued or running, or `timeout` passes. True when all settled.
    public func drain(timeout: Duration) async -> Bool {
        if outstanding == 0 { return true }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.releaseSettled()
        }
        await withCheckedContinuation { settled.append($0) }
        timer.cancel()
        return outstanding == 0
    }

    /// Stops the workers (closing their input; killing any still running a job after a grace
    /// period). Queued jobs are dropped here: the caller's durable queue still has them.
    public func shutdown() async {
        stopping = true
        pending.removeAll()
        for waiter in idle { waiter.continuation.resume(returning: nil) }
        idle.removeAll()
        // Workers on a job are told to stop, and killed if they have not after two seconds.
        let busy = attached.values.map(\.pid)
        for pid in busy { kill(pid, SIGTERM) }
        let reaper = Task {
            try? await Task.sleep(for: .seconds(2))
            for pid in busy { kill(pid, SIGKILL) }
        }
        for slot in slots { slot?.cancel() }
        for slot in slots { await slot?.value }
        reaper.cancel()
        slots.removeAll()
        continuation.finish()
        releaseSettled()
    }

    // MARK: - Slots

    private func startSlots() {
        // The pool writes to its workers' stdin: a write racing a worker's death would raise
        // SIGPIPE, whose default ends the whole process. Ignored, the write fails (EPIPE) and the
        // slot sees the worker gone.
        signal(SIGPIPE, SIG_IGN)
        for index in 0..<max(1, configuration.size) {
            slots.append(Task { [weak self] in await self?.runSlot(index) })
        }
    }

    private func hand(_ job: WorkerJob) {
        if let waiter = idle.popLast() {
            // Running from here, not from when the slot resumes: a cancel meanwhile finds it.
            take(job, in: waiter.slot)
            waiter.continuation.resume(returning: job)
        } else {
            pending.append(job)
        }
    }

    private func take(_ job: WorkerJob, in slot: Int) {
        running[slot] = job
        continuation.yield((job, .started))
    }

    private func nextJob(for slot: Int) async -> WorkerJob? {
        if stopping { return nil }
        if let job = pending.popFirst() {
            take(job, in: slot)
            return job
        }
        return await withCheckedContinuation { idle.append((slot, $0)) }
    }

    private func finished(_ slot: Int, _ outcome: WorkerOutcome) {
        guard let job = running.removeValue(forKey: slot) else { return }
        cancelled.remove(job.id)
        continuation.yield((job, outcome))
        settleIfIdle()
    }

    /// The job in `slot` lost its worker: try again elsewhere, or give up after `maxAttempts`.
    private func retry(_ slot: Int, reason: String) {
        guard var job = running.removeValue(forKey: slot) else { return }
        if cancelled.remove(job.id) != nil {
            // Its worker died before it stopped: nobody wants the job any more.
            continuation.yield((job, .failed(reason: "cancelled", code: .cancelled)))
            settleIfIdle()
            return
        }
        if stopping {
            continuation.yield((job, .interrupted))
            settleIfIdle()
            return
        }
        job.attempts += 1
        if job.attempts >= configuration.maxAttempts {
            continuation.yield((job, .failed(reason: "\(reason) (\(job.attempts) attempts)")))
            settleIfIdle()
        } else {
            pending.append(job)
        }
    }

    /// Workers cannot start (model missing or corrupt, a broken program): every job fails with
    /// the reason until `recoveryInterval` has passed. The slots end; a later job starts new ones.
    private func disable(_ error: HarkError) {
        if disabled == nil { disabled = (error, .now) }
        for (slot, _) in running { finished(slot, .failed(reason: error.message, code: error.code)) }
        while let job = pending.popFirst() { continuation.yield((job, .failed(reason: error.message, code: error.code))) }
        settleIfIdle()
    }

    private func slotEnded(_ index: Int) {
        guard index < slots.count else { return }
        slots[index] = nil
        if slots.allSatisfy({ $0 == nil }) { slots.removeAll() }
    }

    private func settleIfIdle() {
        if outstanding == 0 { releaseSettled() }
    }

    private func releaseSettled() {
        for waiter in settled { waiter.resume() }
        settled.removeAll()
    }

    /// Runs workers in `slot` one after another until the pool stops. A worker that never got
    /// ready counts as a failed start: the next waits `restartBackoff`, doubled each time, and
    /// after `maxAttempts` in a row transcription is disabled (see `disable`).
    private func runSlot(_ slot: Int) async {
        defer { slotEnded(slot) }
        var failedStarts = 0
        while !stopping && disabled == nil && !Task.isCancelled {
            let ended: WorkerEnd
            do {
                ended = try await runWorker(slot)
            } catch {
                ended = .notReady(HarkError(.transcriptionUnavailable, "The transcription worker '\(configuration.executable)' could not be started (\(error))."))
            }
            switch ended {
            case .exited:
                failedStarts = 0
            case .fatal(let error):
                disable(error)
                return
            case .notReady(let error):
                failedStarts += 1
                if failedStarts >= configuration.maxAttempts {
                    disable(HarkError(error.code, "\(error.message) Transcription is off after \(failedStarts) failed starts; it is tried again on a later job."))
                    return
                }
                try? await Task.sleep(for: configuration.restartBackoff * (1 << min(failedStarts - 1, 6)))
            }
        }
    }

    private enum WorkerEnd {
        /// It ran (and took jobs, if there were any), then ended.
        case exited
        /// It said it cannot work (`fatal`): no use starting another now.
        case fatal(HarkError)
        /// It exited, hung or said something else before `ready`.
        case notReady(HarkError)
    }

    private func runWorker(_ slot: Int) async throws -> WorkerEnd {
        let configuration = configuration
        let result = try await Subprocess.run(
            .path(FilePath(configuration.executable)), arguments: Arguments(configuration.arguments),
            environment: .inherit.updating(configuration.environmentUpdates),
            input: .inputWriter, output: .sequence, error: .discarded
        ) { execution -> WorkerEnd in
            self.attached[slot] = Attached(pid: execution.processIdentifier.value, input: execution.standardInputWriter)
            defer { self.attached[slot] = nil }
            let inbox = LineInbox()
            let reader = Task {
                var framer = LineFramer()
                do {
                    for try await buffer in execution.standardOutput {
                        let bytes = buffer.withUnsafeBytes { Array($0) }
                        for item in framer.feed(bytes) { await inbox.push(item) }
                    }
                } catch {}
                if let last = framer.finish() { await inbox.push(last) }
                await inbox.finish()
            }
            defer { reader.cancel() }
            func notReady(_ what: String) -> WorkerEnd {
                try? execution.send(signal: .kill)
                return .notReady(HarkError(.transcriptionUnavailable, "The transcription worker '\(configuration.executable)' \(what) before it was ready."))
            }
            // The model loads first; a worker that cannot load it says why and exits.
            switch await inbox.next(timeout: configuration.startTimeout) {
            case .line(let line):
                switch WorkerReply.decode(line) {
                case .ready(let version)?: self.attached[slot]?.version = version
                case .fatal(let error)?: return .fatal(error)
                default: return notReady("said '\(line.prefix(120))'")
                }
            case .oversized: return notReady("wrote a line too long to be a reply")
            case .timedOut: return notReady("took longer than \(configuration.startTimeout) to load")
            case .ended: return notReady("exited")
            }
            while let job = await self.nextJob(for: slot) {
                let request = WorkerRequest.job(WorkerJobRequest(id: job.id, file: job.file, options: configuration.options,
                                                                 maxSeconds: configuration.maxAudioSeconds))
                do {
                    _ = try await execution.standardInputWriter.write(request.encodedLine())
                } catch {
                    self.retry(slot, reason: "the worker stopped reading")
                    return .exited
                }
                self.attached[slot]?.sent = job.id
                if self.cancelled.contains(job.id) { self.sendCancel(job.id, to: slot) }
                defer { self.attached[slot]?.sent = nil }
                switch await inbox.next(timeout: configuration.jobTimeout) {
                case .line(let line):
                    switch WorkerReply.decode(line) {
                    case .result(let id, let transcript)? where id == job.id:
                        self.finished(slot, .transcribed(transcript))
                    case .failure(let id, let error)? where id == job.id:
                        self.finished(slot, error.code == .remoteUnavailable ? .unavailable(reason: error.message)
                                                                             : .failed(reason: error.message, code: error.code))
                    default:
                        try? execution.send(signal: .kill)
                        self.retry(slot, reason: "the worker answered out of protocol")
                        return .exited
                    }
                case .oversized(let bytes):
                    // The worker is fine, the answer is not usable: the same job would give it again.
                    self.finished(slot, .failed(reason: "the worker's answer (\(bytes) bytes) is longer than a reply may be",
                                                code: .internalFailure))
                case .timedOut:
                    try? execution.send(signal: .kill)
                    self.retry(slot, reason: "the worker took longer than \(configuration.jobTimeout)")
                    return .exited
                case .ended:
                    self.retry(slot, reason: "the worker exited")
                    return .exited
                }
            }
            try? await execution.standardInputWriter.finish()
            return .exited
        }
        return result.closureResult
    }
}
