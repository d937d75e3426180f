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

    func encode(_ mel: [Float], cancellation: CancellationFlag? = nil, profile: EncoderProfile? = nil) throws(HarkError) -> [Float] {
        profile?.start()
        let d = model.dModel, mels = model.melBins, t1 = Self.inputFrames, t2 = Self.outputFrames
        // One workspace per window, written whole: on huge pages (ScratchBuffer), its page faults
        // cost ~1 ms instead of ~10. The convolutions' buffers are the layers' qkv and ffn ones
        // (im2col: t2 × 3d ≥ t1 × 3·mels; conv1's output: t1 × d ≤ t2 × 4d).
        let workspace = ScratchBuffer(byteCount: 10 * t2 * d * MemoryLayout<Float>.size, hugePages: true)
        defer { withExtendedLifetime(workspace) {} }
        let qkv = workspace.floats, ffn = qkv + 3 * t2 * d, x = ffn + 4 * t2 * d, normed = x + t2 * d, attention = normed + t2 * d
        let col = qkv, hidden = ffn
        precondition(t1 * 3 * mels <= t2 * 3 * d && t1 * d <= t2 * 4 * d)
        profile?.lap("other")
        mel.withUnsafeBufferPointer { mel in
            // conv1: k 3, pad 1 → 3000 steps.
            Convolution.im2col(mel.baseAddress!, channels: mels, steps: t1, outputs: t1, stride: 1, into: col)
            Kernels.linear(col, rows: t1, model.conv1, into: hidden, threads: threads)
            profile?.lap("convolutions")
            Kernels.gelu(hidden, count: t1 * d, threads: threads)
            profile?.lap("gelu")
        }
        // conv2: k 3, stride 2, pad 1 → 1500 steps.
        Convolution.im2col(hidden, channels: d, steps: t1, outputs: t2, stride: 2, into: col)
        Kernels.linear(col, rows: t2, model.conv2, into: x, threads: threads)
        profile?.lap("convolutions")
        Kernels.gelu(x, count: t2 * d, threads: threads)
        profile?.lap("gelu")
        model.encoderPositions.withUnsafeBufferPointer { positions in
            for i in 0..<(t2 * d) { x[i] += positions[i] }
        }
        profile?.lap("other")

        let heads = model.heads, parts = max(1, min(threads, heads))
        let attend = model.computeType == .float32 ? SelfAttention.unfused(heads: heads, headSize: d / heads, parts: parts)
                                                   : SelfAttention.fused(heads: heads, headSize: d / heads, parts: parts)
        for layer in model.encoderLayers {
            try cancellation?.check()
            Kernels.layerNorm(x, rows: t2, layer.attentionNorm, into: normed, threads: threads)
            profile?.lap("layer norm")
            Kernels.linear(normed, rows: t2, layer.qkv, into: qkv, threads: threads)
            profile?.lap("linear")
            attend.run(qkv, frames: t2, into: attention)
            profile?.lap("attention")
            Kernels.linear(attention, rows: t2, layer.attentionOut, into: x, accumulate: true, threads: threads)
            profile?.lap("linear")
            Kernels.feedForward(x, rows: t2, layer.ffnNorm, layer.ffnIn, layer.ffnOut,
                                normed: normed, hidden: ffn, threads: threads, profile: profile)
        }
        let output = [Float](unsafeUninitializedCapacity: t2 * d) { buffer, count in
            Kernels.layerNorm(x, rows: t2, model.encoderNorm, into: buffer.baseAddress!, threads: threads)
            count = t2 * d
        }
        profile?.lap("layer norm")
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
