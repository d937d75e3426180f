/// A capture device as the audio library reports it.
public struct InputDevice: Sendable, Hashable, Codable {
    /// The audio library's number for the device (what `DeviceSelector.index` picks).
    public var index: Int
    /// The device's name as the audio library reports it.
    public var name: String
    /// Input channels it offers; 0 for an output-only device, which is never picked for capture.
    public var maxInputChannels: Int
    /// Its default sample rate, in Hz.
    public var defaultSampleRate: Double
    /// Whether it is the system's default input.
    public var isDefault: Bool

    /// Creates a device description from its fields.
    public init(index: Int, name: String, maxInputChannels: Int, defaultSampleRate: Double, isDefault: Bool) {
        self.index = index
        self.name = name
        self.maxInputChannels = maxInputChannels
        self.defaultSampleRate = defaultSampleRate
        self.isDefault = isDefault
    }
}

/// How the user names a device: by its index, or by a case-insensitive piece of its name.
public enum DeviceSelector: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The system's default input.
    case systemDefault
    /// The input with this `InputDevice.index`.
    case index(Int)
    /// The input whose name contains this text, ignoring case (an exact name wins).
    case nameContaining(String)

    /// Parses a command-line value: digits are an index, anything else a name piece.
    public init(argument: String) {
        if let index = Int(argument) { self = .index(index) } else { self = .nameContaining(argument) }
    }

    /// The selector as a phrase for messages, e.g. "device #3".
    public var description: String {
        switch self {
        case .systemDefault: "the default input"
        case .index(let i): "device #\(i)"
        case .nameContaining(let s): "a device named like '\(s)'"
        }
    }

    /// Picks the device this selector names from `devices`.
    public func resolve(in devices: [InputDevice]) throws -> InputDevice {
        let inputs = devices.filter { $0.maxInputChannels > 0 }
        guard !inputs.isEmpty else {
            throw HarkError(.noCaptureDevice, """
                No capture device found. Plug in a microphone, or start PulseAudio (see README: \
                'virtual microphone'), or record from a file with --input FILE.
                """)
        }
        let listing = inputs.map { "  \($0.index): \($0.name)" }.joined(separator: "\n")
        switch self {
        case .systemDefault:
            if let device = inputs.first(where: \.isDefault) { return device }
            throw HarkError(.noCaptureDevice, "There is no default input device. Pick one with --device:\n\(listing)")
        case .index(let i):
            if let device = inputs.first(where: { $0.index == i }) { return device }
            throw HarkError(.deviceNotFound, "No input device has index \(i). Inputs are:\n\(listing)")
        case .nameContaining(let piece):
            let matches = inputs.filter { $0.name.lowercased().contains(piece.lowercased()) }
            if let exact = matches.first(where: { $0.name.lowercased() == piece.lowercased() }) { return exact }
            if matches.count == 1 { return matches[0] }
            if matches.isEmpty {
                throw HarkError(.deviceNotFound, "No input device name contains '\(piece)'. Inputs are:\n\(listing)")
            }
            let names = matches.map { "  \($0.index): \($0.name)" }.joined(separator: "\n")
            throw HarkError(.deviceNotFound, "'\(piece)' matches several inputs; use an index:\n\(names)")
        }
    }
}
