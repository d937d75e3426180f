import Foundation
import HarkBLAS

/// Silero VAD's forward pass over a batch of chunks, as matrix products on preallocated scratch.
///
/// Data is time-major: each row is one time step of one chunk, so every convolution is one
/// im2col copy (whole rows) and one `sgemm`; chunks in a batch share the products. The LSTM is
/// sequential across chunks. Nothing here allocates once the scratch exists.
struct SileroNetwork {
    static let context = 64, chunk = 512, input = 576, padded = 640, hidden = 128

    let capacity: Int
    private var scratch: [Float]
    private let layout: Layout

    /// Offsets into `scratch` for `capacity` chunks.
    private struct Layout {
        var padded = 0, sums = 0, differences = 0, even = 0, odd = 0, magnitude = 0, col1 = 0, out1 = 0, col2 = 0,
            out2 = 0, out3 = 0, features = 0, gates = 0, joined = 0, total = 0

        init(capacity b: Int) {
            var next = 0
            func take(_ n: Int) -> Int { defer { next += n }; return next }
            padded = take(b * SileroNetwork.padded)
            sums = take(b * 4 * 128)
            differences = take(b * 4 * 128)
            even = take(b * 4 * 130)
            odd = take(b * 4 * 128)
            magnitude = take(b * 4 * 129)
            col1 = take(b * 4 * 387)
            out1 = take(b * 4 * 128)
            col2 = take(b * 2 * 384)
            out2 = take(b * 2 * 64)
            out3 = take(b * 64)
            features = take(b * 128)
            gates = take(b * 512)
            joined = take(256)
            total = next
        }
    }

    init(capacity: Int) {
        self.capacity = capacity
        layout = Layout(capacity: capacity)
        scratch = [Float](repeating: 0, count: layout.total)
    }

