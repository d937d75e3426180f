import Foundation
import Hark

func formatTime(_ seconds: Double) -> String {
    let total = max(0, seconds)
    let minutes = Int(total) / 60
    return String(format: "%02d:%05.2f", minutes, total - Double(minutes * 60))
}

func formatDuration(_ seconds: Double) -> String {
    String(format: "%.1f s", seconds)
}

enum SegmentLine {
    static func describe(_ segment: SegmentRecord) -> String {
        let state = segment.state == .saved ? "" : "  [\(segment.state.rawValue)]"
        let text = segment.transcription?.text.map { "  \(languageMark(segment.transcription?.language))\($0)" } ?? ""
        return String(format: "#%-4d ", segment.id) + "\(formatTime(segment.speechStart))–\(formatTime(segment.speechEnd))"
            + "  (\(formatDuration(segment.duration)))  \(segment.file)\(state)\(text)"
    }
}

/// Level in dBFS for a meter, floored at -90.
func decibels(_ linear: Float) -> Float {
    linear > 0 ? max(-90, 20 * log10(linear)) : -90
}

/// "[de] " before text in another language than English (unmarked, as most text is).
func languageMark(_ language: String?) -> String {
    guard let language, language != "en" else { return "" }
    return "[\(language)] "
}
