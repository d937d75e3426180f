import Foundation
import HarkBLAS
import HarkCore

/// A faster-whisper (CTranslate2) Whisper model directory: `model.bin`, `config.json`,
/// `vocabulary.txt`. Weights are converted once, here, for the compute type: for float32, to
/// Float32, except the decoder's and the token embeddings, kept as float16 when the file's values
/// are float16; for int8 and bfloat16, every linear layer packed for those kernels
/// (`PackedMatrix`) and the embeddings as bfloat16 panels, no float copy kept.
public final class WhisperModel: Sendable {
    struct Linear: Sendable {
        /// outputs × inputs, row-major; empty when `half` or `packed` holds the weights.
        let weight: [Float]
        let bias: [Float]
        /// The weights as float16 (decoding: products of a few rows, bound by memory bandwidth),
        /// when that loses nothing; then the float32 copy is not kept.
        let half: HalfMatrix?
        /// The weights as int8 or bfloat16 panels (compute types int8 and bfloat16).
        let packed: PackedMatrix?
        let inputs: Int
        var outputs: Int { bias.count }

        init(weight: [Float], half: HalfMatrix? = nil, packed: PackedMatrix? = nil, bias: [Float], inputs: Int? = nil) {
            self.weight = weight
            self.half = half
            self.packed = packed
            self.bias = bias
            self.inputs = inputs ?? packed?.columns ?? weight.count / max(1, bias.count)
        }

        /// The same layer with its float32 weights packed as `format` (nil: as it is).
        func packed(as format: PackedMatrix.Format?) -> Linear {
            guard let format, !weight.isEmpty else { return self }
            let packed = weight.withUnsafeBufferPointer { w in
                format == .int8 ? PackedMatrix(quantizing: w.baseAddress!, rows: outputs, columns: inputs)
                                : PackedMatrix(bfloat16: w.baseAddress!, rows: outputs, columns: inputs)
            }
            return Linear(weight: [], packed: packed, bias: bias, inputs: inputs)
        }
    }

    struct LayerNorm: Sendable {
        let gamma: [Float], beta: [Float]
    }

    struct EncoderLayer: Sendable {
        let attentionNorm: LayerNorm, qkv: Linear, attentionOut: Linear
        let ffnNorm: LayerNorm, ffnIn: Linear, ffnOut: Linear
    }

    struct DecoderLayer: Sendable {
        let selfNorm: LayerNorm, selfQKV: Linear, selfOut: Linear
        let crossNorm: LayerNorm, crossQuery: Linear, crossKV: Linear, crossOut: Linear
        let ffnNorm: LayerNorm, ffnIn: Linear, ffnOut: Linear
    }

    /// The model directory the weights were loaded from.
    public let directory: URL
    /// How this model computes (never `auto`: resolved for this CPU at load).
    public let computeType: ComputeType
    let dModel: Int, heads: Int, melBins: Int, vocabularySize: Int
    let conv1: Linear, conv2: Linear          // weights regrouped as [out][tap][in]
    let encoderPositions: [Float]             // 1500 × d
    let encoderLayers: [EncoderLayer]
    let encoderNorm: LayerNorm
    /// vocabulary × d, also the output projection: bfloat16 panels for int8 and bfloat16; else float16
    /// when that loses nothing (80 MB less for tiny.en), else float32 (`embeddings`, empty otherwise).
    let embeddings: [Float]
    let embeddingsHalf: HalfMatrix?
    let embeddingsPacked: PackedMatrix?
    let decoderPositions: [Float]             // 448 × d
    let decoderLayers: [DecoderLayer]
    let decoderNorm: LayerNorm
    /// The model's vocabulary and special tokens.
    public let tokens: WhisperTokens

