/// Speech regions of a whole signal from per-chunk probabilities, with the parameters and the
/// semantics of silero-vad's `get_speech_timestamps` (6.2), so results can be compared one to one.
public struct SpeechTimestamps: Sendable, Hashable, Codable {
    /// Speech starts at a chunk whose probability is at least this (silero-vad's `threshold`).
    public var threshold: Double = 0.5
    /// Speech ends below this; nil means `max(threshold - 0.15, 0.01)`.
    public var negativeThreshold: Double?
    /// Regions this short or shorter are dropped (`min_speech_duration_ms`).
    public var minSpeechMilliseconds: Double = 250
    /// Longer speech is cut, at a silence where one was seen (`max_speech_duration_s`);
    /// infinity for no limit.
    public var maxSpeechSeconds: Double = .infinity
    /// How long a silence must last to end a region (`min_silence_duration_ms`).
    public var minSilenceMilliseconds: Double = 100
    /// Padding added to each side of a region, within the signal; neighbours closer than twice
    /// this split the gap between them instead (`speech_pad_ms`).
    public var speechPadMilliseconds: Double = 30
    /// At the maximum length, cut at the longest silence seen (silero-vad's default) rather than
    /// at the last one.
    public var cutAtLongestSilence = true
    /// When a region reaches `maxSpeechSeconds`, only silences longer than this are places to cut
    /// it (`min_silence_at_max_speech`).
    public var minSilenceAtMaxSpeechMilliseconds: Double = 98

    /// silero-vad's defaults.
    public init() {}

    /// A region in samples at 16 kHz, end exclusive.
    public struct Region: Sendable, Hashable, Codable {
        /// The region's first sample.
        public var start: Int
        /// The sample just after the region's last.
        public var end: Int
        /// Samples `start` up to, not including, `end`.
        public init(start: Int, end: Int) {
            self.start = start
            self.end = end
        }
    }

    /// `probabilities` are one per 512-sample chunk of a signal `sampleCount` samples long.
    public func regions(probabilities: [Float], sampleCount: Int, sampleRate: Double = 16_000,
                        window: Int = 512) -> [Region] {
        let minSpeech = sampleRate * minSpeechMilliseconds / 1000
        let pad = sampleRate * speechPadMilliseconds / 1000
        let maxSpeech = sampleRate * maxSpeechSeconds - Double(window) - 2 * pad
        let minSilence = sampleRate * minSilenceMilliseconds / 1000
        let minSilenceAtMax = sampleRate * minSilenceAtMaxSpeechMilliseconds / 1000
        let negative = negativeThreshold ?? max(threshold - 0.15, 0.01)

        var speeches: [(start: Int, end: Int)] = []
        var triggered = false
        var start: Int?          // the open region's start; nil when none is open
        var tempEnd = 0, prevEnd = 0, nextStart = 0
        var possibleEnds: [(end: Int, silence: Int)] = []

        func resetCut() {
            prevEnd = 0; nextStart = 0; tempEnd = 0
            possibleEnds = []
        }

        for (i, p) in probabilities.enumerated() {
            let probability = Double(p)
            let sample = window * i
            if probability >= threshold && tempEnd != 0 {
                let silence = sample - tempEnd
                if Double(silence) > minSilenceAtMax { possibleEnds.append((tempEnd, silence)) }
                tempEnd = 0
                if nextStart < prevEnd { nextStart = sample }
            }
            if probability >= threshold && !triggered {
                triggered = true
                start = sample
                continue
            }
            if triggered, let open = start, Double(sample - open) > maxSpeech {
                if cutAtLongestSilence, let longest = possibleEnds.max(by: { $0.silence < $1.silence }) {
                    // silero-vad keeps the first of equal maxima; `max(by:)` keeps the last.
                    let first = possibleEnds.first { $0.silence == longest.silence }!
                    speeches.append((open, first.end))
                    start = nil
                    nextStart = first.end + first.silence
                    prevEnd = first.end
                    if nextStart < prevEnd + sample { start = nextStart } else { triggered = false }
                    resetCut()
                } else if prevEnd != 0 {
                    speeches.append((open, prevEnd))
                    start = nil
                    if nextStart < prevEnd { triggered = false } else { start = nextStart }
                    resetCut()
                } else {
                    speeches.append((open, sample))
                    start = nil
                    triggered = false
                    resetCut()
                    continue
                }
            }
            if probability < negative && triggered {
                if tempEnd == 0 { tempEnd = sample }
                let silence = sample - tempEnd
                if !cutAtLongestSilence && Double(silence) > minSilenceAtMax { prevEnd = tempEnd }
                if Double(silence) < minSilence { continue }
                if let open = start, Double(tempEnd - open) > minSpeech { speeches.append((open, tempEnd)) }
                start = nil
                triggered = false
                resetCut()
                continue
            }
        }
        if let open = start, Double(sampleCount - open) > minSpeech {
            speeches.append((open, sampleCount))
        }

        // Padding: split short gaps between neighbours, pad the rest, clamp to the signal.
        for i in speeches.indices {
            if i == 0 { speeches[i].start = Int(max(0, Double(speeches[i].start) - pad)) }
            if i != speeches.count - 1 {
                let gap = speeches[i + 1].start - speeches[i].end
                if Double(gap) < 2 * pad {
                    speeches[i].end += gap / 2
                    speeches[i + 1].start = max(0, speeches[i + 1].start - gap / 2)
                } else {
                    speeches[i].end = Int(min(Double(sampleCount), Double(speeches[i].end) + pad))
                    speeches[i + 1].start = Int(max(0, Double(speeches[i + 1].start) - pad))
                }
            } else {
                speeches[i].end = Int(min(Double(sampleCount), Double(speeches[i].end) + pad))
            }
        }
        return speeches.map { Region(start: $0.start, end: $0.end) }
    }
}
