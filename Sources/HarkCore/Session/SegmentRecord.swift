/// One saved utterance as the session manifest and events describe it. Times are seconds since the
/// recording started, measured in audio (not wall clock), so they line up with the saved files.
public struct SegmentRecord: Sendable, Hashable, Codable, Identifiable {
    /// Whether the segment's audio is on disk.
    public enum State: String, Sendable, Hashable, Codable {
        /// The WAV file is on disk.
        case saved
        /// Writing failed (for example the disk is full); the audio is held in memory and retried.
        case unsaved
    }

    /// The segment's number in its session, counting from 1.
    public var id: Int
    /// Path relative to the session folder, e.g. `segments/0001.wav`.
    public var file: String
    /// Where its speech begins, in seconds since the recording started.
    public var speechStart: Double
    /// Where its speech ends.
    public var speechEnd: Double
    /// Where the file's audio begins (before `speechStart` by the pre-roll kept).
    public var audioStart: Double
    /// Where the file's audio ends.
    public var audioEnd: Double
    /// Why the utterance ended.
    public var endReason: Utterance.EndReason
    /// Whether the file has been written.
    public var state: State
    /// Where its transcription stands; nil when it has none.
    public var transcription: TranscriptionRecord?

    /// Creates a record from its fields.
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

    /// Seconds of audio in the segment's file.
    public var duration: Double { audioEnd - audioStart }
}

/// Where a segment's transcription stands. Filled in by the transcription workers.
public struct TranscriptionRecord: Sendable, Hashable, Codable {
    /// The transcription's progress: queued, running, done or failed.
    public enum State: String, Sendable, Hashable, Codable { case queued, running, done, failed }
    /// Where the transcription stands.
    public var state: State
    /// How many times it has been tried.
    public var attempts: Int
    /// The transcribed text, once done.
    public var text: String?
    /// Why it failed, once failed.
    public var error: String?
    /// Timed pieces of the text, in seconds from the start of the segment's file.
    public var segments: [TranscriptSegment]?
    /// The language it was transcribed as ("en", "de"), and how sure detection was (nil when the
    /// language was given).
    public var language: String?
    /// How sure language detection was, 0...1; nil when the language was given.
    public var languageProbability: Double?

    /// Creates a record from its fields.
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
