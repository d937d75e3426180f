import ArgumentParser
import Foundation
import Hark

/// The transcription worker the recorder starts (hidden: people never run it by hand).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve transcription jobs on stdin/stdout (started by the recorder).",
        shouldDisplay: false)

    @Option(help: ArgumentHelp("Whisper model folder.", valueName: "DIR"))
    var model: String?

    @Option(help: "Threads per job.")
    var threads: Int?

    @OptionGroup var remote: RemoteEngineOptions

    func run() async throws {
        let status: Int32
        if let engine = try remote.makeEngine() {
            status = await TranscriptionWorker.serve(engine: engine, load: {})
        } else {
            let directory = model.map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? RecorderConfiguration.defaultModelsDirectory().appendingPathComponent("whisper-tiny.en")
            status = await TranscriptionWorker.serve(modelDirectory: directory, threads: threads)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
