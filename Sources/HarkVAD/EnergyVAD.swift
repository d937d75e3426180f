import Foundation
import HarkCore

/// Speech as loudness above an adaptive noise floor: no model, works anywhere, weak in noise.
///
/// The floor falls quickly to quieter chunks and rises slowly, so steady background noise is
/// learned within a second or two while speech (which is loud only in bursts) does not lift it.
/// The probability is a logistic curve of the chunk's level above the floor.
public struct EnergyVAD: VoiceActivityDetector {
    /// Tuning of the noise floor and the probability curve; levels in dB, rates per chunk.
    public struct Configuration: Sendable, Hashable, Codable {
        /// The floor assumed before any audio is heard, in dBFS.
        public var initialFloor: Float = -50
        /// The floor never goes below this, so digital silence does not make faint hiss "speech".
        public var minimumFloor: Float = -65
        /// How far above the floor a chunk is at probability 0.5, in dB.
        public var margin: Float = 12
        /// dB per logistic unit: smaller is a harder decision.
        public var slope: Float = 2.5
        /// How much of the gap the floor closes per chunk when the level is below it.
        public var fallRate: Float = 0.3
        /// dB per chunk the floor may rise (0.03 dB × 31 chunks/s ≈ 1 dB/s).
        public var riseRate: Float = 0.03
        /// The default tuning (the values above).
        public init() {}
    }

    /// The tuning this detector was made with.
    public let configuration: Configuration
    /// 512 samples (32 ms at 16 kHz): `vadChunkSize`.
    public let chunkSize = vadChunkSize
    /// The current noise-floor estimate in dBFS; `reset()` puts it back at
    /// `configuration.initialFloor`.
    public private(set) var noiseFloor: Float

    /// A detector whose floor starts at `configuration.initialFloor`.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        noiseFloor = configuration.initialFloor
    }

    /// The probability, 0...1, that `chunk` holds speech, from its mean-square level above the
    /// floor, which it then updates. Throws HarkError `.invalidInput`, the floor unchanged, when
    /// `chunk` is not `chunkSize` samples long or holds NaN or infinite samples.
    public mutating func speechProbability(_ chunk: UnsafeBufferPointer<Float>) throws -> Float {
        guard chunk.count == chunkSize else {
            throw HarkError.invalidInput("EnergyVAD takes chunks of \(chunkSize) samples, got \(chunk.count)")
        }
        var energy: Float = 0
        for sample in chunk { energy += sample * sample }
        guard energy.isFinite else {
            throw HarkError.invalidInput("The audio chunk holds NaN or infinite samples")
        }
        let level = 10 * log10f(max(energy / Float(chunkSize), 1e-12))
        if level < noiseFloor {
            noiseFloor += configuration.fallRate * (level - noiseFloor)
        } else {
            noiseFloor += min(configuration.riseRate, level - noiseFloor)
        }
        noiseFloor = max(noiseFloor, configuration.minimumFloor)
        let x = (level - noiseFloor - configuration.margin) / configuration.slope
        return 1 / (1 + expf(-x))
    }

    /// Puts the floor back at `configuration.initialFloor`, as for a new recording.
    public mutating func reset() {
        noiseFloor = configuration.initialFloor
    }
}
