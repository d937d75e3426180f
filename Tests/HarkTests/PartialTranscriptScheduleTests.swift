import Foundation
import HarkCore
import Testing
@testable import Hark

/// When partials are made and what becomes of their results, in samples and job ids alone.
@Suite struct PartialTranscriptScheduleTests {
    static let rate = 16_000
    static func schedule(interval: Double = 0.5) -> PartialTranscriptSchedule {
        PartialTranscriptSchedule(settings: .init(interval: Int(interval * Double(rate)), sampleRate: rate,
                                                  options: TranscriptionOptions(beamSize: 1)))
    }
    /// Partial -1 of segment 1's first half second is running.
    static func partialInFlight() -> PartialTranscriptSchedule {
        var schedule = schedule()
        _ = schedule.isDue(segmentID: 1, audioStart: 0, position: 8_000)
        _ = schedule.start(jobID: -1, file: file(1), segmentID: 1, audioStart: 0, audioEnd: 8_000)
        return schedule
    }
    static func file(_ id: Int) -> URL { URL(fileURLWithPath: "/scratch/partial\(id).wav") }
    static func transcript(_ sentence: String) -> WorkerOutcome {
        var transcript = Transcript(text: sentence, tokens: [], noSpeechProbability: 0, averageLogProbability: -0.2,
                                    isSilence: false, processingTime: 0.2)
        transcript.words = PartialStabilizerTests.words(sentence)
        return .transcribed(transcript)
    }
    static func published(_ actions: [PartialTranscriptSchedule.Action]) -> [TranscriptionPartial] {
        actions.compactMap { if case .publish(let partial) = $0 { partial } else { nil } }
    }

    @Test func aPartialIsDueAfterEachIntervalOfNewAudioWithOneInFlight() {
        var schedule = Self.schedule()
        let answer1 = schedule.isDue(segmentID: 1, audioStart: 0, position: 7_999)
        #expect(!answer1)
        let answer2 = schedule.isDue(segmentID: 1, audioStart: 0, position: 8_000)
        #expect(answer2)
        let start = schedule.start(jobID: -1, file: Self.file(1), segmentID: 1, audioStart: 0, audioEnd: 8_000)
        guard case .submit(let job)? = start.first else { Issue.record("submitted"); return }
        #expect(job.isPartial && job.options?.prefix == [] && job.options?.beamSize == 1)
        let answer3 = schedule.isDue(segmentID: 1, audioStart: 0, position: 30_000)
        #expect(!answer3, "one in flight")
        let result = schedule.received(jobID: -1, Self.transcript("please save"))
        #expect(result.first == .discard(Self.file(1)))
        #expect(Self.published(result).map(\.text) == ["please save"])
        #expect(Self.published(result).first.map { ($0.audioStart, $0.audioEnd) } ?? (0, 0) == (0, 0.5))
        let answer4 = schedule.isDue(segmentID: 1, audioStart: 0, position: 15_999)
        #expect(!answer4)
        let answer5 = schedule.isDue(segmentID: 1, audioStart: 0, position: 16_000)
        #expect(answer5)
    }

    @Test func theNextPartialDecodesFromTheStableWords() {
        var schedule = Self.schedule()
        for (index, sentence) in ["please save", "please save memory"].enumerated() {
            let end = (index + 1) * 8_000
            _ = schedule.isDue(segmentID: 1, audioStart: 0, position: end)
            _ = schedule.start(jobID: -index - 1, file: Self.file(index), segmentID: 1, audioStart: 0, audioEnd: end)
            _ = schedule.received(jobID: -index - 1, Self.transcript(sentence))
        }
        _ = schedule.isDue(segmentID: 1, audioStart: 0, position: 24_000)
        guard case .submit(let job)? = schedule.start(jobID: -3, file: Self.file(3), segmentID: 1, audioStart: 0, audioEnd: 24_000).first
        else { Issue.record("submitted"); return }
        #expect(job.options?.prefix == [0, 1])
    }

    @Test func aPartialWithoutAWorkerForAWholeIntervalIsSkippedNotQueued() {
        var schedule = Self.schedule()
        let answer6 = schedule.isDue(segmentID: 1, audioStart: 0, position: 8_000)
        #expect(answer6)
        schedule.blocked(at: 8_000)
        schedule.blocked(at: 12_000)
        #expect(schedule.skipped == 0)
        schedule.blocked(at: 16_000)
        #expect(schedule.skipped == 1)
        // The pool refusing after all is a skip too, and the audio goes with the next one.
        _ = schedule.start(jobID: -1, file: Self.file(1), segmentID: 1, audioStart: 0, audioEnd: 16_000)
        let answer7 = schedule.submitted(jobID: -1, accepted: false)
        #expect(answer7 == [.discard(Self.file(1))])
        #expect(schedule.skipped == 2)
        let answer8 = schedule.isDue(segmentID: 1, audioStart: 0, position: 24_000)
        #expect(answer8)
    }

