import Foundation
import HarkCore

/// Text to Whisper tokens, as the model's `tokenizer.json` (GPT-2's byte-level BPE) encodes it:
/// for prompts, which faster-whisper encodes with the same file through Hugging Face's tokenizers.
/// Written here because no Swift package we may depend on reads that format.
public struct WhisperTextEncoder: Sendable {
    private let ids: [String: Int]
    private let ranks: [Pair: Int]
    private let byteSymbols: [String]

    private struct Pair: Hashable, Sendable { var left: String; var right: String }

    /// Reads `tokenizer.json` in a faster-whisper model folder.
    public init(directory: URL) throws(HarkError) {
        let path = directory.appendingPathComponent("tokenizer.json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarkError(.modelMissing, "'\(path)' is missing: prompts need the model's tokenizer. Reinstall the model.")
        }
        struct File: Decodable {
            struct Model: Decodable { var vocab: [String: Int]; var merges: [Merge] }
            var model: Model
        }
        // Merges are "a b" in older files, ["a", "b"] in newer ones.
        struct Merge: Decodable {
            var pair: (String, String)
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let two = try? container.decode([String].self), two.count == 2 {
                    pair = (two[0], two[1])
                } else {
                    let parts = try container.decode(String.self).split(separator: " ", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a merge") }
                    pair = (parts[0], parts[1])
                }
            }
        }
        guard let file = try? JSONDecoder().decode(File.self, from: data) else {
            throw HarkError(.modelCorrupt, "'\(path)' is not a byte-level BPE tokenizer. Reinstall the model.")
        }
        ids = file.model.vocab
        var ranks: [Pair: Int] = [:]
        for (rank, merge) in file.model.merges.enumerated() {
            let pair = Pair(left: merge.pair.0, right: merge.pair.1)
            if ranks[pair] == nil { ranks[pair] = rank }   // a pair listed twice keeps its first rank
        }
        self.ranks = ranks
        var symbols = [String](repeating: "", count: 256)
        for (scalar, byte) in WhisperTokens.byteDecoder() { symbols[Int(byte)] = String(Character(scalar)) }
        byteSymbols = symbols
    }

    /// The tokens of `text` (no special tokens added).
    public func encode(_ text: String) -> [Int] {
        Self.pieces(of: text).flatMap { piece -> [Int] in
            let symbols = Array(piece.utf8).map { byteSymbols[Int($0)] }
            return merge(symbols).compactMap { ids[$0] }
        }
    }

    /// Byte-pair merging: the adjacent pair with the lowest rank joins, everywhere, until none has one.
    private func merge(_ start: [String]) -> [String] {
        var symbols = start
        while symbols.count > 1 {
            var best: (rank: Int, pair: Pair)?
            for i in 0..<(symbols.count - 1) {
                let pair = Pair(left: symbols[i], right: symbols[i + 1])
                if let rank = ranks[pair], rank < best?.rank ?? .max { best = (rank, pair) }
            }
            guard let best else { break }
            var merged: [String] = []
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count, symbols[i] == best.pair.left, symbols[i + 1] == best.pair.right {
                    merged.append(best.pair.left + best.pair.right)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        return symbols
    }

    /// GPT-2's pre-tokenization, the pattern
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, over scalars.
    static func pieces(of text: String) -> [String] {
        enum Kind { case letter, number, space, other }
        func kind(_ s: Unicode.Scalar) -> Kind {
            if s.properties.isWhitespace { return .space }
            switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
            case .decimalNumber, .letterNumber, .otherNumber: return .number
            default: return .other
            }
        }
        let scalars = Array(text.unicodeScalars)
        var pieces: [String] = []
        var i = 0
        func take(_ end: Int) {
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[i..<end])
            pieces.append(String(piece))
            i = end
        }
        func run(from start: Int, of wanted: Kind) -> Int {
            var end = start
            while end < scalars.count, kind(scalars[end]) == wanted { end += 1 }
            return end
        }
        while i < scalars.count {
            if scalars[i] == "'" {
                let rest = String(String.UnicodeScalarView(scalars[(i + 1)..<min(scalars.count, i + 3)]))
                if let suffix = ["re", "ve", "ll"].first(where: { rest.hasPrefix($0) }) { take(i + 1 + suffix.count); continue }
                if let first = rest.first, "stmd".contains(first) { take(i + 2); continue }
            }
            let spaced = scalars[i] == " " && i + 1 < scalars.count && kind(scalars[i + 1]) != .space
            let start = spaced ? i + 1 : i
            switch kind(scalars[start]) {
            case .space:
                let end = run(from: i, of: .space)
                // A run followed by more text leaves its last space to the word after it.
                take(end < scalars.count && end - i > 1 ? end - 1 : end)
            case let wanted:
                take(run(from: start + 1, of: wanted))
            }
        }
        return pieces
    }
}
