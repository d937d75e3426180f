/// Helpers that turn 3-tap 1-D convolutions (Silero's encoder, Whisper's front convolutions)
/// into one matrix product each, on time-major data.
public enum Convolution {
    /// Weights stored [out][in][3 taps] → [out][tap][in], keeping only `taps`, so that an im2col
    /// row is whole time steps side by side.
    public static func regroup(_ w: [Float], out: Int, in inputs: Int, taps: Range<Int> = 0..<3) -> [Float] {
        var result = [Float](repeating: 0, count: out * taps.count * inputs)
        for o in 0..<out {
            for (slot, tap) in taps.enumerated() {
                for i in 0..<inputs {
                    result[(o * taps.count + slot) * inputs + i] = w[(o * inputs + i) * 3 + tap]
                }
            }
        }
        return result
    }

    /// Rows of 3 · channels: for each output step, the three input steps it sees with padding 1
    /// (zeros outside), for each of `chunks` independent signals of `steps` steps laid end to end.
    public static func im2col(_ x: UnsafePointer<Float>, channels: Int, steps: Int, outputs: Int, stride: Int,
                              chunks: Int = 1, into col: UnsafeMutablePointer<Float>) {
        for chunk in 0..<chunks {
            for t in 0..<outputs {
                let row = col + (chunk * outputs + t) * 3 * channels
                for tap in 0..<3 {
                    let source = t * stride + tap - 1
                    if source >= 0 && source < steps {
                        (row + tap * channels).update(from: x + (chunk * steps + source) * channels, count: channels)
                    } else {
                        (row + tap * channels).update(repeating: 0, count: channels)
                    }
                }
            }
        }
    }
}
