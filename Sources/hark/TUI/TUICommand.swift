import ArgumentParser
import Foundation
import Hark

struct TUICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "The terminal recorder: SPACE to record, live meters, transcripts as they arrive.",
        discussion: """
            Keys: SPACE starts and stops recording · m cycles the VAD mode · d picks the input device \
            (when idle) · o shows the session folder · q or Ctrl-C stops (the utterance in progress \
            is saved; transcriptions finish or stay queued for `hark resume`) and quits.

            Colours follow the terminal; set NO_COLOR for none. Where the terminal cannot draw \
            (TERM=dumb, or output to a file), use `hark record`, which prints plain lines.
            """)

    @Option(help: ArgumentHelp("Input device: an index or part of a name (see `hark devices`).", valueName: "DEVICE"))
    var device: String?

    @Option(help: ArgumentHelp("VAD mode: silero, energy or manual, optionally :low, :normal or :high.", valueName: "MODE"), transform: VADMode.parsed)
    var vad: VADMode = .silero

    @Option(help: ArgumentHelp("Folder for session folders.", valueName: "DIR"))
    var out: String?

    @OptionGroup(title: "Transcription") var model: ModelOptions

    @Flag(inversion: .prefixedNo, help: "Transcribe each utterance as it is saved.")
    var transcribe = true

    @OptionGroup var utterance: UtteranceOptions

    func validate() throws {
    }

    func run() async throws {
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1, !term.isEmpty, term != "dumb" else {
            FileHandle.standardError.write(Data("""
                hark tui needs a terminal that can draw (TERM is '\(term.isEmpty ? "unset" : term)'\
                \(isatty(STDOUT_FILENO) == 1 ? "" : ", output is not a terminal")). Use `hark record`, which prints plain lines.\n
                """.utf8))
            throw ExitCode(1)
        }
        var configuration = RecorderConfiguration()
        configuration.transcription = nil   // chosen below, or none
        if let device { configuration.input = .device(DeviceSelector(argument: device)) }
        if let out { configuration.sessionsDirectory = URL(fileURLWithPath: out, isDirectory: true) }
        configuration.vadMode = vad
        utterance.apply(to: &configuration, partialsByDefault: true)
        if transcribe {
            // The TUI owns the screen: a missing model is shown inside it rather than printed.
            configuration.transcription = try? WorkerSetup.configuration(model: model, workers: nil, quiet: true)
        }
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        await TUIApp(configuration: configuration, colors: !noColor).run()
    }
}
