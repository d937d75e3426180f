import HarkBLAS
import HarkCore

/// Whisper's audio encoder: two convolutions with GELU, positions, pre-norm self-attention blocks,
/// a final LayerNorm. Input 3000 × mel frames, output 1500 × d.
///
/// float32 runs OpenBLAS products and an unfused attention, as faster-whisper's float32 does;
/// int8 and bfloat16 run the packed kernels and the fused bfloat16 attention (`Attention`).
struct WhisperEncoder {
    let model: WhisperModel
    let threads: Int
    static let inputFrames = 3000, outputFrames = 1500

    func encode(_ mel: [Float], cancellation: CancellationFlag? = nil) throws(HarkError) -> [Float] {
        let d = model.dModel, mels = model.melBins, t1 = Self.inputFrames, t2 = Self.outputFrames
        var col = [Float](repeating: 0, count: t2 * 3 * d)
        var hidden = [Float](repeating: 0, count: t1 * d)
        var x = [Float](repeating: 0, count: t2 * d)
        mel.withUnsafeBufferPointer { mel in
            col.withUnsafeMutableBufferPointer { col in
                // conv1: k 3, pad 1 → 3000 steps.
                Convolution.im2col(mel.baseAddress!, channels: mels, steps: t1, outputs: t1, stride: 1, into: col.baseAddress!)
                hidden.withUnsafeMutableBufferPointer { h in
                    Kernels.linear(col.baseAddress!, rows: t1, model.conv1, into: h.baseAddress!, threads: threads)
                    Kernels.gelu(h.baseAddress!, count: t1 * d, threads: threads)
                    // conv2: k 3, stride 2, pad 1 → 1500 steps.
                    Convolution.im2col(h.baseAddress!, channels: d, steps: t1, outputs: t2, stride: 2, into: col.baseAddress!)
                }
                x.withUnsafeMutableBufferPointer { x in
                    Kernels.linear(col.baseAddress!, rows: t2, model.conv2, into: x.baseAddress!, threads: threads)
                    Kernels.gelu(x.baseAddress!, count: t2 * d, threads: threads)
                }
            }
        }
        for i in 0..<(t2 * d) { x[i] += model.encoderPositions[i] }

        var normed = [Float](repeating: 0, count: t2 * d)
        var qkv = [Float](repeating: 0, count: t2 * 3 * d)
        var attention = [Float](repeating: 0, count: t2 * d)
        var ffn = [Float](repeating: 0, count: t2 * 4 * d)
        let heads = model.heads, parts = max(1, min(threads, heads))
        let attend = model.computeType == .float32 ? SelfAttention.unfused(heads: heads, headSize: d / heads, parts: parts)
                                                   : SelfAttention.fused(heads: heads, headSize: d / heads, parts: parts)
        for layer in model.encoderLayers {
            try cancellation?.check()
            x.withUnsafeMutableBufferPointer { x in
                normed.withUnsafeMutableBufferPointer { n in
                    qkv.withUnsafeMutableBufferPointer { qkv in
                        attention.withUnsafeMutableBufferPointer { out in
                            let x = x.baseAddress!, n = n.baseAddress!, qkv = qkv.baseAddress!, out = out.baseAddress!
                            Kernels.layerNorm(x, rows: t2, layer.attentionNorm, into: n, threads: threads)
                            Kernels.linear(n, rows: t2, layer.qkv, into: qkv, threads: threads)
                            attend.run(qkv, frames: t2, into: out)
                            Kernels.linear(out, rows: t2, layer.attentionOut, into: x, accumulate: true, threads: threads)
                            ffn.withUnsafeMutableBufferPointer { f in
                                Kernels.feedForward(x, rows: t2, layer.ffnNorm, layer.ffnIn, layer.ffnOut,
                                                    normed: n, hidden: f.baseAddress!, threads: threads)
                            }
                        }
                    }
                }
            }
        }
        var output = [Float](repeating: 0, count: t2 * d)
        x.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { o in
                Kernels.layerNorm(x.baseAddress!, rows: t2, model.encoderNorm, into: o.baseAddress!, threads: threads)
            }
        }
        return output
    }
}

/// Multi-head self-attention over all frames, heads split over threads: out (frames × d) from a
/// frames × 3d matrix of queries, keys and values. One scratch per thread, kept for every layer.
private struct SelfAttention {
    let heads: Int, headSize: Int, parts: Int
    /// fused: scratch for `Attention.attend`; unfused: one frames × frames score matrix.
    let scratch: [ScratchBuffer]
    let fused: Bool

    static func fused(heads: Int, headSize: Int, parts: Int) -> SelfAttention {
        let bytes = Attention.scratchBytes(keys: WhisperEncoder.outputFrames, headSize: headSize, packing: true)
        return SelfAttention(heads: heads, headSize: headSize, parts: parts,
                             scratch: (0..<parts).map { _ in ScratchBuffer(byteCount: bytes) }, fused: true)
    }

    static func unfused(heads: Int, headSize: Int, parts: Int) -> SelfAttention {
        let frames = WhisperEncoder.outputFrames
        return SelfAttention(heads: heads, headSize: headSize, parts: parts,
                             scratch: (0..<parts).map { _ in ScratchBuffer(byteCount: frames * frames * 4) }, fused: false)
    }

    func run(_ qkv: UnsafeMutablePointer<Float>, frames t: Int, into out: UnsafeMutablePointer<Float>) {
        let d = heads * headSize, alpha = 1 / Float(headSize).squareRoot()
        Kernels.parallel(rows: heads, threads: parts, minimumRows: 1) { part, first, count in
            let scratch = self.scratch[part].pointer
            for h in first..<(first + count) {
                let q = qkv + h * headSize, k = qkv + d + h * headSize, v = qkv + 2 * d + h * headSize
                if fused {
                    Attention.attend(q, ldq: 3 * d, rows: t, keys: k, ldk: 3 * d, values: v, ldv: 3 * d, count: t,
                                     headSize: headSize, alpha: alpha, into: out + h * headSize, ldo: d, scratch: scratch)
                    continue
                }
                let s = scratch.assumingMemoryBound(to: Float.self)
                BLAS.gemm(transposeB: true, m: t, n: t, k: headSize, alpha: alpha, a: q, lda: 3 * d, b: k, ldb: 3 * d, c: s, ldc: t)
                Kernels.softmax(rows: s, rows: t, columns: t)
                BLAS.gemm(m: t, n: headSize, k: t, a: s, lda: t, b: v, ldb: 3 * d, c: out + h * headSize, ldc: d)
            }
        }
    }
}
