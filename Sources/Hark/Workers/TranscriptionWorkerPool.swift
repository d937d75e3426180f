import Foundation
import HarkCore
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

extension WorkerPoolConfiguration {
    var environmentUpdates: [Environment.Key: String?] {
        var updates: [Environment.Key: String?] = [:]
        for (key, value) in environment { updates[Environment.Key(stringLiteral: key)] = value }
        return updates
    }
}

/// One file to transcribe, as the pool queues it.
public struct WorkerJob: Sendable, Hashable {
    /// Unique among the pool's jobs; results carry it back.
    public var id: Int
    /// The audio file's path.
    public var file: String
    /// Attempts already made (workers that crashed or hung on it).
    public var attempts = 0
    /// Best effort (a partial transcript): taken only by a worker that is idle at once, never
    /// queued; stopped when an ordinary job needs its worker; not retried.
    public var isPartial = false
    /// Replaces the pool's `options` for this job.
    public var options: TranscriptionOptions?
    /// A job for `file`; `options` nil takes the pool's.
    public init(id: Int, file: String, isPartial: Bool = false, options: TranscriptionOptions? = nil) {
        self.id = id
        self.file = file
        self.isPartial = isPartial
        self.options = options
    }
}

/// What became of a job, as `TranscriptionWorkerPool.results` reports it.
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

