import Foundation
import HarkCore

/// Options for one transcription, with faster-whisper's defaults where it has them.
public struct WhisperOptions: Sendable, Hashable {
    /// 1 for greedy decoding.
    public var beamSize = 1
    /// Threads for the matrix products; defaults to the machine's cores.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// A window whose no-speech probability is above this and whose average log-probability is
    /// below `logProbabilityThreshold` gives no text (faster-whisper's rule against hallucination).
    public var noSpeechThreshold = 0.6
    /// Log-probability bound of the no-speech rule: see `noSpeechThreshold`.
    public var logProbabilityThreshold = -1.0
    /// Decode Whisper's timestamp tokens into timed segments.
    public var timestamps = false
    /// Text tokens the result must begin with (see `TranscriptionOptions.prefix`).
    public var prefix: [Int] = []
    /// Text tokens of what was said before (faster-whisper's previous text, as `initial_prompt`
    /// gives it): read after start-of-previous, the last `maxPreviousTokens` of them.
    public var previous: [Int] = []
    /// Text tokens of words to listen for (faster-whisper's `hotwords`): read after
    /// start-of-previous, before `previous`, unless there is a `prefix`.
    public var hotwords: [Int] = []
    /// The language spoken, as a code ("en", "de"); nil lets a multilingual model detect it (as
    /// faster-whisper does: its language tokens' probabilities after start-of-transcript).
    /// English-only models transcribe English only.
    public var language: String?
    /// Translate into English instead of transcribing (multilingual models).
    public var translate = false
    /// Time every word (faster-whisper's `word_timestamps`): segments get `words`.
    public var wordTimestamps = false
    /// Greedy decoding on all cores, without timestamps, the language detected.
    public init() {}

    /// The most prefix tokens a window takes: half the decoder's positions, the rest left to decode.
    public static let maxPrefixTokens = WhisperDecoder.maxPositions / 2
    /// faster-whisper's limit on previous text: half the positions, less start-of-previous.
    public static let maxPreviousTokens = WhisperDecoder.maxPositions / 2 - 1
    /// Positions a long prompt (hotwords and previous text together) always leaves for the text.
    static let minimumDecodeRoom = 64
}

/// What one 30 s window decoded to.
public struct WhisperWindowResult: Sendable, Hashable {
    /// The decoded token ids: the prefix, text and any timestamp tokens, without end-of-text.
    public var tokens: [Int]
    /// The text of `tokens`, trimmed; empty when `isSilence`.
    public var text: String
    /// Probability, 0...1, of the no-speech token after start-of-transcript.
    public var noSpeechProbability: Double
    /// Log-probability of the decoded tokens and end-of-text, per token (faster-whisper's
    /// `avg_logprob`).
    public var averageLogProbability: Double
    /// True when the no-speech rule dropped the text.
    public var isSilence: Bool
    /// Timed text in seconds from the start of the audio, within its length: from the timestamp
    /// tokens, or (without timestamps) one segment spanning the audio; none when there is no text.
    public var segments: [TranscriptSegment] = []
    /// The language the window was decoded as, and its detected probability (nil when it was
    /// given, or the model is English-only).
    public var language: String?
    /// How likely `language` was in detection, 0...1; nil when it was not detected.
    public var languageProbability: Double?
}

/// Whisper inference on one window of up to 30 s of 16 kHz mono audio.
public struct WhisperTranscriber: Sendable {
    /// The loaded model, shared read-only.
    public let model: WhisperModel
    private let mel: LogMelSpectrogram

    /// A transcriber over `model`, with its mel filters for the model's mel bins.
    public init(model: WhisperModel) {
        self.model = model
        mel = LogMelSpectrogram(melCount: model.melBins)
    }

