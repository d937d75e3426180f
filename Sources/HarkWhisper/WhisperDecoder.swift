import HarkBLAS

/// Whisper's text decoder for one 30 s window: one or more hypotheses (beam search's beams) fed a
/// token each per step. A step reads the decoder's weights, the encoder's keys and values and the
/// output matrix once for all hypotheses — that reading, not arithmetic, is most of its cost. Each
/// hypothesis keeps its own self-attention cache; `reorder` makes hypotheses follow the parents
/// they were chosen from. The encoder's keys and values are computed once, at the start.
///
/// Every buffer a step uses is allocated here, for `capacity` hypotheses: a step allocates nothing.
struct WhisperDecoder {
    let model: WhisperModel
    let threads: Int
    /// The most hypotheses a step takes.
    let capacity: Int
    static let maxPositions = 448

    private let d: Int, heads: Int, headSize: Int, frames: Int, layers: Int
    private let cross: [CrossAttention]            // per layer
    /// Self-attention caches, [hypothesis][layer][position][d], uninitialised memory (only the
    /// rows written become resident); `spare` is the other half of a double buffer for `reorder`.
    private var keys: ScratchBuffer, values: ScratchBuffer, spareKeys: ScratchBuffer, spareValues: ScratchBuffer
    private var x: [Float], n: [Float], qkv: [Float], out: [Float], ffn: [Float], scores: [Float]
    private var logitRows: [Float]
    /// One per thread: packed products' and packed attention's scratch.
    private let scratch: ThreadScratch
    private(set) var count = 1
    private(set) var position = 0
    /// Records the alignment heads' attention at each step (word timing); nil while decoding.
    var recorder: AttentionRecorder?

    /// One hypothesis, before the prompt; room for `capacity`.
    init(model: WhisperModel, encoded: [Float], threads: Int, capacity: Int = 1) {
        self.model = model
        self.threads = threads
        self.capacity = max(1, capacity)
        d = model.dModel
        heads = model.heads
        headSize = d / heads
        frames = encoded.count / d
        layers = model.decoderLayers.count
        let frames = self.frames, d = self.d, heads = self.heads, headSize = self.headSize
        // Packed types pack each layer's keys and values from one float buffer, reused.
        let staging = model.computeType == .float32 ? nil : ScratchBuffer(byteCount: frames * 2 * d * 4, hugePages: true)
        cross = model.decoderLayers.map { layer in
            guard let staging else {
                var kv = [Float](repeating: 0, count: frames * 2 * d)
                encoded.withUnsafeBufferPointer { e in
                    kv.withUnsafeMutableBufferPointer { kv in
                        Kernels.linear(e.baseAddress!, rows: frames, layer.crossKV, into: kv.baseAddress!, threads: threads)
                    }
                }
                return CrossAttention(floats: kv, packed: nil)
            }
            let kv = staging.floats
            encoded.withUnsafeBufferPointer { e in
                Kernels.linear(e.baseAddress!, rows: frames, layer.crossKV, into: kv, threads: threads)
            }
            let packed = (0..<heads).map { head in
                PackedKeysValues(keys: kv + head * headSize, ldk: 2 * d, values: kv + d + head * headSize, ldv: 2 * d,
                                 count: frames, headSize: headSize)
            }
            return CrossAttention(floats: [], packed: PackedHeads(packed))
        }
        withExtendedLifetime(staging) {}
        let cache = self.capacity * layers * Self.maxPositions * d * MemoryLayout<Float>.size
        keys = ScratchBuffer(byteCount: cache)
        values = ScratchBuffer(byteCount: cache)
        spareKeys = ScratchBuffer(byteCount: cache)
        spareValues = ScratchBuffer(byteCount: cache)
        let b = self.capacity
        x = [Float](repeating: 0, count: b * d)
        n = x
        out = x
        qkv = [Float](repeating: 0, count: b * 3 * d)
        ffn = [Float](repeating: 0, count: b * 4 * d)
        let parts = max(1, min(threads, heads))
        scores = [Float](repeating: 0, count: parts * b * max(frames, Self.maxPositions))
        logitRows = [Float](repeating: 0, count: b * model.vocabularySize)
        var bytes = cross.first?.packed?.heads.first?.scratchBytes ?? 0
        for layer in model.decoderLayers {
            for linear in [layer.selfQKV, layer.selfOut, layer.crossQuery, layer.crossOut, layer.ffnIn, layer.ffnOut] {
                bytes = max(bytes, linear.packed?.scratchBytes(rows: b) ?? 0)
            }
        }
        bytes = max(bytes, model.embeddingsPacked?.scratchBytes(rows: b) ?? 0)
        scratch = ThreadScratch(threads: max(threads, parts), byteCount: bytes)
    }

    /// Hypothesis `index`'s logits for its next token, after the last `step`, to read or change
    /// in place (a search masks tokens in them).
    mutating func withLogits<R>(of index: Int, _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(index < count)
        let vocabulary = model.vocabularySize
        return try logitRows.withUnsafeMutableBufferPointer { all in
            var row = UnsafeMutableBufferPointer(rebasing: all[(index * vocabulary)..<((index + 1) * vocabulary)])
            return try body(&row)
        }
    }

