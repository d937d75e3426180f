/// Which detector cuts segments and how eagerly. Changeable while recording.
public struct VADMode: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Which detector judges speech.
    public enum Detector: String, Sendable, Hashable, Codable, CaseIterable {
        /// Silero VAD (the neural detector).
        case silero
        /// Loudness above an adaptive noise floor.
        case energy
        /// No detection: only start and stop cut segments (long ones are still split at max length).
        case manual
    }

    /// How readily speech is detected: `high` starts and keeps speech at lower probabilities
    /// (see `thresholds`).
    public enum Sensitivity: String, Sendable, Hashable, Codable, CaseIterable {
        case low, normal, high
    }

    /// The detector in use.
    public var detector: Detector
    /// How eagerly it finds speech.
    public var sensitivity: Sensitivity

    /// A mode from its detector and sensitivity.
    public init(detector: Detector, sensitivity: Sensitivity = .normal) {
        self.detector = detector
        self.sensitivity = sensitivity
    }

    /// The energy detector at normal sensitivity.
    public static let energy = VADMode(detector: .energy)
    /// Silero VAD at normal sensitivity.
    public static let silero = VADMode(detector: .silero)
    /// No detection (see `Detector.manual`).
    public static let manual = VADMode(detector: .manual)

    /// Parses `energy`, `silero:high`, `manual` and the like.
    public init?(argument: String) {
        let parts = argument.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        guard let first = parts.first, let detector = Detector(rawValue: first) else { return nil }
        var sensitivity = Sensitivity.normal
        if parts.count == 2 {
            guard let s = Sensitivity(rawValue: parts[1]) else { return nil }
            sensitivity = s
        }
        self.init(detector: detector, sensitivity: sensitivity)
    }

    /// Speech starts at or above `start` and continues while at or above `end` (hysteresis).
    public var thresholds: VADThresholds {
        switch sensitivity {
        case .low: VADThresholds(start: 0.7, end: 0.55)
        case .normal: VADThresholds(start: 0.5, end: 0.35)
        case .high: VADThresholds(start: 0.3, end: 0.2)
        }
    }

    /// The command-line form `init(argument:)` parses, e.g. `energy` or `silero:high`; the
    /// sensitivity is left out when normal.
    public var description: String {
        detector == .manual || sensitivity == .normal ? detector.rawValue : "\(detector.rawValue):\(sensitivity.rawValue)"
    }

    /// The mode after this one in a fixed cycle, for a key that steps through modes.
    public func next(available: [Detector]) -> VADMode {
        let cycle: [VADMode] = available.flatMap { detector -> [VADMode] in
            detector == .manual ? [.manual] : Sensitivity.allCases.map { VADMode(detector: detector, sensitivity: $0) }
        }
        guard let i = cycle.firstIndex(of: self) else { return cycle.first ?? self }
        return cycle[(i + 1) % cycle.count]
    }
}

/// Speech-probability levels for starting and for continuing speech (hysteresis); see
/// `VADMode.thresholds`.
public struct VADThresholds: Sendable, Hashable, Codable {
    /// Speech starts at or above this probability.
    public var start: Float
    /// Speech continues while at or above this probability.
    public var end: Float
    /// Creates thresholds from their values.
    public init(start: Float, end: Float) {
        self.start = start
        self.end = end
    }
}