    /// Transcribes `samples` (at most 30 s; longer input is cut by the caller, e.g. with the VAD).
    /// A raised `cancellation` stops it at the next encoder layer or decoded token (`cancelled`).
    public func transcribe(_ samples: [Float], options: WhisperOptions = .init(),
                           cancellation: CancellationFlag? = nil) throws(HarkError) -> WhisperWindowResult {
        guard samples.allSatisfy(\.isFinite) else {
            throw HarkError(.invalidInput, "The audio holds NaN or infinite samples; Whisper cannot transcribe it.")
        }
        guard options.prefix.count <= WhisperOptions.maxPrefixTokens,
              options.prefix.allSatisfy({ $0 >= 0 && $0 < model.tokens.endOfText }) else {
            throw HarkError(.invalidInput, "A prefix must be at most \(WhisperOptions.maxPrefixTokens) text tokens of this model.")
        }
        guard (options.previous + options.hotwords).allSatisfy({ $0 >= 0 && $0 < model.tokens.endOfText }) else {
            throw HarkError(.invalidInput, "A prompt must be text tokens of this model.")
        }
        try Self.check(language: options.language, translate: options.translate, for: model.tokens)
        let (features, frames) = try mel.features(of: samples)
        // Under 10 ms: no frame is left (below), and faster-whisper gives nothing for it either.
        guard frames > 1 else {
            return WhisperWindowResult(tokens: [], text: "", noSpeechProbability: 1, averageLogProbability: 0, isSilence: true)
        }
        // faster-whisper's transcribe leaves out the last feature frame (its content_frames is
        // frames − 1). On a segment cut close after its speech that frame can decide between a
        // final "." and end-of-text (Tests/Fixtures/whisper/live_segment.flac).
        let window = mel.window(features, frames: frames - 1)
        let threads = max(1, options.threads)
        let encoded = try WhisperEncoder(model: model, threads: threads).encode(window, cancellation: cancellation)
        let beamSearch = options.beamSize > 1
        var decoder = WhisperDecoder(model: model, encoded: encoded, threads: threads, capacity: beamSearch ? options.beamSize : 1)
        var language = model.tokens.isMultilingual ? options.language?.lowercased() : "en"
        var languageProbability: Double?
        if language == nil {
            // faster-whisper detects on every feature frame, the last one too: for audio under
            // 30 s that is another window than the one decoded, encoded on its own.
            if frames - 1 >= LogMelSpectrogram.windowFrames {
                (language, languageProbability) = Self.detectLanguage(&decoder)
                decoder.rewind()
            } else {
                let whole = try WhisperEncoder(model: model, threads: threads).encode(mel.window(features, frames: frames), cancellation: cancellation)
                var detector = WhisperDecoder(model: model, encoded: whole, threads: threads)
                (language, languageProbability) = Self.detectLanguage(&detector)
            }
        }
        // The no-speech probability is read where the input is start-of-transcript.
        var noSpeech = 0.0
        for token in model.tokens.prompt(timestamps: options.timestamps, previous: options.previous,
                                         hotwords: options.prefix.isEmpty ? options.hotwords : [], language: language,
                                         translating: options.translate) {
            decoder.step([token])
            if token == model.tokens.startOfTranscript {
                noSpeech = decoder.withLogits(of: 0) { exp(Self.logSoftmax(at: model.tokens.noSpeech, of: UnsafeBufferPointer($0))) }
            }
        }
        for token in options.prefix { decoder.step([token]) }
        var result = beamSearch
            ? try self.beamSearch(&decoder, size: options.beamSize, prefix: options.prefix, timestamps: options.timestamps,
                                  cancellation: cancellation)
            : try greedy(&decoder, prefix: options.prefix, timestamps: options.timestamps, cancellation: cancellation)
        result.noSpeechProbability = noSpeech
        result.language = language
        result.languageProbability = languageProbability
        result.isSilence = result.noSpeechProbability > options.noSpeechThreshold
            && result.averageLogProbability < options.logProbabilityThreshold
        if result.isSilence { result.text = ""; result.segments = [] }
        let duration = Double(samples.count) / Double(LogMelSpectrogram.sampleRate)
        if !options.timestamps && !result.text.isEmpty {
            result.segments = [TranscriptSegment(start: 0, end: duration, text: result.text)]
        }
        if options.wordTimestamps && !result.isSilence && !result.text.isEmpty {
            let content = min(LogMelSpectrogram.windowFrames, frames - 1)
            let text = result.tokens.filter { $0 < model.tokens.endOfText }
            // faster-whisper's segment without timestamps spans the window's content frames.
            var groups: [(segment: TranscriptSegment, tokens: Int)] = options.timestamps
                ? segmentTokens(of: result.tokens).map { ($0.segment, $0.tokens.count) }
                : [(TranscriptSegment(start: 0, end: Double(content) / 100, text: result.text), text.count)]
            let words = WordTiming(model: model, threads: threads)
                .words(encoded: encoded, text: text, startSequence: model.tokens.prompt(timestamps: true, language: language, translating: options.translate),
                       frames: content, language: language)
            _ = WordTiming.finish(words, segments: &groups, offset: 0, lastSpeech: 0)
            result.segments = groups.map(\.segment).filter { !$0.text.isEmpty }
        }
        result.segments = result.segments.map {
            var segment = $0
            segment.start = min($0.start, duration)
            segment.end = min($0.end, duration)
            segment.words = $0.words?.map { TimedWord(word: $0.word, start: min($0.start, duration), end: min($0.end, duration), probability: $0.probability) }
            return segment
        }
        return result
    }

