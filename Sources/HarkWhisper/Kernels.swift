import Dispatch
import Foundation
import CHarkBLAS
import HarkBLAS

/// The building blocks of Whisper's transformer on row-major, time-major matrices.
enum Kernels {
    /// y = x · Wᵀ + b for `rows` rows of x (or y += … when `accumulate`). Large products are
    /// split by rows across `threads` (OpenBLAS itself runs single-threaded in Hark). Packed
    /// weights take `scratch`, one buffer per thread, when given (decoding: nothing allocated
    /// per step), else allocate their own.
    static func linear(_ x: UnsafePointer<Float>, rows: Int, _ layer: WhisperModel.Linear,
                       into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, threads: Int = 1,
                       scratch: ThreadScratch? = nil) {
        if let packed = layer.packed {
            return layer.bias.withUnsafeBufferPointer { bias in
                product(packed, x, rows: rows, bias: bias.baseAddress, into: y, accumulate: accumulate,
                        threads: threads, scratch: scratch)
            }
        }
        let n = layer.outputs, k = layer.inputs
        layer.weight.withUnsafeBufferPointer { w in
            // Float16 weights (the decoder's: a step's hypotheses, a few rows): read once for up
            // to 8 rows. Through gemm, OpenBLAS would repack the whole weight matrix on every
            // call, which was most of a step's cost.
            if let half = layer.half {
                for first in stride(from: 0, to: rows, by: 8) {
                    let batch = min(8, rows - first)
                    parallel(rows: n, threads: threads, minimumRows: 256) { _, start, count in
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
            parallel(rows: rows, threads: threads) { _, start, count in
                BLAS.gemm(transposeB: true, m: count, n: n, k: k, a: x + start * k, lda: k, b: w.baseAddress!, ldb: k,
                          beta: accumulate ? 1 : 0, c: y + start * n, ldc: n)
            }
        }
        layer.bias.withUnsafeBufferPointer { b in hark_add_rows(y, b.baseAddress!, rows, n) }
    }

    /// Products with int8 or bfloat16 panels: many rows (the encoder's frames) are split by rows;
    /// a few (decoding's hypotheses) by outputs, in whole panels of 64, and only when the matrix
    /// is large enough (the output projection) for a second thread to pay for its start.
    static func product(_ packed: PackedMatrix, _ x: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>? = nil,
                        into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, threads: Int,
                        scratch: ThreadScratch? = nil) {
        let n = packed.rows, k = packed.columns
        func run(_ part: Int, bytes: Int, _ body: (UnsafeMutableRawPointer) -> Void) {
            if let scratch, part < scratch.count, scratch.byteCount >= bytes { return body(scratch.buffers[part].pointer) }
            ScratchBuffer.with(bytes: bytes, body)
        }
        if rows >= 16 {
            parallel(rows: rows, threads: threads, minimumRows: 16) { part, start, count in
                run(part, bytes: packed.scratchBytes(rows: count)) { s in
                    packed.multiply(x + start * k, ldx: k, rows: count, bias: bias, into: y + start * n, ldy: n,
                                    accumulate: accumulate, scratch: s)
                }
            }
            return
        }
        let panels = (n + 63) / 64
        let split = n * k >= 4_000_000 ? threads : 1
        if split > 1, let scratch, scratch.count >= split, scratch.byteCount >= packed.scratchBytes(rows: rows) {
            return packed.multiply(x, ldx: k, rows: rows, bias: bias, into: y, ldy: n, accumulate: accumulate, split: scratch)
        }
        parallel(rows: panels, threads: split, minimumRows: 1) { part, start, count in
            run(part, bytes: packed.scratchBytes(rows: rows)) { s in
                packed.multiply(x, ldx: k, rows: rows, bias: bias, into: y, ldy: n, accumulate: accumulate,
                                outputs: (start * 64)..<min(n, (start + count) * 64), scratch: s)
            }
        }
    }

    /// x += down(GELU(up(LayerNorm(x)))) for `rows` rows: a transformer layer's feed-forward
    /// block. `normed` holds rows × d floats, `hidden` rows × up.outputs.
    static func feedForward(_ x: UnsafeMutablePointer<Float>, rows: Int, _ norm: WhisperModel.LayerNorm,
                            _ up: WhisperModel.Linear, _ down: WhisperModel.Linear,
                            normed: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, threads: Int,
                            scratch: ThreadScratch? = nil, profile: EncoderProfile? = nil) {
        layerNorm(x, rows: rows, norm, into: normed, threads: threads)
        profile?.lap("layer norm")
        linear(normed, rows: rows, up, into: hidden, threads: threads, scratch: scratch)
        profile?.lap("linear")
        gelu(hidden, count: rows * up.outputs, threads: threads)
        profile?.lap("gelu")
        linear(hidden, rows: rows, down, into: x, accumulate: true, threads: threads, scratch: scratch)
        profile?.lap("linear")
    }

    /// Runs `body` on contiguous row ranges, on up to `threads` threads when there is enough work;
    /// `part` numbers the ranges from 0 (each thread's own scratch).
    static func parallel(rows: Int, threads: Int, minimumRows: Int = 64,
                         _ body: (_ part: Int, _ start: Int, _ count: Int) -> Void) {
        let parts = max(1, min(threads, rows / max(1, minimumRows)))
        if parts == 1 { body(0, 0, rows); return }
        // The region gets `body` through a pointer to a local: nothing is copied to the heap, and
        // hark_parallel returns only when every part is done, so the pointer outlives its use.
        withoutActuallyEscaping(body) { body in
            var region = Region(rows: rows, parts: parts, body: body)
            withUnsafeMutablePointer(to: &region) { context in
                hark_parallel(parts, { context, part in
                    let region = context!.assumingMemoryBound(to: Region.self).pointee
                    let start = region.rows * part / region.parts, end = region.rows * (part + 1) / region.parts
                    region.body(part, start, end - start)
                }, context)
            }
        }
    }


    /// LayerNorm over rows of width d (eps 1e-5); many rows (the encoder's) on `threads` threads.
    static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, _ norm: WhisperModel.LayerNorm,
                          into y: UnsafeMutablePointer<Float>, threads: Int = 1) {
        let d = norm.gamma.count
        norm.gamma.withUnsafeBufferPointer { gamma in
            norm.beta.withUnsafeBufferPointer { beta in
                parallel(rows: rows, threads: threads, minimumRows: 256) { _, start, count in
                    hark_layer_norm(x + start * d, count, d, gamma.baseAddress!, beta.baseAddress!, y + start * d)
                }
            }
        }
    }

    /// Exact GELU in place; large counts on `threads` threads.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, threads: Int = 1) {
        parallel(rows: count, threads: threads, minimumRows: 65_536) { _, start, count in hark_gelu(x + start, count) }
    }

    /// log Σ exp over the values above -inf (NaN left out); -inf when there are none.
    static func logSumExp(_ x: UnsafeBufferPointer<Float>) -> Double {
        guard let base = x.baseAddress else { return -.infinity }
        return hark_log_sum_exp(base, x.count)
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

/// What `Kernels.parallel` hands each part: the split and the body.
private struct Region {
    let rows: Int, parts: Int
    let body: (_ part: Int, _ start: Int, _ count: Int) -> Void
}
