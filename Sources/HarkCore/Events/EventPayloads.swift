// The values carried by `RecorderEvent`. Times are seconds of audio since the recording started.

/// The recording has begun: which session it writes and what it listens to.
public struct RecordingStarted: Sendable, Hashable, Codable {
    /// The session's id, which is also its folder's name.
    public var sessionID: String
    /// The path of the session folder.
    public var sessionPath: String
    /// The input's name: the device name or file path (`AudioSource.name`).
    public var source: String
    /// The input's native format, before conversion to 16 kHz mono.
    public var inputFormat: AudioFormat
    /// The VAD mode the recording starts in.
    public var vadMode: VADMode

    /// Creates the payload from its fields.
    public init(sessionID: String, sessionPath: String, source: String, inputFormat: AudioFormat, vadMode: VADMode) {
        self.sessionID = sessionID
        self.sessionPath = sessionPath
        self.source = source
        self.inputFormat = inputFormat
        self.vadMode = vadMode
    }
}

/// Speech has lasted `minSpeech`, so an utterance is under way. Sent once that is confirmed,
/// so later than `time`, where the speech began.
public struct SpeechStarted: Sendable, Hashable, Codable {
    /// Where the speech began, in seconds since the recording started.
    public var time: Double

    /// Creates the payload from its fields.
    public init(time: Double) {
        self.time = time
    }
}

/// An utterance has ended. Sent just before it is saved as a segment (`segmentSaved`).
public struct SpeechEnded: Sendable, Hashable, Codable {
    /// Where its speech ended, in seconds since the recording started.
    public var time: Double
    /// Where its speech began, in seconds since the recording started.
    public var speechStart: Double
    /// Why it ended.
    public var reason: Utterance.EndReason

    /// Creates the payload from its fields.
    public init(time: Double, speechStart: Double, reason: Utterance.EndReason) {
        self.time = time
        self.speechStart = speechStart
        self.reason = reason
    }
}

/// One per VAD chunk (32 ms). May be coalesced to the latest value.
public struct SpeechDetected: Sendable, Hashable, Codable {
    /// The end of the chunk, in seconds since the recording started.
    public var time: Double
    /// The detector's probability, 0...1, that the chunk holds speech.
    public var probability: Float
    /// Whether an utterance is open after this chunk (the segmenter's view, with hysteresis), not
    /// just whether this chunk's probability is high.
    public var isSpeech: Bool

    /// Creates the payload from its fields.
    public init(time: Double, probability: Float, isSpeech: Bool) {
        self.time = time
        self.probability = probability
        self.isSpeech = isSpeech
    }
}

/// Input level over the last chunk, linear full scale (1.0 = 0 dBFS). May be coalesced.
public struct AudioLevel: Sendable, Hashable, Codable {
    /// The end of the chunk, in seconds since the recording started.
    public var time: Double
    /// Root-mean-square level of the chunk's samples.
    public var rms: Float
    /// The largest absolute sample value in the chunk.
    public var peak: Float

    /// Creates the payload from its fields.
    public init(time: Double, rms: Float, peak: Float) {
        self.time = time
        self.rms = rms
        self.peak = peak
    }
}

/// An utterance became a segment: written to disk, or held in memory as `unsaved` when the
/// write failed.
public struct SegmentSaved: Sendable, Hashable, Codable {
    /// The segment as the session manifest lists it.
    public var segment: SegmentRecord

    /// Creates the payload from its fields.
    public init(segment: SegmentRecord) {
        self.segment = segment
    }
}

/// The VAD mode was changed while recording.
public struct VADModeChanged: Sendable, Hashable, Codable {
    /// When the new mode took effect, in seconds since the recording started.
    public var time: Double
    /// The mode before the change.
    public var from: VADMode
    /// The mode after the change.
    public var to: VADMode

    /// Creates the payload from its fields.
    public init(time: Double, from: VADMode, to: VADMode) {
        self.time = time
        self.from = from
        self.to = to
    }
}

/// Input audio was lost because the consumer fell behind the device.
public struct AudioDropped: Sendable, Hashable, Codable {
    /// When the loss was noticed, in seconds since the recording started.
    public var time: Double
    /// Frames lost since the previous `AudioDropped`, at the device rate.
    public var frames: Int
    /// `frames` as seconds of audio at the device rate.
    public var seconds: Double
    /// Frames lost since the recording started.
    public var totalFrames: Int

    /// Creates the payload from its fields.
    public init(time: Double, frames: Int, seconds: Double, totalFrames: Int) {
        self.time = time
        self.frames = frames
        self.seconds = seconds
        self.totalFrames = totalFrames
    }
}

/// The recording has ended; `summary` says what it produced.
public struct RecordingStopped: Sendable, Hashable, Codable {
    /// What the recording produced and why it stopped.
    public var summary: RecordingSummary

    /// Creates the payload from its fields.
    public init(summary: RecordingSummary) {
        self.summary = summary
    }
}

/// Something went wrong while recording: the code and message of the `HarkError` behind it.
public struct RecorderError: Sendable, Hashable, Codable {
    /// The error's kind, for code to act on.
    public var code: HarkError.Code
    /// What happened and what the user can do, for people.
    public var message: String
    /// True when the recording ended because of it.
    public var fatal: Bool

    /// Creates the payload from its fields.
    public init(code: HarkError.Code, message: String, fatal: Bool) {
        self.code = code
        self.message = message
        self.fatal = fatal
    }
}

/// A saved segment was queued for transcription.
public struct TranscriptionQueued: Sendable, Hashable, Codable {
    /// The segment's id (`SegmentRecord.id`).
    public var segmentID: Int

    /// Creates the payload from its fields.
    public init(segmentID: Int) {
        self.segmentID = segmentID
    }
}

/// A segment's transcription is done. It replaces every `transcriptionPartial` of the segment.
public struct TranscriptionComplete: Sendable, Hashable, Codable {
    /// The segment's id (`SegmentRecord.id`).
    public var segmentID: Int
    /// The transcribed text.
    public var text: String
    /// Seconds from the end of the utterance's speech to this result.
    public var latency: Double?
    /// The language the text is in ("en", "de"), where the engine says.
    public var language: String?

    /// Creates the payload from its fields.
    public init(segmentID: Int, text: String, latency: Double?, language: String? = nil) {
        self.segmentID = segmentID
        self.text = text
        self.latency = latency
        self.language = language
    }
}

/// A segment's transcription failed; the manifest records it as `failed`.
public struct TranscriptionFailed: Sendable, Hashable, Codable {
    /// The segment's id (`SegmentRecord.id`).
    public var segmentID: Int
    /// What went wrong, for people.
    public var reason: String
    /// How many times it was tried (at least 1).
    public var attempts: Int

    /// Creates the payload from its fields.
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
    /// Where the audio transcribed ends, in seconds since the recording started.
    public var audioEnd: Double
    /// The start of `text` that later partials of this segment keep as it is.
    public var stable: String
    /// Starts with a space when it starts a new word.
    public var unstable: String
    /// Speech has paused and this is the transcription the segment will have if it ends here
    /// (everything stable); more partials follow if speech resumes.
    public var tentativeFinal: Bool

    /// Creates the payload from its fields.
    public init(segmentID: Int, audioStart: Double, audioEnd: Double, stable: String, unstable: String,
                tentativeFinal: Bool = false) {
        self.segmentID = segmentID
        self.audioStart = audioStart
        self.audioEnd = audioEnd
        self.stable = stable
        self.unstable = unstable
        self.tentativeFinal = tentativeFinal
    }

    /// The whole partial text: `stable` followed by `unstable`.
    public var text: String { stable + unstable }
}
