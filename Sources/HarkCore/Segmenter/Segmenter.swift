/// Turns per-chunk speech probabilities into utterances: a value-type state machine, no audio I/O.
///
/// Speech starts when a chunk's probability reaches the start threshold and continues while chunks
/// stay at or above the (lower) end threshold; it counts once `minSpeech` of it has been heard, and
/// ends after `endSilence` below the end threshold. Buffers are reserved up front, so `process` only
/// allocates when it hands out a finished utterance.
public struct Segmenter: Sendable {
    private enum Phase: Sendable { case silence, speech }

    private struct ChunkLevel: Sendable {
        var offset: Int       // in `utterance`
        var count: Int
        var probability: Float
        var rms: Float
    }

    /// The settings it was made with (validated).
    public let configuration: SegmenterConfiguration
    /// The rate of the audio it is given, in Hz: the configuration's seconds become samples at it.
    public let sampleRate: Int
    private let minSpeech: Int
    private let endSilence: Int
    private let preRoll: Int
    private let padding: Int
    private let maxLength: Int
    private let splitSearch: Int

    private var phase = Phase.silence
    /// Samples consumed since the start of the stream.
    public private(set) var position = 0
    private var recent: [Float] = []          // the pre-roll candidate while silent
    private var utterance: [Float] = []
    private var levels: [ChunkLevel] = []
    private var utteranceStart = 0
    private var speechStart = 0
    private var lastVoicedEnd = 0
    private var silenceRun = 0
    private var confirmed = false

    /// Converts the configuration's seconds to samples at `sampleRate` and reserves the buffers.
    /// Throws `HarkError` `.invalidConfiguration` when `configuration.validate()` fails.
    public init(configuration: SegmenterConfiguration = .init(), sampleRate: Int = 16_000) throws {
        try configuration.validate()
        self.configuration = configuration
        self.sampleRate = sampleRate
        func samples(_ seconds: Double) -> Int { Int((seconds * Double(sampleRate)).rounded()) }
        minSpeech = samples(configuration.minSpeech)
        endSilence = samples(configuration.endSilence)
        preRoll = samples(configuration.preRoll)
        padding = samples(configuration.padding)
        maxLength = samples(configuration.maxLength)
        splitSearch = samples(configuration.splitSearch)
        recent.reserveCapacity(preRoll + 4096)
        utterance.reserveCapacity(maxLength + 4096)
        levels.reserveCapacity(maxLength / 256 + 16)
    }

    /// True while an utterance (confirmed or not) is open.
    public var isInSpeech: Bool { phase == .speech }

    /// True while an open utterance has lasted `minSpeech`: it will be saved.
    public var isConfirmed: Bool { phase == .speech && confirmed }

    /// True while an open utterance's latest chunks were quiet (the hangover may end it).
    public var isPausing: Bool { phase == .speech && silenceRun > 0 }

    /// Where the confirmed open utterance's audio starts in the stream (nil when there is none),
    /// without copying its samples as `openUtterance()` does.
    public var openAudioStart: Int? { isConfirmed ? utteranceStart : nil }

    /// The confirmed utterance as heard so far, every sample of it (for partial transcripts).
    public func openUtterance() -> Utterance? {
        guard isConfirmed else { return nil }
        return Utterance(samples: utterance, audioStart: utteranceStart, speechStart: speechStart,
                         speechEnd: lastVoicedEnd, endReason: .stopped)
    }

    /// Feeds one chunk and its speech probability.
    public mutating func process(_ chunk: UnsafeBufferPointer<Float>, probability: Float,
                                 thresholds: VADThresholds) -> SegmenterStep {
        let chunkStart = position
        position += chunk.count
        var step = SegmenterStep()
        switch phase {
        case .silence:
            guard probability >= thresholds.start else {
                keepAsPreRoll(chunk)
                return step
            }
            phase = .speech
            utterance.removeAll(keepingCapacity: true)
            utterance.append(contentsOf: recent)
            utteranceStart = chunkStart - recent.count
            recent.removeAll(keepingCapacity: true)
            levels.removeAll(keepingCapacity: true)
            speechStart = chunkStart
            lastVoicedEnd = position
            silenceRun = 0
            confirmed = false
            append(chunk, probability: probability)
        case .speech:
            append(chunk, probability: probability)
            if probability >= thresholds.end {
                silenceRun = 0
                lastVoicedEnd = position
            } else {
                silenceRun += chunk.count
            }
        }
        step.started = confirmIfLongEnough()
        // Once per pause: on the chunk whose silence first covers the padding (the first quiet
        // chunk when there is none).
        let silenceBefore = silenceRun - chunk.count
        if confirmed, silenceRun > 0, silenceRun >= padding, silenceBefore < max(padding, 1), silenceRun < endSilence {
            step.tentative = closing(reason: .silence)
        }
        if silenceRun >= endSilence {
            if confirmed {
                step.finished = close(reason: .silence)
            } else {
                endUtterance()
            }
        } else if utterance.count >= maxLength {
            step.finished = split(endThreshold: thresholds.end)
            step.started = confirmIfLongEnough()
        }
        return step
    }

