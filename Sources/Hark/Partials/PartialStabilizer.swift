import HarkCore

/// Which words of a growing utterance's transcript are stable, by the LocalAgreement policy: a
/// word becomes stable once two consecutive hypotheses agree on it (and on every word before it),
/// and stays so. Hypotheses are decoded from the stable words as a prefix, so each normally
/// begins with them; one that does not is shown but counts for no agreement.
///
/// A value with no clocks or audio: tested with word lists alone.
struct PartialStabilizer: Sendable {
    /// The stable words, in order, with their tokens (the next hypothesis's prefix).
    private(set) var stable: [TranscriptWord] = []
    /// The unstable part of the previous hypothesis, which the next one must agree with.
    private var previous: [TranscriptWord]?

    struct Split: Sendable, Equatable {
        var stable: String
        var unstable: String
    }

    /// The tokens the next hypothesis starts with.
    var prefix: [Int] { stable.flatMap(\.tokens) }

    /// A new hypothesis of the whole utterance.
    mutating func receive(_ words: [TranscriptWord]) -> Split {
        guard let tail = tail(of: words) else {
            previous = nil
            return split(unstable: Array(words.dropFirst(stable.count)))
        }
        if let previous {
            var agreed = 0
            while agreed < min(previous.count, tail.count), previous[agreed].text == tail[agreed].text { agreed += 1 }
            // The hypothesis's last word may be cut off with the audio: it is stable only once a
            // word follows it.
            if agreed == tail.count { agreed -= 1 }
            if agreed > 0 { stable += tail[0..<agreed] }
            self.previous = Array(tail.dropFirst(max(agreed, 0)))
        } else {
            previous = tail
        }
        return split(unstable: previous ?? [])
    }

    /// The speculation at a pause: everything stable if it extends the stable words (if speech
    /// resumes, later hypotheses go on from it); otherwise the stable words stay and the rest is
    /// shown unstable.
    mutating func receiveTentativeFinal(_ words: [TranscriptWord]) -> Split {
        guard let tail = tail(of: words) else { return split(unstable: Array(words.dropFirst(stable.count))) }
        stable += tail
        previous = nil
        return split(unstable: [])
    }

    /// The words after the stable ones, or nil when `words` does not begin with them token for
    /// token. The last stable word may have grown in `words` (" memory" + "." is one word there):
    /// what it gained is the tail's first word.
    private func tail(of words: [TranscriptWord]) -> [TranscriptWord]? {
        guard words.count >= stable.count else { return nil }
        var tail = Array(words.dropFirst(stable.count))
        for (index, (kept, heard)) in zip(stable, words).enumerated() where kept != heard {
            guard index == stable.count - 1, heard.tokens.starts(with: kept.tokens), heard.text.hasPrefix(kept.text) else { return nil }
            tail.insert(TranscriptWord(text: String(heard.text.dropFirst(kept.text.count)),
                                       tokens: Array(heard.tokens.dropFirst(kept.tokens.count))), at: 0)
        }
        return tail
    }

    private func split(unstable: [TranscriptWord]) -> Split {
        let stableText = stable.map(\.text).joined()
        let unstableText = unstable.map(\.text).joined()
        // `stable + unstable` reads as the transcript: no leading space on whichever comes first.
        if stableText.isEmpty { return Split(stable: "", unstable: trimmedLeading(unstableText)) }
        return Split(stable: trimmedLeading(stableText), unstable: unstableText)
    }

    private func trimmedLeading(_ text: String) -> String {
        String(text.drop { $0 == " " })
    }
}
