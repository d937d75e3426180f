import Foundation
import HarkCore
import Testing
@testable import Hark

/// LocalAgreement on word lists: no audio, no model.
@Suite struct PartialStabilizerTests {
    /// Words from a sentence, one token per word (ids from the word's position in `vocabulary`).
    static let vocabulary = ["please", "save", "memory", "where", "I", "say", "today", "my", "the", ".", ","]
    static func words(_ sentence: String) -> [TranscriptWord] {
        sentence.split(separator: " ").map { word in
            let token = vocabulary.firstIndex(of: word.trimmingCharacters(in: .punctuationCharacters)) ?? 99
            let text = " " + word
            var tokens = [token]
            if word.hasSuffix(".") { tokens.append(9) }
            return TranscriptWord(text: text, tokens: tokens)
        }
    }

    @Test func aWordIsStableOnceTwoHypothesesAgreeAndAWordFollowsIt() {
        var stabilizer = PartialStabilizer()
        let split1 = stabilizer.receive(Self.words("please save"))
        #expect(split1 == .init(stable: "", unstable: "please save"))
        let split2 = stabilizer.receive(Self.words("please save memory"))
        #expect(split2 == .init(stable: "please save", unstable: " memory"))
        #expect(stabilizer.prefix == [0, 1])
        // Disagreement on the tail keeps it unstable.
        let split3 = stabilizer.receive(Self.words("please save my memory"))
        #expect(split3 == .init(stable: "please save", unstable: " my memory"))
        let split4 = stabilizer.receive(Self.words("please save my memory where"))
        #expect(split4 == .init(stable: "please save my memory", unstable: " where"))
    }

    @Test func theLastWordWaitsEvenWhenBothHypothesesEndWithIt() {
        var stabilizer = PartialStabilizer()
        _ = stabilizer.receive(Self.words("please save"))
        let split = stabilizer.receive(Self.words("please save"))
        #expect(split == .init(stable: "please", unstable: " save"), "'save' may be cut off with the audio")
    }

    @Test func punctuationThatGrowsOntoAStableWordStartsTheTail() {
        var stabilizer = PartialStabilizer()
        _ = stabilizer.receive(Self.words("please save memory"))
        _ = stabilizer.receive(Self.words("please save memory where"))
        #expect(stabilizer.prefix == [0, 1, 2])
        // " memory" + "." is one word in the new hypothesis: its "." is the tail's first word.
        let grown = [TranscriptWord(text: " please", tokens: [0]), TranscriptWord(text: " save", tokens: [1]),
                     TranscriptWord(text: " memory.", tokens: [2, 9]), TranscriptWord(text: " where", tokens: [3])]
        let split5 = stabilizer.receive(grown)
        #expect(split5 == .init(stable: "please save memory", unstable: ". where"))
        let split6 = stabilizer.receive(grown)
        #expect(split6 == .init(stable: "please save memory.", unstable: " where"))
    }

    @Test func aHypothesisThatContradictsTheStableWordsChangesNothingStable() {
        var stabilizer = PartialStabilizer()
        _ = stabilizer.receive(Self.words("please save memory"))
        _ = stabilizer.receive(Self.words("please save memory where"))
        let split = stabilizer.receive(Self.words("police save memory where I"))
        #expect(split.stable == "please save memory")
        #expect(stabilizer.prefix == [0, 1, 2])
    }

    @Test func aTentativeFinalThatExtendsTheStableWordsIsAllStable() {
        var stabilizer = PartialStabilizer()
        _ = stabilizer.receive(Self.words("please save"))
        _ = stabilizer.receive(Self.words("please save memory"))
        let split7 = stabilizer.receiveTentativeFinal(Self.words("please save memory where I say today."))
        #expect(split7 ==
                .init(stable: "please save memory where I say today.", unstable: ""))
        // Speech resumed: hypotheses go on from all of it.
        let split8 = stabilizer.receive(Self.words("please save memory where I say today. my"))
        #expect(split8.stable == "please save memory where I say today.")
        var other = PartialStabilizer()
        _ = other.receive(Self.words("please save"))
        _ = other.receive(Self.words("please save memory"))
        let split9 = other.receiveTentativeFinal(Self.words("police save memory"))
        #expect(split9 == .init(stable: "please save", unstable: " memory"))
    }

    /// Whatever the hypotheses, stable text only ever grows: each is a prefix of the next.
    @Test func stableTextNeverShrinksOverRandomHypotheses() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var stabilizer = PartialStabilizer()
            var sentence: [String] = []
            var lastStable = ""
            for _ in 0..<12 {
                if Bool.random(using: &generator) || sentence.isEmpty { sentence.append(Self.vocabulary.randomElement(using: &generator)!) }
                if Int.random(in: 0..<4, using: &generator) == 0, !sentence.isEmpty {
                    sentence[Int.random(in: 0..<sentence.count, using: &generator)] = Self.vocabulary.randomElement(using: &generator)!
                }
                let split = Int.random(in: 0..<6, using: &generator) == 0
                    ? stabilizer.receiveTentativeFinal(Self.words(sentence.joined(separator: " ")))
                    : stabilizer.receive(Self.words(sentence.joined(separator: " ")))
                #expect(split.stable.hasPrefix(lastStable), "\(lastStable) → \(split.stable)")
                lastStable = split.stable
            }
        }
    }
}
