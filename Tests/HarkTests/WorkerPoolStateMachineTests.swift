import HarkCore
import Testing
@testable import Hark

/// The pool's decisions without processes or clocks: events in, actions out.
@Suite struct WorkerPoolStateMachineTests {
    static func machine(size: Int = 1, queueLimit: Int = 4, maxAttempts: Int = 3) -> WorkerPoolStateMachine {
        WorkerPoolStateMachine(settings: .init(size: size, queueLimit: queueLimit, maxAttempts: maxAttempts,
                                               recoveryInterval: .seconds(10), restartBackoff: .milliseconds(200)))
    }
    static let t0 = ContinuousClock.now
    static func job(_ id: Int) -> WorkerJob { WorkerJob(id: id, file: "/f\(id)") }

    static func ids(_ results: [(job: WorkerJob, outcome: WorkerOutcome)]) -> [String] {
        results.map { result in
            switch result.outcome {
            case .started: "\(result.job.id) started"
            case .transcribed: "\(result.job.id) done"
            case .failed(let reason, let code): "\(result.job.id) failed \(code.map { "\($0)" } ?? "-") \(reason)"
            case .unavailable: "\(result.job.id) unavailable"
            case .interrupted: "\(result.job.id) interrupted"
            }
        }
    }

    @Test func theFirstJobStartsTheSlotsAndAWaitingSlotTakesTheNext() throws {
        var machine = Self.machine(size: 2)
        let firstActions = machine.submit(Self.job(1), now: Self.t0)
        let first = try #require(firstActions)
        #expect(first.startSlots == [0, 1])
        #expect(first.results.isEmpty, "queued: no slot waits yet")
        guard case .job(let job, let actions) = machine.nextJob(for: 0) else { Issue.record("slot 0 gets job 1"); return }
        #expect(job.id == 1 && Self.ids(actions.results) == ["1 started"])
        guard case .wait = machine.nextJob(for: 1) else { Issue.record("slot 1 waits"); return }
        let secondActions = machine.submit(Self.job(2), now: Self.t0)
        let second = try #require(secondActions)
        #expect(second.startSlots.isEmpty)
        #expect(second.wake.map(\.slot) == [1] && second.wake.first?.job?.id == 2)
        #expect(Self.ids(second.results) == ["2 started"])
        #expect(machine.outstanding == 2)
    }

    @Test func aFullQueueAndAStoppingPoolRefuse() {
        var machine = Self.machine(queueLimit: 2)
        let accepted = [machine.submit(Self.job(1), now: Self.t0), machine.submit(Self.job(2), now: Self.t0), machine.submit(Self.job(3), now: Self.t0)]
        #expect(accepted.map { $0 != nil } == [true, true, false])
        let stop = machine.shutdown()
        #expect(stop.wake.isEmpty)
        #expect(machine.outstanding == 0, "queued jobs dropped: the durable queue has them")
        let late = machine.submit(Self.job(4), now: Self.t0)
        #expect(late == nil)
        guard case .stop = machine.nextJob(for: 0) else { Issue.record("slots stop"); return }
    }

    @Test func aLostJobIsRetriedThenFailsAfterItsAttempts() {
        var machine = Self.machine(maxAttempts: 2)
        _ = machine.submit(Self.job(1), now: Self.t0)
        _ = machine.nextJob(for: 0)
        let requeued = machine.lost(0, reason: "the worker exited")
        #expect(requeued.results.isEmpty, "queued again")
        guard case .job(let again, _) = machine.nextJob(for: 0) else { Issue.record("retried"); return }
        #expect(again.attempts == 1)
        let spent = machine.lost(0, reason: "the worker exited")
        #expect(Self.ids(spent.results) == ["1 failed - the worker exited (2 attempts)"])
        #expect(machine.outstanding == 0)
    }

    @Test func cancelsGoOnceTheJobIsSentAndOnlyToVersionTwo() {
        var machine = Self.machine()
        _ = machine.submit(Self.job(7), now: Self.t0)
        _ = machine.submit(Self.job(8), now: Self.t0)
        let queued = machine.cancel(jobID: 8)
        #expect(queued.removed, "still queued: simply removed")
        machine.workerReady(0, version: 2)
        _ = machine.nextJob(for: 0)
        let early = machine.cancel(jobID: 7)
        #expect(!early.removed && early.actions.cancels.isEmpty, "not yet written to the worker")
        let sent = machine.jobSent(7, to: 0)
        #expect(sent.cancels.map(\.jobID) == [7], "sent right after the job")
        // Its worker dies before it stops: not retried.
        let died = machine.lost(0, reason: "the worker exited")
        #expect(Self.ids(died.results) == ["7 failed cancelled cancelled"])

        var old = Self.machine()
        _ = old.submit(Self.job(1), now: Self.t0)
        old.workerReady(0, version: 1)
        _ = old.nextJob(for: 0)
        _ = old.jobSent(1, to: 0)
        let refused = old.cancel(jobID: 1)
        #expect(refused.actions.cancels.isEmpty, "a version 1 worker would misread it")
    }

