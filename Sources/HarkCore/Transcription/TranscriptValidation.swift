/// Numbers that come from outside — a worker process, a remote server, a manifest on disk — are
/// made safe before any code does arithmetic on them: a `start` of 1e300 or NaN would trap when a
/// transcript's clock is formatted (`Int(seconds * 1000)`), in every later request for it too.
public enum TranscriptLimits {
    /// No time in a transcript is later than this: ten days, far past any recording.
    public static let maxSeconds: Double = 864_000

    /// `value` if finite, else `fallback`; then clamped into `range`.
    public static func clamp(_ value: Double, to range: ClosedRange<Double>, fallback: Double = 0) -> Double {
        guard value.isFinite else { return min(max(fallback, range.lowerBound), range.upperBound) }
        return min(max(value, range.lowerBound), range.upperBound)
    }

    /// A time made safe: finite (else 0) and within `0...maxSeconds`.
    public static func seconds(_ value: Double) -> Double { clamp(value, to: 0...maxSeconds) }
}

extension TranscriptSegment {
    /// Times finite, within `0...TranscriptLimits.maxSeconds`, and `end >= start`.
    public func validated() -> TranscriptSegment {
        let start = TranscriptLimits.seconds(start)
        let words = words?.map { word in
            let start = TranscriptLimits.seconds(word.start)
            return TimedWord(word: word.word, start: start, end: max(start, TranscriptLimits.seconds(word.end)),
                             probability: TranscriptLimits.clamp(word.probability, to: 0...1))
        }
        return TranscriptSegment(start: start, end: max(start, TranscriptLimits.seconds(end)), text: text, words: words)
    }
}

extension Transcript {
    /// Every number made safe (see `TranscriptLimits`): probabilities in 0...1, times and
    /// durations finite and non-negative.
    public func validated() -> Transcript {
        var safe = Transcript(text: text, tokens: tokens,
                   noSpeechProbability: TranscriptLimits.clamp(noSpeechProbability, to: 0...1),
                   averageLogProbability: TranscriptLimits.clamp(averageLogProbability, to: -1e6...0),
                   isSilence: isSilence,
                   processingTime: TranscriptLimits.seconds(processingTime),
                   segments: segments.map { $0.validated() })
        safe.words = words
        // A language is a short code ("de", "haw"); anything else from another program is dropped.
        if let language, (2...3).contains(language.count), language.allSatisfy({ $0.isASCII && $0.isLowercase }) {
            safe.language = language
            safe.languageProbability = languageProbability.map { TranscriptLimits.clamp($0, to: 0...1) }
        }
        return safe
    }
}
