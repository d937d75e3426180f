import struct Foundation.Date

/// `session.json`: everything needed to understand — and later finish — a recording session.
/// Rewritten atomically after every change, so a reader always sees a whole version.
public struct SessionManifest: Sendable, Hashable, Codable {
    /// The manifest format version this code writes into `version`.
    public static let currentVersion = 1
    /// The manifest's file name inside the session folder.
    public static let fileName = "session.json"
    /// The folder inside the session folder that holds the segment files.
    public static let segmentsFolder = "segments"
    /// The file name of the full recording, when one is kept.
    public static let recordingFile = "recording.wav"

    /// Whether the session is still being recorded.
    public enum State: String, Sendable, Hashable, Codable {
        /// A recorder is (or was, if it died) writing this session.
        case recording
        /// The recording ended and every saved segment is listed.
        case stopped
    }

    /// What the session recorded from.
    public struct Source: Sendable, Hashable, Codable {
        /// A capture device, an audio file, or audio the program pushes in (`AudioStream`).
        public enum Kind: String, Sendable, Hashable, Codable { case device, file, stream }
        /// Which kind of input it was.
        public var kind: Kind
        /// The input's name: device name, file path or stream name (`AudioSource.name`).
        public var name: String
        /// The input's native format.
        public var format: AudioFormat
        /// Creates a source description from its fields.
        public init(kind: Kind, name: String, format: AudioFormat) {
            self.kind = kind
            self.name = name
            self.format = format
        }
    }

    /// A VAD mode and the time from which it was in effect.
    public struct ModeChange: Sendable, Hashable, Codable {
        /// When the mode took effect, in seconds since the recording started.
        public var time: Double
        /// The mode in effect from `time` on.
        public var mode: VADMode
        /// Creates a mode change from its fields.
        public init(time: Double, mode: VADMode) {
            self.time = time
            self.mode = mode
        }
    }

    /// The format version the manifest was written with (see `currentVersion`).
    public var version: Int
    /// The session's id.
    public var id: String
    /// When the session was created.
    public var createdAt: Date
    /// When the recording stopped; nil until it has.
    public var stoppedAt: Date?
    /// Whether the session is still being recorded.
    public var state: State
    /// What the session records from.
    public var source: Source
    /// The rate of every saved file (16 kHz).
    public var sampleRate: Int
    /// The segmenter settings the session is recorded with.
    public var segmenter: SegmenterConfiguration
    /// The VAD mode at the start, then every runtime change.
    public var vadModes: [ModeChange]
    /// Every segment so far, in id order; ids count from 1.
    public var segments: [SegmentRecord]
    /// Seconds of audio processed so far.
    public var duration: Double
    /// Input frames lost so far because the consumer fell behind, at the device rate.
    public var droppedFrames: Int
    /// The full recording (`recording.wav`), when kept.
    public var recordingFile: String?
    /// Why the recording ended; nil until it has.
    public var stopReason: RecordingSummary.StopReason?

    /// A new session in state `recording`, with no segments and `vadMode` as its first mode.
    /// `keepsRecording` names `recording.wav` as `recordingFile`.
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
