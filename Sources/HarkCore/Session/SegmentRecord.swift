/// One saved utterance as the session manifest and events describe it. Times are seconds since the
/// recording started, measured in audio (not wall clock), so they line up with the saved files.
public struct SegmentRecord: Sendable, Hashable, Codable, Identifiable {
    public enum State: String, Sendable, Hashable, Codable {
        /// The WAV file is on disk.
        case saved
        /// Writing failed (for example the disk is full); the audio is held in memory and retried.
        case unsaved
    }

    public var id: Int
    /// Path relative to the session folder, e.g. `segments/0001.wav`.
    public var file: String
    public var speechStart: Double
    public var speechEnd: Double
    public var audioStart: Double
    public var audioEnd: Double
    public var endReason: Utterance.EndReason
    public var state: State
    public var transcription: TranscriptionRecord?

    public init(id: Int, file: String, speechStart: Double, speechEnd: Double, audioStart: Double,
                audioEnd: Double, endReason: Utterance.EndReason, state: State,
                transcription: TranscriptionRecord? = nil) {
        self.id = id
        self.file = file
        self.speechStart = speechStart
        self.speechEnd = speechEnd
        self.audioStart = audioStart
        self.audioEnd = audioEnd
        self.endReason = endReason
        self.state = state
        self.transcription = transcription
    }

    public var duration: Double { audioEnd - audioStart }
}

/// Where a segment's transcription stands. Filled in by the transcription workers.
public struct TranscriptionRecord: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable { case queued, running, done, failed }
    public var state: State
    public var attempts: Int
    public var text: String?
    public var error: String?
    /// Timed pieces of the text, in seconds from the start of the segment's file.
    public var segments: [TranscriptSegment]?
    /// The language it was transcribed as ("en", "de"), and how sure detection was (nil when the
    /// language was given).
    public var language: String?
    public var languageProbability: Double?

    public init(state: State, attempts: Int = 0, text: String? = nil, error: String? = nil,
                segments: [TranscriptSegment]? = nil, language: String? = nil, languageProbability: Double? = nil) {
        self.state = state
        self.attempts = attempts
        self.text = text
        self.error = error
        self.segments = segments
        self.language = language
        self.languageProbability = languageProbability
    }
}
