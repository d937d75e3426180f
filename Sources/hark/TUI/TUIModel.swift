import Foundation
import Hark

/// Everything the terminal UI shows, updated from recorder events. A value: the screen draws a
/// copy, so drawing never holds up the events.
struct TUIModel: Sendable {
    struct Segment: Sendable {
        var id: Int
        var start: Double
        var duration: Double
        var state: String      // queued, transcribing, done, failed, saved
        var text: String
    }

    var recording = false
    var busy = false                    // a start or stop is under way
    var startedAt: ContinuousClock.Instant?
    var device = "default input"
    var devices: [String] = []
    var deviceIndex: Int?
    var vadMode: VADMode = .silero
    var sessionPath: String?
    var levelDecibels: Float = -90
    var speechProbability: Float = 0
    var inSpeech = false
    var segments: [Segment] = []
    /// The utterance being spoken, as its latest partial transcript has it.
    var partial: TranscriptionPartial?
    var warnings: [String] = []         // newest last, a few kept
    var message: String?
    var droppedSeconds = 0.0
    var dirty = true

    mutating func apply(_ event: RecorderEvent) {
        switch event {
        case .recordingStarted(let e):
            recording = true
            startedAt = .now
            sessionPath = e.sessionPath
            device = e.source
            vadMode = e.vadMode
            segments = []
            partial = nil
            droppedSeconds = 0
        case .audioLevel(let e):
            levelDecibels = e.rms > 0 ? max(-90, 20 * log10(e.rms)) : -90
        case .speechDetected(let e):
            speechProbability = e.probability
            inSpeech = e.isSpeech
        case .segmentSaved(let e):
            let s = e.segment
            segments.append(Segment(id: s.id, start: s.speechStart, duration: s.duration,
                                    state: s.state == .saved ? "saved" : "unsaved", text: ""))
        case .transcriptionQueued(let e):
            update(e.segmentID) { $0.state = "queued" }
        case .transcriptionPartial(let e):
            partial = e
        case .transcriptionComplete(let e):
            if partial?.segmentID == e.segmentID { partial = nil }
            update(e.segmentID) {
                $0.state = "done"
                $0.text = e.text.isEmpty ? "(no speech)" : e.text
            }
        case .transcriptionFailed(let e):
            if partial?.segmentID == e.segmentID { partial = nil }
            update(e.segmentID) { $0.state = "failed"; $0.text = e.reason }
            warn("segment #\(e.segmentID) not transcribed: \(e.reason)")
        case .vadModeChanged(let e):
            vadMode = e.to
            message = "VAD mode \(e.from) → \(e.to)"
        case .audioDropped(let e):
            droppedSeconds += e.seconds
            warn(String(format: "%.2f s of audio dropped (the recorder fell behind)", e.seconds))
        case .recorderError(let e):
            warn(e.message)
        case .recordingStopped(let e):
            recording = false
            startedAt = nil
            partial = nil
            message = "Stopped: \(e.summary.segmentCount) segments in \(e.summary.sessionPath)"
        case .speechStarted, .speechEnded:
            break
        }
        dirty = true
    }

    mutating func warn(_ text: String) {
        warnings.append(text)
        if warnings.count > 3 { warnings.removeFirst(warnings.count - 3) }
    }

    /// A segment is "transcribing" from the moment it is the oldest one queued.
    var displayedSegments: [Segment] {
        var shown = segments
        if let i = shown.firstIndex(where: { $0.state == "queued" }) { shown[i].state = "transcribing" }
        return shown
    }

    private mutating func update(_ id: Int, _ change: (inout Segment) -> Void) {
        if let i = segments.firstIndex(where: { $0.id == id }) { change(&segments[i]) }
    }
}
