import Foundation

/// Transcript files: plain text, SubRip, WebVTT, JSON.
public enum TranscriptFormat: String, Sendable, CaseIterable, Codable {
    case txt, srt, vtt, json

    /// `language` (a code, "de") goes into json, the one format with room for it.
    public func render(_ segments: [TranscriptSegment], source: String? = nil, language: String? = nil) -> String {
        let spoken = segments.filter { !$0.text.isEmpty }
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

    /// HH:MM:SS,mmm (SubRip) or HH:MM:SS.mmm (WebVTT).
    static func clock(_ seconds: Double, _ separator: String) -> String {
        let milliseconds = Int((max(0, seconds) * 1000).rounded())
        let h = milliseconds / 3_600_000, m = milliseconds / 60_000 % 60, s = milliseconds / 1000 % 60, ms = milliseconds % 1000
        return String(format: "%02d:%02d:%02d%@%03d", h, m, s, separator, ms)
    }
}