    /// Loads `directory`, its weights prepared for `computeType`. Errors name the file and say how
    /// to install a good model.
    public init(directory: URL, computeType: ComputeType = .auto) throws(HarkError) {
        self.directory = directory
        self.computeType = Self.resolve(computeType)
        let packing: PackedMatrix.Format? = switch self.computeType {
        case .int8: .int8
        case .bfloat16: .bfloat16
        case .float32, .auto: nil
        }
        let binPath = directory.appendingPathComponent("model.bin").path
        guard FileManager.default.fileExists(atPath: binPath) else {
            throw HarkError(.modelMissing, """
                No Whisper model at '\(directory.path)' (model.bin is missing). Install tiny.en with \
                `make models` (scripts/install-models.sh), or pass --model DIR with a faster-whisper model folder.
                """)
        }
        let file = try CT2ModelFile(path: binPath)
        guard file.specName == "WhisperSpec" else { throw file.corrupt("it holds a \(file.specName), not a Whisper model") }
        // Every width is checked against the first convolution's before any kernel runs: the
        // kernels write through raw pointers, sized by these numbers.
        heads = try file.integer("encoder/num_heads")
        let conv1Weight = try file.floats("encoder/conv1/weight")
        guard let c1 = file.variables["encoder/conv1/weight"], c1.shape.count == 3, c1.shape[2] == 3 else {
            throw file.corrupt("encoder/conv1/weight is not a 3-tap convolution")
        }
        let d = c1.shape[0], mels = c1.shape[1]
        dModel = d
        melBins = mels
        guard (1...8192).contains(d), (1...512).contains(mels), (1...d).contains(heads), d % heads == 0 else {
            throw file.corrupt("\(d) channels, \(mels) mel bins and \(heads) heads are not a Whisper model's")
        }
        conv1 = Linear(weight: Convolution.regroup(conv1Weight, out: d, in: mels),
                       bias: try file.floats("encoder/conv1/bias", shape: [d])).packed(as: packing)
        conv2 = Linear(weight: Convolution.regroup(try file.floats("encoder/conv2/weight", shape: [d, d, 3]), out: d, in: d),
                       bias: try file.floats("encoder/conv2/bias", shape: [d])).packed(as: packing)
        encoderPositions = try file.floats("encoder/position_encodings/encodings", shape: [1500, d])

        func linear(_ prefix: String, outputs: Int? = nil, inputs expected: Int? = nil, keepHalf: Bool = false) throws(HarkError) -> Linear {
            let bias = try file.floats(prefix + "/bias")
            let name = prefix + "/weight", inputs = file.variables[name]?.shape.last ?? 0, shape = [bias.count, inputs]
            guard bias.count == (outputs ?? bias.count), bias.count > 0, inputs == (expected ?? inputs), inputs > 0 else {
                throw file.corrupt("'\(prefix)' is \(bias.count) × \(inputs), expected \(outputs ?? bias.count) × \(expected ?? inputs)")
            }
            if let packing { return Linear(weight: [], packed: try file.packed(name, shape: shape, as: packing), bias: bias) }
            guard keepHalf else { return Linear(weight: try file.floats(name, shape: shape), bias: bias) }
            let (floats, half) = try file.weights(name, shape: shape)
            return Linear(weight: floats, half: half, bias: bias, inputs: inputs)
        }
        func norm(_ prefix: String) throws(HarkError) -> LayerNorm {
            LayerNorm(gamma: try file.floats(prefix + "/gamma", shape: [d]), beta: try file.floats(prefix + "/beta", shape: [d]))
        }
        var encoder: [EncoderLayer] = []
        while file.has("encoder/layer_\(encoder.count)/self_attention/linear_0/weight") {
            let p = "encoder/layer_\(encoder.count)"
            let ffnIn = try linear(p + "/ffn/linear_0", inputs: d)
            encoder.append(EncoderLayer(
                attentionNorm: try norm(p + "/self_attention/layer_norm"), qkv: try linear(p + "/self_attention/linear_0", outputs: 3 * d, inputs: d),
                attentionOut: try linear(p + "/self_attention/linear_1", outputs: d, inputs: d), ffnNorm: try norm(p + "/ffn/layer_norm"),
                ffnIn: ffnIn, ffnOut: try linear(p + "/ffn/linear_1", outputs: d, inputs: ffnIn.outputs)))
        }
        var decoder: [DecoderLayer] = []
        while file.has("decoder/layer_\(decoder.count)/self_attention/linear_0/weight") {
            let p = "decoder/layer_\(decoder.count)"
            let ffnIn = try linear(p + "/ffn/linear_0", inputs: d, keepHalf: true)
            decoder.append(DecoderLayer(
                selfNorm: try norm(p + "/self_attention/layer_norm"),
                selfQKV: try linear(p + "/self_attention/linear_0", outputs: 3 * d, inputs: d, keepHalf: true),
                selfOut: try linear(p + "/self_attention/linear_1", outputs: d, inputs: d, keepHalf: true),
                crossNorm: try norm(p + "/attention/layer_norm"),
                crossQuery: try linear(p + "/attention/linear_0", outputs: d, inputs: d, keepHalf: true),
                crossKV: try linear(p + "/attention/linear_1", outputs: 2 * d, inputs: d),
                crossOut: try linear(p + "/attention/linear_2", outputs: d, inputs: d, keepHalf: true),
                ffnNorm: try norm(p + "/ffn/layer_norm"),
                ffnIn: ffnIn, ffnOut: try linear(p + "/ffn/linear_1", outputs: d, inputs: ffnIn.outputs, keepHalf: true)))
        }
        guard !encoder.isEmpty, !decoder.isEmpty else { throw file.corrupt("it has no encoder or decoder layers") }
        encoderLayers = encoder
        decoderLayers = decoder
        encoderNorm = try norm("encoder/layer_norm")
        decoderNorm = try norm("decoder/layer_norm")
        let embeddingsName = "decoder/embeddings/weight"
        guard let shape = file.variables[embeddingsName]?.shape, shape.count == 2, shape[1] == d, (1...1_000_000).contains(shape[0]) else {
            throw file.corrupt("'\(embeddingsName)' is not a vocabulary × \(d) table")
        }
        let vocabulary = shape[0]
        if packing != nil {
            embeddings = []
            embeddingsHalf = nil
            // bfloat16 even for int8: the logits decide between close tokens, and an int8 output
            // projection cost 3 words more in 579 greedy (make bench-whisper's accuracy set).
            embeddingsPacked = try file.packed(embeddingsName, shape: shape, as: .bfloat16)
        } else {
            let embedding = try file.weights(embeddingsName, shape: shape)
            embeddings = embedding.floats
            embeddingsHalf = embedding.half
            embeddingsPacked = nil
        }
        vocabularySize = vocabulary
        decoderPositions = try file.floats("decoder/position_encodings/encodings", shape: [WhisperDecoder.maxPositions, d])
        tokens = try WhisperTokens(directory: directory, vocabularySize: vocabulary)
    }