    @Test func aPauseStopsTheOlderPartialAndMakesOneOfEverythingDueAtOnce() {
        var schedule = Self.partialInFlight()
        let quiet = schedule.quiet(segmentID: 1, audioStart: 0)
        #expect(quiet == [.cancel(jobID: -1)])
        let again = schedule.quiet(segmentID: 1, audioStart: 0)
        #expect(again.isEmpty, "asked once per pause")
        let late = schedule.received(jobID: -1, Self.transcript("please save"))
        #expect(late == [.discard(Self.file(1))], "a superseded partial's text is not shown")
        let due = schedule.isDue(segmentID: 1, audioStart: 0, position: 9_000)
        #expect(due, "due at once, not an interval after the last")
        _ = schedule.start(jobID: -2, file: Self.file(2), segmentID: 1, audioStart: 0, audioEnd: 9_000)
        let shown = Self.published(schedule.received(jobID: -2, Self.transcript("please save memory")))
        #expect(shown.map(\.tentativeFinal) == [true])
        #expect(shown.first?.stable == "please save memory" && shown.first?.unstable == "")
        let more = schedule.isDue(segmentID: 1, audioStart: 0, position: 40_000)
        #expect(!more, "one per pause")
        schedule.resumed()
        let soon = schedule.isDue(segmentID: 1, audioStart: 0, position: 16_999)
        #expect(!soon)
        let later = schedule.isDue(segmentID: 1, audioStart: 0, position: 17_000)
        #expect(later, "an interval after the pause's partial")
    }

    @Test func aPausePartialStoppedForAnotherJobIsDueAgainButSilenceIsNot() {
        var schedule = Self.schedule()
        _ = schedule.isDue(segmentID: 1, audioStart: 0, position: 4_000)
        _ = schedule.quiet(segmentID: 1, audioStart: 0)
        _ = schedule.start(jobID: -1, file: Self.file(1), segmentID: 1, audioStart: 0, audioEnd: 4_000)
        _ = schedule.received(jobID: -1, .interrupted)
        let due = schedule.isDue(segmentID: 1, audioStart: 0, position: 4_512)
        #expect(due)
        _ = schedule.start(jobID: -2, file: Self.file(2), segmentID: 1, audioStart: 0, audioEnd: 4_512)
        let silence = WorkerOutcome.transcribed(Transcript(text: "", tokens: [], noSpeechProbability: 0.9,
                                                           averageLogProbability: -2, isSilence: true, processingTime: 0.1))
        _ = schedule.received(jobID: -2, silence)
        let again = schedule.isDue(segmentID: 1, audioStart: 0, position: 5_024)
        #expect(!again)
    }

    @Test func theSpeculationTakesOverFromThePausePartial() {
        var schedule = Self.schedule()
        _ = schedule.isDue(segmentID: 1, audioStart: 0, position: 4_000)
        _ = schedule.quiet(segmentID: 1, audioStart: 0)
        _ = schedule.start(jobID: -1, file: Self.file(1), segmentID: 1, audioStart: 0, audioEnd: 4_000)
        schedule.paused(segmentID: 1)
        guard case .transcribed(let text) = Self.transcript("please save memory.") else { return }
        let final = schedule.tentativeFinal(segmentID: 1, audioStart: 0, audioEnd: 8_000, text)
        #expect(final.first == .cancel(jobID: -1))
        #expect(Self.published(final).map(\.stable) == ["please save memory."])
        let late = schedule.received(jobID: -1, Self.transcript("please save"))
        #expect(Self.published(late).isEmpty, "superseded by the speculation")
        let due = schedule.isDue(segmentID: 1, audioStart: 0, position: 40_000)
        #expect(!due, "the speculation covers the pause")
    }

    @Test func theEndOfTheUtteranceCancelsItsPartialAndTheNextStartsAfresh() {
        var schedule = Self.partialInFlight()
        let answer14 = schedule.ended(segmentID: 1)
        #expect(answer14 == [.cancel(jobID: -1)])
        let answer15 = schedule.received(jobID: -1, Self.transcript("please save"))
        #expect(Self.published(answer15).isEmpty)
        let answer16 = schedule.isDue(segmentID: 2, audioStart: 20_000, position: 27_999)
        #expect(!answer16)
        let answer17 = schedule.isDue(segmentID: 2, audioStart: 20_000, position: 28_000)
        #expect(answer17)
    }

