import struct Foundation.Date

/// `session.json`: everything needed to understand — and later finish — a recording session.
/// Rewritten atomically after every change, so a reader always sees a whole version.
public struct SessionManifest: Sendable, Hashable, Codable {
    public static let currentVersion = 1
    public static let fileName = "session.json"
    public static let segmentsFolder = "segments"
    public static let recordingFile = "recording.wav"

    public enum State: String, Sendable, Hashable, Codable {
        /// A recorder is (or was, if it died) writing this session.
        case recording
        /// The recording ended and every saved segment is listed.
        case stopped
    }

    public struct Source: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable { case device, file, stream }
        public var kind: Kind
        public var name: String
        public var format: AudioFormat
        public init(kind: Kind, name: String, format: AudioFormat) {
            self.kind = kind
            self.name = name
            self.format = format
        }
    }

    public struct ModeChange: Sendable, Hashable, Codable {
        public var time: Double
        public var mode: VADMode
        public init(time: Double, mode: VADMode) {
            self.time = time
            self.mode = mode
        }
    }

    public var version: Int
    public var id: String
    public var createdAt: Date
    public var stoppedAt: Date?
    public var state: State
    public var source: Source
    /// The rate of every saved file (16 kHz).
    public var sampleRate: Int
    public var segmenter: SegmenterConfiguration
    /// The VAD mode at the start, then every runtime change.
    public var vadModes: [ModeChange]
    public var segments: [SegmentRecord]
    /// Seconds of audio processed so far.
    public var duration: Double
    public var droppedFrames: Int
    /// The full recording (`recording.wav`), when kept.
    public var recordingFile: String?
    public var stopReason: RecordingSummary.StopReason?

    public init(id: String, createdAt: Date, source: Source, sampleRate: Int = 16_000,
                segmenter: SegmenterConfiguration, vadMode: VADMode, keepsRecording: Bool) {
        version = Self.currentVersion
        self.id = id
        self.createdAt = createdAt
        state = .recording
        self.source = source
        self.sampleRate = sampleRate
        self.segmenter = segmenter
        vadModes = [ModeChange(time: 0, mode: vadMode)]
        segments = []
        duration = 0
        droppedFrames = 0
        recordingFile = keepsRecording ? Self.recordingFile : nil
    }

    /// The file name of segment `id`, relative to the session folder.
    public static func segmentFile(_ id: Int) -> String {
        let digits = String(id)
        return "\(segmentsFolder)/\(String(repeating: "0", count: max(0, 4 - digits.count)))\(digits).wav"
    }
}
