import Testing
@testable import HarkCore

/// Drives the segmenter with synthetic chunks: each chunk's samples all equal its index, so the
/// saved audio tells exactly which chunks it holds.
struct SegmenterDriver {
    static let chunk = 512
    var segmenter: Segmenter
    var thresholds = VADThresholds(start: 0.5, end: 0.35)
    var index = 0
    var finished: [Utterance] = []
    var started: [Int] = []
    /// Tentative utterances, with the index of the chunk that gave each.
    var tentative: [(chunk: Int, utterance: Utterance)] = []

    init(_ configure: (inout SegmenterConfiguration) -> Void = { _ in }) throws {
        var configuration = SegmenterConfiguration()
        configure(&configuration)
        segmenter = try Segmenter(configuration: configuration)
    }

    /// Feeds one chunk per probability; `level` sets the chunk's loudness.
    mutating func feed(_ probabilities: [Float], level: (Int) -> Float = { _ in 1 }) {
        for p in probabilities {
            let samples = [Float](repeating: Float(index) * level(index), count: Self.chunk)
            let step = samples.withUnsafeBufferPointer { segmenter.process($0, probability: p, thresholds: thresholds) }
            if let f = step.finished { finished.append(f) }
            if let s = step.started { started.append(s) }
            if let t = step.tentative { tentative.append((index, t)) }
            index += 1
        }
    }

    mutating func feed(_ p: Float, chunks: Int) { feed(Array(repeating: p, count: chunks)) }

    /// Chunk indices contained in an utterance's audio.
    static func chunks(in utterance: Utterance) -> [Int] {
        stride(from: 0, to: utterance.samples.count, by: chunk).map { Int(utterance.samples[$0]) }
    }
}

@Suite struct SegmenterTests {
    let c = SegmenterDriver.chunk

    @Test func silenceMakesNothing() throws {
        var d = try SegmenterDriver()
        d.feed(0.1, chunks: 200)
        #expect(d.finished.isEmpty && d.started.isEmpty)
        #expect(d.segmenter.flush() == nil)
    }

    @Test func utteranceHasPreRollSpeechAndPadding() throws {
        var d = try SegmenterDriver()
        d.feed(0.0, chunks: 50)
        d.feed(0.9, chunks: 40)           // chunks 50..<90
        d.feed(0.0, chunks: 40)
        #expect(d.started == [50 * c])
        let u = try #require(d.finished.first)
        #expect(d.finished.count == 1)
        #expect(u.speechStart == 50 * c)
        #expect(u.speechEnd == 90 * c)
        // 0.3 s pre-roll = 4800 samples = 9.375 chunks; 0.2 s padding = 3200 samples.
        #expect(u.audioStart == 50 * c - 4800)
        #expect(u.audioEnd == 90 * c + 3200)
        #expect(u.endReason == .silence)
    }

    @Test func hysteresisKeepsSpeechGoingBetweenTheThresholds() throws {
        var d = try SegmenterDriver()
        d.feed(0.4, chunks: 10)           // below start: nothing starts
        #expect(d.started.isEmpty)
        d.feed(0.6, chunks: 10)
        d.feed(0.4, chunks: 60)           // between end and start: still speech
        #expect(d.finished.isEmpty)
        d.feed(0.3, chunks: 40)           // below end for > 0.5 s: ends
        let u = try #require(d.finished.first)
        #expect(u.speechEnd == 80 * c)
    }

    @Test func speechShorterThanMinimumIsIgnored() throws {
        var d = try SegmenterDriver()
        d.feed(0.0, chunks: 20)
        d.feed(0.9, chunks: 5)            // 160 ms < 250 ms
        d.feed(0.0, chunks: 40)
        #expect(d.finished.isEmpty && d.started.isEmpty)
    }

    @Test func shortPausesDoNotEndAnUtterance() throws {
        var d = try SegmenterDriver()
        d.feed(0.9, chunks: 20)
        d.feed(0.0, chunks: 10)           // 320 ms < 500 ms hangover
        d.feed(0.9, chunks: 20)
        d.feed(0.0, chunks: 30)
        #expect(d.finished.count == 1)
    }

    @Test func aPauseGivesOneTentativeUtteranceThatSilenceThenFinishesUnchanged() throws {
        var d = try SegmenterDriver()
        d.feed(0.0, chunks: 20)
        d.feed(0.9, chunks: 40)           // chunks 20..<60
        d.feed(0.0, chunks: 40)
        #expect(d.tentative.count == 1)
        let (chunk, tentative) = try #require(d.tentative.first)
        // Given as soon as the 0.2 s padding is heard: the 7th quiet chunk (7 × 512 ≥ 3200).
        #expect(chunk == 60 + 6)
        #expect(tentative == (try #require(d.finished.first)))
    }

