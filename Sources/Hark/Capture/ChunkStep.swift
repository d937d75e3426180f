import HarkCore

/// One 32 ms chunk through the detector and the segmenter: its level, its speech probability
/// and what the segmenter made of it. One value for live capture (`CaptureLoop`) and for
/// rebuilding a killed recorder's open utterance from its recording (`OpenUtteranceRecovery`),
/// so both cut the same audio the same way.
struct ChunkStep {
    struct Result {
        var rms: Float
        var peak: Float
        var probability: Float
        var step: SegmenterStep
        /// The chunk held NaN or infinite samples (recorded as silence), the first time only.
        var firstBadSamples: Bool
    }

    private(set) var segmenter: Segmenter
    private var detectors: [VADMode.Detector: any VoiceActivityDetector]
    var mode: VADMode
    private var reportedBadSamples = false

    init(segmenter: Segmenter, detectors: [VADMode.Detector: any VoiceActivityDetector], mode: VADMode) {
        self.segmenter = segmenter
        self.detectors = detectors
        for key in self.detectors.keys { self.detectors[key]?.reset() }
        self.mode = mode
    }

    var isInSpeech: Bool { segmenter.isInSpeech }
    var position: Int { segmenter.position }

    /// `chunk` (vadChunkSize samples; non-finite ones are zeroed in place) through the current mode.
    mutating func process(_ chunk: inout [Float]) throws -> Result {
        var energy: Float = 0, peak: Float = 0, bad = false
        for i in chunk.indices {
            if !chunk[i].isFinite {
                chunk[i] = 0
                bad = true
            }
            energy += chunk[i] * chunk[i]
            peak = max(peak, abs(chunk[i]))
        }
        let firstBad = bad && !reportedBadSamples
        if bad { reportedBadSamples = true }
        let probability: Float
        if mode.detector == .manual {
            probability = 1
        } else if detectors[mode.detector] != nil {
            probability = try chunk.withUnsafeBufferPointer { try detectors[mode.detector]!.speechProbability($0) }
        } else {
            throw HarkError(.invalidConfiguration, "No detector is loaded for VAD mode '\(mode)'.")
        }
        let thresholds = mode.thresholds
        let step = chunk.withUnsafeBufferPointer { segmenter.process($0, probability: probability, thresholds: thresholds) }
        return Result(rms: (energy / Float(chunk.count)).squareRoot(), peak: peak, probability: probability, step: step,
                      firstBadSamples: firstBad)
    }

    /// The utterance still open at the end (or at a commit, `reason`), if any.
    mutating func flush(reason: Utterance.EndReason = .stopped) -> Utterance? { segmenter.flush(reason: reason) }

    /// Drops the open utterance unsaved.
    mutating func discardOpen() { segmenter.discardOpen() }
}