    /// As CTranslate2's detect_language: start-of-transcript alone into a fresh decoder, then the
    /// most probable of the language tokens, their logits softmaxed among themselves.
    static func detectLanguage(_ decoder: inout WhisperDecoder) -> (String, Double) {
        let languages = decoder.model.tokens.languages
        guard !languages.isEmpty else { return ("en", 1) }
        decoder.step([decoder.model.tokens.startOfTranscript])
        let values = decoder.withLogits(of: 0) { logits in languages.map { Double(logits[$0.token]) } }
        // NaN-safe: a NaN logit is never the best, and never equal to itself.
        let best = values.indices.max { !(values[$0] >= values[$1]) && !values[$1].isNaN } ?? 0
        let top = values[best]
        let total = values.reduce(0) { $1.isNaN ? $0 : $0 + exp($1 - top) }
        return (languages[best].code, total > 0 ? 1 / total : 0)
    }

    /// A language this model knows, and a task it can do; else what to use instead.
    static func check(language: String?, translate: Bool, for tokens: WhisperTokens) throws(HarkError) {
        if !tokens.isMultilingual {
            if let language, language.lowercased() != "en" {
                throw HarkError(.invalidInput, "This model transcribes English only, not '\(language)'; use a multilingual model (`hark models install base`, then --model base).")
            }
            if translate {
                throw HarkError(.invalidInput, "This model is English-only and cannot translate; use a multilingual model (`hark models install base`, then --model base).")
            }
        } else if let language, tokens.languageToken(for: language) == nil {
            let known = tokens.languages.map(\.code).joined(separator: ", ")
            throw HarkError(.invalidInput, "Whisper knows no language '\(language)'. Give a code of: \(known).")
        }
    }

    /// Greedy decoding from a decoder that has read the prompt and `prefix`.
    private func greedy(_ decoder: inout WhisperDecoder, prefix: [Int], timestamps: Bool,
                        cancellation: CancellationFlag?) throws(HarkError) -> WhisperWindowResult {
        let t = model.tokens
        var tokens = prefix, logProbability = 0.0
        while decoder.position < WhisperDecoder.maxPositions {
            try cancellation?.check()
            let best = decoder.withLogits(of: 0) { logits in
                for id in t.suppressed { logits[id] = -.infinity }
                if tokens.isEmpty { for id in t.suppressedAtBegin { logits[id] = -.infinity } }
                if timestamps { applyTimestampRules(logits, after: tokens) }
                var best = 0
                for i in logits.indices where logits[i] > logits[best] { best = i }
                logProbability += Self.logSoftmax(at: best, of: UnsafeBufferPointer(logits))
                return best
            }
            if best == t.endOfText { break }
            tokens.append(best)
            decoder.step([best])
        }
        var result = WhisperWindowResult(tokens: tokens, text: t.text(tokens).trimmingCharacters(in: .whitespaces),
                                         noSpeechProbability: 0,
                                         averageLogProbability: logProbability / Double(tokens.count - prefix.count + 1), isSilence: false)
        if timestamps { result.segments = segments(of: tokens) }
        return result
    }

