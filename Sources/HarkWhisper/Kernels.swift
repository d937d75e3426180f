import Dispatch
import Foundation
import CHarkBLAS
import HarkBLAS

/// The building blocks of Whisper's transformer on row-major, time-major matrices.
enum Kernels {
    /// y = x · Wᵀ + b for `rows` rows of x (or y += … when `accumulate`). Large products are
    /// split by rows across `threads` (OpenBLAS itself runs single-threaded in Hark).
    static func linear(_ x: UnsafePointer<Float>, rows: Int, _ layer: WhisperModel.Linear,
                       into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, threads: Int = 1) {
        let n = layer.outputs, k = layer.inputs
        layer.weight.withUnsafeBufferPointer { w in
            // Float16 weights (the decoder's: a step's hypotheses, a few rows): read once for up
            // to 8 rows. Through gemm, OpenBLAS would repack the whole weight matrix on every
            // call, which was most of a step's cost.
            if let half = layer.half {
                for first in stride(from: 0, to: rows, by: 8) {
                    let batch = min(8, rows - first)
                    parallel(rows: n, threads: threads, minimumRows: 256) { start, count in
                        half.multiply(rows: start, count: count, columns: k, batch: x + first * k, count: batch,
                                      beta: accumulate ? 1 : 0, into: y + first * n + start, ldy: n)
                    }
                }
                return
            }
            if rows == 1 {
                BLAS.gemv(m: n, n: k, a: w.baseAddress!, lda: k, x: x, beta: accumulate ? 1 : 0, y: y)
                return
            }
            parallel(rows: rows, threads: threads) { start, count in
                BLAS.gemm(transposeB: true, m: count, n: n, k: k, a: x + start * k, lda: k, b: w.baseAddress!, ldb: k,
                          beta: accumulate ? 1 : 0, c: y + start * n, ldc: n)
            }
        }
        layer.bias.withUnsafeBufferPointer { b in hark_add_rows(y, b.baseAddress!, rows, n) }
    }

    /// x += down(GELU(up(LayerNorm(x)))) for `rows` rows: a transformer layer's feed-forward
    /// block. `normed` holds rows × d floats, `hidden` rows × up.outputs.
    static func feedForward(_ x: UnsafeMutablePointer<Float>, rows: Int, _ norm: WhisperModel.LayerNorm,
                            _ up: WhisperModel.Linear, _ down: WhisperModel.Linear,
                            normed: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, threads: Int) {
        layerNorm(x, rows: rows, norm, into: normed)
        linear(normed, rows: rows, up, into: hidden, threads: threads)
        gelu(hidden, count: rows * up.outputs)
        linear(hidden, rows: rows, down, into: x, accumulate: true, threads: threads)
    }

    /// Runs `body` on contiguous row ranges, on up to `threads` threads when there is enough work.
    static func parallel(rows: Int, threads: Int, minimumRows: Int = 64,
                         _ body: (_ start: Int, _ count: Int) -> Void) {
        let parts = max(1, min(threads, rows / minimumRows))
        if parts == 1 { body(0, rows); return }
        withoutActuallyEscaping(body) { body in
            // Safe to share: every part works on its own rows, and concurrentPerform returns only
            // when all parts are done.
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let start = rows * part / parts, end = rows * (part + 1) / parts
                body(start, end - start)
            }
        }
    }

    /// LayerNorm over rows of width d (eps 1e-5).
    static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, _ norm: WhisperModel.LayerNorm,
                          into y: UnsafeMutablePointer<Float>) {
        let d = norm.gamma.count
        norm.gamma.withUnsafeBufferPointer { gamma in
            norm.beta.withUnsafeBufferPointer { beta in
                for r in 0..<rows {
                    let input = x + r * d, output = y + r * d
                    var mean: Float = 0
                    for i in 0..<d { mean += input[i] }
                    mean /= Float(d)
                    var variance: Float = 0
                    for i in 0..<d { let c = input[i] - mean; variance += c * c }
                    variance /= Float(d)
                    let scale = 1 / (variance + 1e-5).squareRoot()
                    for i in 0..<d { output[i] = (input[i] - mean) * scale * gamma[i] + beta[i] }
                }
            }
        }
    }

    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        hark_gelu(x, count)
    }

    /// In-place softmax of `count` values.
    static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        hark_softmax_rows(x, 1, count)
    }

    /// In-place softmax of each of `rows` rows.
    static func softmax(rows x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        hark_softmax_rows(x, rows, columns)
    }
}
