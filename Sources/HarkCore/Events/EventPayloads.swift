// The values carried by `RecorderEvent`. Times are seconds of audio since the recording started.

public struct RecordingStarted: Sendable, Hashable, Codable {
    public var sessionID: String
    public var sessionPath: String
    public var source: String
    public var inputFormat: AudioFormat
    public var vadMode: VADMode

    public init(sessionID: String, sessionPath: String, source: String, inputFormat: AudioFormat, vadMode: VADMode) {
        self.sessionID = sessionID
        self.sessionPath = sessionPath
        self.source = source
        self.inputFormat = inputFormat
        self.vadMode = vadMode
    }
}

public struct SpeechStarted: Sendable, Hashable, Codable {
    public var time: Double

    public init(time: Double) {
        self.time = time
    }
}

public struct SpeechEnded: Sendable, Hashable, Codable {
    public var time: Double
    public var speechStart: Double
    public var reason: Utterance.EndReason

    public init(time: Double, speechStart: Double, reason: Utterance.EndReason) {
        self.time = time
        self.speechStart = speechStart
        self.reason = reason
    }
}

/// One per VAD chunk (32 ms). May be coalesced to the latest value.
public struct SpeechDetected: Sendable, Hashable, Codable {
    public var time: Double
    public var probability: Float
    public var isSpeech: Bool

    public init(time: Double, probability: Float, isSpeech: Bool) {
        self.time = time
        self.probability = probability
        self.isSpeech = isSpeech
    }
}

/// Input level over the last chunk, linear full scale (1.0 = 0 dBFS). May be coalesced.
public struct AudioLevel: Sendable, Hashable, Codable {
    public var time: Double
    public var rms: Float
    public var peak: Float

    public init(time: Double, rms: Float, peak: Float) {
        self.time = time
        self.rms = rms
        self.peak = peak
    }
}

public struct SegmentSaved: Sendable, Hashable, Codable {
    public var segment: SegmentRecord

    public init(segment: SegmentRecord) {
        self.segment = segment
    }
}

public struct VADModeChanged: Sendable, Hashable, Codable {
    public var time: Double
    public var from: VADMode
    public var to: VADMode

    public init(time: Double, from: VADMode, to: VADMode) {
        self.time = time
        self.from = from
        self.to = to
    }
}

/// Input audio was lost because the consumer fell behind the device.
public struct AudioDropped: Sendable, Hashable, Codable {
    public var time: Double
    /// Frames lost since the previous `AudioDropped`, at the device rate.
    public var frames: Int
    public var seconds: Double
    /// Frames lost since the recording started.
    public var totalFrames: Int

    public init(time: Double, frames: Int, seconds: Double, totalFrames: Int) {
        self.time = time
        self.frames = frames
        self.seconds = seconds
        self.totalFrames = totalFrames
    }
}

public struct RecordingStopped: Sendable, Hashable, Codable {
    public var summary: RecordingSummary

    public init(summary: RecordingSummary) {
        self.summary = summary
    }
}

public struct RecorderError: Sendable, Hashable, Codable {
    public var code: HarkError.Code
    public var message: String
    /// True when the recording ended because of it.
    public var fatal: Bool

    public init(code: HarkError.Code, message: String, fatal: Bool) {
        self.code = code
        self.message = message
        self.fatal = fatal
    }
}

public struct TranscriptionQueued: Sendable, Hashable, Codable {
    public var segmentID: Int

    public init(segmentID: Int) {
        self.segmentID = segmentID
    }
}

public struct TranscriptionComplete: Sendable, Hashable, Codable {
    public var segmentID: Int
    public var text: String
    /// Seconds from the end of the utterance's speech to this result.
    public var latency: Double?
    /// The language the text is in ("en", "de"), where the engine says.
    public var language: String?

    public init(segmentID: Int, text: String, latency: Double?, language: String? = nil) {
        self.segmentID = segmentID
        self.text = text
        self.latency = latency
        self.language = language
    }
}

public struct TranscriptionFailed: Sendable, Hashable, Codable {
    public var segmentID: Int
    public var reason: String
    public var attempts: Int

    public init(segmentID: Int, reason: String, attempts: Int) {
        self.segmentID = segmentID
        self.reason = reason
        self.attempts = attempts
    }
}

/// The utterance still being spoken, transcribed so far. `text` is `stable + unstable`: the stable
/// part never changes or shrinks in later partials of the same segment; the unstable tail is the
/// latest guess. The segment's `transcriptionComplete` replaces them all. May be coalesced to the
/// latest partial.
public struct TranscriptionPartial: Sendable, Hashable, Codable {
    /// The id the utterance's saved segment gets (`segmentSaved`, `transcriptionComplete`).
    public var segmentID: Int
    /// The audio transcribed, in seconds since the recording started.
    public var audioStart: Double
    public var audioEnd: Double
    public var stable: String
    /// Starts with a space when it starts a new word.
    public var unstable: String
    /// Speech has paused and this is the transcription the segment will have if it ends here
    /// (everything stable); more partials follow if speech resumes.
    public var tentativeFinal: Bool

    public init(segmentID: Int, audioStart: Double, audioEnd: Double, stable: String, unstable: String,
                tentativeFinal: Bool = false) {
        self.segmentID = segmentID
        self.audioStart = audioStart
        self.audioEnd = audioEnd
        self.stable = stable
        self.unstable = unstable
        self.tentativeFinal = tentativeFinal
    }

    public var text: String { stable + unstable }
}
