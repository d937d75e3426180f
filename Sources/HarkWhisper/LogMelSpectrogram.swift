import Foundation
import HarkBLAS
import HarkCore

/// Whisper's log-mel features, computed as faster-whisper's `FeatureExtractor` does: 160 zeros
/// appended, centred STFT (n_fft 400, hop 160, periodic Hann, reflect padding), power of 201 bins
/// without the last frame, Slaney mel filters, log10 clipped at 1e-10, floored at max − 8, then
/// (x + 4) / 4. The DFT is a matrix product (400 is not a power of two, and BLAS is fast).
public struct LogMelSpectrogram: Sendable {
    /// Input rate (Hz), hop and FFT length (samples), and power bins per frame: one frame per 10 ms.
    public static let sampleRate = 16_000, hop = 160, fftSize = 400, bins = 201
    /// Frames in Whisper's 30 s window.
    public static let windowFrames = 3000

    /// Mel bands per frame, as the model expects (80 unless it says otherwise).
    public let melCount: Int
    private let window: [Float]
    private let dft: [Float]        // 402 × 400: cos rows, then sin rows
    private let filters: [Float]    // melCount × 201
    private static let block = 500

    /// Builds the DFT matrix and mel filters for `melCount` bands.
    public init(melCount: Int = 80) {
        self.melCount = melCount
        let n = Self.fftSize
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        var dft = [Float](repeating: 0, count: 2 * Self.bins * n)
        for k in 0..<Self.bins {
            for t in 0..<n {
                let angle = 2 * Double.pi * Double(k * t % n) / Double(n)
                dft[k * n + t] = Float(cos(angle))
                dft[(Self.bins + k) * n + t] = Float(-sin(angle))
            }
        }
        self.dft = dft
        filters = Self.melFilters(count: melCount)
    }

    /// Features of `samples` (16 kHz mono), time-major: frames × melCount.
    public func features(of samples: [Float]) throws(HarkError) -> (values: [Float], frames: Int) {
        try BLAS.load()
        let audio = samples + [Float](repeating: 0, count: Self.hop)
        let pad = Self.fftSize / 2
        guard audio.count > pad else {
            throw HarkError(.invalidInput, "The audio is too short to transcribe (\(samples.count) samples).")
        }
        // Reflect padding without repeating the edge, as numpy's "reflect".
        var padded = [Float](repeating: 0, count: audio.count + 2 * pad)
        for j in 0..<pad { padded[j] = audio[pad - j] }
        for j in 0..<audio.count { padded[pad + j] = audio[j] }
        for j in 0..<pad { padded[pad + audio.count + j] = audio[audio.count - 2 - j] }
        let frames = (padded.count - Self.fftSize) / Self.hop   // the last frame is dropped

        var values = [Float](repeating: 0, count: frames * melCount)
        var windowed = [Float](repeating: 0, count: Self.block * Self.fftSize)
        var spectrum = [Float](repeating: 0, count: Self.block * 2 * Self.bins)
        var power = [Float](repeating: 0, count: Self.block * Self.bins)
        var first = 0
        while first < frames {
            let count = min(Self.block, frames - first)
            for f in 0..<count {
                let start = (first + f) * Self.hop
                for t in 0..<Self.fftSize { windowed[f * Self.fftSize + t] = padded[start + t] * window[t] }
            }
            BLAS.gemm(transposeB: true, m: count, n: 2 * Self.bins, k: Self.fftSize, a: windowed, lda: Self.fftSize,
                      b: dft, ldb: Self.fftSize, c: &spectrum, ldc: 2 * Self.bins)
            for f in 0..<count {
                for k in 0..<Self.bins {
                    let re = spectrum[f * 2 * Self.bins + k], im = spectrum[f * 2 * Self.bins + Self.bins + k]
                    power[f * Self.bins + k] = re * re + im * im
                }
            }
            values.withUnsafeMutableBufferPointer { out in
                BLAS.gemm(transposeB: true, m: count, n: melCount, k: Self.bins, a: power, lda: Self.bins,
                          b: filters, ldb: Self.bins, c: out.baseAddress! + first * melCount, ldc: melCount)
            }
            first += count
        }
        var maximum = -Float.infinity
        for i in values.indices {
            values[i] = log10(max(values[i], 1e-10))
            maximum = max(maximum, values[i])
        }
        for i in values.indices { values[i] = (max(values[i], maximum - 8) + 4) / 4 }
        return (values, frames)
    }

    /// The first 30 s of `features` (frames × mel), zero-padded: the encoder's input.
    public func window(_ features: [Float], frames: Int, from start: Int = 0) -> [Float] {
        var result = [Float](repeating: 0, count: Self.windowFrames * melCount)
        let count = max(0, min(Self.windowFrames, frames - start))
        if count > 0 {
            result.withUnsafeMutableBufferPointer { out in
                features.withUnsafeBufferPointer { input in
                    out.baseAddress!.update(from: input.baseAddress! + start * melCount, count: count * melCount)
                }
            }
        }
        return result
    }

    /// Slaney-style mel filters (area-normalised), as faster-whisper computes them.
    private static func melFilters(count: Int) -> [Float] {
        let maxMel = 45.245640471924965
        let mels = (0..<(count + 2)).map { i in i == count + 1 ? maxMel : Double(i) * maxMel / Double(count + 1) }
        let spacing = 200.0 / 3, minLogHz = 1000.0, minLogMel = minLogHz / spacing, logStep = log(6.4) / 27
        let freqs = mels.map { $0 >= minLogMel ? minLogHz * exp(logStep * ($0 - minLogMel)) : spacing * $0 }
        var result = [Float](repeating: 0, count: count * bins)
        for m in 0..<count {
            let lowerWidth = freqs[m + 1] - freqs[m], upperWidth = freqs[m + 2] - freqs[m + 1]
            let norm = 2 / (freqs[m + 2] - freqs[m])
            for k in 0..<bins {
                let f = Double(k) * Double(sampleRate) / Double(fftSize)
                let lower = (f - freqs[m]) / lowerWidth
                let upper = (freqs[m + 2] - f) / upperWidth
                result[m * bins + k] = Float(max(0, min(lower, upper)) * norm)
            }
        }
        return result
    }
}