/// Transcription workers — processes, or engines in this process (`WorkerPoolConfiguration.Workers`) —
/// started lazily (on the first job, or earlier by `prepare`) and restarted
/// when they die or hang, fed from one bounded queue. Results arrive on `results` in completion order.
///
/// The decisions are `WorkerPoolStateMachine`'s; this actor keeps what cannot be a value — the
/// processes, the slots' tasks and continuations, the results stream — and carries its actions out.
public actor TranscriptionWorkerPool {
    /// The configuration, `automatic` already decided.
    public nonisolated let configuration: WorkerPoolConfiguration
    /// Bounded by `queueLimit` + workers: every result answers a submitted job.
    public nonisolated let results: AsyncStream<(job: WorkerJob, outcome: WorkerOutcome)>
    private let continuation: AsyncStream<(job: WorkerJob, outcome: WorkerOutcome)>.Continuation
    private var machine: WorkerPoolStateMachine
    /// A slot's worker while it runs: its process id (none in process), the inbox its
    /// conversation reads (cancels for the running job are posted there: only the conversation
    /// writes to the worker), and how to ask it to stop.
    private var processes: [Int: (pid: Int32?, inbox: LineInbox, terminate: @Sendable () -> Void)] = [:]
    private var waiters: [Int: CheckedContinuation<WorkerJob?, Never>] = [:]
    private var slots: [Int: Task<Void, Never>] = [:]
    /// The text of the last ordinary job transcribed (`conditionOnPreviousText`).
    private var previousText: String?
    /// Cancels for a slot's running job, written by its conversation at its next wake.
    private var pendingCancels: [Int: [Int]] = [:]

    /// A pool of `configuration`'s workers; none starts before the first job (or `prepare`).
    /// `automatic` workers are decided here (see `WorkerPoolConfiguration.Workers`).
    public init(configuration: WorkerPoolConfiguration) {
        let configuration = configuration.resolved()
        self.configuration = configuration
        machine = WorkerPoolStateMachine(settings: .init(
            size: configuration.size, queueLimit: configuration.queueLimit, maxAttempts: configuration.maxAttempts,
            recoveryInterval: configuration.recoveryInterval, restartBackoff: configuration.restartBackoff))
        (results, continuation) = AsyncStream.makeStream()
    }

    /// Queues `job`; false when the in-memory queue is full or the pool is shutting down, and for
    /// a partial job when no worker is idle.
    @discardableResult
    public func submit(_ job: WorkerJob) -> Bool {
        guard let actions = machine.submit(job, now: .now) else { return false }
        perform(actions)
        return true
    }

    /// Starts the workers now if they are not running, so that they load their models while
    /// there is nothing for them yet (the recorder calls this when it first hears speech).
    public func prepare() {
        perform(machine.prepare())
    }

    /// Takes a job out of the queue if no worker has it yet: true, and no result will come for it.
    /// A job a worker is running is asked to stop early: false, and its outcome still comes (a
    /// `cancelled` failure, or its result if it finished first).
    public func cancel(jobID: Int) -> Bool {
        let (removed, actions) = machine.cancel(jobID: jobID)
        perform(actions)
        return removed
    }

    /// Jobs queued or running.
    public var outstanding: Int { machine.outstanding }

    /// Whether a partial job submitted now would start (a ready worker is idle).
    public var canStartPartial: Bool { machine.canStartPartial }

    /// The running workers' process ids (for diagnostics and fault tests).
    public var workerProcessIdentifiers: [Int32] { processes.keys.sorted().compactMap { processes[$0]?.pid } }

    /// Workers running now (processes or in this process).
    public var runningWorkers: Int { processes.count }

    /// Stops the workers (closing their input; killing any still running a job after a grace
    /// period). Queued jobs are dropped here: the caller's durable queue still has them.
    public func shutdown() async {
        perform(machine.shutdown())
        // Workers on a job are told to stop, and killed if they have not after two seconds.
        let busy = processes.values.compactMap(\.pid)
        for worker in processes.values { worker.terminate() }
        let reaper = Task {
            try? await Task.sleep(for: .seconds(2))
            // Only workers whose conversation still runs: an ended one may be reaped and its pid reused.
            let running = Set(self.processes.values.compactMap(\.pid))
            for pid in busy where running.contains(pid) { kill(pid, SIGKILL) }
            // A worker in this process cannot be killed: its conversation is ended (the job is
            // `interrupted`, as a killed process's), its thread left to finish.
            for worker in self.processes.values where worker.pid == nil { await worker.inbox.finish() }
        }
        let tasks = Array(slots.values)
        for slot in tasks { slot.cancel() }
        for slot in tasks { await slot.value }
        reaper.cancel()
        continuation.finish()
    }

    private func perform(_ actions: WorkerPoolStateMachine.Actions) {
        if !actions.startSlots.isEmpty {
            // The pool writes to its workers' stdin: a write racing a worker's death would raise
            // SIGPIPE, whose default ends the whole process. Ignored, the write fails (EPIPE) and
            // the slot sees the worker gone.
            signal(SIGPIPE, SIG_IGN)
            for slot in actions.startSlots { slots[slot] = Task { [weak self] in await self?.runSlot(slot) } }
        }
        for result in actions.results {
            if case .transcribed(let transcript) = result.outcome, !result.job.isPartial, !transcript.isSilence, !transcript.text.isEmpty {
                previousText = transcript.text
            }
            continuation.yield(result)
        }
        for (slot, job) in actions.wake { waiters.removeValue(forKey: slot)?.resume(returning: job) }
        for (slot, jobID) in actions.cancels {
            guard let inbox = processes[slot]?.inbox else { continue }
            // Noted here at once, so that an answer read meanwhile cannot leave it unsent; the
            // inbox only wakes the conversation. A cancel that reaches the worker after its answer
            // names an id it no longer runs, and is ignored.
            pendingCancels[slot, default: []].append(jobID)
            Task { await inbox.requestCancel(jobID) }
        }
    }

    // MARK: - Slots

    private func nextJob(for slot: Int) async -> WorkerJob? {
        switch machine.nextJob(for: slot) {
        case .job(let job, let actions):
            perform(actions)
            return job
        case .stop:
            return nil
        case .wait:
            return await withCheckedContinuation { waiters[slot] = $0 }
        }
    }

    /// Runs workers in `slot` one after another until the pool stops. A worker that never got
    /// ready counts as a failed start: the next waits `restartBackoff`, doubled each time, and
    /// after `maxAttempts` in a row transcription is disabled (the machine's `disable`).
    private func runSlot(_ slot: Int) async {
        defer {
            machine.slotEnded(slot)
            slots[slot] = nil
        }
        var failedStarts = 0
        while machine.wantsWorkers && !Task.isCancelled {
            let ended: WorkerEnd
            do {
                ended = try await runWorker(slot)
            } catch {
                ended = .notReady(HarkError(.transcriptionUnavailable, "The transcription worker '\(configuration.workerName)' could not be started (\(error))."))
            }
            machine.workerEnded(slot)
            switch ended {
            case .exited:
                failedStarts = 0
            case .fatal(let error):
                perform(machine.fatal(error, now: .now))
                return
            case .notReady(let error):
                failedStarts += 1
                switch machine.startFailed(slot, error, failedStarts: failedStarts, now: .now) {
                case .retry(let pause):
                    try? await Task.sleep(for: pause)
                case .disabled(let actions):
                    perform(actions)
                    return
                }
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
        switch configuration.launch {
        case .process(let executable, let arguments, let ownExecutable):
            if ownExecutable, !HarkWorker.isAvailable {
                // Started without the entry, the app would run again as itself, not as a worker.
                return .fatal(HarkWorker.entryMissing)
            }
            return try await runProcess(slot, executable: executable, arguments: arguments,
                                        environment: ownExecutable ? [HarkWorker.environmentKey: "1"] : [:])
        case .inProcess(_, let make):
            return await runInProcess(slot, engine: make())
        }
    }

    /// A worker in this process: the same protocol over memory (`InProcessWorker`), so that its
    /// jobs, cancels, timeouts and failures go through the conversation processes have.
    private func runInProcess(_ slot: Int, engine: any TranscriptionEngine) async -> WorkerEnd {
        let worker = InProcessWorker(engine: engine, modelsDirectory: configuration.modelsDirectory)
        processes[slot] = (nil, worker.inbox, { worker.stop() })
        defer { processes[slot] = nil }
        let end = await converse(slot, send: { try worker.send($0) }, finish: { worker.closeInput() }, inbox: worker.inbox) {
            worker.stop()
        }
        worker.closeInput()
        return end
    }

    private func runProcess(_ slot: Int, executable: String, arguments: [String],
                            environment: [String: String]) async throws -> WorkerEnd {
        var updates = configuration.environmentUpdates
        for (key, value) in environment { updates[Environment.Key(stringLiteral: key)] = value }
        let result = try await Subprocess.run(
            .path(FilePath(executable)), arguments: Arguments(arguments),
            environment: .inherit.updating(updates),
            input: .inputWriter, output: .sequence, error: .discarded
        ) { execution -> WorkerEnd in
            let inbox = LineInbox()
            let pid = execution.processIdentifier.value
            self.processes[slot] = (pid, inbox, { kill(pid, SIGTERM) })
            defer { self.processes[slot] = nil }
            let reader = Task {
                var framer = LineFramer()
                do {
                    for try await buffer in execution.standardOutput {
                        let bytes = buffer.withUnsafeBytes { Array($0) }
                        for item in framer.feed(bytes) { await inbox.push(item) }
                        if Task.isCancelled { break }
                    }
                } catch {}
                if let last = framer.finish() { await inbox.push(last) }
                await inbox.finish()
            }
            // A worker's death is normally seen as its output ending. But a process forked
            // elsewhere in this program at that moment can hold a copy of the pipe until it exits
            // (seen under parallel tests: a SIGKILLed worker's job waited out its timeout), so
            // its exit is looked for too — without reaping it, which Subprocess does.
            let watcher = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(500))
                    if Self.hasExited(pid) { return await inbox.finish() }
                }
            }
            let input = execution.standardInputWriter
            let end = await self.converse(slot, send: { _ = try await input.write($0) }, finish: { try? await input.finish() },
                                          inbox: inbox) {
                try? execution.send(signal: .kill)
            }
            watcher.cancel()
            // Subprocess waits for the child before `run` returns: one that outlives its
            // conversation (it said `fatal` and stayed, or stopped reading) would hold the slot,
            // and shutdown, for ever. Its input closed, it has two seconds to go, then it is
            // killed — while unreaped, its pid is still its own. (An unstructured task: a
            // cancelled slot must still wait, not spin.)
            try? await execution.standardInputWriter.finish()
            await Task { for _ in 0..<20 where !Self.hasExited(pid) { try? await Task.sleep(for: .milliseconds(100)) } }.value
            if !Self.hasExited(pid) { try? execution.send(signal: .kill) }
            // The reader must be over before this closure returns, when Subprocess closes the
            // pipe: a read still pending then would use a descriptor number that may by then name
            // another file of this process. Seen under parallel tests: the first 64 KiB of a WAV
            // another recorder had just opened were read away, and 2 s of its audio lost.
            reader.cancel()
            await reader.value
            return end
        }
        return result.closureResult
    }

    /// One worker's life after its start: `ready` (or why not), then jobs one at a time. All
    /// writes to the worker happen here, in order, while its pipes are open.
    private func converse(_ slot: Int, send: (String) async throws -> Void, finish: () async -> Void, inbox: LineInbox,
                          kill: () -> Void) async -> WorkerEnd {
        let configuration = configuration
        /// The next line before `timeout`; a cancel posted meanwhile is passed on to the worker.
        func next(within timeout: Duration) async -> LineInbox.Next {
            let deadline = ContinuousClock.now + timeout
            while true {
                let wake = await inbox.wait(timeout: deadline - .now)
                for jobID in pendingCancels.removeValue(forKey: slot) ?? [] {
                    try? await send(WorkerRequest.cancel(id: jobID).encodedLine())
                }
                if case .next(let next) = wake { return next }
            }
        }
        defer { pendingCancels[slot] = nil }
        func notReady(_ what: String) -> WorkerEnd {
            kill()
            return .notReady(HarkError(.transcriptionUnavailable, "The transcription worker '\(configuration.workerName)' \(what) before it was ready."))
        }
        // The model loads first; a worker that cannot load it says why and exits.
        switch await next(within: configuration.startTimeout) {
        case .line(let line):
            switch WorkerReply.decode(line) {
            case .ready(let version)?: self.machine.workerReady(slot, version: version)
            case .fatal(let error)?: return .fatal(error)
            default: return notReady("said '\(line.prefix(120))'")
            }
        case .oversized: return notReady("wrote a line too long to be a reply")
        case .timedOut: return notReady("took longer than \(configuration.startTimeout) to load")
        case .ended: return notReady("exited")
        }
        while let job = await self.nextJob(for: slot) {
            let request = WorkerRequest.job(WorkerJobRequest(id: job.id, file: job.file, options: self.options(for: job),
                                                             maxSeconds: configuration.maxAudioSeconds))
            do {
                try await send(request.encodedLine())
            } catch {
                self.perform(self.machine.lost(slot, reason: "the worker stopped reading"))
                return .exited
            }
            self.perform(self.machine.jobSent(job.id, to: slot))
            switch await next(within: configuration.jobTimeout) {
            case .line(let line):
                switch WorkerReply.decode(line) {
                case .result(let id, let transcript)? where id == job.id:
                    self.perform(self.machine.answered(slot, .transcribed(transcript)))
                case .failure(let id, let error)? where id == job.id:
                    self.perform(self.machine.answered(slot, error.code == .remoteUnavailable ? .unavailable(reason: error.message)
                                                                                             : .failed(reason: error.message, code: error.code)))
                default:
                    kill()
                    self.perform(self.machine.lost(slot, reason: "the worker answered out of protocol"))
                    return .exited
                }
            case .oversized(let bytes):
                // The worker is fine, the answer is not usable: the same job would give it again.
                self.perform(self.machine.answered(slot, .failed(reason: "the worker's answer (\(bytes) bytes) is longer than a reply may be",
                                                                 code: .internalFailure)))
            case .timedOut:
                kill()
                self.perform(self.machine.lost(slot, reason: "the worker took longer than \(configuration.jobTimeout)"))
                return .exited
            case .ended:
                self.perform(self.machine.lost(slot, reason: "the worker exited"))
                return .exited
            }
        }
        await finish()
        return .exited
    }

    /// A job's options, its prompt followed by the text transcribed before it when conditioning.
    private func options(for job: WorkerJob) -> TranscriptionOptions {
        var options = job.options ?? configuration.options
        if configuration.conditionOnPreviousText, let previousText {
            options.prompt = [options.prompt, previousText].compactMap { $0 }.joined(separator: " ")
        }
        return options
    }

    /// Whether child `pid` has exited, asked without reaping it (its exit status stays waitable).
    private nonisolated static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return errno == ECHILD }
        return info.si_signo == SIGCHLD
    }
}
