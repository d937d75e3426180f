/// How speech probabilities become utterances. All lengths are in seconds.
public struct SegmenterConfiguration: Sendable, Hashable, Codable {
    /// Speech shorter than this is a blip, not an utterance.
    public var minSpeech: Double = 0.25
    /// Silence that ends an utterance (the hangover).
    public var endSilence: Double = 0.5
    /// Audio kept from before speech starts, so the first syllable is not clipped.
    public var preRoll: Double = 0.3
    /// Audio kept after speech ends. At most `endSilence`, since later audio is not yet heard.
    public var padding: Double = 0.2
    /// The longest utterance file; longer speech is split at the quietest nearby point.
    public var maxLength: Double = 30
    /// How far back from `maxLength` to look for that quiet point.
    public var splitSearch: Double = 3

    /// The default settings (see each property).
    public init() {}

    /// Checks the values make sense together, with a message naming the one to change.
    public func validate() throws {
        let all = [("minSpeech", minSpeech), ("endSilence", endSilence), ("preRoll", preRoll),
                   ("padding", padding), ("maxLength", maxLength), ("splitSearch", splitSearch)]
        for (name, value) in all where !(value.isFinite && value >= 0) {
            throw HarkError.invalidConfiguration("\(name) must be a finite number of seconds ≥ 0, not \(value)")
        }
        if padding > endSilence {
            throw HarkError.invalidConfiguration("padding (\(padding) s) must not exceed endSilence (\(endSilence) s)")
        }
        if splitSearch <= 0 || splitSearch >= maxLength / 2 {
            throw HarkError.invalidConfiguration("splitSearch (\(splitSearch) s) must be above 0 and below half of maxLength")
        }
        if maxLength < preRoll + minSpeech + endSilence + splitSearch {
            throw HarkError.invalidConfiguration(
                "maxLength (\(maxLength) s) must be at least preRoll + minSpeech + endSilence + splitSearch")
        }
    }
}

/// One finished utterance: its audio and where its speech lies in the stream (in samples).
public struct Utterance: Sendable, Hashable {
    /// Why an utterance ended.
    public enum EndReason: String, Sendable, Hashable, Codable {
        /// Enough silence followed it.
        case silence
        /// It reached the maximum length and was split.
        case maxLength
        /// Recording stopped while it was going on.
        case stopped
        /// The producer of pushed audio committed it (`AudioMark.commit`).
        case committed
    }

    /// The audio to save: pre-roll, speech, padding.
    public var samples: [Float]
    /// Stream position of `samples[0]`.
    public var audioStart: Int
    /// Stream position where its speech begins, in samples.
    public var speechStart: Int
    /// Stream position where its speech ends, in samples.
    public var speechEnd: Int
    /// Why it ended.
    public var endReason: EndReason

    /// Stream position just past the last of `samples`.
    public var audioEnd: Int { audioStart + samples.count }
}

/// What one chunk changed. A split can both finish one utterance and start the next.
public struct SegmenterStep: Sendable, Hashable {
    /// An utterance that is complete and should be saved.
    public var finished: Utterance?
    /// The stream position where newly confirmed speech began.
    public var started: Int?
    /// Speech has paused for `padding`: this is the utterance, sample for sample, that silence
    /// until `endSilence` will finish — or nothing, if speech resumes first. Transcribing it now
    /// (speculatively) hides the hangover from the latency. Given once per pause.
    public var tentative: Utterance?

    /// A step with the given changes; by default none.
    public init(finished: Utterance? = nil, started: Int? = nil, tentative: Utterance? = nil) {
        self.finished = finished
        self.started = started
        self.tentative = tentative
    }
}