    /// Back to one hypothesis before any token, the encoder's keys and values kept (language
    /// detection reads one step, then the transcription starts over).
    mutating func rewind() {
        count = 1
        position = 0
    }

    /// Hypothesis i continues hypothesis `parents[i]`.
    mutating func reorder(_ parents: [Int]) {
        precondition(parents.count <= capacity && parents.allSatisfy { $0 < count })
        let block = layers * Self.maxPositions * d, used = position * d
        if !parents.enumerated().allSatisfy({ $0.offset == $0.element }) {
            let keys = self.keys.floats, values = self.values.floats
            let spareKeys = self.spareKeys.floats, spareValues = self.spareValues.floats
            for (child, parent) in parents.enumerated() {
                for layer in 0..<layers {
                    let from = parent * block + layer * Self.maxPositions * d, to = child * block + layer * Self.maxPositions * d
                    (spareKeys + to).update(from: keys + from, count: used)
                    (spareValues + to).update(from: values + from, count: used)
                }
            }
            swap(&self.keys, &self.spareKeys)
            swap(&self.values, &self.spareValues)
        }
        count = parents.count
    }

    /// Feeds `tokens[i]` to hypothesis i and leaves each one's next-token logits (`withLogits`).
    mutating func step(_ tokens: [Int]) {
        precondition(tokens.count == count && position < WhisperDecoder.maxPositions)
        let b = count, d = self.d, p = position, heads = self.heads, headSize = self.headSize, frames = self.frames
        let block = layers * Self.maxPositions * d, threads = self.threads, scratch = self.scratch
        let parts = max(1, min(threads, heads))
        let scale = 1 / Float(headSize).squareRoot()
        let model = self.model, cross = self.cross
        x.withUnsafeMutableBufferPointer { x in n.withUnsafeMutableBufferPointer { n in
        qkv.withUnsafeMutableBufferPointer { qkv in out.withUnsafeMutableBufferPointer { out in
        let keys = self.keys.floats, values = self.values.floats
        ffn.withUnsafeMutableBufferPointer { ffn in scores.withUnsafeMutableBufferPointer { s in
            let x = x.baseAddress!, n = n.baseAddress!, qkv = qkv.baseAddress!, out = out.baseAddress!, s = s.baseAddress!
            for (row, token) in tokens.enumerated() {
                model.embedding(of: token, into: x + row * d)
                for i in 0..<d { x[row * d + i] += model.decoderPositions[p * d + i] }
            }
            for (index, layer) in model.decoderLayers.enumerated() {
                // Causal self-attention, each hypothesis over its own past.
                Kernels.layerNorm(x, rows: b, layer.selfNorm, into: n)
                Kernels.linear(n, rows: b, layer.selfQKV, into: qkv, threads: threads, scratch: scratch)
                for h in 0..<b {
                    let k = keys + h * block + index * Self.maxPositions * d
                    let v = values + h * block + index * Self.maxPositions * d
                    (k + p * d).update(from: qkv + h * 3 * d + d, count: d)
                    (v + p * d).update(from: qkv + h * 3 * d + 2 * d, count: d)
                    for head in 0..<heads {
                        BLAS.gemv(m: p + 1, n: headSize, alpha: scale, a: k + head * headSize, lda: d,
                                  x: qkv + h * 3 * d + head * headSize, y: s)
                        Kernels.softmax(s, count: p + 1)
                        BLAS.gemv(transpose: true, m: p + 1, n: headSize, a: v + head * headSize, lda: d,
                                  x: s, y: out + h * d + head * headSize)
                    }
                }
                Kernels.linear(out, rows: b, layer.selfOut, into: x, accumulate: true, threads: threads, scratch: scratch)
                // Cross-attention: all hypotheses' queries against the encoder's frames at once.
                Kernels.layerNorm(x, rows: b, layer.crossNorm, into: n)
                Kernels.linear(n, rows: b, layer.crossQuery, into: qkv, threads: threads, scratch: scratch)   // b × d, rows d apart
                recorder?.record(layer: index, query: qkv)
                cross[index].attend(qkv, rows: b, frames: frames, heads: heads, headSize: headSize, alpha: scale,
                                    into: out, parts: parts, scores: s, scratch: scratch)
                Kernels.linear(out, rows: b, layer.crossOut, into: x, accumulate: true, threads: threads, scratch: scratch)
                Kernels.feedForward(x, rows: b, layer.ffnNorm, layer.ffnIn, layer.ffnOut,
                                    normed: n, hidden: ffn.baseAddress!, threads: threads, scratch: scratch)
            }
            Kernels.layerNorm(x, rows: b, model.decoderNorm, into: n)
        }}}}}}
        position += 1
        projectLogits()
    }

