import HarkCore

/// Silero VAD v6 in Swift: the official model's probabilities, one per 32 ms chunk at 16 kHz.
///
/// Streaming (`speechProbability`) keeps the model's 64-sample context and LSTM state between
/// calls and allocates nothing after the first call. `probabilities(of:)` is the batch path for
/// whole signals: the encoder runs on many chunks per matrix product, the LSTM stays sequential,
/// and the numbers equal streaming from a reset.
public struct SileroVAD: VoiceActivityDetector {
    /// The weights: immutable, so detectors may share one model.
    public let model: SileroModel
    /// 512 samples: 32 ms at 16 kHz.
    public let chunkSize = SileroNetwork.chunk
    private var network = SileroNetwork(capacity: 1)
    /// h (128), c (128), then the last 64 samples heard.
    private var state = [Float](repeating: 0, count: 320)
    private var batchNetwork: SileroNetwork?

    /// A detector in the reset state over `model`'s weights.
    public init(model: SileroModel) {
        self.model = model
    }

    /// Loads the model at `path` (see `SileroModel.init(path:)` for the errors).
    public init(path: String) throws(HarkError) {
        self.init(model: try SileroModel(path: path))
    }

    /// The probability, 0...1, that `chunk` (exactly 512 samples) holds speech, given all audio
    /// since the last reset. Throws HarkError `.invalidInput`, the state unchanged, for another
    /// length or for NaN or infinite samples.
    public mutating func speechProbability(_ chunk: UnsafeBufferPointer<Float>) throws -> Float {
        try Self.check(chunk)
        var probability: Float = 0
        network.withInputs { input in
            state.withUnsafeBufferPointer { input.update(from: $0.baseAddress! + 256, count: 64) }
            (input + 64).update(from: chunk.baseAddress!, count: 512)
        }
        state.withUnsafeMutableBufferPointer { state in
            let s = state.baseAddress!
            (s + 256).update(from: chunk.baseAddress! + 448, count: 64)
            network.run(count: 1, h: s, c: s + 128, model: model, probabilities: &probability)
        }
        return probability
    }

    /// Clears the LSTM state and the 64 samples of context, as for a new recording.
    public mutating func reset() {
        state.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// One probability per 512-sample chunk of `samples` (16 kHz mono), from a fresh state; a
    /// last partial chunk is zero-padded, as silero-vad does. Leaves the detector reset. The
    /// scratch for `batch` chunks (about 27 KB per chunk, 3.5 MB for 128) is kept for the next call.
    public mutating func probabilities(of samples: UnsafeBufferPointer<Float>, batch: Int = 128) throws -> [Float] {
        guard samples.allSatisfy(\.isFinite) else { throw Self.nonFinite }
        reset()
        let chunks = (samples.count + 511) / 512
        var result = [Float](repeating: 0, count: chunks)
        if batchNetwork?.capacity != max(1, batch) { batchNetwork = SileroNetwork(capacity: max(1, batch)) }
        var first = 0
        while first < chunks {
            let count = min(batch, chunks - first)
            batchNetwork!.withInputs { input in
                for b in 0..<count {
                    // Inputs are the 64 samples before the chunk (zeros before the start), then the
                    // chunk (zeros past the end).
                    let from = (first + b) * 512 - 64
                    let slot = input + b * SileroNetwork.padded
                    let lower = max(from, 0), upper = min(from + 576, samples.count)
                    slot.update(repeating: 0, count: 576)
                    if upper > lower { (slot + (lower - from)).update(from: samples.baseAddress! + lower, count: upper - lower) }
                }
            }
            state.withUnsafeMutableBufferPointer { state in
                result.withUnsafeMutableBufferPointer { out in
                    batchNetwork!.run(count: count, h: state.baseAddress!, c: state.baseAddress! + 128,
                                      model: model, probabilities: out.baseAddress! + first)
                }
            }
            first += count
        }
        reset()
        return result
    }

    private static func check(_ chunk: UnsafeBufferPointer<Float>) throws(HarkError) {
        guard chunk.count == 512 else {
            throw HarkError(.invalidInput, "Silero VAD takes chunks of exactly 512 samples (32 ms at 16 kHz); got \(chunk.count).")
        }
        for x in chunk where !x.isFinite { throw nonFinite }
    }

    private static let nonFinite = HarkError(.invalidInput, """
        The audio holds NaN or infinite samples, which Silero VAD cannot judge; the detector's \
        state is unchanged. Replace them (Hark's recorder records them as silence) and retry.
        """)
}
