/// Mono float samples as a PCM16 WAV file in memory (the canonical 44-byte RIFF header), so the
/// bytes can then be written durably by the session store, or sent over HTTP. Pure Swift, so
/// that modules that only send audio (`HarkRemote`) need no audio library.
///
/// Samples are scaled by 32767 and rounded, as libsndfile writes floats, and clipped at full
/// scale instead of wrapping around; NaN becomes silence.
public enum WAVEncoder {
    /// The bytes of a WAV file holding `samples` at `sampleRate` Hz. Throws `HarkError` `.invalidInput`
    /// when the rate is not in 1...768000 or the samples are too many for one WAV file (about 4 GiB).
    public static func pcm16(_ samples: [Float], sampleRate: Int = 16_000) throws -> [UInt8] {
        let dataBytes = samples.count * 2
        guard sampleRate > 0, sampleRate <= 768_000, dataBytes <= Int(UInt32.max) - 36 else {
            throw HarkError(.invalidInput, "Cannot write \(samples.count) samples at \(sampleRate) Hz as one WAV file.")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(44 + dataBytes)
        func append(_ text: String) { bytes += Array(text.utf8) }
        func append32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { bytes += $0 } }
        func append16(_ value: Int) { withUnsafeBytes(of: UInt16(value).littleEndian) { bytes += $0 } }
        append("RIFF"); append32(36 + dataBytes); append("WAVE")
        append("fmt "); append32(16)
        append16(1)                 // PCM
        append16(1)                 // mono
        append32(sampleRate)
        append32(sampleRate * 2)    // bytes per second
        append16(2)                 // bytes per frame
        append16(16)                // bits per sample
        append("data"); append32(dataBytes)
        for sample in samples {
            let scaled = sample.isNaN ? 0 : (sample * 32767).rounded(.toNearestOrEven)
            let value = Int16(max(-32768, min(32767, scaled)))
            withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
        }
        return bytes
    }
}
