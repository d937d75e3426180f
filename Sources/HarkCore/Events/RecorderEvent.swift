/// Everything the recorder reports, in order, per session.
///
/// Segment, lifecycle, error and transcription events are never dropped. `speechDetected` and
/// `audioLevel` arrive once per 32 ms chunk and may be coalesced to the latest value, and so may
/// `transcriptionPartial`, which each newer partial supersedes.
public enum RecorderEvent: Sendable, Hashable {
    case recordingStarted(RecordingStarted)
    case speechStarted(SpeechStarted)
    case speechEnded(SpeechEnded)
    case speechDetected(SpeechDetected)
    case audioLevel(AudioLevel)
    case segmentSaved(SegmentSaved)
    case vadModeChanged(VADModeChanged)
    case audioDropped(AudioDropped)
    case recordingStopped(RecordingStopped)
    case recorderError(RecorderError)
    case transcriptionQueued(TranscriptionQueued)
    case transcriptionPartial(TranscriptionPartial)
    case transcriptionComplete(TranscriptionComplete)
    case transcriptionFailed(TranscriptionFailed)

    /// Meter events that a slow consumer may see only the latest of.
    public var isCoalescable: Bool {
        if case .transcriptionPartial = self { return true }
        return isMeter
    }

    /// The per-chunk level and speech-probability events.
    public var isMeter: Bool {
        switch self {
        case .speechDetected, .audioLevel: true
        default: false
        }
    }

    /// The event's name as written in JSON (`"event"` key) and logs.
    public var name: String {
        switch self {
        case .recordingStarted: "recordingStarted"
        case .speechStarted: "speechStarted"
        case .speechEnded: "speechEnded"
        case .speechDetected: "speechDetected"
        case .audioLevel: "audioLevel"
        case .segmentSaved: "segmentSaved"
        case .vadModeChanged: "vadModeChanged"
        case .audioDropped: "audioDropped"
        case .recordingStopped: "recordingStopped"
        case .recorderError: "recorderError"
        case .transcriptionQueued: "transcriptionQueued"
        case .transcriptionPartial: "transcriptionPartial"
        case .transcriptionComplete: "transcriptionComplete"
        case .transcriptionFailed: "transcriptionFailed"
        }
    }
}

/// JSON form: the payload's fields with an `"event"` key naming the case, one flat object.
extension RecorderEvent: Codable {
    private enum TypeKey: String, CodingKey { case event }

    /// Writes the payload's fields plus an `"event"` key holding `name`, as one flat JSON object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(name, forKey: .event)
        switch self {
        case .recordingStarted(let e): try e.encode(to: encoder)
        case .speechStarted(let e): try e.encode(to: encoder)
        case .speechEnded(let e): try e.encode(to: encoder)
        case .speechDetected(let e): try e.encode(to: encoder)
        case .audioLevel(let e): try e.encode(to: encoder)
        case .segmentSaved(let e): try e.encode(to: encoder)
        case .vadModeChanged(let e): try e.encode(to: encoder)
        case .audioDropped(let e): try e.encode(to: encoder)
        case .recordingStopped(let e): try e.encode(to: encoder)
        case .recorderError(let e): try e.encode(to: encoder)
        case .transcriptionQueued(let e): try e.encode(to: encoder)
        case .transcriptionPartial(let e): try e.encode(to: encoder)
        case .transcriptionComplete(let e): try e.encode(to: encoder)
        case .transcriptionFailed(let e): try e.encode(to: encoder)
        }
    }

    /// Reads the flat object `encode(to:)` writes. Throws `DecodingError.dataCorrupted` for an unknown
    /// `"event"` name.
    public init(from decoder: any Decoder) throws {
        let name = try decoder.container(keyedBy: TypeKey.self).decode(String.self, forKey: .event)
        switch name {
        case "recordingStarted": self = .recordingStarted(try .init(from: decoder))
        case "speechStarted": self = .speechStarted(try .init(from: decoder))
        case "speechEnded": self = .speechEnded(try .init(from: decoder))
        case "speechDetected": self = .speechDetected(try .init(from: decoder))
        case "audioLevel": self = .audioLevel(try .init(from: decoder))
        case "segmentSaved": self = .segmentSaved(try .init(from: decoder))
        case "vadModeChanged": self = .vadModeChanged(try .init(from: decoder))
        case "audioDropped": self = .audioDropped(try .init(from: decoder))
        case "recordingStopped": self = .recordingStopped(try .init(from: decoder))
        case "recorderError": self = .recorderError(try .init(from: decoder))
        case "transcriptionQueued": self = .transcriptionQueued(try .init(from: decoder))
        case "transcriptionPartial": self = .transcriptionPartial(try .init(from: decoder))
        case "transcriptionComplete": self = .transcriptionComplete(try .init(from: decoder))
        case "transcriptionFailed": self = .transcriptionFailed(try .init(from: decoder))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "Unknown event '\(name)'"))
        }
    }
}
