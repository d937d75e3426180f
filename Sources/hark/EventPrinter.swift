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
    /// The utterance being spoken, as its latest partial transcript has it.
    private var partial: TranscriptionPartial?
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
            if event.isMeter && !meters { return }
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
            partial = nil
            let s = e.summary
            var line = "Stopped after \(formatDuration(s.duration)): \(s.segmentCount) segments in \(s.sessionPath)"
            if s.unsavedSegmentCount > 0 { line += " (\(s.unsavedSegmentCount) could not be written)" }
            if s.droppedFrames > 0 { line += ", \(s.droppedFrames) input frames dropped" }
            emit(line)
        case .transcriptionQueued:
            break
        case .transcriptionPartial(let e):
            guard case .terminal = style else { return }
            partial = e
            drawStatus(force: true)
        case .transcriptionComplete(let e):
            if partial?.segmentID == e.segmentID { partial = nil }
            emit("#\(e.segmentID) » \(e.text.isEmpty ? "(no speech)" : languageMark(e.language) + e.text)")
        case .transcriptionFailed(let e):
            if partial?.segmentID == e.segmentID { partial = nil }
            emit("warning: segment #\(e.segmentID) was not transcribed: \(e.reason)")
        }
    }

    /// The one-line meter, redrawn at most ten times a second; while an utterance is spoken, its
    /// text so far instead (stable words normal, the unstable tail dim), cut to the terminal's width.
    private mutating func drawStatus(force: Bool = false) {
        guard case .terminal = style else { return }
        let now = ContinuousClock.now
        guard force || now - lastStatus >= .milliseconds(100) else { return }
        lastStatus = now
        if let partial {
            let lead = "● #\(partial.segmentID) "
            let room = max(10, Self.terminalWidth() - lead.count - 1)
            var stable = partial.stable, unstable = partial.unstable
            if stable.count + unstable.count > room {   // keep the newest words in view
                let excess = stable.count + unstable.count - room + 1
                if excess >= stable.count {
                    unstable = String(unstable.dropFirst(excess - stable.count))
                    stable = ""
                } else {
                    stable = String(stable.dropFirst(excess))
                }
                stable = "…" + stable
            }
            let line = "\r\u{1B}[2K\(lead)\(stable)\u{1B}[2m\(unstable)\u{1B}[0m"
            FileHandle.standardOutput.write(Data(line.utf8))
            return
        }
        let db = decibels(level)
        let bars = Int(((db + 60) / 60 * 20).rounded())
        let meter = String(repeating: "█", count: max(0, min(20, bars))).padding(toLength: 20, withPad: "·", startingAt: 0)
        let speech = inSpeech ? "\u{1B}[1;32mSPEECH\u{1B}[0m" : "silence"
        let line = "\r\u{1B}[2K● \(formatTime(time))  \(meter) \(String(format: "%5.1f", db)) dB  vad \(String(format: "%.2f", probability)) \(speech)"
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    private func emit(_ line: String) {
        if case .terminal = style {
            FileHandle.standardOutput.write(Data("\r\u{1B}[2K\(line)\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data("\(line)\n".utf8))
        }
    }
}