    /// The output projection (the token embeddings) for the hypotheses' final hidden states.
    private mutating func projectLogits() {
        let d = self.d, vocabulary = model.vocabularySize, rows = count, model = self.model
        let threads = self.threads, scratch = self.scratch
        n.withUnsafeBufferPointer { h in logitRows.withUnsafeMutableBufferPointer { o in
            let h = h.baseAddress!, o = o.baseAddress!
            if let packed = model.embeddingsPacked {
                return Kernels.product(packed, h, rows: rows, into: o, threads: threads, scratch: scratch)
            }
            model.embeddings.withUnsafeBufferPointer { e in
                // Split over vocabulary rows: each thread reads its share of the matrix once.
                Kernels.parallel(rows: vocabulary, threads: threads, minimumRows: 4096) { _, start, count in
                    if let half = model.embeddingsHalf {
                        half.multiply(rows: start, count: count, columns: d, batch: h, count: rows, into: o + start, ldy: vocabulary)
                    } else {
                        BLAS.gemm(transposeB: true, m: rows, n: count, k: d, a: h, lda: d, b: e.baseAddress! + start * d, ldb: d,
                                  c: o + start, ldc: vocabulary)
                    }
                }
            }
        }}
    }
}

/// One decoder layer's attention to the encoder's frames: float32 keys and values (frames × 2d)
/// through OpenBLAS, as faster-whisper's float32; or each head's packed for the fused kernel.
private struct CrossAttention {
    let floats: [Float]
    let packed: PackedHeads?

    /// out (rows × d) for `rows` queries (rows d apart), heads split over `parts` threads.
    func attend(_ q: UnsafePointer<Float>, rows b: Int, frames: Int, heads: Int, headSize: Int, alpha: Float,
                into out: UnsafeMutablePointer<Float>, parts: Int, scores s: UnsafeMutablePointer<Float>,
                scratch: ThreadScratch) {
        let d = heads * headSize
        if let packed {
            return packed.attend(q, ldq: d, rows: b, alpha: alpha, into: out, ldo: d, scratch: scratch)
        }
        floats.withUnsafeBufferPointer { kv in
            let kv = kv.baseAddress!
            Kernels.parallel(rows: heads, threads: parts, minimumRows: 1) { part, first, count in
                let s = s + part * b * frames
                for head in first..<(first + count) {
                    let keys = kv + head * headSize, values = kv + d + head * headSize
                    // gemm packs the keys and values before using them: for one query (greedy
                    // decoding) that copy costs more than it saves.
                    if b == 1 {
                        BLAS.gemv(m: frames, n: headSize, alpha: alpha, a: keys, lda: 2 * d, x: q + head * headSize, y: s)
                        Kernels.softmax(s, count: frames)
                        BLAS.gemv(transpose: true, m: frames, n: headSize, a: values, lda: 2 * d, x: s, y: out + head * headSize)
                    } else {
                        BLAS.gemm(transposeB: true, m: b, n: frames, k: headSize, alpha: alpha,
                                  a: q + head * headSize, lda: d, b: keys, ldb: 2 * d, c: s, ldc: frames)
                        Kernels.softmax(rows: s, rows: b, columns: frames)
                        BLAS.gemm(m: b, n: headSize, k: frames, a: s, lda: frames, b: values, ldb: 2 * d,
                                  c: out + head * headSize, ldc: d)
                    }
                }
            }
        }
    }
}

/// The cross-attention logits (scaled query · key) of chosen heads over the first `frames`
/// encoder frames, one row per decoder step, for one hypothesis. Its own float32 keys, whatever
/// the model computes in: word timing reads the attention, which packed kernels never write out.
final class AttentionRecorder {
    let heads: [(layer: Int, head: Int)]
    let frames: Int
    private let d: Int, headSize: Int, scale: Float
    private var keys: [Int: [Float]] = [:]       // layer → encoder frames × 2d (keys, then values)
    /// Per head, steps × frames.
    private(set) var logits: [[Float]]

    init(model: WhisperModel, encoded: [Float], heads: [(layer: Int, head: Int)], frames: Int, threads: Int) {
        d = model.dModel
        headSize = d / model.heads
        scale = 1 / Float(headSize).squareRoot()
        let all = encoded.count / d
        self.heads = heads.filter { $0.layer < model.decoderLayers.count && $0.head < model.heads }
        self.frames = max(1, min(frames, all))
        logits = Array(repeating: [], count: self.heads.count)
        for layer in Set(self.heads.map(\.layer)) {
            var kv = [Float](repeating: 0, count: all * 2 * d)
            encoded.withUnsafeBufferPointer { e in
                kv.withUnsafeMutableBufferPointer { kv in
                    Kernels.linear(e.baseAddress!, rows: all, model.decoderLayers[layer].crossKV, into: kv.baseAddress!, threads: threads)
                }
            }
            keys[layer] = kv
        }
    }

    func record(layer: Int, query: UnsafePointer<Float>) {
        guard let kv = keys[layer] else { return }
        for (index, chosen) in heads.enumerated() where chosen.layer == layer {
            let q = query + chosen.head * headSize
            kv.withUnsafeBufferPointer { kv in
                for frame in 0..<frames {
                    let k = kv.baseAddress! + frame * 2 * d + chosen.head * headSize
                    var dot: Float = 0
                    for i in 0..<headSize { dot += q[i] * k[i] }
                    logits[index].append(dot * scale)
                }
            }
        }
    }
}