    @Test func aTentativeFinalIsShownAllStableOnlyWhileSpeechIsPaused() {
        var schedule = Self.schedule()
        _ = schedule.isDue(segmentID: 1, audioStart: 0, position: 8_000)
        guard case .transcribed(let text) = Self.transcript("please save memory.") else { return }
        let answer18 = schedule.tentativeFinal(segmentID: 1, audioStart: 0, audioEnd: 20_000, text)
        #expect(answer18.isEmpty, "not paused")
        schedule.paused(segmentID: 1)
        let shown = Self.published(schedule.tentativeFinal(segmentID: 1, audioStart: 0, audioEnd: 20_000, text))
        #expect(shown.map(\.tentativeFinal) == [true])
        #expect(shown.first?.stable == "please save memory." && shown.first?.unstable == "")
    }

    @Test func silenceAndRepeatsPublishNothing() {
        var schedule = Self.partialInFlight()
        let silence = WorkerOutcome.transcribed(Transcript(text: "", tokens: [], noSpeechProbability: 0.9,
                                                           averageLogProbability: -2, isSilence: true, processingTime: 0.1))
        let answer19 = schedule.received(jobID: -1, silence)
        #expect(Self.published(answer19).isEmpty)
        let answer20 = schedule.received(jobID: -7, Self.transcript("please"))
        #expect(Self.published(answer20).isEmpty, "not its job")
        let answer21 = schedule.finish()
        #expect(answer21.isEmpty)
    }
}

/// The two fields partials add to the worker wire survive it; a worker that never sends words
/// leaves them empty.
@Suite struct PartialWireTests {
    @Test func aJobsPrefixAndAResultsWordsCrossTheWire() throws {
        let job = WorkerRequest.job(WorkerJobRequest(id: -3, file: "/p.wav", options: TranscriptionOptions(beamSize: 1, prefix: [383, 2068])))
        guard case .job(let decoded)? = WorkerRequest.decode(job.encodedLine()) else { Issue.record("a job"); return }
        #expect(decoded.options.prefix == [383, 2068])
        var transcript = Transcript(text: "The quick", tokens: [], noSpeechProbability: 0.1, averageLogProbability: -0.2,
                                    isSilence: false, processingTime: 0.2)
        transcript.words = [TranscriptWord(text: " The", tokens: [383]), TranscriptWord(text: " quick", tokens: [2068])]
        guard case .result(_, let back)? = WorkerReply.decode(WorkerReply.result(id: -3, transcript).encodedLine()) else {
            Issue.record("a result"); return
        }
        #expect(back.words == transcript.words)
        let old = #"{"type":"result","id":1,"text":"hi"}"#
        guard case .result(_, let plain)? = WorkerReply.decode(old) else { Issue.record("a result"); return }
        #expect(plain.words.isEmpty)
    }
}

/// A job's prompt, language and task, and a result's language, cross the worker wire; a result
/// claiming a language that is no language code loses it.
@Suite struct LanguageWireTests {
    @Test func languagesTasksAndPromptsCrossTheWire() throws {
        let options = TranscriptionOptions(beamSize: 5, prompt: "Hark, Silero.", language: "de", task: .translate)
        let job = WorkerRequest.job(WorkerJobRequest(id: 7, file: "/p.wav", options: options))
        guard case .job(let decoded)? = WorkerRequest.decode(job.encodedLine()) else { Issue.record("a job"); return }
        #expect(decoded.options == options)
        var transcript = Transcript(text: "Guten Morgen", tokens: [], noSpeechProbability: 0.1, averageLogProbability: -0.2,
                                    isSilence: false, processingTime: 0.2)
        transcript.language = "de"
        transcript.languageProbability = 0.97
        guard case .result(_, let back)? = WorkerReply.decode(WorkerReply.result(id: 7, transcript).encodedLine()) else {
            Issue.record("a result"); return
        }
        #expect(back.language == "de" && back.languageProbability == 0.97)
        let odd = #"{"type":"result","id":1,"text":"hi","language":"<script>","languageProbability":7}"#
        guard case .result(_, let dropped)? = WorkerReply.decode(odd) else { Issue.record("a result"); return }
        #expect(dropped.language == nil && dropped.languageProbability == nil)
    }
}