    /// Closes an open utterance at end of stream (or where the producer commits, `reason`).
    /// Speech shorter than `minSpeech` is dropped.
    public mutating func flush(reason: Utterance.EndReason = .stopped) -> Utterance? {
        guard phase == .speech else { return nil }
        guard confirmed || lastVoicedEnd - speechStart >= minSpeech else {
            endUtterance()
            return nil
        }
        return close(reason: reason)
    }

    /// Drops the open utterance unsaved; the stream position goes on.
    public mutating func discardOpen() {
        if phase == .speech { endUtterance() }
    }

    /// Forgets everything, as at the start of a new recording.
    public mutating func reset() {
        phase = .silence
        position = 0
        recent.removeAll(keepingCapacity: true)
        utterance.removeAll(keepingCapacity: true)
        levels.removeAll(keepingCapacity: true)
        confirmed = false
        silenceRun = 0
    }

    // MARK: - Steps

    private mutating func keepAsPreRoll(_ chunk: UnsafeBufferPointer<Float>) {
        recent.append(contentsOf: chunk)
        if recent.count > preRoll { recent.removeFirst(recent.count - preRoll) }
    }

    private mutating func append(_ chunk: UnsafeBufferPointer<Float>, probability: Float) {
        var energy: Float = 0
        for sample in chunk { energy += sample * sample }
        let rms = chunk.isEmpty ? 0 : (energy / Float(chunk.count)).squareRoot()
        levels.append(ChunkLevel(offset: utterance.count, count: chunk.count, probability: probability, rms: rms))
        utterance.append(contentsOf: chunk)
    }

    private mutating func confirmIfLongEnough() -> Int? {
        guard phase == .speech, !confirmed, lastVoicedEnd - speechStart >= minSpeech else { return nil }
        confirmed = true
        return speechStart
    }

    private mutating func close(reason: Utterance.EndReason) -> Utterance {
        let finished = closing(reason: reason)
        endUtterance()
        return finished
    }

    /// The open utterance as closing it now would give it.
    private func closing(reason: Utterance.EndReason) -> Utterance {
        let audioEnd = min(lastVoicedEnd + padding, utteranceStart + utterance.count)
        return Utterance(samples: Array(utterance[0..<(audioEnd - utteranceStart)]),
                         audioStart: utteranceStart, speechStart: speechStart,
                         speechEnd: lastVoicedEnd, endReason: reason)
    }

    /// Returns to silence, keeping the utterance's tail as the next pre-roll.
    private mutating func endUtterance() {
        phase = .silence
        recent.removeAll(keepingCapacity: true)
        recent.append(contentsOf: utterance.suffix(preRoll))
        utterance.removeAll(keepingCapacity: true)
        levels.removeAll(keepingCapacity: true)
        confirmed = false
        silenceRun = 0
    }

    /// Cuts a too-long utterance in the middle of its quietest recent chunk — preferring chunks
    /// below the end threshold, then the lowest energy — and keeps the rest open.
    private mutating func split(endThreshold: Float) -> Utterance {
        let windowStart = utterance.count - splitSearch
        var best: ChunkLevel?
        for level in levels where level.offset >= windowStart {
            guard let current = best else { best = level; continue }
            let levelQuiet = level.probability < endThreshold, currentQuiet = current.probability < endThreshold
            if levelQuiet != currentQuiet ? levelQuiet : level.rms < current.rms { best = level }
        }
        let cut = best.map { $0.offset + $0.count / 2 } ?? utterance.count
        let finished = Utterance(samples: Array(utterance[0..<cut]), audioStart: utteranceStart,
                                 speechStart: speechStart, speechEnd: utteranceStart + cut, endReason: .maxLength)
        utterance.removeFirst(cut)
        levels.removeAll { $0.offset + $0.count <= cut }
        for i in levels.indices {
            levels[i].offset -= cut
            if levels[i].offset < 0 {
                levels[i].count += levels[i].offset
                levels[i].offset = 0
            }
        }
        utteranceStart += cut
        speechStart = utteranceStart
        lastVoicedEnd = max(lastVoicedEnd, speechStart)
        confirmed = false
        return finished
    }
}