    @Test func speechAfterAPauseVoidsItsTentativeAndTheNextPauseGivesAnother() throws {
        var d = try SegmenterDriver()
        d.feed(0.9, chunks: 20)
        d.feed(0.0, chunks: 10)           // a pause longer than the padding, shorter than the hangover
        d.feed(0.9, chunks: 20)
        d.feed(0.0, chunks: 30)
        #expect(d.tentative.count == 2)
        let finished = try #require(d.finished.first)
        #expect(d.finished.count == 1)
        #expect(d.tentative[0].utterance != finished)
        #expect(d.tentative[1].utterance == finished)
    }

    @Test func unconfirmedSpeechGivesNoTentative() throws {
        var d = try SegmenterDriver()
        d.feed(0.9, chunks: 3)            // 96 ms < 250 ms minimum speech
        d.feed(0.0, chunks: 30)
        #expect(d.tentative.isEmpty && d.finished.isEmpty)
    }

    @Test func hangoverIsConfigurable() throws {
        var d = try SegmenterDriver { $0.endSilence = 0.2 }
        d.feed(0.9, chunks: 20)
        d.feed(0.0, chunks: 10)
        d.feed(0.9, chunks: 20)
        d.feed(0.0, chunks: 30)
        #expect(d.finished.count == 2)
    }

    @Test func stopMidUtteranceClosesIt() throws {
        var d = try SegmenterDriver()
        d.feed(0.0, chunks: 20)
        d.feed(0.9, chunks: 30)
        let flushed = d.segmenter.flush()
        let u = try #require(flushed)
        #expect(u.endReason == .stopped)
        #expect(u.speechEnd == 50 * c)
        #expect(u.audioEnd == 50 * c, "no padding exists beyond the last sample")
    }

    @Test func longUtteranceIsSplitAtTheQuietestPoint() throws {
        var d = try SegmenterDriver { $0.maxLength = 5; $0.splitSearch = 2 }
        // 5 s = 156.25 chunks. One quiet (low-probability) chunk at 140 lies in the search window.
        var probabilities = [Float](repeating: 0.9, count: 250)
        probabilities[140] = 0.36      // above end threshold: speech continues...
        probabilities[120] = 0.2       // ...but this one is below it, so it wins
        d.feed(probabilities, level: { $0 == 120 || $0 == 140 ? 0.01 : 1 })
        d.feed(0.0, chunks: 40)
        #expect(d.finished.count == 2)
        let first = d.finished[0], second = d.finished[1]
        #expect(first.endReason == .maxLength)
        #expect(first.audioEnd == 120 * c + c / 2, "cut in the middle of the quiet chunk")
        #expect(second.audioStart == first.audioEnd, "nothing lost or doubled at the cut")
        #expect(d.started.count == 2)
    }

    @Test func splitWithoutQuietChunkPicksTheLowestEnergy() throws {
        var d = try SegmenterDriver { $0.maxLength = 5; $0.splitSearch = 2 }
        d.feed(Array(repeating: 0.9, count: 170), level: { $0 == 130 ? 0.001 : 1 })
        let first = try #require(d.finished.first)
        #expect(first.audioEnd == 130 * c + c / 2)
    }

    @Test func preRollAfterAnUtteranceComesFromItsTail() throws {
        var d = try SegmenterDriver()
        d.feed(0.9, chunks: 20)
        d.feed(0.0, chunks: 16)   // ends after 0.5 s of silence (16 chunks = 512 ms)
        d.feed(0.9, chunks: 20)
        d.feed(0.0, chunks: 30)
        #expect(d.finished.count == 2)
        #expect(d.finished[1].audioStart == 36 * c - 4800)
        #expect(SegmenterDriver.chunks(in: d.finished[1]).first == 26)
    }

    @Test func badConfigurationIsRejectedWithAReason() {
        var configuration = SegmenterConfiguration()
        configuration.maxLength = 1
        configuration.splitSearch = 3
        #expect(throws: HarkError.self) { try Segmenter(configuration: configuration) }
        configuration = SegmenterConfiguration()
        configuration.endSilence = -1
        #expect(throws: HarkError.self) { try Segmenter(configuration: configuration) }
    }
}
