/// What a finished recording produced.
public struct RecordingSummary: Sendable, Hashable, Codable {
    /// Why a recording ended.
    public enum StopReason: String, Sendable, Hashable, Codable {
        /// `stop()` was called (or Ctrl-C, or the duration ran out).
        case requested
        /// The input file ended.
        case endOfInput
        /// A fatal error ended it; the manifest holds everything saved before.
        case failed
        /// The recorder was killed; a later run (`hark resume`) closed the session.
        case interrupted
    }

    /// The session's id.
    public var sessionID: String
    /// The path of the session folder.
    public var sessionPath: String
    /// Seconds of audio processed.
    public var duration: Double
    /// Segments the recording produced, `unsaved` ones included.
    public var segmentCount: Int
    /// Segments whose files could not be written (they are listed as `unsaved` in the manifest).
    public var unsavedSegmentCount: Int
    /// Input frames lost because the consumer fell behind (ring overflow).
    public var droppedFrames: Int
    /// Why the recording ended.
    public var stopReason: StopReason

    /// Creates a summary from its fields.
    public init(sessionID: String, sessionPath: String, duration: Double, segmentCount: Int,
                unsavedSegmentCount: Int, droppedFrames: Int, stopReason: StopReason) {
        self.sessionID = sessionID
        self.sessionPath = sessionPath
        self.duration = duration
        self.segmentCount = segmentCount
        self.unsavedSegmentCount = unsavedSegmentCount
        self.droppedFrames = droppedFrames
        self.stopReason = stopReason
    }
}
