import Foundation
import Hark

/// Renders recorder events for a person (a live meter line on a terminal, plain lines otherwise)
/// or for a program (`--json`, one event per line).
struct EventPrinter {
    enum Style { case terminal, plain, json(meters: Bool) }

    let style: Style
    private var lastStatus = ContinuousClock.now - .seconds(1)
    private var level: Float = 0
    private var probability: Float = 0
    private var inSpeech = false
    private var time: Double = 0
    private let encoder = JSON.encoder

    init(style: Style) {
        self.style = style
    }

    /// Prints every event until the recording stops (or the stream ends).
    mutating func run(_ events: EventStream) async throws {
        for try await event in events {
            render(event)
            if case .recordingStopped = event { break }
        }
    }

    mutating func render(_ event: RecorderEvent) {
        if case .json(let meters) = style {
            if event.isCoalescable && !meters { return }
            if let data = try? encoder.encode(event) { emit(String(decoding: data, as: UTF8.self)) }
            return
        }
        switch event {
        case .audioLevel(let e):
            level = e.rms
            time = e.time
            drawStatus()
        case .speechDetected(let e):
            probability = e.probability
            inSpeech = e.isSpeech
            drawStatus()
        case .recordingStarted(let e):
            emit("Recording from \(e.source) (\(e.inputFormat)), VAD \(e.vadMode)")
            emit("Session \(e.sessionPath)")
        case .speechStarted(let e):
            if case .plain = style { emit("speech at \(formatTime(e.time))") }
        case .speechEnded:
            break
        case .segmentSaved(let e):
            emit(SegmentLine.describe(e.segment))
        case .vadModeChanged(let e):
            emit("VAD mode \(e.from) → \(e.to) at \(formatTime(e.time))")
        case .audioDropped(let e):
            emit("warning: \(String(format: "%.3f", e.seconds)) s of input audio dropped at \(formatTime(e.time)) (the recorder fell behind)")
        case .recorderError(let e):
            emit("\(e.fatal ? "error" : "warning"): \(e.message)")
        case .recordingStopped(let e):
            let s = e.summary
            var line = "Stopped after \(formatDuration(s.duration)): \(s.segmentCount) segments in \(s.sessionPath)"
            if s.unsavedSegmentCount > 0 { line += " (\(s.unsavedSegmentCount) could not be written)" }
            if s.droppedFrames > 0 { line += ", \(s.droppedFrames) input frames dropped" }
            emit(line)
        case .transcriptionQueued:
            break
        case .transcriptionComplete(let e):
            emit("#\(e.segmentID) » \(e.text.isEmpty ? "(no speech)" : e.text)")
        case .transcriptionFailed(let e):
            emit("warning: segment #\(e.segmentID) was not transcribed: \(e.reason)")
        }
    }

    /// The one-line meter, redrawn at most ten times a second.
    private mutating func drawStatus() {
        guard case .terminal = style else { return }
        let now = ContinuousClock.now
        guard now - lastStatus >= .milliseconds(100) else { return }
        lastStatus = now
        let db = decibels(level)
        let bars = Int(((db + 60) / 60 * 20).rounded())
        let meter = String(repeating: "█", count: max(0, min(20, bars))).padding(toLength: 20, withPad: "·", startingAt: 0)
        let speech = inSpeech ? "\u{1B}[1;32mSPEECH\u{1B}[0m" : "silence"
        let line = "\r\u{1B}[2K● \(formatTime(time))  \(meter) \(String(format: "%5.1f", db)) dB  vad \(String(format: "%.2f", probability)) \(speech)"
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    private func emit(_ line: String) {
        if case .terminal = style {
            FileHandle.standardOutput.write(Data("\r\u{1B}[2K\(line)\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data("\(line)\n".utf8))
        }
    }
}
