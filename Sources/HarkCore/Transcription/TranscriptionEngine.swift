/// Speech to text for utterances of 16 kHz mono audio (at most 30 s each; longer audio is cut
/// first, e.g. by the VAD). Implementations load their model lazily, off the caller's executor.
public protocol TranscriptionEngine: Sendable {
    /// Transcribes one utterance of 16 kHz mono `samples`.
    func transcribe(_ samples: [Float], options: TranscriptionOptions) async throws -> Transcript
}

/// How to transcribe one utterance: decoding, prompt, language and timing choices, most named
/// as faster-whisper names them.
public struct TranscriptionOptions: Sendable, Hashable, Codable {
    /// 1 for greedy decoding; faster-whisper's default is 5.
    public var beamSize: Int
    /// Threads for one transcription; nil means the machine's cores.
    public var threads: Int?
    /// Ask the model for segment timestamps (Whisper's timestamp tokens) instead of plain text.
    public var timestamps: Bool
    /// Text tokens the transcript must begin with (faster-whisper's `prefix`, as token ids): the
    /// decoder reads them as if it had chosen them and goes on from there. A partial transcript
    /// passes its stable words, so that they stay what they are.
    public var prefix: [Int]
    /// Text said before (faster-whisper's `initial_prompt`): names, spellings and style the
    /// model should follow. Whisper reads its last 223 tokens as previous text; nil for none.
    public var prompt: String?
    /// The language spoken, as a code ("en", "de"); nil lets a multilingual model detect it.
    public var language: String?
    /// Transcribe (nil too) or translate into English.
    public var task: TranscriptionTask?
    /// Time every word (faster-whisper's `word_timestamps`); nil or false: segments only.
    public var wordTimestamps: Bool?
    /// Words to listen for, names and terms (faster-whisper's `hotwords`); nil for none.
    public var hotwords: String?

    /// Options from the given values; `hotwords` is not a parameter and starts nil.
    public init(beamSize: Int = 1, threads: Int? = nil, timestamps: Bool = false, prefix: [Int] = [], prompt: String? = nil,
                language: String? = nil, task: TranscriptionTask? = nil, wordTimestamps: Bool? = nil) {
        self.wordTimestamps = wordTimestamps
        self.beamSize = beamSize
        self.threads = threads
        self.timestamps = timestamps
        self.prefix = prefix
        self.prompt = prompt
        self.language = language
        self.task = task
    }
}

/// What Whisper makes of speech: its text in the language spoken, or an English translation.
public enum TranscriptionTask: String, Sendable, Hashable, Codable, CaseIterable {
    /// Text in the language spoken.
    case transcribe
    /// An English translation.
    case translate
}

/// What an engine heard in one utterance.
public struct Transcript: Sendable, Hashable, Codable {
    /// The whole text.
    public var text: String
    /// The model's token ids for the text; empty from engines that do not give them.
    public var tokens: [Int]
    /// The model's probability that the audio holds no speech.
    public var noSpeechProbability: Double
    /// The decoded tokens' average log probability (faster-whisper's `avg_logprob`), at most 0.
    public var averageLogProbability: Double
    /// True when the text was dropped as silence or noise.
    public var isSilence: Bool
    /// Seconds spent transcribing.
    public var processingTime: Double
    /// Timed segments, relative to the start of the audio (one spanning it all without timestamps).
    public var segments: [TranscriptSegment]
    /// The text as words with the tokens that spell them (empty from engines without tokens).
    public var words: [TranscriptWord] = []
    /// The language the speech was transcribed as ("en", "de"), and the detected probability of
    /// it (nil when the language was given or the engine does not say).
    public var language: String?
    /// How sure detection was, 0...1; nil as for `language`.
    public var languageProbability: Double?

    /// `words`, `language` and `languageProbability` are not parameters; set them afterwards.
    public init(text: String, tokens: [Int], noSpeechProbability: Double, averageLogProbability: Double,
                isSilence: Bool, processingTime: Double, segments: [TranscriptSegment] = []) {
        self.segments = segments
        self.text = text
        self.tokens = tokens
        self.noSpeechProbability = noSpeechProbability
        self.averageLogProbability = averageLogProbability
        self.isSilence = isSilence
        self.processingTime = processingTime
    }
}

/// A timed piece of a transcript.
public struct TranscriptSegment: Sendable, Hashable, Codable {
    /// Where the piece starts, in seconds.
    public var start: Double
    /// Where the piece ends, in seconds.
    public var end: Double
    /// The piece's text.
    public var text: String
    /// Its words with their times, when they were asked for (`TranscriptionOptions.wordTimestamps`).
    public var words: [TimedWord]?

    /// Creates a piece from its fields.
    public init(start: Double, end: Double, text: String, words: [TimedWord]? = nil) {
        self.start = start
        self.end = end
        self.text = text
        self.words = words
    }

    /// The same piece `seconds` later (its words too), its end at most `limit` after the shift.
    public func shifted(by seconds: Double, endingBy limit: Double = .infinity) -> TranscriptSegment {
        TranscriptSegment(start: start + seconds, end: seconds + min(end, limit), text: text,
                          words: words?.map { TimedWord(word: $0.word, start: $0.start + seconds, end: $0.end + seconds, probability: $0.probability) })
    }
}

/// A word with its time in the audio (seconds, as its segment's) and the model's probability
/// of it, as faster-whisper's `word_timestamps` gives them: the text keeps its leading space and
/// the punctuation around it.
public struct TimedWord: Sendable, Hashable, Codable {
    /// The word's text, with its leading space and surrounding punctuation.
    public var word: String
    /// Where the word starts, in seconds.
    public var start: Double
    /// Where the word ends, in seconds.
    public var end: Double
    /// The model's probability of the word, 0...1.
    public var probability: Double

    /// Creates a timed word from its fields.
    public init(word: String, start: Double, end: Double, probability: Double) {
        self.word = word
        self.start = start
        self.end = end
        self.probability = probability
    }
}


/// One word of a transcript: its text as it appears in `Transcript.text` (with the space before
/// it, if any, and punctuation that follows it) and the model's tokens for it.
public struct TranscriptWord: Sendable, Hashable, Codable {
    /// The word as it appears in `Transcript.text`.
    public var text: String
    /// The model's token ids that spell it.
    public var tokens: [Int]

    /// Creates a word from its fields.
    public init(text: String, tokens: [Int]) {
        self.text = text
        self.tokens = tokens
    }
}