    @Test func threeFailedStartsDisableUntilTheRecoveryInterval() throws {
        var machine = Self.machine()
        _ = machine.submit(Self.job(1), now: Self.t0)
        let error = HarkError(.transcriptionUnavailable, "The worker exited before it was ready.")
        guard case .retry(let first) = machine.startFailed(0, error, failedStarts: 1, now: Self.t0),
              case .retry(let second) = machine.startFailed(0, error, failedStarts: 2, now: Self.t0) else {
            Issue.record("two retries"); return
        }
        #expect(first == .milliseconds(200) && second == .milliseconds(400))
        guard case .disabled(let actions) = machine.startFailed(0, error, failedStarts: 3, now: Self.t0) else {
            Issue.record("disabled"); return
        }
        #expect(Self.ids(actions.results).first?.hasPrefix("1 failed transcriptionUnavailable The worker exited") == true)
        #expect(!machine.wantsWorkers)
        machine.slotEnded(0)
        // Within the interval: at once, with the reason.
        let soonActions = machine.submit(Self.job(2), now: Self.t0 + .seconds(5))
        let soon = try #require(soonActions)
        #expect(Self.ids(soon.results).first?.contains("3 failed starts") == true)
        // After it: workers are tried again.
        let laterActions = machine.submit(Self.job(3), now: Self.t0 + .seconds(10))
        let later = try #require(laterActions)
        #expect(later.startSlots == [1] && later.results.isEmpty)
        #expect(machine.wantsWorkers)
    }

    @Test func aFatalWorkerFailsRunningAndQueuedJobsAndStopsWaitingSlots() {
        var machine = Self.machine(size: 2)
        _ = machine.submit(Self.job(1), now: Self.t0)
        _ = machine.submit(Self.job(2), now: Self.t0)
        _ = machine.nextJob(for: 0)
        _ = machine.nextJob(for: 1)
        _ = machine.answered(1, .interrupted)
        _ = machine.submit(Self.job(3), now: Self.t0)
        _ = machine.nextJob(for: 1)
        _ = machine.submit(Self.job(4), now: Self.t0)
        let actions = machine.fatal(HarkError(.modelMissing, "No model."), now: Self.t0)
        #expect(Self.ids(actions.results) == ["1 failed modelMissing No model.", "3 failed modelMissing No model.", "4 failed modelMissing No model."])
        #expect(machine.outstanding == 0)
        let late = machine.answered(0, .interrupted)
        #expect(late.results.isEmpty, "a late answer for a failed job is ignored")
    }

    @Test func whileStoppingALostJobIsInterrupted() {
        var machine = Self.machine()
        _ = machine.submit(Self.job(1), now: Self.t0)
        _ = machine.nextJob(for: 0)
        _ = machine.shutdown()
        let lost = machine.lost(0, reason: "killed")
        #expect(Self.ids(lost.results) == ["1 interrupted"])
    }
}

/// Partial jobs yield: taken only by an idle worker, stopped for an ordinary job, never retried.
@Suite struct WorkerPoolPartialJobTests {
    static func partial(_ id: Int) -> WorkerJob { WorkerJob(id: id, file: "/p\(id)", isPartial: true) }

    /// One ready worker, running partial -1.
    static func runningPartial() -> WorkerPoolStateMachine {
        var machine = WorkerPoolStateMachineTests.machine()
        _ = machine.prepare()
        machine.workerReady(0, version: 2)
        _ = machine.nextJob(for: 0)
        _ = machine.submit(partial(-1), now: WorkerPoolStateMachineTests.t0)
        return machine
    }

    @Test func aPartialStartsOnlyOnAnIdleReadyWorker() {
        var machine = WorkerPoolStateMachineTests.machine()
        let answer1 = machine.submit(Self.partial(-1), now: WorkerPoolStateMachineTests.t0)
        #expect(answer1 == nil, "no worker is ready yet")
        _ = machine.prepare()
        machine.workerReady(0, version: 2)
        guard case .wait = machine.nextJob(for: 0) else { Issue.record("slot waits"); return }
        #expect(machine.canStartPartial)
        let accepted = machine.submit(Self.partial(-2), now: WorkerPoolStateMachineTests.t0)
        #expect(accepted?.wake.first?.job?.id == -2)
        #expect(!machine.canStartPartial)
        let answer2 = machine.submit(Self.partial(-3), now: WorkerPoolStateMachineTests.t0)
        #expect(answer2 == nil, "busy: skipped, not queued")
        #expect(machine.outstanding == 1)
    }

    @Test func anOrdinaryJobStopsTheRunningPartial() {
        var machine = Self.runningPartial()
        _ = machine.jobSent(-1, to: 0)
        let segment = machine.submit(WorkerPoolStateMachineTests.job(1), now: WorkerPoolStateMachineTests.t0)
        #expect(segment?.cancels.map(\.jobID) == [-1])
        let lost = machine.lost(0, reason: "the worker exited")
        #expect(WorkerPoolStateMachineTests.ids(lost.results) == ["-1 failed cancelled cancelled"], "not retried")
        guard case .job(let next, _) = machine.nextJob(for: 0) else { Issue.record("the segment runs next"); return }
        #expect(next.id == 1)
    }

    @Test func aCrashedPartialIsNotRetried() {
        var machine = Self.runningPartial()
        let lost = machine.lost(0, reason: "the worker exited")
        #expect(WorkerPoolStateMachineTests.ids(lost.results) == ["-1 failed cancelled the worker exited"])
        #expect(machine.outstanding == 0)
    }
}
