import Foundation
import HarkCore
import Testing
@testable import Hark

/// The durable queue's decisions without a pool, a disk or a clock.
@Suite struct SessionTranscriptionStateMachineTests {
    typealias Machine = SessionTranscriptionStateMachine
    static let folder = URL(fileURLWithPath: "/sessions/s")
    static let t0 = ContinuousClock.now

    static func segment(_ id: Int, state: TranscriptionRecord.State? = nil) -> SegmentRecord {
        SegmentRecord(id: id, file: SessionManifest.segmentFile(id), speechStart: 1, speechEnd: 2, audioStart: 0.8, audioEnd: 2.2,
                      endReason: .silence, state: .saved, transcription: state.map { TranscriptionRecord(state: $0, attempts: 1) })
    }

    static let span = Speculation.Span(audioStart: 100, audioEnd: 900, speechEnd: 800)

    static func speculation(_ machine: inout Machine, span: Speculation.Span = span) -> Speculation {
        let id = machine.nextSpeculation()
        return Speculation(span: span, segmentID: 1, jobID: id, file: URL(fileURLWithPath: "/scratch/speculative\(id).wav"))
    }

    static func transcript(_ text: String) -> WorkerOutcome {
        .transcribed(Transcript(text: text, tokens: [], noSpeechProbability: 0, averageLogProbability: 0, isSilence: false, processingTime: 0.1))
    }

    /// The actions as short words, to compare whole sequences.
    static func words(_ actions: [Machine.Action]) -> [String] {
        actions.map { action in
            switch action {
            case .write(let record, let segment): "write \(segment) \(record.state)\(record.text.map { " " + $0 } ?? "")"
            case .writeTranscripts: "transcripts"
            case .publish(let event): "event \(event.name)"
            case .report(let error): "report \(error.code)"
            case .submit(let job): "submit \(job.id)"
            case .cancel(let id): "cancel \(id)"
            case .discard(let file): "discard \(file.lastPathComponent)"
            case .retry(let job, let delay): "retry \(job.id) after \(delay)"
            case .settled: "settled"
            case .tentativeFinal(let segment, _, _): "tentative \(segment)"
            }
        }
    }

