import Foundation
import HarkCore

/// Whisper's vocabulary and special tokens, from `vocabulary.txt` (one GPT-2 byte-level token per
/// line, by id) or `vocabulary.json`, and `config.json` (tokens to suppress).
public struct WhisperTokens: Sendable {
    /// `<|endoftext|>`: ids below it are text tokens.
    public let endOfText: Int
    /// `<|startoftranscript|>`, which starts every prompt.
    public let startOfTranscript: Int
    /// `<|transcribe|>`, the task token of multilingual models.
    public let transcribe: Int
    /// `<|nospeech|>` (or `<|nocaptions|>`), whose probability is the no-speech probability.
    public let noSpeech: Int
    /// `<|notimestamps|>`, in the prompt when timestamps are not wanted.
    public let noTimestamps: Int
    /// `<|0.00|>`, the first timestamp token; the ones after it step by 0.02 s.
    public let timestampBegin: Int
    /// Before previous text in the prompt (`<|startofprev|>`).
    public let startOfPrevious: Int?
    /// English-only models have 51864 tokens; multilingual ones more, and take language and task
    /// tokens after start-of-transcript.
    public let isMultilingual: Bool
    /// `<|en|>`; nil for English-only models.
    public let english: Int?
    /// `<|translate|>`, the task token for translating into English; nil for English-only models.
    public let translate: Int?
    /// A multilingual model's language tokens by code ("en", "de", …), in the model's order
    /// (config `lang_ids`); empty for English-only models.
    public let languages: [(code: String, token: Int)]
    /// The decoder's (layer, head) pairs whose cross-attention follows the speech in time
    /// (config `alignment_heads`): what word timing reads.
    let alignmentHeads: [(layer: Int, head: Int)]
    /// Suppressed at every step (config `suppress_ids`), and at the first step only.
    let suppressed: [Int]
    let suppressedAtBegin: [Int]
    private let pieces: [[UInt8]]

    init(directory: URL, vocabularySize: Int) throws(HarkError) {
        let (lines, vocabularyPath) = try Self.vocabulary(in: directory)
        guard lines.count == vocabularySize else {
            throw HarkError(.modelCorrupt, "'\(vocabularyPath)' lists \(lines.count) tokens but the model has \(vocabularySize).")
        }
        var index: [String: Int] = [:]
        for (id, line) in lines.enumerated() where line.hasPrefix("<|") { index[line] = id }
        func special(_ names: String...) throws(HarkError) -> Int {
            for name in names { if let id = index[name] { return id } }
            throw HarkError(.modelCorrupt, "'\(vocabularyPath)' has no \(names[0]) token.")
        }
        endOfText = try special("<|endoftext|>")
        startOfTranscript = try special("<|startoftranscript|>")
        transcribe = try special("<|transcribe|>")
        noSpeech = try special("<|nospeech|>", "<|nocaptions|>")
        noTimestamps = try special("<|notimestamps|>")
        timestampBegin = try special("<|0.00|>")
        startOfPrevious = index["<|startofprev|>"]
        isMultilingual = vocabularySize >= 51865
        english = isMultilingual ? index["<|en|>"] : nil
        translate = isMultilingual ? index["<|translate|>"] : nil

        let configPath = directory.appendingPathComponent("config.json")
        struct Config: Decodable { var suppress_ids: [Int]?; var suppress_ids_begin: [Int]?; var lang_ids: [Int]?; var alignment_heads: [[Int]]? }
        let config = (try? Data(contentsOf: configPath)).flatMap { try? JSONDecoder().decode(Config.self, from: $0) }
        // Without `lang_ids`, the tokens between start-of-transcript and translate are the languages.
        let first = startOfTranscript + 1
        let languageIDs = config?.lang_ids ?? translate.map { Array(first..<$0) } ?? []
        languages = isMultilingual ? languageIDs.compactMap { id in
            guard id >= 0, id < lines.count, lines[id].hasPrefix("<|"), lines[id].hasSuffix("|>") else { return nil }
            return (String(lines[id].dropFirst(2).dropLast(2)), id)
        } : []
        alignmentHeads = (config?.alignment_heads ?? []).compactMap { $0.count == 2 && $0[0] >= 0 && $0[1] >= 0 ? ($0[0], $0[1]) : nil }
        suppressed = (config?.suppress_ids ?? []).filter { $0 >= 0 && $0 < vocabularySize }
        suppressedAtBegin = (config?.suppress_ids_begin ?? [220, endOfText]).filter { $0 >= 0 && $0 < vocabularySize }

        // By scalar value (the byte alphabet's scalars are below 324): a dictionary lookup per
        // scalar of 51 864 tokens was a tenth of a model's load.
        var table = [Int16](repeating: -1, count: 512)
        for (scalar, byte) in Self.byteDecoder() where scalar.value < 512 { table[Int(scalar.value)] = Int16(byte) }
        pieces = lines.map { line in
            line.unicodeScalars.compactMap { $0.value < 512 && table[Int($0.value)] >= 0 ? UInt8(table[Int($0.value)]) : nil }
        }
    }

    /// Whether the model in `directory` is multilingual (by its vocabulary's size); nil when its
    /// vocabulary cannot be read.
    public static func isMultilingual(directory: URL) -> Bool? {
        (try? vocabulary(in: directory)).map { $0.0.count >= 51865 }
    }

