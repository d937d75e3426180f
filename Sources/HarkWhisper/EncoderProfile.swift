import Foundation
import HarkCore

/// Wall time of the encoder's stages, summed over its layers: what `make bench-whisper` reports
/// as where a window's time goes. Filled only when asked for (a benchmark); off, it costs a
/// nil check per stage.
@_spi(Benchmarks) public final class EncoderProfile: @unchecked Sendable {
    // One encoder runs on one thread at a time; the profile is read after it returns.
    /// Seconds spent per stage name, summed over layers and calls; read after encoding returns.
    public private(set) var seconds: [String: Double] = [:]
    private var mark = ContinuousClock.now

    /// An empty profile, to pass to `profileEncoder`.
    public init() {}

    func start() { mark = .now }

    /// Charges the time since the last mark to `stage`.
    func lap(_ stage: String) {
        let now = ContinuousClock.now
        let elapsed = now - mark
        seconds[stage, default: 0] += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        mark = now
    }
}

extension WhisperTranscriber {
    /// Encodes one 30 s window of `samples` with the stages timed (benchmarks only).
    @_spi(Benchmarks) public func profileEncoder(_ samples: [Float], threads: Int, profile: EncoderProfile) throws(HarkError) {
        let (features, frames) = try LogMelSpectrogram(melCount: model.melBins).features(of: samples)
        let window = LogMelSpectrogram(melCount: model.melBins).window(features, frames: max(1, frames - 1))
        _ = try WhisperEncoder(model: model, threads: threads).encode(window, profile: profile)
    }
}
