import ArgumentParser
import Foundation
import Hark
import HarkWhisper

/// `--model` and `--compute-type`: which Whisper model transcribes and how it computes, the same
/// on every command that transcribes (and passed on to its workers).
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Whisper model: a faster-whisper (CTranslate2) model folder (default: the installed tiny.en).",
                               valueName: "DIR"))
    var model: String?

    @Option(help: ArgumentHelp("""
        How Whisper computes: auto (the fastest type this CPU runs accurately for the beam size: \
        int8 with beam search, bfloat16 greedy, where the CPU has them), float32 (the same tokens \
        as faster-whisper's float32), int8 or bfloat16.
        """, valueName: "TYPE"))
    var computeType: ComputeType = .auto

    /// The model folder: `--model`, else the installed tiny.en.
    var directory: URL {
        model.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? RecorderConfiguration.defaultModelsDirectory().appendingPathComponent("whisper-tiny.en")
    }

    /// The same choice for a `hark worker` whose jobs decode at `beamSize` (`auto` resolved here).
    func workerArguments(beamSize: Int) -> [String] {
        ["--model", directory.path, "--compute-type", WhisperModel.resolve(computeType, beamSize: beamSize).rawValue]
    }
}

extension ComputeType: ExpressibleByArgument {}
