import HarkBLAS

/// Beam search's hypotheses decoded together: one step feeds a token to each and reads the
/// decoder's weights, the encoder's keys and values and the output matrix once for all of them
/// (per hypothesis, that reading was most of a step's cost). Each hypothesis keeps its own
/// self-attention cache; `reorder` makes hypotheses follow the parents they were chosen from.
struct WhisperBeamDecoder {
    let model: WhisperModel
    let threads: Int
    private let d: Int, heads: Int, headSize: Int, frames: Int
    private let crossKV: [[Float]]
    private var keys: [[[Float]]], values: [[[Float]]]   // [hypothesis][layer]: position × d
    private(set) var position: Int

    /// Starts from one decoder that has read the prompt.
    init(_ start: WhisperDecoder) {
        model = start.model
        threads = start.threads
        d = model.dModel
        heads = model.heads
        headSize = d / heads
        frames = start.frames
        crossKV = start.crossKV
        keys = [start.selfKeys]
        values = [start.selfValues]
        position = start.position
    }

    var count: Int { keys.count }

    /// Hypothesis i continues hypothesis `parents[i]`.
    mutating func reorder(_ parents: [Int]) {
        keys = parents.map { keys[$0] }
        values = parents.map { values[$0] }
    }

    /// Feeds `tokens[i]` to hypothesis i; returns each one's logits for the next token.
    mutating func step(_ tokens: [Int]) -> [[Float]] {
        precondition(tokens.count == count && position < WhisperDecoder.maxPositions)
        let b = count, d = self.d, p = position, heads = self.heads, headSize = self.headSize, frames = self.frames
        var x = [Float](repeating: 0, count: b * d)
        for (row, token) in tokens.enumerated() {
            for i in 0..<d { x[row * d + i] = model.embeddings[token * d + i] + model.decoderPositions[p * d + i] }
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
                            BLAS.gemm(transposeB: true, m: b, n: frames, k: headSize, alpha: scale,
                                      a: qkv + head * headSize, lda: d, b: kv + head * headSize, ldb: 2 * d, c: s, ldc: frames)
                            Kernels.softmax(rows: s, rows: b, columns: frames)
                            BLAS.gemm(m: b, n: headSize, k: frames, a: s, lda: frames,
                                      b: kv + d + head * headSize, ldb: 2 * d, c: out + head * headSize, ldc: d)
                        }
                    }
                }}
                Kernels.linear(out, rows: b, layer.crossOut, into: x, accumulate: true, threads: threads)
                Kernels.layerNorm(x, rows: b, layer.ffnNorm, into: n)
                ffn.withUnsafeMutableBufferPointer { f in
                    Kernels.linear(n, rows: b, layer.ffnIn, into: f.baseAddress!, threads: threads)
                    Kernels.gelu(f.baseAddress!, count: b * 4 * d)
                    Kernels.linear(f.baseAddress!, rows: b, layer.ffnOut, into: x, accumulate: true, threads: threads)
                }
            }}}}
        }
        position += 1
        x.withUnsafeBufferPointer { x in n.withUnsafeMutableBufferPointer { n in
            Kernels.layerNorm(x.baseAddress!, rows: b, model.decoderNorm, into: n.baseAddress!)
        }}
        return logits(of: n, rows: b)
    }

    /// The output projection (the token embeddings) for `rows` final hidden states.
    private func logits(of hidden: [Float], rows: Int) -> [[Float]] {
        let d = self.d, vocabulary = model.vocabularySize
        var out = [Float](repeating: 0, count: rows * vocabulary)
        hidden.withUnsafeBufferPointer { h in model.embeddings.withUnsafeBufferPointer { e in out.withUnsafeMutableBufferPointer { o in
            let h = h.baseAddress!, e = e.baseAddress!, o = o.baseAddress!
            // Split over vocabulary rows: each thread reads its share of the matrix once.
            Kernels.parallel(rows: vocabulary, threads: threads, minimumRows: 4096) { start, count in
                if let half = model.embeddingsHalf {
                    half.multiply(rows: start, count: count, columns: d, batch: h, count: rows, into: o + start, ldy: vocabulary)
                } else {
                    BLAS.gemm(transposeB: true, m: rows, n: count, k: d, a: h, lda: d, b: e + start * d, ldb: d,
                              c: o + start, ldc: vocabulary)
                }
            }
        }}}
        return (0..<rows).map { Array(out[($0 * vocabulary)..<(($0 + 1) * vocabulary)]) }
    }
}
