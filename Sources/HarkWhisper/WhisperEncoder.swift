import HarkBLAS
import HarkCore

/// Whisper's audio encoder: two convolutions with GELU, positions, pre-norm self-attention blocks,
/// a final LayerNorm. Input 3000 × mel frames, output 1500 × d.
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
                    Kernels.gelu(h.baseAddress!, count: t1 * d)
                    // conv2: k 3, stride 2, pad 1 → 1500 steps.
                    Convolution.im2col(h.baseAddress!, channels: d, steps: t1, outputs: t2, stride: 2, into: col.baseAddress!)
                }
                x.withUnsafeMutableBufferPointer { x in
                    Kernels.linear(col.baseAddress!, rows: t2, model.conv2, into: x.baseAddress!, threads: threads)
                    Kernels.gelu(x.baseAddress!, count: t2 * d)
                }
            }
        }
        for i in 0..<(t2 * d) { x[i] += model.encoderPositions[i] }

        var normed = [Float](repeating: 0, count: t2 * d)
        var qkv = [Float](repeating: 0, count: t2 * 3 * d)
        var attention = [Float](repeating: 0, count: t2 * d)
        var ffn = [Float](repeating: 0, count: t2 * 4 * d)
        let heads = model.heads, headSize = d / heads
        // One score matrix per thread, reused by the heads that thread runs.
        let parts = max(1, min(threads, heads))
        var scores = [Float](repeating: 0, count: parts * t2 * t2)
        for layer in model.encoderLayers {
            try cancellation?.check()
            x.withUnsafeMutableBufferPointer { x in
                normed.withUnsafeMutableBufferPointer { n in
                    qkv.withUnsafeMutableBufferPointer { qkv in
                        attention.withUnsafeMutableBufferPointer { out in
                            scores.withUnsafeMutableBufferPointer { scores in
                                let x = x.baseAddress!, n = n.baseAddress!, qkv = qkv.baseAddress!, out = out.baseAddress!
                                let scores = scores.baseAddress!
                                Kernels.layerNorm(x, rows: t2, layer.attentionNorm, into: n)
                                Kernels.linear(n, rows: t2, layer.qkv, into: qkv, threads: threads)
                                Kernels.parallel(rows: heads, threads: parts, minimumRows: 1) { first, count in
                                    let s = scores + (first * parts / heads) * t2 * t2
                                    for h in first..<(first + count) {
                                        BLAS.gemm(transposeB: true, m: t2, n: t2, k: headSize,
                                                  alpha: 1 / Float(headSize).squareRoot(),
                                                  a: qkv + h * headSize, lda: 3 * d, b: qkv + d + h * headSize, ldb: 3 * d,
                                                  c: s, ldc: t2)
                                        Kernels.softmax(rows: s, rows: t2, columns: t2)
                                        BLAS.gemm(m: t2, n: headSize, k: t2, a: s, lda: t2,
                                                  b: qkv + 2 * d + h * headSize, ldb: 3 * d, c: out + h * headSize, ldc: d)
                                    }
                                }
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
        }
        var output = [Float](repeating: 0, count: t2 * d)
        x.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { o in Kernels.layerNorm(x.baseAddress!, rows: t2, model.encoderNorm, into: o.baseAddress!) }
        }
        return output
    }
}