    /// Chunk `b`'s 576 model inputs (64 context samples, then 512 new ones) go here; call
    /// `finishInputs` after writing them.
    mutating func withInputs<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let offset = layout.padded
        return try scratch.withUnsafeMutableBufferPointer { try body($0.baseAddress! + offset) }
    }

    /// Runs `count` chunks whose inputs are in place, carrying `h` and `c` (128 each) across
    /// them, and writes one probability per chunk to `probabilities`.
    mutating func run(count: Int, h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
                      model: SileroModel, probabilities: UnsafeMutablePointer<Float>) {
        precondition(count >= 1 && count <= capacity)
        let l = layout
        scratch.withUnsafeMutableBufferPointer { buffer in
            let s = buffer.baseAddress!
            Self.encode(count: count, s, l, model)
            if count == 1 {
                // One chunk: a single product of [W_ih | W_hh] with [x; h].
                (s + l.joined).update(from: s + l.features, count: 128)
                (s + l.joined + 128).update(from: h, count: 128)
                model.lstm.withUnsafeBufferPointer { w in
                    BLAS.gemv(m: 512, n: 256, a: w.baseAddress!, lda: 256, x: s + l.joined, y: s + l.gates)
                }
                probabilities[0] = Self.cell(gates: s + l.gates, h: h, c: c, model: model)
            } else {
                // Input halves of every chunk at once, then the recurrent half step by step.
                model.lstm.withUnsafeBufferPointer { w in
                    BLAS.gemm(transposeB: true, m: count, n: 512, k: 128, a: s + l.features, lda: 128,
                              b: w.baseAddress!, ldb: 256, c: s + l.gates, ldc: 512)
                    for b in 0..<count {
                        let z = s + l.gates + b * 512
                        BLAS.gemv(m: 512, n: 128, a: w.baseAddress! + 128, lda: 256, x: h, beta: 1, y: z)
                        probabilities[b] = Self.cell(gates: z, h: h, c: c, model: model)
                    }
                }
            }
        }
    }

    /// Encoder: reflect pad, STFT magnitude, four convolutions with ReLU → 128 features per chunk.
    private static func encode(count b: Int, _ s: UnsafeMutablePointer<Float>, _ l: Layout, _ model: SileroModel) {
        model.window.withUnsafeBufferPointer { window in
            let w = window.baseAddress!
            for chunk in 0..<b {
                let x = s + l.padded + chunk * Self.padded
                // Reflect on the right without repeating the edge: xp[576 + j] = x[574 − j].
                for j in 0..<64 { x[576 + j] = x[574 - j] }
                for frame in 0..<4 {
                    let first = x + frame * 128, second = first + 128
                    let sum = s + l.sums + (chunk * 4 + frame) * 128
                    let difference = s + l.differences + (chunk * 4 + frame) * 128
                    for n in 0..<128 {
                        let a = w[n] * first[n], c = w[128 + n] * second[n]
                        sum[n] = a + c
                        difference[n] = a - c
                    }
                }
            }
        }
        model.evenBins.withUnsafeBufferPointer { bins in
            BLAS.gemm(transposeB: true, m: 4 * b, n: 130, k: 128, a: s + l.sums, lda: 128,
                      b: bins.baseAddress!, ldb: 128, c: s + l.even, ldc: 130)
        }
        model.oddBins.withUnsafeBufferPointer { bins in
            BLAS.gemm(transposeB: true, m: 4 * b, n: 128, k: 128, a: s + l.differences, lda: 128,
                      b: bins.baseAddress!, ldb: 128, c: s + l.odd, ldc: 128)
        }
        for row in 0..<(4 * b) {
            let even = s + l.even + row * 130, odd = s + l.odd + row * 128
            let magnitude = s + l.magnitude + row * 129
            for j in 0...64 { magnitude[2 * j] = (even[j] * even[j] + even[65 + j] * even[65 + j]).squareRoot() }
            for j in 0..<64 { magnitude[2 * j + 1] = (odd[j] * odd[j] + odd[64 + j] * odd[64 + j]).squareRoot() }
        }
        // conv1: k 3, stride 1, pad 1, 4 → 4 steps.
        Convolution.im2col(s + l.magnitude, channels: 129, steps: 4, outputs: 4, stride: 1, chunks: b, into: s + l.col1)
        convolve(s + l.col1, rows: 4 * b, k: 387, model.conv1, model.conv1Bias, into: s + l.out1)
        // conv2: k 3, stride 2, pad 1, 4 → 2 steps.
        Convolution.im2col(s + l.out1, channels: 128, steps: 4, outputs: 2, stride: 2, chunks: b, into: s + l.col2)
        convolve(s + l.col2, rows: 2 * b, k: 384, model.conv2, model.conv2Bias, into: s + l.out2)
        // conv3: 2 → 1 step; its live taps read both steps, which already sit side by side.
        convolve(s + l.out2, rows: b, k: 128, model.conv3, model.conv3Bias, into: s + l.out3)
        // conv4: 1 → 1 step; only the centre tap meets data.
        convolve(s + l.out3, rows: b, k: 64, model.conv4, model.conv4Bias, into: s + l.features)
    }

    /// out = ReLU(col · Wᵀ + bias), W being [outputs][k].
    private static func convolve(_ col: UnsafeMutablePointer<Float>, rows: Int, k: Int, _ weights: [Float], _ bias: [Float],
                          into out: UnsafeMutablePointer<Float>) {
        let outputs = bias.count
        weights.withUnsafeBufferPointer { w in
            BLAS.gemm(transposeB: true, m: rows, n: outputs, k: k, a: col, lda: k, b: w.baseAddress!, ldb: k,
                      c: out, ldc: outputs)
        }
        bias.withUnsafeBufferPointer { bias in
            for r in 0..<rows {
                let y = out + r * outputs
                for o in 0..<outputs { y[o] = max(0, y[o] + bias[o]) }
            }
        }
    }

    /// LSTM cell update from pre-activations `gates` (W·[x; h], bias not yet added), then the head.
    private static func cell(gates z: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                             c: UnsafeMutablePointer<Float>, model: SileroModel) -> Float {
        model.lstmBias.withUnsafeBufferPointer { bias in
            let b = bias.baseAddress!
            for k in stride(from: 0, to: hidden, by: VectorMath.Lanes.scalarCount) {
                typealias M = VectorMath
                let i = M.sigmoid(M.load(z + k) + M.load(b + k))
                let f = M.sigmoid(M.load(z + 128 + k) + M.load(b + 128 + k))
                let g = M.tanh(M.load(z + 256 + k) + M.load(b + 256 + k))
                let o = M.sigmoid(M.load(z + 384 + k) + M.load(b + 384 + k))
                let cell = f * M.load(c + k) + i * g
                M.store(cell, c + k)
                M.store(o * M.tanh(cell), h + k)
            }
        }
        var logit = model.headBias
        model.head.withUnsafeBufferPointer { w in
            for k in 0..<hidden { logit += w[k] * max(0, h[k]) }
        }
        return sigmoid(logit)
    }

    @inline(__always) private static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
}
