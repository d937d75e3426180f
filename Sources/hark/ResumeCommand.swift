import ArgumentParser
import Foundation
import Hark
import Synchronization

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Finish what an earlier run left in a session: close it and transcribe every segment not yet done.",
        discussion: """
            For sessions whose recorder was killed, stopped before its transcriptions finished, \
            or recorded without a model. Failed segments are tried again.

            Examples:
              hark resume latest
              hark resume 2026-11-25T19-04-31Z --model ~/models/faster-whisper-base.en
            """)

    @OptionGroup var options: ResumeOptions

    func run() async throws {
        try await Self.resume(options, again: false)
    }

    /// Shared with `hark retranscribe`, which transcribes every segment `again`.
    static func resume(_ options: ResumeOptions, again: Bool) async throws {
        let library = SessionLibrary(root: options.out.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? RecorderConfiguration.defaultSessionsDirectory())
        let folder = try library.find(options.session).folder
        guard let workers = try WorkerSetup.configuration(model: options.model, workers: options.workers, remote: options.remote) else { throw ExitCode(1) }
        let printer = EventPrinterBox()
        let outcome = try await SessionResume.resume(folder: folder, workers: workers, again: again) { event in printer.render(event) }
        print("Session \(outcome.manifest.id): \(outcome.transcribed) of \(outcome.manifest.segments.count) segments transcribed"
              + (outcome.failed > 0 ? ", \(outcome.failed) failed" : ""))
        if outcome.failed > 0 { throw ExitCode(1) }
    }
}

struct RetranscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retranscribe",
        abstract: "Transcribe every segment of a session again (for example with a larger model).",
        discussion: """
            Examples:
              hark retranscribe latest --model ~/models/faster-whisper-small.en
            """)

    @OptionGroup var options: ResumeOptions

    func run() async throws {
        try await ResumeCommand.resume(options, again: true)
    }
}

struct ResumeOptions: ParsableArguments {
    @Argument(help: "The session id, the path to its folder, or 'latest'.")
    var session: String = "latest"

    @Option(help: ArgumentHelp("Sessions folder (default: $HARK_SESSIONS_DIR or $XDG_DATA_HOME/hark/sessions).", valueName: "DIR"))
    var out: String?

    @OptionGroup(title: "Transcription") var model: ModelOptions

    @Option(help: "Transcription worker processes.")
    var workers: Int?

    @OptionGroup(title: "Remote transcription") var remote: RemoteEngineOptions
}

/// Prints events from any thread, one at a time.
final class EventPrinterBox: Sendable {
    private let printer = Mutex(EventPrinter(style: .plain))
    func render(_ event: RecorderEvent) { printer.withLock { $0.render(event) } }
}
