import Foundation

/// Transcript files: plain text, SubRip, WebVTT, JSON.
public enum TranscriptFormat: String, Sendable, CaseIterable, Codable {
    case txt, srt, vtt, json

    /// `language` (a code, "de") goes into json, the one format with room for it.
    /// `wordsPerCue` cuts timed segments (with words) into cues of at most that many words.
    public func render(_ segments: [TranscriptSegment], source: String? = nil, language: String? = nil, wordsPerCue: Int? = nil) -> String {
        var spoken = segments.filter { !$0.text.isEmpty }
        if let wordsPerCue, self == .srt || self == .vtt { spoken = Self.cues(spoken, wordsPerCue: max(1, wordsPerCue)) }
        switch self {
        case .txt:
            return spoken.map { $0.text + "\n" }.joined()
        case .srt:
            return spoken.enumerated().map { i, s in
                "\(i + 1)\n\(Self.clock(s.start, ",")) --> \(Self.clock(s.end, ","))\n\(s.text)\n\n"
            }.joined()
        case .vtt:
            return "WEBVTT\n\n" + spoken.map { s in "\(Self.clock(s.start, ".")) --> \(Self.clock(s.end, "."))\n\(s.text)\n\n" }.joined()
        case .json:
            struct Document: Encodable { var source: String?; var language: String?; var text: String; var segments: [TranscriptSegment] }
            let document = Document(source: source, language: language, text: spoken.map(\.text).joined(separator: " "), segments: spoken)
            return JSON.string(document) + "\n"
        }
    }

    /// Segments cut into runs of at most `wordsPerCue` words, each timed from its first word's
    /// start to its last word's end; segments without words stay whole.
    static func cues(_ segments: [TranscriptSegment], wordsPerCue: Int) -> [TranscriptSegment] {
        segments.flatMap { segment -> [TranscriptSegment] in
            guard let words = segment.words, !words.isEmpty else { return [segment] }
            return stride(from: 0, to: words.count, by: wordsPerCue).map { first in
                let run = words[first..<min(words.count, first + wordsPerCue)]
                return TranscriptSegment(start: run.first!.start, end: run.last!.end,
                                         text: run.map(\.word).joined().trimmingCharacters(in: .whitespaces))
            }
        }
    }

    /// HH:MM:SS,mmm (SubRip) or HH:MM:SS.mmm (WebVTT).
    static func clock(_ seconds: Double, _ separator: String) -> String {
        let milliseconds = Int((max(0, seconds) * 1000).rounded())
        let h = milliseconds / 3_600_000, m = milliseconds / 60_000 % 60, s = milliseconds / 1000 % 60, ms = milliseconds % 1000
        return String(format: "%02d:%02d:%02d%@%03d", h, m, s, separator, ms)
    }
}
