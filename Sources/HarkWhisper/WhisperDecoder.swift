import HarkBLAS

/// Whisper's text decoder for one 30 s window, one token at a time, with a key/value cache for
/// self-attention and the encoder's keys and values computed once for cross-attention.
struct WhisperDecoder {
    let model: WhisperModel
    let threads: Int
    static let maxPositions = 448

    private let d: Int, heads: Int, headSize: Int
    let frames: Int
    private(set) var crossKV: [[Float]]          // per layer: frames × 2d (keys, then values)
    private(set) var selfKeys: [[Float]], selfValues: [[Float]]   // per layer: position × d
    private var x: [Float], normed: [Float], qkv: [Float], attention: [Float], ffn: [Float], scores: [Float]
    private(set) var logits: [Float]
    private(set) var position = 0

    init(model: WhisperModel, encoded: [Float], threads: Int) {
        self.model = model
        self.threads = threads
        d = model.dModel
        heads = model.heads
        headSize = d / heads
        frames = encoded.count / d
        crossKV = model.decoderLayers.map { layer in
            var kv = [Float](repeating: 0, count: encoded.count / model.dModel * 2 * model.dModel)
            encoded.withUnsafeBufferPointer { e in
                kv.withUnsafeMutableBufferPointer { kv in
                    Kernels.linear(e.baseAddress!, rows: encoded.count / model.dModel, layer.crossKV, into: kv.baseAddress!, threads: threads)
                }
            }
            return kv
        }
        // The caches grow a row per position: beam search copies decoders, and a copy then costs
        // the positions used, not all 448.
        selfKeys = Array(repeating: [], count: model.decoderLayers.count)
        selfValues = selfKeys
        x = [Float](repeating: 0, count: d)
        normed = x
        qkv = [Float](repeating: 0, count: 3 * d)
        attention = x
        ffn = [Float](repeating: 0, count: 4 * d)
        scores = [Float](repeating: 0, count: max(frames * max(1, min(threads, heads)), Self.maxPositions))
        logits = [Float](repeating: 0, count: model.vocabularySize)
    }

    /// Feeds `token` at the next position and leaves the next token's logits in `logits`.
    mutating func step(_ token: Int) {
        advance(token)
        let vocabulary = model.vocabularySize, d = self.d, threads = self.threads
        normed.withUnsafeBufferPointer { n in
            model.embeddings.withUnsafeBufferPointer { e in
                logits.withUnsafeMutableBufferPointer { l in
                    let e = e.baseAddress!, l = l.baseAddress!, n = n.baseAddress!
                    Kernels.parallel(rows: vocabulary, threads: threads, minimumRows: 4096) { start, count in
                        if let half = model.embeddingsHalf {
                            half.multiply(rows: start, count: count, columns: d, by: n, into: l + start)
                        } else {
                            BLAS.gemv(m: count, n: d, a: e + start * d, lda: d, x: n, y: l + start)
                        }
                    }
                }
            }
        }
    }

    /// The final hidden state after the last `advance`, for `logits(of:)`.
    var hidden: [Float] { normed }

    /// Feeds `token` through the layers and the final norm, without the output projection.
    mutating func advance(_ token: Int) {
        precondition(position < Self.maxPositions)
        let p = position
        for i in 0..<d { x[i] = model.embeddings[token * d + i] + model.decoderPositions[p * d + i] }
        let scale = 1 / Float(headSize).squareRoot()
        for (index, layer) in model.decoderLayers.enumerated() {
            selfKeys[index].append(contentsOf: repeatElement(0, count: d))
            selfValues[index].append(contentsOf: repeatElement(0, count: d))
            x.withUnsafeMutableBufferPointer { x in
            normed.withUnsafeMutableBufferPointer { n in
            qkv.withUnsafeMutableBufferPointer { qkv in
            attention.withUnsafeMutableBufferPointer { out in
            scores.withUnsafeMutableBufferPointer { s in
            selfKeys[index].withUnsafeMutableBufferPointer { keys in
            selfValues[index].withUnsafeMutableBufferPointer { values in
            crossKV[index].withUnsafeBufferPointer { kv in
                let x = x.baseAddress!, n = n.baseAddress!, qkv = qkv.baseAddress!, out = out.baseAddress!
                let s = s.baseAddress!, keys = keys.baseAddress!, values = values.baseAddress!, kv = kv.baseAddress!
                // Causal self-attention over positions 0…p.
                Kernels.layerNorm(x, rows: 1, layer.selfNorm, into: n)
                Kernels.linear(n, rows: 1, layer.selfQKV, into: qkv, threads: threads)
                (keys + p * d).update(from: qkv + d, count: d)
                (values + p * d).update(from: qkv + 2 * d, count: d)
                for h in 0..<heads {
                    BLAS.gemv(m: p + 1, n: headSize, alpha: scale, a: keys + h * headSize, lda: d, x: qkv + h * headSize, y: s)
                    Kernels.softmax(s, count: p + 1)
                    BLAS.gemv(transpose: true, m: p + 1, n: headSize, a: values + h * headSize, lda: d, x: s, y: out + h * headSize)
                }
                Kernels.linear(out, rows: 1, layer.selfOut, into: x, accumulate: true, threads: threads)
                // Cross-attention over the encoder's frames.
                Kernels.layerNorm(x, rows: 1, layer.crossNorm, into: n)
                Kernels.linear(n, rows: 1, layer.crossQuery, into: qkv, threads: threads)
                // Heads split across threads, each part with its own scores row: this reads all
                // of the encoder's keys and values, the largest read of a step after the output matrix.
                let parts = max(1, min(threads, heads)), frames = self.frames
                Kernels.parallel(rows: heads, threads: parts, minimumRows: 1) { first, count in
                    let s = s + (first * parts / heads) * frames
                    for h in first..<(first + count) {
                        BLAS.gemv(m: frames, n: headSize, alpha: scale, a: kv + h * headSize, lda: 2 * d, x: qkv + h * headSize, y: s)
                        Kernels.softmax(s, count: frames)
                        BLAS.gemv(transpose: true, m: frames, n: headSize, a: kv + d + h * headSize, lda: 2 * d, x: s, y: out + h * headSize)
                    }
                }
                Kernels.linear(out, rows: 1, layer.crossOut, into: x, accumulate: true, threads: threads)
                // Feed-forward.
                Kernels.layerNorm(x, rows: 1, layer.ffnNorm, into: n)
                ffn.withUnsafeMutableBufferPointer { f in
                    Kernels.linear(n, rows: 1, layer.ffnIn, into: f.baseAddress!, threads: threads)
                    Kernels.gelu(f.baseAddress!, count: 4 * d)
                    Kernels.linear(f.baseAddress!, rows: 1, layer.ffnOut, into: x, accumulate: true, threads: threads)
                }
            }}}}}}}}
        }
        x.withUnsafeBufferPointer { x in
            normed.withUnsafeMutableBufferPointer { n in
                Kernels.layerNorm(x.baseAddress!, rows: 1, model.decoderNorm, into: n.baseAddress!)
            }
        }
        position += 1
    }
}