    /// Whisper's rules for timestamp tokens (as in OpenAI's decoder and CTranslate2): no
    /// no-timestamps token; timestamps come in pairs and never go backwards; the first token is a
    /// timestamp of at most 1 s; and a timestamp is forced when timestamps together are more
    /// likely than any single text token.
    private func applyTimestampRules(_ logits: UnsafeMutableBufferPointer<Float>, after tokens: [Int]) {
        let t = model.tokens, begin = t.timestampBegin
        logits[t.noTimestamps] = -.infinity
        let lastWasTimestamp = (tokens.last ?? 0) >= begin
        let penultimateWasTimestamp = tokens.count < 2 || tokens[tokens.count - 2] >= begin
        if lastWasTimestamp {
            if penultimateWasTimestamp {
                for i in begin..<logits.count { logits[i] = -.infinity }
            } else {
                for i in 0..<t.endOfText { logits[i] = -.infinity }
            }
        }
        if let lastTimestamp = tokens.last(where: { $0 >= begin }) {
            let floor = lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1
            for i in begin..<min(floor, logits.count) { logits[i] = -.infinity }
        }
        if tokens.isEmpty {
            for i in 0..<begin { logits[i] = -.infinity }
            for i in min(logits.count, begin + 51)..<logits.count { logits[i] = -.infinity }   // ≤ 1.00 s
        }
        let shift = Float(Kernels.logSumExp(UnsafeBufferPointer(logits)))
        var timestampMass = -Float.infinity, bestText = -Float.infinity
        for i in begin..<logits.count where logits[i] > -.infinity {
            let logProbability = logits[i] - shift
            let a = max(timestampMass, logProbability), b = min(timestampMass, logProbability)
            timestampMass = b == -.infinity ? a : a + Foundation.log(1 + Foundation.exp(b - a))
        }
        for i in 0..<begin { bestText = max(bestText, logits[i] - shift) }
        if timestampMass > bestText { for i in 0..<begin { logits[i] = -.infinity } }
    }

    /// Text between pairs of timestamp tokens; text left open runs to the window's end (30 s).
    private func segments(of tokens: [Int]) -> [TranscriptSegment] {
        segmentTokens(of: tokens).map(\.segment).filter { !$0.text.isEmpty }
    }

    /// Timed segments with their text tokens, blank ones too (word timing counts their tokens).
    private func segmentTokens(of tokens: [Int]) -> [(segment: TranscriptSegment, tokens: [Int])] {
        let t = model.tokens
        var result: [(segment: TranscriptSegment, tokens: [Int])] = []
        var start: Double?, text: [Int] = []
        for token in tokens {
            if token >= t.timestampBegin {
                let time = Double(token - t.timestampBegin) * 0.02
                if let open = start, !text.isEmpty {
                    result.append((TranscriptSegment(start: open, end: time, text: t.text(text).trimmingCharacters(in: .whitespaces)), text))
                    text = []
                    start = nil
                } else {
                    start = time
                }
            } else if token < t.endOfText {
                if start == nil { start = result.last?.segment.end ?? 0 }
                text.append(token)
            }
        }
        if !text.isEmpty { result.append((TranscriptSegment(start: start ?? 0, end: 30, text: t.text(text).trimmingCharacters(in: .whitespaces)), text)) }
        return result
    }

