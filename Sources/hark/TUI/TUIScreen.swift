import CNcurses
import Foundation
import Hark

/// Draws a `TUIModel` with ncurses. Touched only from the UI thread.
struct TUIScreen {
    let colors: Bool

    enum Pair: Int16 { case title = 1, recording, speech, warning, done, dim }

    init(colors wanted: Bool) {
        hark_set_locale()
        _ = initscr()
        _ = raw()
        _ = noecho()
        _ = keypad(hark_screen(), true)
        _ = curs_set(0)
        colors = wanted && has_colors()
        if colors {
            _ = start_color()
            _ = use_default_colors()
            _ = init_pair(Pair.title.rawValue, Int16(COLOR_BLACK), Int16(COLOR_CYAN))
            _ = init_pair(Pair.recording.rawValue, Int16(COLOR_WHITE), Int16(COLOR_RED))
            _ = init_pair(Pair.speech.rawValue, Int16(COLOR_GREEN), -1)
            _ = init_pair(Pair.warning.rawValue, Int16(COLOR_YELLOW), -1)
            _ = init_pair(Pair.done.rawValue, Int16(COLOR_CYAN), -1)
            _ = init_pair(Pair.dim.rawValue, Int16(COLOR_BLUE), -1)
        }
    }

    func close() { _ = endwin() }

    /// Waits up to `milliseconds` for a key; nil when none.
    func key(timeout milliseconds: Int32) -> Int32? {
        timeout(milliseconds)
        let key = getch()
        return key == ERR ? nil : key
    }

    func draw(_ model: TUIModel) {
        let rows = Int(hark_lines()), columns = Int(hark_columns())
        _ = erase()
        guard rows >= 8, columns >= 30 else {
            put(0, 0, "Terminal too small", columns)
            _ = refresh()
            return
        }
        // Status line.
        let elapsed = model.startedAt.map { ContinuousClock.now - $0 }.map { Double($0.components.seconds) } ?? 0
        let state = model.busy ? (model.recording ? " STOPPING " : " STARTING ") : (model.recording ? " ● REC " : " IDLE ")
        with(model.recording ? .recording : .title, bold: true) { put(0, 0, state, columns) }
        let status = " \(formatTime(elapsed))  \(model.device)  VAD \(model.vadMode)  \(model.sessionPath ?? "no session yet")"
        with(.title) { put(0, state.count, status.padding(toLength: max(0, columns - state.count), withPad: " ", startingAt: 0), columns - state.count) }

        // Meters.
        let width = max(10, min(40, columns - 32))
        let level = Int(((model.levelDecibels + 60) / 60 * Float(width)).rounded())
        put(2, 0, "level ", columns)
        with(.speech) { put(2, 6, String(repeating: "█", count: max(0, min(width, level))), columns - 6) }
        put(2, 6 + width, String(format: " %6.1f dB", model.levelDecibels), columns - 6 - width)
        let probability = Int((model.speechProbability * Float(width)).rounded())
        put(3, 0, "voice ", columns)
        with(model.inSpeech ? .speech : .dim, bold: model.inSpeech) {
            put(3, 6, String(repeating: model.inSpeech ? "█" : "▒", count: max(0, min(width, probability))), columns - 6)
        }
        put(3, 6 + width, String(format: " %5.2f %@", model.speechProbability, model.inSpeech ? "SPEECH" : "silence"), columns - 6 - width)

        // Segments, newest at the bottom, wrapped text cut to the width; under them the utterance
        // being spoken, growing (stable words normal, the unstable tail dim).
        let top = 5, bottom = rows - 3 - (model.partial == nil ? 0 : 1)
        let shown = model.displayedSegments.suffix(max(0, bottom - top))
        for (row, segment) in shown.enumerated() {
            let head = String(format: "#%-3d ", segment.id) + formatTime(segment.start)
                + String(format: " %4.1fs ", segment.duration) + segment.state.padding(toLength: 13, withPad: " ", startingAt: 0)
            put(top + row, 0, head, columns)
            let pair: Pair = segment.state == "done" ? .done : (segment.state == "failed" ? .warning : .dim)
            with(pair) { put(top + row, head.count, segment.text, columns - head.count) }
        }
        if let partial = model.partial {
            let row = top + shown.count, head = String(format: "#%-3d ", partial.segmentID) + "» "
            put(row, 0, head, columns)
            let room = columns - head.count
            // The newest words stay in view: a long utterance loses its start first.
            let text = partial.stable + partial.unstable
            let cut = max(0, text.count - room)
            let stableShown = String(partial.stable.dropFirst(cut))
            let unstableShown = String(partial.unstable.dropFirst(max(0, cut - partial.stable.count)))
            put(row, head.count, stableShown, room)
            dim { put(row, head.count + stableShown.count, unstableShown, room - stableShown.count) }
        } else if model.segments.isEmpty {
            with(.dim) { put(top, 0, model.recording ? "Listening… utterances appear here." : "Press SPACE to record.", columns) }
        }

        // Warnings (non-modal), then the key footer.
        if let warning = model.warnings.last {
            with(.warning, bold: true) { put(rows - 2, 0, "! " + warning, columns) }
        } else if let message = model.message {
            put(rows - 2, 0, message, columns)
        }
        let keys = model.recording ? "SPACE stop  m VAD mode  o folder  q quit" : "SPACE record  m VAD mode  d device  o folder  q quit"
        with(.title) { put(rows - 1, 0, keys.padding(toLength: columns, withPad: " ", startingAt: 0), columns) }
        _ = refresh()
    }

    private func put(_ row: Int, _ column: Int, _ text: String, _ room: Int) {
        guard room > 0 else { return }
        var fitted = ""
        var used = 0
        for character in text where character != "\n" {
            if used >= room { break }
            fitted.append(character)
            used += 1
        }
        _ = mvaddstr(Int32(row), Int32(column), fitted)
    }

    private func dim(_ body: () -> Void) {
        _ = attron(hark_attr_dim())
        body()
        _ = attroff(hark_attr_dim())
    }

    private func with(_ pair: Pair, bold: Bool = false, _ body: () -> Void) {
        var attributes: Int32 = 0
        if colors { attributes |= hark_color_pair(Int32(pair.rawValue)) }
        if bold || (!colors && (pair == .recording || pair == .title)) { attributes |= hark_attr_bold() }
        if !colors && pair == .recording { attributes |= hark_attr_reverse() }
        _ = attron(attributes)
        body()
        _ = attroff(attributes)
    }
}
