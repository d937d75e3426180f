import HarkBLAS

/// Whisper's text decoder for one 30 s window: one or more hypotheses (beam search's beams) fed a
/// token each per step. A step reads the decoder's weights, the encoder's keys and values and the
/// output matrix once for all hypotheses — that reading, not arithmetic, is most of its cost. Each
/// hypothesis keeps its own self-attention cache; `reorder` makes hypotheses follow the parents
/// they were chosen from. The encoder's keys and values are computed once, at the start.
struct WhisperDecoder {
    let model: WhisperModel
    let threads: Int
    static let maxPositions = 448

    private let d: Int, heads: Int, headSize: Int, frames: Int
    private let crossKV: [[Float]]                          // per layer: frames × 2d (keys, then values)
    private var keys: [[[Float]]], values: [[[Float]]]      // [hypothesis][layer]: position × d
    /// Each hypothesis's logits for its next token, after the last `step`.
    private(set) var logits: [[Float]] = []
    private(set) var position = 0

    /// One hypothesis, before the prompt.
    init(model: WhisperModel, encoded: [Float], threads: Int) {
        self.model = model
        self.threads = threads
        d = model.dModel
        heads = model.heads
        headSize = d / heads
        frames = encoded.count / d
        let frames = self.frames, d = self.d
        crossKV = model.decoderLayers.map { layer in
            var kv = [Float](repeating: 0, count: frames * 2 * d)
            encoded.withUnsafeBufferPointer { e in
                kv.withUnsafeMutableBufferPointer { kv in
                    Kernels.linear(e.baseAddress!, rows: frames, layer.crossKV, into: kv.baseAddress!, threads: threads)
                }
            }
            return kv
        }
        // The caches grow a row per position, so following a parent copies only what it holds.
        keys = [Array(repeating: [], count: model.decoderLayers.count)]
        values = keys
    }

    var count: Int { keys.count }

    /// Hypothesis i continues hypothesis `parents[i]`.
    mutating func reorder(_ parents: [Int]) {
        keys = parents.map { keys[$0] }
        values = parents.map { values[$0] }
    }