    /// The tokens by id, from `vocabulary.txt` (a token per line) or, where a converter wrote
    /// that instead (CTranslate2 does for vocabularies whose tokens hold line breaks), from
    /// `vocabulary.json` (a JSON array of the tokens), and the file's path.
    static func vocabulary(in directory: URL) throws(HarkError) -> ([String], String) {
        let textPath = directory.appendingPathComponent("vocabulary.txt").path
        let jsonPath = directory.appendingPathComponent("vocabulary.json").path
        if let data = FileManager.default.contents(atPath: textPath), String(validating: data, as: UTF8.self) != nil {
            // Split on the byte, not on Characters: grapheme breaking of 51 864 lines was slow.
            var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            if lines.last == "" { lines.removeLast() }
            return (lines, textPath)
        }
        guard let data = FileManager.default.contents(atPath: jsonPath) else {
            throw HarkError(.modelMissing, "The model folder '\(directory.path)' has neither vocabulary.txt nor vocabulary.json. Reinstall the model (`make models` for tiny.en).")
        }
        guard let tokens = try? JSONDecoder().decode([String].self, from: data) else {
            throw HarkError(.modelCorrupt, "'\(jsonPath)' is not a JSON array of tokens. Reinstall the model.")
        }
        return (tokens, jsonPath)
    }

    /// The prompt: hotwords and previous text (its last `WhisperOptions.maxPreviousTokens`) after
    /// start-of-previous, start-of-transcript, language and task for multilingual models, then
    /// no-timestamps unless timestamps are wanted.
    func prompt(timestamps: Bool = false, previous: [Int] = [], hotwords: [Int] = [], language: String? = nil,
                translating: Bool = false) -> [Int] {
        var tokens: [Int] = []
        if let startOfPrevious, !previous.isEmpty || !hotwords.isEmpty {
            // faster-whisper's get_prompt: hotwords (at most 223 tokens), then the previous text's
            // last 223 — together fewer, should both be long, so that text keeps room to decode.
            let hot = hotwords.prefix(WhisperOptions.maxPreviousTokens)
            let room = WhisperDecoder.maxPositions - WhisperOptions.minimumDecodeRoom - hot.count - 6
            tokens = [startOfPrevious] + hot + previous.suffix(max(0, min(WhisperOptions.maxPreviousTokens, room)))
        }
        tokens.append(startOfTranscript)
        if isMultilingual {
            let languageToken = language.flatMap(languageToken(for:)) ?? english
            tokens += (languageToken.map { [$0] } ?? []) + [translating ? (translate ?? transcribe) : transcribe]
        }
        if !timestamps { tokens.append(noTimestamps) }
        return tokens
    }

    /// The token of language `code` ("de"), for a multilingual model.
    public func languageToken(for code: String) -> Int? {
        languages.first { $0.code == code.lowercased() }?.token
    }

    /// Text tokens to UTF-8 text; special tokens are skipped.
    public func text(_ tokens: [Int]) -> String {
        var bytes: [UInt8] = []
        for token in tokens where token < endOfText && token >= 0 && token < pieces.count { bytes += pieces[token] }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Text tokens grouped into words: a token whose text starts with a space starts a new word;
    /// any other (the rest of a word, punctuation) belongs to the word before it.
    public func words(_ tokens: [Int]) -> [TranscriptWord] {
        var words: [TranscriptWord] = [], bytes: [UInt8] = [], group: [Int] = []
        func close() {
            if !group.isEmpty { words.append(TranscriptWord(text: String(decoding: bytes, as: UTF8.self), tokens: group)) }
            bytes = []
            group = []
        }
        for token in tokens where token < endOfText && token >= 0 && token < pieces.count {
            if pieces[token].first == UInt8(ascii: " ") { close() }
            bytes += pieces[token]
            group.append(token)
        }
        close()
        return words
    }

    /// Tokens split into words as Whisper's word timing splits them: a piece that starts with a
    /// space, is punctuation, or is a special token starts a new word (punctuation is merged back
    /// later); languages written without spaces split at every whole character instead. Pieces
    /// end where their bytes are whole UTF-8.
    func timingWords(_ tokens: [Int], language: String?) -> [(text: String, tokens: [Int])] {
        var pieces: [(text: String, tokens: [Int])] = []
        var bytes: [UInt8] = [], group: [Int] = []
        for token in tokens {
            group.append(token)
            if token >= endOfText || token < 0 || token >= self.pieces.count {
                pieces.append(("<|special|>", group))
                bytes = []
                group = []
                continue
            }
            bytes += self.pieces[token]
            if let text = String(validating: bytes, as: UTF8.self) {
                pieces.append((text, group))
                bytes = []
                group = []
            }
        }
        if !group.isEmpty { pieces.append((String(decoding: bytes, as: UTF8.self), group)) }
        if let language, ["zh", "ja", "th", "lo", "my", "yue"].contains(language) { return pieces }
        // Python's `piece.strip() in string.punctuation`: a run of that string (or nothing).
        let punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
        var words: [(text: String, tokens: [Int])] = []
        for piece in pieces {
            let special = piece.tokens[0] >= endOfText
            let stripped = piece.text.trimmingCharacters(in: .whitespacesAndNewlines)
            let isPunctuation = stripped.isEmpty || punctuation.contains(stripped)
            if special || piece.text.hasPrefix(" ") || isPunctuation || words.isEmpty {
                words.append(piece)
            } else {
                words[words.count - 1].text += piece.text
                words[words.count - 1].tokens += piece.tokens
            }
        }
        return words
    }

    /// GPT-2's byte-level alphabet, inverted: printable bytes stand for themselves, the others
    /// were moved to U+0100 and up in order.
    static func byteDecoder() -> [Unicode.Scalar: UInt8] {
        var map: [Unicode.Scalar: UInt8] = [:]
        var shifted = 0
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            let scalar = printable ? Unicode.Scalar(UInt32(byte))! : Unicode.Scalar(UInt32(256 + shifted))!
            if !printable { shifted += 1 }
            map[scalar] = UInt8(byte)
        }
        return map
    }
}
