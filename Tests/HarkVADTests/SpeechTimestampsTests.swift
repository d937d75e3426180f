import Foundation
import Testing
@testable import HarkVAD

/// `SpeechTimestamps` against silero-vad's `get_speech_timestamps` (reference.json), fed with
/// Hark's own probabilities: the whole path `hark vad` runs.
@Suite(.enabled(if: SileroFixtures.model != nil, "run `make models` to install the Silero model"))
struct SpeechTimestampsTests {
    @Test(arguments: SileroVADTests.files)
    func regionsEqualGetSpeechTimestamps(name: String) throws {
        let file = SileroFixtures.reference.files.first { $0.name == name }!
        let audio = try SileroFixtures.audio(file)
        var vad = SileroVAD(model: SileroFixtures.model!)
        let probabilities = try audio.withUnsafeBufferPointer { try vad.probabilities(of: $0) }

        let defaults = SpeechTimestamps().regions(probabilities: probabilities, sampleCount: audio.count)
        #expect(defaults.map { [$0.start, $0.end] } == file.timestamps.map { [$0.start, $0.end] })

        let c = SileroFixtures.reference.custom
        var custom = SpeechTimestamps()
        custom.threshold = c.threshold
        custom.negativeThreshold = c.neg_threshold
        custom.minSpeechMilliseconds = c.min_speech_duration_ms
        custom.minSilenceMilliseconds = c.min_silence_duration_ms
        custom.speechPadMilliseconds = c.speech_pad_ms
        custom.maxSpeechSeconds = c.max_speech_duration_s
        let regions = custom.regions(probabilities: probabilities, sampleCount: audio.count)
        #expect(regions.map { [$0.start, $0.end] } == file.customTimestamps.map { [$0.start, $0.end] })
        print("timestamps \(name): \(defaults.count) regions (defaults), \(regions.count) (custom)")
    }
}

/// The rules without a model: hand-made probability sequences.
@Suite struct SpeechTimestampsRuleTests {
    let rules = SpeechTimestamps()

    @Test func shortBlipsAreDroppedAndShortGapsBridged() {
        // 10 chunks of speech, 2 of silence (64 ms < 100 ms min silence), 10 of speech, then silence.
        let p: [Float] = Array(repeating: 0.9, count: 10) + [0.1, 0.1] + Array(repeating: 0.9, count: 10)
            + Array(repeating: 0.0, count: 20) + [0.9, 0.9] + Array(repeating: 0.0, count: 20)
        let regions = rules.regions(probabilities: p, sampleCount: p.count * 512)
        #expect(regions == [.init(start: 0, end: 22 * 512 + 480)], "one region, padded by 30 ms; the 2-chunk blip is too short")
    }

    @Test func speechRunningToTheEndIsClosedAtTheEnd() {
        let p: [Float] = Array(repeating: 0.0, count: 10) + Array(repeating: 0.8, count: 20)
        let regions = rules.regions(probabilities: p, sampleCount: 30 * 512 - 100)
        #expect(regions == [.init(start: 10 * 512 - 480, end: 30 * 512 - 100)])
    }

    @Test func longSpeechIsCutAtTheLongestSilence() {
        var rules = rules
        rules.maxSpeechSeconds = 2
        // 1 s speech, 160 ms dip, 0.5 s speech, 320 ms dip, then speech on past the limit.
        let p: [Float] = Array(repeating: 0.9, count: 31) + Array(repeating: 0.2, count: 5) + Array(repeating: 0.9, count: 16)
            + Array(repeating: 0.2, count: 10) + Array(repeating: 0.9, count: 40)
        let regions = rules.regions(probabilities: p, sampleCount: p.count * 512)
        #expect(regions.count >= 2)
        #expect(regions[0].end < 52 * 512 + 480 + 512, "the first cut is at the longer, later dip")
    }
}
