import Foundation
import HarkCore

/// Whisper as a `TranscriptionEngine`: the model loads on the first transcription, on a
/// background task, and is kept for the next ones.
public actor WhisperEngine: TranscriptionEngine {
    /// The faster-whisper model directory loaded on first use.
    public nonisolated let modelDirectory: URL
    /// How the model computes: `auto` resolved for this CPU and for decoding at `beamSize`
    /// (`WhisperModel.resolve`), the beam size this engine will mostly be asked for.
    public nonisolated let computeType: ComputeType

    private var loading: Task<WhisperTranscriber, any Error>?
    private var encoder: WhisperTextEncoder?

    /// Only records the settings: the model is read by `load()` or the first `transcribe`.
    public init(modelDirectory: URL, computeType: ComputeType = .auto, beamSize: Int = 1) {
        self.modelDirectory = modelDirectory
        self.computeType = WhisperModel.resolve(computeType, beamSize: beamSize)
    }

    /// Loads the model now (it is otherwise loaded by the first `transcribe`).
    public func load() async throws {
        _ = try await transcriber()
    }

    /// Transcribes one utterance (16 kHz mono, at most 30 s) on a thread of its own, loading the
    /// model first if need be. Throws HarkError: `.modelMissing` or `.modelCorrupt` from loading,
    /// `.invalidInput` for bad audio or options, `.cancelled` when the calling task is cancelled.
    public func transcribe(_ samples: [Float], options: TranscriptionOptions) async throws -> Transcript {
        let transcriber = try await transcriber()
        var whisper = WhisperOptions()
        whisper.beamSize = max(1, options.beamSize)
        if let threads = options.threads { whisper.threads = max(1, threads) }
        whisper.timestamps = options.timestamps
        whisper.prefix = options.prefix
        whisper.language = options.language
        whisper.translate = options.task == .translate
        whisper.wordTimestamps = options.wordTimestamps ?? false
        if let prompt = options.prompt?.trimmingCharacters(in: .whitespacesAndNewlines), !prompt.isEmpty {
            // As faster-whisper encodes `initial_prompt`: with a leading space.
            whisper.previous = try textEncoder().encode(" " + prompt)
        }
        if let hotwords = options.hotwords?.trimmingCharacters(in: .whitespacesAndNewlines), !hotwords.isEmpty {
            whisper.hotwords = try textEncoder().encode(" " + hotwords)
        }
        // The work runs on a thread of its own, where the caller's cancellation cannot reach: the
        // flag carries it.
        let cancellation = CancellationFlag(), settings = whisper
        return try await withTaskCancellationHandler {
            try await onOwnThread {
                let started = ContinuousClock.now
                let result = try transcriber.transcribe(samples, options: settings, cancellation: cancellation)
                var transcript = Transcript(text: result.text, tokens: result.tokens, noSpeechProbability: result.noSpeechProbability,
                                            averageLogProbability: result.averageLogProbability, isSilence: result.isSilence,
                                            processingTime: (ContinuousClock.now - started).inSeconds, segments: result.segments)
                if !result.isSilence { transcript.words = transcriber.model.tokens.words(result.tokens) }
                transcript.language = result.language
                transcript.languageProbability = result.languageProbability
                return transcript
            }
        } onCancel: {
            cancellation.raise()
        }
    }

    /// The model's tokenizer, read once, when a prompt first needs it.
    private func textEncoder() throws -> WhisperTextEncoder {
        if let encoder { return encoder }
        let loaded = try WhisperTextEncoder(directory: modelDirectory)
        encoder = loaded
        return loaded
    }

    private func transcriber() async throws -> WhisperTranscriber {
        if let loading { return try await loading.value }
        let directory = modelDirectory, computeType = self.computeType
        let task = Task {
            try await onOwnThread { WhisperTranscriber(model: try WhisperModel(directory: directory, computeType: computeType)) }
        }
        loading = task
        do {
            return try await task.value
        } catch {
            loading = nil   // a later call may find the model installed
            throw error
        }
    }
}