    /// Feeds `tokens[i]` to hypothesis i and leaves each one's next-token logits in `logits`.
    mutating func step(_ tokens: [Int]) {
        precondition(tokens.count == count && position < WhisperDecoder.maxPositions)
        let b = count, d = self.d, p = position, heads = self.heads, headSize = self.headSize, frames = self.frames
        var x = [Float](repeating: 0, count: b * d)
        x.withUnsafeMutableBufferPointer { x in
            for (row, token) in tokens.enumerated() {
                model.embedding(of: token, into: x.baseAddress! + row * d)
                for i in 0..<d { x[row * d + i] += model.decoderPositions[p * d + i] }
            }
        }
        var n = [Float](repeating: 0, count: b * d), qkv = [Float](repeating: 0, count: b * 3 * d)
        var out = [Float](repeating: 0, count: b * d), ffn = [Float](repeating: 0, count: b * 4 * d)
        let parts = max(1, min(threads, heads))
        var scores = [Float](repeating: 0, count: parts * b * max(frames, p + 1))
        let scale = 1 / Float(headSize).squareRoot()
        for (index, layer) in model.decoderLayers.enumerated() {
            x.withUnsafeMutableBufferPointer { x in n.withUnsafeMutableBufferPointer { n in
            qkv.withUnsafeMutableBufferPointer { qkv in out.withUnsafeMutableBufferPointer { out in
                let x = x.baseAddress!, n = n.baseAddress!, qkv = qkv.baseAddress!, out = out.baseAddress!
                // Causal self-attention, each hypothesis over its own past.
                Kernels.layerNorm(x, rows: b, layer.selfNorm, into: n)
                Kernels.linear(n, rows: b, layer.selfQKV, into: qkv, threads: threads)
                for h in 0..<b {
                    keys[h][index].append(contentsOf: UnsafeBufferPointer(start: qkv + h * 3 * d + d, count: d))
                    values[h][index].append(contentsOf: UnsafeBufferPointer(start: qkv + h * 3 * d + 2 * d, count: d))
                }
                scores.withUnsafeMutableBufferPointer { s in
                    let s = s.baseAddress!
                    for h in 0..<b {
                        keys[h][index].withUnsafeBufferPointer { k in values[h][index].withUnsafeBufferPointer { v in
                            for head in 0..<heads {
                                BLAS.gemv(m: p + 1, n: headSize, alpha: scale, a: k.baseAddress! + head * headSize, lda: d,
                                          x: qkv + h * 3 * d + head * headSize, y: s)
                                Kernels.softmax(s, count: p + 1)
                                BLAS.gemv(transpose: true, m: p + 1, n: headSize, a: v.baseAddress! + head * headSize, lda: d,
                                          x: s, y: out + h * d + head * headSize)
                            }
                        }}
                    }
                }
                Kernels.linear(out, rows: b, layer.selfOut, into: x, accumulate: true, threads: threads)
                // Cross-attention: all hypotheses' queries against the encoder's frames at once.
                Kernels.layerNorm(x, rows: b, layer.crossNorm, into: n)
                Kernels.linear(n, rows: b, layer.crossQuery, into: qkv, threads: threads)   // b × d, rows d apart
                crossKV[index].withUnsafeBufferPointer { kv in scores.withUnsafeMutableBufferPointer { s in
                    let kv = kv.baseAddress!, s = s.baseAddress!
                    Kernels.parallel(rows: heads, threads: parts, minimumRows: 1) { first, count in
                        let s = s + (first * parts / heads) * b * frames
                        for head in first..<(first + count) {
                            let keys = kv + head * headSize, values = kv + d + head * headSize
                            // gemm packs the keys and values before using them: for one query
                            // (greedy decoding) that copy costs more than it saves.
                            if b == 1 {
                                BLAS.gemv(m: frames, n: headSize, alpha: scale, a: keys, lda: 2 * d, x: qkv + head * headSize, y: s)
                                Kernels.softmax(s, count: frames)
                                BLAS.gemv(transpose: true, m: frames, n: headSize, a: values, lda: 2 * d, x: s, y: out + head * headSize)
                            } else {
                                BLAS.gemm(transposeB: true, m: b, n: frames, k: headSize, alpha: scale,
                                          a: qkv + head * headSize, lda: d, b: keys, ldb: 2 * d, c: s, ldc: frames)
                                Kernels.softmax(rows: s, rows: b, columns: frames)
                                BLAS.gemm(m: b, n: headSize, k: frames, a: s, lda: frames, b: values, ldb: 2 * d,
                                          c: out + head * headSize, ldc: d)
                            }
                        }
                    }
                }}
                Kernels.linear(out, rows: b, layer.crossOut, into: x, accumulate: true, threads: threads)
                ffn.withUnsafeMutableBufferPointer { f in
                    Kernels.feedForward(x, rows: b, layer.ffnNorm, layer.ffnIn, layer.ffnOut,
                                        normed: n, hidden: f.baseAddress!, threads: threads)
                }
            }}}}
        }
        position += 1
        x.withUnsafeBufferPointer { x in n.withUnsafeMutableBufferPointer { n in
            Kernels.layerNorm(x.baseAddress!, rows: b, model.decoderNorm, into: n.baseAddress!)
        }}
        logits = projection(of: n, rows: b)
    }

    /// The output projection (the token embeddings) for `rows` final hidden states.
    private func projection(of hidden: [Float], rows: Int) -> [[Float]] {
        let d = self.d, vocabulary = model.vocabularySize
        var out = [Float](repeating: 0, count: rows * vocabulary)
        hidden.withUnsafeBufferPointer { h in model.embeddings.withUnsafeBufferPointer { e in out.withUnsafeMutableBufferPointer { o in
            let h = h.baseAddress!, o = o.baseAddress!
            // Split over vocabulary rows: each thread reads its share of the matrix once.
            Kernels.parallel(rows: vocabulary, threads: threads, minimumRows: 4096) { start, count in
                if let half = model.embeddingsHalf {
                    half.multiply(rows: start, count: count, columns: d, batch: h, count: rows, into: o + start, ldy: vocabulary)
                } else {
                    BLAS.gemm(transposeB: true, m: rows, n: count, k: d, a: h, lda: d, b: e.baseAddress! + start * d, ldb: d,
                              c: o + start, ldc: vocabulary)
                }
            }
        }}}
        return (0..<rows).map { Array(out[($0 * vocabulary)..<(($0 + 1) * vocabulary)]) }
    }
}
