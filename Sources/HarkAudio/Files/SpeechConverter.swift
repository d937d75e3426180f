import CSoxr
import HarkCore

/// Native device or file audio to 16 kHz mono: channel average, then libsoxr (high quality).
///
/// Thread rules: owned by one consumer. Buffers are reused between calls.
public final class SpeechConverter: SpeechFormatConverter {
    /// The native format converted from.
    public let input: AudioFormat
    private let resampler: soxr_t?
    private var mono: [Float] = []
    private var scratch: [Float]

    /// A converter from `input`; no resampler when it is already at 16 kHz. Throws HarkError
    /// `.unsupportedAudio` for a rate outside 1 kHz...768 kHz, no channels, or a rate libsoxr refuses.
    public init(from input: AudioFormat) throws {
        guard input.sampleRate >= 1000, input.sampleRate <= 768_000, input.channels >= 1 else {
            throw HarkError(.unsupportedAudio, "Cannot convert audio at \(input) to 16 kHz mono.")
        }
        self.input = input
        if input.sampleRate == AudioFormat.speech.sampleRate {
            resampler = nil
        } else {
            var error: soxr_error_t?
            var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
            resampler = soxr_create(input.sampleRate, AudioFormat.speech.sampleRate, 1, &error, nil, &quality, nil)
            if let error {
                throw HarkError(.unsupportedAudio, "libsoxr cannot resample \(input): \(String(cString: error)).")
            }
        }
        scratch = [Float](repeating: 0, count: 8192)
        mono.reserveCapacity(8192)
    }

    deinit {
        if let resampler { soxr_delete(resampler) }
    }

    /// Appends `samples` (interleaved, in `input`'s format) to `output`, averaged to mono and
    /// resampled to 16 kHz. Throws HarkError `.internalFailure` if libsoxr fails.
    public func convert(_ samples: UnsafeBufferPointer<Float>, into output: inout [Float]) throws {
        guard let resampler else {
            appendDownmix(samples, channels: input.channels, to: &output)
            return
        }
        mono.removeAll(keepingCapacity: true)
        appendDownmix(samples, channels: input.channels, to: &mono)
        try mono.withUnsafeBufferPointer { mono in
            var consumed = 0
            while consumed < mono.count {
                var taken = 0
                let produced = try process(resampler, mono.baseAddress! + consumed, mono.count - consumed, &taken)
                output.append(contentsOf: scratch[0..<produced])
                consumed += taken
            }
        }
    }

    /// Appends what the resampler still holds; call once at the end of the stream. Throws HarkError
    /// `.internalFailure` if libsoxr fails.
    public func flush(into output: inout [Float]) throws {
        guard let resampler else { return }
        var taken = 0
        while true {
            let produced = try process(resampler, nil, 0, &taken)
            if produced == 0 { break }
            output.append(contentsOf: scratch[0..<produced])
        }
    }

    private func process(_ resampler: soxr_t, _ input: UnsafePointer<Float>?, _ count: Int,
                         _ taken: inout Int) throws -> Int {
        var produced = 0
        let capacity = scratch.count
        let error = scratch.withUnsafeMutableBufferPointer { out in
            soxr_process(resampler, input, count, &taken, out.baseAddress, capacity, &produced)
        }
        if let error {
            throw HarkError(.internalFailure, "libsoxr failed while resampling: \(String(cString: error)).")
        }
        return produced
    }
}