    /// Beam search as CTranslate2 runs it for faster-whisper: 2 × size candidates per step from
    /// the summed log-probabilities, finished hypotheses (ending in end-of-text) replaced by the next
    /// unfinished candidates, stop once `size` hypotheses finished (patience 1), then the best by
    /// log-probability divided by length (length penalty 1). The decoder has read the prompt.
    private func beamSearch(_ decoder: inout WhisperDecoder, size: Int, prefix: [Int], timestamps: Bool,
                            cancellation: CancellationFlag?) throws(HarkError) -> WhisperWindowResult {
        let t = model.tokens
        struct Beam { var tokens: [Int]; var score: Float }
        struct Candidate { var beam: Int; var token: Int; var score: Float }
        var beams = [Beam(tokens: prefix, score: 0)]
        var finished: [(tokens: [Int], score: Float)] = []
        var step = 0
        while true {
            try cancellation?.check()
            let last = decoder.position + 1 >= WhisperDecoder.maxPositions
            var candidates: [Candidate] = []
            for (index, beam) in beams.enumerated() {
                decoder.withLogits(of: index) { logits in
                    for id in t.suppressed { logits[id] = -.infinity }
                    if step == 0 && prefix.isEmpty { for id in t.suppressedAtBegin { logits[id] = -.infinity } }
                    if timestamps { applyTimestampRules(logits, after: beam.tokens) }
                    Self.logSoftmaxInPlace(logits)
                    for token in Self.top(2 * size, of: UnsafeBufferPointer(logits)) {
                        candidates.append(Candidate(beam: index, token: token, score: beam.score + logits[token]))
                    }
                }
            }
            candidates.sort { $0.score > $1.score }
            candidates = Array(candidates.prefix(2 * size))
            var chosen: [Candidate] = []
            var secondary = size
            for k in 0..<min(size, candidates.count) {
                var pick = candidates[k]
                if pick.token == t.endOfText || last {
                    finished.append((beams[pick.beam].tokens + (pick.token == t.endOfText ? [] : [pick.token]), pick.score))
                    while secondary < candidates.count {
                        defer { secondary += 1 }
                        if candidates[secondary].token != t.endOfText { pick = candidates[secondary]; break }
                    }
                }
                chosen.append(pick)
            }
            if finished.count >= size || last || chosen.isEmpty { break }
            beams = chosen.map { Beam(tokens: beams[$0.beam].tokens + [$0.token], score: $0.score) }
            decoder.reorder(chosen.map(\.beam))
            decoder.step(chosen.map(\.token))
            step += 1
        }
        let best = finished.max { a, b in
            a.score / Float(max(a.tokens.count, 0)) < b.score / Float(max(b.tokens.count, 0))
        } ?? (tokens: [], score: 0)
        var result = WhisperWindowResult(tokens: best.tokens, text: t.text(best.tokens).trimmingCharacters(in: .whitespaces),
                                         noSpeechProbability: 0,
                                         averageLogProbability: Double(best.score) / Double(best.tokens.count + 1), isSilence: false)
        if timestamps { result.segments = segments(of: best.tokens) }
        return result
    }

    static func logSoftmaxInPlace(_ logits: UnsafeMutableBufferPointer<Float>) {
        let shift = Float(Kernels.logSumExp(UnsafeBufferPointer(logits)))
        guard shift.isFinite else { return }
        for i in logits.indices { logits[i] -= shift }
    }

    /// Indices of the `count` largest values, largest first.
    static func top(_ count: Int, of values: UnsafeBufferPointer<Float>) -> [Int] {
        var best: [Int] = []
        for i in values.indices where values[i] > -.infinity {
            if best.count < count || values[i] > values[best[best.count - 1]] {
                var position = best.count
                while position > 0 && values[best[position - 1]] < values[i] { position -= 1 }
                best.insert(i, at: position)
                if best.count > count { best.removeLast() }
            }
        }
        return best
    }

    static func logSoftmax(at index: Int, of logits: UnsafeBufferPointer<Float>) -> Double {
        Double(logits[index]) - Kernels.logSumExp(logits)
    }
}
