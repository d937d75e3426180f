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
    public var logProbabilityThreshold = -1.0
    public init() {}
}

/// What one 30 s window decoded to.
public struct WhisperWindowResult: Sendable, Hashable {
    public var tokens: [Int]
    public var text: String
    public var noSpeechProbability: Double
    public var averageLogProbability: Double
    /// True when the no-speech rule dropped the text.
    public var isSilence: Bool
}

/// Whisper inference on one window of up to 30 s of 16 kHz mono audio.
public struct WhisperTranscriber: Sendable {
    public let model: WhisperModel
    private let mel: LogMelSpectrogram

    public init(model: WhisperModel) {
        self.model = model
        mel = LogMelSpectrogram(melCount: model.melBins)
    }

    /// Transcribes `samples` (at most 30 s; longer input is cut by the caller, e.g. with the VAD).
    public func transcribe(_ samples: [Float], options: WhisperOptions = .init()) throws(HarkError) -> WhisperWindowResult {
        guard samples.allSatisfy(\.isFinite) else {
            throw HarkError(.invalidInput, "The audio holds NaN or infinite samples; Whisper cannot transcribe it.")
        }
        let (features, frames) = try mel.features(of: samples)
        let window = mel.window(features, frames: frames)
        let threads = max(1, options.threads)
        let encoded = WhisperEncoder(model: model, threads: threads).encode(window)
        var decoder = WhisperDecoder(model: model, encoded: encoded, threads: threads)
        var result = greedy(&decoder)
        result.isSilence = result.noSpeechProbability > options.noSpeechThreshold
            && result.averageLogProbability < options.logProbabilityThreshold
        if result.isSilence { result.text = "" }
        return result
    }

    private func greedy(_ decoder: inout WhisperDecoder) -> WhisperWindowResult {
        let t = model.tokens
        // The no-speech probability is read where the input is start-of-transcript.
        var noSpeech = 0.0
        for token in t.prompt {
            decoder.step(token)
            if token == t.startOfTranscript { noSpeech = Self.probability(of: t.noSpeech, in: decoder.logits) }
        }
        var tokens: [Int] = [], logProbability = 0.0
        while decoder.position < WhisperDecoder.maxPositions {
            var logits = decoder.logits
            for id in t.suppressed { logits[id] = -.infinity }
            if tokens.isEmpty { for id in t.suppressedAtBegin { logits[id] = -.infinity } }
            var best = 0
            for i in logits.indices where logits[i] > logits[best] { best = i }
            logProbability += Self.logSoftmax(at: best, of: logits)
            if best == t.endOfText { break }
            tokens.append(best)
            decoder.step(best)
        }
        return WhisperWindowResult(tokens: tokens, text: t.text(tokens).trimmingCharacters(in: .whitespaces),
                                   noSpeechProbability: noSpeech,
                                   averageLogProbability: logProbability / Double(tokens.count + 1), isSilence: false)
    }

    static func probability(of index: Int, in logits: [Float]) -> Double {
        exp(logSoftmax(at: index, of: logits))
    }

    static func logSoftmax(at index: Int, of logits: [Float]) -> Double {
        let maximum = Double(logits.max() ?? 0)
        var sum = 0.0
        for v in logits where v > -.infinity { sum += exp(Double(v) - maximum) }
        return Double(logits[index]) - maximum - log(sum)
    }
}
