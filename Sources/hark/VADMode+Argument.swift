import ArgumentParser
import Hark

/// `--vad MODE` parsed into the type itself, so commands hold a `VADMode`, never a string to
/// force-unwrap later.
extension VADMode: ExpressibleByArgument {
    public static var allValueStrings: [String] {
        ["silero", "energy", "manual"] + ["silero", "energy"].flatMap { d in ["low", "normal", "high"].map { "\(d):\($0)" } }
    }

    public var defaultValueDescription: String { description }

    /// For `@Option(transform:)`: a wrong value is refused with what to write instead.
    static func parsed(_ argument: String) throws -> VADMode {
        guard let mode = VADMode(argument: argument) else {
            throw ValidationError("Unknown VAD mode '\(argument)'. Use silero, energy, manual, or e.g. silero:high.")
        }
        return mode
    }
}