    /// Token `token`'s embedding (d values) into `out`.
    func embedding(of token: Int, into out: UnsafeMutablePointer<Float>) {
        if let embeddingsPacked { return embeddingsPacked.row(token, into: out) }
        if let embeddingsHalf { return embeddingsHalf.row(token, columns: dModel, into: out) }
        embeddings.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + token * dModel, count: dModel) }
    }
}

extension WhisperModel {
    /// `auto` as this CPU runs it for decoding at `beamSize`: the fastest type whose accuracy held
    /// on make bench-whisper's accuracy set (579 words) — within 0.5 points of float32's word error
    /// rate and no worse than faster-whisper int8's. With beam search that is int8 (VNNI), then
    /// bfloat16 (AVX512-BF16); greedy int8 heard 4 words more than float32, so greedy decoding
    /// takes bfloat16, else float32. Other types stay as they are.
    public static func resolve(_ type: ComputeType, beamSize: Int = 1) -> ComputeType {
        guard type == .auto else { return type }
        if beamSize > 1, PackedMatrix.isAccelerated(.int8) { return .int8 }
        if PackedMatrix.isAccelerated(.bfloat16) { return .bfloat16 }
        // Without VNNI or BF16 (AVX2 only), int8 through AVX2 took a third of float32's time and
        // heard the set better (greedy 7.08 % against 7.43; faster-whisper int8 9.33).
        if !PackedMatrix.isAccelerated(.int8), PackedMatrix.hasSIMDInt8 { return .int8 }
        return .float32
    }
}
