import ArgumentParser
import Foundation
import Hark
import HarkRemote

/// How `hark record` and `hark resume` run their transcription workers: this same executable,
/// as `hark worker`.
enum WorkerSetup {
    static func configuration(model: ModelOptions, workers: Int?, quiet: Bool = false,
                              remote: RemoteEngineOptions? = nil) throws -> WorkerPoolConfiguration? {
        if let remote, remote.engine == .remote {
            // Built here too to check the URLs before any worker starts.
            let engine = try remote.makeEngine()
            if model.task == .translate || model.wordTimestamps || model.hotwords != nil {
                throw ValidationError("--task translate, --word-timestamps and --hotwords need a local model; remote engines take --prompt and --language.")
            }
            var configuration = WorkerPoolConfiguration(executable: executablePath(), arguments: ["worker"] + remote.workerArguments)
            configuration.options.prompt = model.prompt
            configuration.options.language = model.spokenLanguage
            configuration.conditionOnPreviousText = model.conditionOnPreviousText
            // Remote workers mostly wait on the network: more of them keep several servers busy.
            configuration.size = workers ?? 2 * remote.endpoints.count
            // A job may try every endpoint every round before it gives up as "unavailable"; it
            // must not be killed as hung before that (which would spend one of its attempts).
            if let engine { configuration.jobTimeout = engine.configuration.longestTranscription + .seconds(30) }
            return configuration
        }
        let directory = model.directory
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.bin").path) else {
            if quiet { return nil }
            // Record anyway: segments stay untranscribed, and `hark resume` finishes them later.
            FileHandle.standardError.write(Data("""
                warning: no Whisper model at '\(directory.path)'; recording without transcription. \
                Install it with `make models`, then run `hark resume SESSION`.\n
                """.utf8))
            return nil
        }
        var configuration = WorkerPoolConfiguration(executable: executablePath(), arguments: [])
        configuration.workers = .executable(path: executablePath(),
                                            arguments: ["worker"] + model.workerArguments(beamSize: configuration.options.beamSize))
        // Every job says it: a set language is kept for every utterance, auto detects each one's.
        configuration.options.language = model.spokenLanguage
        configuration.options.task = model.task
        if model.wordTimestamps { configuration.options.wordTimestamps = true }
        configuration.options.prompt = model.prompt
        configuration.options.hotwords = model.hotwords
        configuration.conditionOnPreviousText = model.conditionOnPreviousText
        if let workers { configuration.size = workers }
        return configuration
    }

    /// This program's own path, for starting it again as a worker.
    static func executablePath() -> String { HarkWorker.executablePath() }
}
