/// How Whisper's matrix products are computed, named as faster-whisper names its compute types.
/// A property of a loaded model: weights are packed for it once, at load.
public enum ComputeType: String, Sendable, Hashable, Codable, CaseIterable {
    /// The fastest type this CPU runs whose accuracy holds (see `WhisperModel.resolve`): the
    /// default for transcription.
    case auto
    /// float32 throughout: the same tokens as faster-whisper's float32.
    case float32
    /// int8 weights with a scale per row, activations quantized per row as they come, int32 sums
    /// (VNNI where the CPU has it).
    case int8
    /// bfloat16 products with float32 sums (AVX512-BF16 where the CPU has it).
    case bfloat16
}
