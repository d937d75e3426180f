import Foundation
import HarkCore

/// Word times for one decoded window, as faster-whisper's `word_timestamps=True` computes them:
/// the text tokens are read again by the decoder after the window's start sequence, the alignment
/// heads' attention to the encoder frames is standardised, median-filtered and averaged, and
/// dynamic time warping maps each token to the frames it was heard in.
struct WordTiming {
    let model: WhisperModel
    let threads: Int

    /// Encoder frames per second after its stride-2 convolution.
    static let framesPerSecond = 50.0
    static let medianWidth = 7
    static let prepended = "\"'“¿([{-"
    static let appended = "\"'.。,，!！?？:：”)]}、"

    struct Word { var text: String; var tokens: [Int]; var start: Double; var end: Double; var probability: Double }

    /// The words of `text` tokens (timestamps and specials left out), timed in seconds from the
    /// window's start, before `finish`. `frames` is the number of feature frames the window's
    /// audio fills (its content frames).
    func words(encoded: [Float], text: [Int], startSequence: [Int], frames: Int, language: String?) -> [Word] {
        let t = model.tokens
        guard !text.isEmpty else { return [] }
        var heads = t.alignmentHeads
        if heads.isEmpty {
            // Whisper's default without a list: every head of the decoder's second half.
            let layers = model.decoderLayers.count
            heads = (layers / 2..<layers).flatMap { layer in (0..<model.heads).map { (layer, $0) } }
        }
        let sequence = startSequence + [t.noTimestamps] + text + [t.endOfText]
        // A decode that ran to the last position (a repetition loop) leaves no room to read it again.
        guard sequence.count <= WhisperDecoder.maxPositions else { return [] }
        guard frames >= 2 else { return [] }
        let kept = min(frames / 2, encoded.count / model.dModel)
        let recorder = AttentionRecorder(model: model, encoded: encoded, heads: heads, frames: kept, threads: threads)
        var decoder = WhisperDecoder(model: model, encoded: encoded, threads: threads)
        decoder.recorder = recorder
        var probabilities: [Double] = []
        for (index, token) in sequence.enumerated() {
            decoder.step([token])
            // The row read after token i predicts token i + 1: the text tokens' probabilities.
            let next = index + 1
            if next >= startSequence.count + 1, next < sequence.count - 1 {
                // Among the text tokens only, as CTranslate2 reports them.
                probabilities.append(decoder.withLogits(of: 0) { logits in
                    exp(WhisperTranscriber.logSoftmax(at: sequence[next], of: UnsafeBufferPointer(rebasing: logits[0..<t.endOfText])))
                })
            }
        }
        let rows = sequence.count, columns = recorder.frames
        var matrix = [Float](repeating: 0, count: rows * columns)
        for head in recorder.logits {
            var weights = head
            for r in 0..<rows { Kernels.softmax(&weights, row: r, columns: columns) }
            WordAlignment.standardise(&weights, rows: rows, columns: columns)
            WordAlignment.medianFilter(&weights, rows: rows, columns: columns, width: Self.medianWidth)
            for i in 0..<matrix.count { matrix[i] += weights[i] / Float(recorder.logits.count) }
        }
        // Rows of the start sequence and of end-of-text are left out: no-timestamps' row predicts
        // the first text token, and so on.
        let first = startSequence.count, used = rows - first - 1
        let cost = (0..<(used * columns)).map { -matrix[first * columns + $0] }
        let path = WordAlignment.path(cost, rows: used, columns: columns)
        var jumps: [Double] = []
        var previous = -1
        for step in path where step.row != previous {
            jumps.append(Double(step.column) / Self.framesPerSecond)
            previous = step.row
        }
        let split = t.timingWords(text + [t.endOfText], language: language)
        guard split.count > 1 else { return [] }
        var words: [Word] = []
        var boundary = 0
        for piece in split.dropLast() {
            let end = boundary + piece.tokens.count
            guard end < jumps.count, end <= probabilities.count else { break }
            let probability = probabilities[boundary..<end].reduce(0, +) / Double(max(1, end - boundary))
            words.append(Word(text: piece.text, tokens: piece.tokens, start: jumps[boundary], end: jumps[end], probability: probability))
            boundary = end
        }
        return words
    }