    @Test func aSegmentIsQueuedSubmittedRunAndDone() {
        var machine = Machine(folder: Self.folder)
        let queued = machine.enqueue(Self.segment(1), again: false, span: nil, speechEnded: Self.t0, now: Self.t0)
        #expect(Self.words(queued) == ["event transcriptionQueued", "write 1 queued", "submit 1"])
        #expect(machine.inFlight == 1)
        let job = WorkerJob(id: 1, file: "/sessions/s/segments/0001.wav")
        #expect(Self.words(machine.received(job, .started, now: Self.t0)) == ["write 1 running"])
        let done = machine.received(job, Self.transcript("hello"), now: Self.t0 + .milliseconds(300))
        #expect(Self.words(done) == ["write 1 done hello", "transcripts", "event transcriptionComplete", "settled"])
        if case .publish(.transcriptionComplete(let complete)) = done[2] { #expect(abs((complete.latency ?? 0) - 0.3) < 1e-9) }
        #expect(machine.inFlight == 0)
    }

    @Test func doneSegmentsAreSkippedUnlessAgainAndARefusedOneStaysQueued() {
        var machine = Machine(folder: Self.folder)
        #expect(machine.enqueue(Self.segment(1, state: .done), again: false, span: nil, speechEnded: Self.t0, now: Self.t0).isEmpty)
        let again = machine.enqueue(Self.segment(1, state: .done), again: true, span: nil, speechEnded: Self.t0, now: Self.t0)
        #expect(Self.words(again).last == "submit 1")
        #expect(Self.words(machine.submitted(WorkerJob(id: 1, file: "x"), accepted: false)) == ["settled"])
        #expect(machine.inFlight == 0)
    }

    @Test func aSpeculationOfTheSameAudioBecomesTheSegmentsTranscription() {
        var machine = Machine(folder: Self.folder)
        let candidate = Self.speculation(&machine)
        #expect(Self.words(machine.speculate(candidate)) == ["submit -1"])
        let speculative = WorkerJob(id: -1, file: candidate.file.path)
        #expect(machine.received(speculative, .started, now: Self.t0).isEmpty)
        // The segment is saved: it is that audio, already running.
        let queued = machine.enqueue(Self.segment(1), again: false, span: Self.span, speechEnded: Self.t0, now: Self.t0)
        #expect(Self.words(queued) == ["event transcriptionQueued", "write 1 running"])
        let done = machine.received(speculative, Self.transcript("early"), now: Self.t0)
        #expect(Self.words(done) == ["discard speculative-1.wav", "write 1 done early", "transcripts", "event transcriptionComplete", "settled"])
    }

    @Test func aSpeculationThatFinishedBeforeTheSegmentIsUsedAtOnce() {
        var machine = Machine(folder: Self.folder)
        let candidate = Self.speculation(&machine)
        _ = machine.speculate(candidate)
        let speculative = WorkerJob(id: -1, file: candidate.file.path)
        _ = machine.received(speculative, .started, now: Self.t0)
        #expect(Self.words(machine.received(speculative, Self.transcript("quick"), now: Self.t0)) == ["tentative 1"],
                "shown at once as the segment's probable text")
        let queued = machine.enqueue(Self.segment(1), again: false, span: Self.span, speechEnded: Self.t0, now: Self.t0)
        #expect(Self.words(queued) == ["event transcriptionQueued", "write 1 queued", "discard speculative-1.wav",
                                       "write 1 done quick", "transcripts", "event transcriptionComplete", "settled"])
    }

    @Test func aFailedSpeculationSendsTheSegmentTheOrdinaryWay() {
        var machine = Machine(folder: Self.folder)
        let candidate = Self.speculation(&machine)
        _ = machine.speculate(candidate)
        _ = machine.enqueue(Self.segment(1), again: false, span: Self.span, speechEnded: Self.t0, now: Self.t0)
        let failed = machine.received(WorkerJob(id: -1, file: candidate.file.path), .failed(reason: "crash"), now: Self.t0)
        #expect(Self.words(failed) == ["discard speculative-1.wav", "submit 1"])
        #expect(machine.inFlight == 1)
    }

    @Test func speechProvesASpeculationWrongAndItIsCancelledOrIgnored() {
        var machine = Machine(folder: Self.folder)
        let first = Self.speculation(&machine)
        _ = machine.speculate(first)
        // The next pause supersedes it: the worker is asked to stop it.
        let second = Self.speculation(&machine, span: .init(audioStart: 100, audioEnd: 2000, speechEnd: 1900))
        #expect(Self.words(machine.speculate(second)) == ["cancel -1", "submit -2"])
        // Still queued: gone at once.
        #expect(Self.words(machine.cancelAnswered(jobID: -1, removed: true)) == ["discard speculative-1.wav"])
        // The segment saved is other audio: the second speculation is not it.
        let queued = machine.enqueue(Self.segment(1), again: false, span: Self.span, speechEnded: Self.t0, now: Self.t0)
        #expect(Self.words(queued).last == "submit 1")
        // The drain drops it; the worker had it, so its file goes when its outcome comes.
        #expect(Self.words(machine.dropSpeculation()) == ["cancel -2"])
        #expect(machine.cancelAnswered(jobID: -2, removed: false).isEmpty)
        let late = machine.received(WorkerJob(id: -2, file: second.file.path), .failed(reason: "cancelled", code: .cancelled), now: Self.t0)
        #expect(Self.words(late) == ["discard speculative-2.wav"])
    }

    @Test func anUnavailableServiceIsRetriedWithBackoffAndReportedSparingly() {
        var machine = Machine(folder: Self.folder)
        _ = machine.enqueue(Self.segment(3), again: false, span: nil, speechEnded: Self.t0, now: Self.t0)
        let job = WorkerJob(id: 3, file: "x")
        var delays: [String] = []
        var reports = 0
        for _ in 0..<10 {
            let actions = Self.words(machine.received(job, .unavailable(reason: "down"), now: Self.t0))
            #expect(actions.first == "write 3 queued")
            reports += actions.filter { $0.hasPrefix("report") }.count
            delays += actions.filter { $0.hasPrefix("retry") }
        }
        #expect(delays.prefix(7) == ["retry 3 after 1.0 seconds", "retry 3 after 2.0 seconds", "retry 3 after 4.0 seconds",
                                      "retry 3 after 8.0 seconds", "retry 3 after 16.0 seconds", "retry 3 after 30.0 seconds",
                                      "retry 3 after 30.0 seconds"])
        #expect(reports == 2, "the first time and the tenth")
        #expect(machine.inFlight == 1, "still in flight: drain waits for it")
    }

    @Test func interruptedGoesBackToQueuedAndTheEndDiscardsEveryScratchFile() {
        var machine = Machine(folder: Self.folder)
        _ = machine.enqueue(Self.segment(1), again: false, span: nil, speechEnded: Self.t0, now: Self.t0)
        #expect(Self.words(machine.received(WorkerJob(id: 1, file: "x"), .interrupted, now: Self.t0)) == ["write 1 queued", "settled"])
        _ = machine.speculate(Self.speculation(&machine))
        #expect(Self.words(machine.finish()) == ["discard speculative-1.wav"])
    }
}
