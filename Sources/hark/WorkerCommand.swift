import ArgumentParser
import Foundation
import Hark

/// The transcription worker the recorder starts (hidden: people never run it by hand).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve transcription jobs on stdin/stdout (started by the recorder).",
        shouldDisplay: false)

    @OptionGroup var model: ModelOptions

    @Option(help: "Threads per job.")
    var threads: Int?

    @OptionGroup var remote: RemoteEngineOptions

    func run() async throws {
        let status: Int32
        if let engine = try remote.makeEngine() {
            status = await TranscriptionWorker.serve(engine: engine, load: {})
        } else {
            status = await TranscriptionWorker.serve(modelDirectory: model.directory, computeType: model.computeType,
                                                     threads: threads)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
