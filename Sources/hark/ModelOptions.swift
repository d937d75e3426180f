import ArgumentParser
import Foundation
import Hark
import HarkModels
import HarkWhisper

/// `--model` and `--compute-type`: which Whisper model transcribes and how it computes, the same
/// on every command that transcribes (and passed on to its workers).
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Whisper model: a name from `hark models` (tiny.en, base) or a faster-whisper (CTranslate2) \
        model folder. Default: $HARK_MODEL, else `hark models use`'s choice, else tiny.en.
        """, valueName: "NAME|DIR"))
    var model: String?

    @Option(help: ArgumentHelp("""
        The language spoken: auto (detected, per file or utterance) or a code such as en, de, fr. \
        Default: $HARK_LANGUAGE, else the settings file's, else auto. English-only models (tiny.en) \
        take English only.
        """, valueName: "auto|CODE"))
    var language: String?

    @Option(help: ArgumentHelp("transcribe (text in the language spoken) or translate (into English; multilingual models).",
                               valueName: "TASK"))
    var task: TranscriptionTask = .transcribe

    @Option(help: ArgumentHelp("Text said before, or names and spellings to follow (faster-whisper's initial_prompt; its last 223 tokens are read).",
                               valueName: "TEXT"))
    var prompt: String?

    @Option(help: ArgumentHelp("Words to listen for: names, terms (faster-whisper's hotwords).", valueName: "WORDS"))
    var hotwords: String?

    @Flag(help: "Each utterance (each window of a file) reads the text before it as its prompt (faster-whisper's condition_on_previous_text).")
    var conditionOnPreviousText = false

    @Flag(help: "Time every word (faster-whisper's word timestamps): json gets words per segment, the manifest stores them.")
    var wordTimestamps = false

    @Option(help: ArgumentHelp("""
        How Whisper computes: auto (the fastest type this CPU runs accurately for the beam size: \
        int8 with beam search, bfloat16 greedy, where the CPU has them), float32 (the same tokens \
        as faster-whisper's float32), int8 or bfloat16.
        """, valueName: "TYPE"))
    var computeType: ComputeType = .auto

    /// The language to transcribe as: nil to detect it.
    var spokenLanguage: String? {
        let environment = ProcessInfo.processInfo.environment
        let chosen = language ?? environment["HARK_LANGUAGE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (try? HarkSettings.load())?.language
        guard let chosen, chosen.lowercased() != "auto" else { return nil }
        return SpokenLanguage.code(for: chosen) ?? chosen.lowercased()
    }

    /// The model folder: `--model`, else the default model's (see `ModelChoice`).
    var directory: URL {
        (try? ModelChoice.directory(for: model))
            ?? RecorderConfiguration.defaultModelsDirectory().appendingPathComponent("whisper-\(ModelCatalog.defaultModelName)")
    }

    /// A name no one knows, or a known model that is not installed, is refused before anything
    /// starts, saying what to do; the default model missing is left to each command (a server
    /// runs without one).
    func validate() throws {
        let folder = model != nil || ProcessInfo.processInfo.environment["HARK_MODEL"] != nil
            ? try Self.choice { try ModelChoice.installedDirectory(for: model) }
            : try Self.choice { try ModelChoice.directory(for: nil) }
        if let language = spokenLanguage, SpokenLanguage.code(for: language) == nil {
            throw ValidationError("Whisper knows no language '\(language)'; give a code such as en, de or fr, or auto to detect it.")
        }
        if (spokenLanguage ?? "en") != "en" || task == .translate, WhisperTokens.isMultilingual(directory: folder) == false {
            throw ValidationError("The model in '\(folder.path)' is English-only: it neither transcribes '\(spokenLanguage ?? "en")' nor translates. Use a multilingual one: `hark models install base`, then --model base.")
        }
    }

    private static func choice(_ body: () throws -> URL) throws -> URL {
        do { return try body() } catch let error as HarkError { throw ValidationError(error.message) }
    }

    /// The same choice for a `hark worker` whose jobs decode at `beamSize` (`auto` resolved here).
    func workerArguments(beamSize: Int) -> [String] {
        // Every job carries its language: the worker checks none of its own (its environment's
        // HARK_LANGUAGE may differ from the recorder's --language).
        ["--model", directory.path, "--compute-type", WhisperModel.resolve(computeType, beamSize: beamSize).rawValue, "--language", "auto"]
    }
}

extension ComputeType: ExpressibleByArgument {}
extension TranscriptionTask: ExpressibleByArgument {}