    /// A window's segments (with their text tokens) given their words, as faster-whisper's
    /// add_word_timestamps finishes them: words over twice the median length cut at sentence
    /// ends, punctuation merged into its word, times rounded to 10 ms from `offset`, and the first
    /// and last words of each segment held to it. Returns the last time speech was heard.
    static func finish(_ raw: [Word], segments: inout [(segment: TranscriptSegment, tokens: Int)], offset: Double,
                       lastSpeech: Double) -> Double {
        var words = raw
        let durations = words.map { $0.end - $0.start }.filter { $0 != 0 }.sorted()
        var median = 0.0
        if !durations.isEmpty {
            let mid = durations.count / 2
            median = durations.count % 2 == 1 ? durations[mid] : (durations[mid - 1] + durations[mid]) / 2
        }
        median = min(0.7, median)
        let longest = 2 * median
        if !durations.isEmpty {
            let ends = ".。!！?？"
            for i in 1..<max(1, words.count) where words[i].end - words[i].start > longest {
                if ends.contains(words[i].text) && !words[i].text.isEmpty {
                    words[i].end = words[i].start + longest
                } else if ends.contains(words[i - 1].text) && !words[i - 1].text.isEmpty {
                    words[i].start = words[i].end - longest
                }
            }
        }
        mergePunctuation(&words)
        var lastSpeech = lastSpeech
        var index = 0
        func rounded(_ t: Double) -> Double { (t * 100).rounded(.toNearestOrEven) / 100 }
        for s in segments.indices {
            var saved = 0
            var timed: [TimedWord] = []
            while index < words.count && saved < segments[s].tokens {
                let word = words[index]
                if !word.text.isEmpty {
                    timed.append(TimedWord(word: word.text, start: rounded(offset + word.start), end: rounded(offset + word.end), probability: word.probability))
                }
                saved += word.tokens.count
                index += 1
            }
            if !timed.isEmpty {
                var segment = segments[s].segment
                if timed[0].end - lastSpeech > median * 4,
                   timed[0].end - timed[0].start > longest || (timed.count > 1 && timed[1].end - timed[0].start > longest * 2) {
                    if timed.count > 1 && timed[1].end - timed[1].start > longest {
                        let boundary = max(timed[1].end / 2, timed[1].end - longest)
                        timed[0].end = boundary
                        timed[1].start = boundary
                    }
                    timed[0].start = max(0, timed[0].end - longest)
                }
                if segment.start < timed[0].end && segment.start - 0.5 > timed[0].start {
                    timed[0].start = max(0, min(timed[0].end - median, segment.start))
                } else {
                    segment.start = timed[0].start
                }
                let last = timed.count - 1
                if segment.end > timed[last].start && segment.end + 0.5 < timed[last].end {
                    timed[last].end = max(timed[last].start + median, segment.end)
                } else {
                    segment.end = timed[last].end
                }
                lastSpeech = segment.end
                segment.words = timed
                segments[s].segment = segment
            } else {
                segments[s].segment.words = []
            }
        }
        return lastSpeech
    }

    /// Opening quotes and brackets join the word after them, closing punctuation the word before
    /// (the joined word keeps its own times); what was joined is left empty.
    static func mergePunctuation(_ words: inout [Word]) {
        guard words.count > 1 else { return }
        func isIn(_ text: String, _ set: String) -> Bool { text.isEmpty || set.contains(text) }
        var i = words.count - 2, j = words.count - 1
        while i >= 0 {
            let stripped = words[i].text.trimmingCharacters(in: .whitespacesAndNewlines)
            if words[i].text.hasPrefix(" ") && isIn(stripped, prepended) {
                words[j].text = words[i].text + words[j].text
                words[j].tokens = words[i].tokens + words[j].tokens
                words[i].text = ""
                words[i].tokens = []
            } else {
                j = i
            }
            i -= 1
        }
        i = 0
        j = 1
        while j < words.count {
            if !words[i].text.hasSuffix(" ") && isIn(words[j].text, appended) {
                words[i].text += words[j].text
                words[i].tokens += words[j].tokens
                words[j].text = ""
                words[j].tokens = []
            } else {
                i = j
            }
            j += 1
        }
    }
}

extension Kernels {
    /// Row `row` of a rows × columns matrix, softmaxed in place.
    static func softmax(_ values: inout [Float], row: Int, columns: Int) {
        values.withUnsafeMutableBufferPointer { softmax($0.baseAddress! + row * columns, count: columns) }
    }
}
