import ArgumentParser
import Foundation
import Hark
import Logging
import ServiceLifecycle

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record from a microphone (or a file) and save each utterance.",
        discussion: """
            Each recording is a session folder (under $XDG_DATA_HOME/hark/sessions unless --out \
            says otherwise) holding segments/NNNN.wav (16 kHz mono) and session.json. Ctrl-C stops \
            gracefully: the utterance in progress is saved and the manifest closed.

            Examples:
              hark record                                  default microphone until Ctrl-C
              hark record --device 2 --duration 60         device #2 for a minute
              hark record --input talk.wav --json          a file, as fast as possible, JSON events
              hark record --input talk.wav --realtime      a file played like a live microphone
              hark record --end-silence 0.3                dictation: sooner text
              hark record --no-partials                    no text until each utterance ends
              hark record --vad energy                     no model needed
              hark record --vad manual                     one segment per start/stop
            """)

    @Option(help: ArgumentHelp("Input device: an index or part of a name (see `hark devices`).", valueName: "DEVICE"))
    var device: String?

    @Option(help: ArgumentHelp("Record from an audio file instead of a device.", valueName: "FILE"))
    var input: String?

    @Flag(help: "With --input: play the file at real-time speed, as a microphone would.")
    var realtime = false

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "SECONDS"))
    var duration: Double?

    @Option(help: ArgumentHelp("""
        VAD mode: silero (neural, the default), energy (loudness, needs no model) or manual (only start/stop cut), optionally with :low, :normal or :high sensitivity, e.g. silero:high.
        """, valueName: "MODE"), transform: VADMode.parsed)
    var vad: VADMode = .silero

    @Option(help: ArgumentHelp("Folder for session folders (default: $HARK_SESSIONS_DIR or $XDG_DATA_HOME/hark/sessions).",
                               valueName: "DIR"))
    var out: String?

    @OptionGroup var utterance: UtteranceOptions

    @Flag(help: "Also keep the whole recording as recording.wav.")
    var keepAudio = false

    @Flag(inversion: .prefixedNo, help: "Transcribe each utterance in worker processes as it is saved.")
    var transcribe = true

    @OptionGroup(title: "Transcription") var model: ModelOptions

    @Option(help: "Transcription worker processes (default: one per two cores).")
    var workers: Int?

    @OptionGroup(title: "Remote transcription") var remote: RemoteEngineOptions

    @Option(help: ArgumentHelp("At the end, wait this long for transcriptions still running; the rest stay queued for `hark resume`.",
                               valueName: "SECONDS"))
    var drain: Double = 30

    @Flag(help: "Print one JSON event per line.")
    var json = false

    @Flag(help: "With --json: include the per-chunk level and speech-probability events.")
    var meters = false

    func validate() throws {
        if device != nil && input != nil { throw ValidationError("Give --device or --input, not both.") }
        if realtime && input == nil { throw ValidationError("--realtime applies to --input FILE only.") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be a positive number of seconds.") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1.") }
        if !(drain >= 0) { throw ValidationError("--drain must be zero or more seconds.") }
    }

    func run() async throws {
        var configuration = RecorderConfiguration()
        configuration.transcription = nil   // chosen below, or none
        if let input {
            configuration.input = .file(path: input, pacing: realtime ? .realTime : .asFastAsPossible)
        } else if let device {
            configuration.input = .device(DeviceSelector(argument: device))
        }
        if let out { configuration.sessionsDirectory = URL(fileURLWithPath: out, isDirectory: true) }
        configuration.vadMode = vad
        configuration.keepAudio = keepAudio
        utterance.apply(to: &configuration, partialsByDefault: json || isatty(STDOUT_FILENO) == 1)
        if transcribe {
            configuration.transcription = try WorkerSetup.configuration(model: model, workers: workers, remote: remote)
            configuration.transcriptionDrainTime = .milliseconds(Int(drain * 1000))
        }

        let style: EventPrinter.Style = json ? .json(meters: meters) : (isatty(STDOUT_FILENO) == 1 ? .terminal : .plain)
        let service = RecordingService(recorder: AsyncRecorderBackend(configuration: configuration),
                                       duration: duration, printer: EventPrinter(style: style))
        var logger = Logger(label: "hark")
        logger.logLevel = .error
        // The recording ending by itself (duration, end of file) ends the group without error.
        let entry = ServiceGroupConfiguration.ServiceConfiguration(service: service,
                                                                   successTerminationBehavior: .gracefullyShutdownGroup)
        let group = ServiceGroup(configuration: .init(services: [entry], gracefulShutdownSignals: [.sigint, .sigterm],
                                                      logger: logger))
        try await group.run()
    }
}

/// One recording as a service: runs until the duration ends, the input ends, or SIGINT/SIGTERM
/// asks for a graceful shutdown — then stops the recorder, which saves what is open.
struct RecordingService: Service {
    let recorder: AsyncRecorderBackend
    let duration: Double?
    let printer: EventPrinter

    func run() async throws {
        let events = recorder.events
        var printer = printer
        let printing = Task { try await printer.run(events) }
        do {
            try await recorder.start()
        } catch {
            printing.cancel()
            throw error
        }
        // Whichever ends first — the recording itself, a shutdown signal, the duration — stops the
        // recorder; stopping is also what ends `waitUntilFinished`, which ignores cancellation.
        let summary = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await recorder.waitUntilFinished() }
            group.addTask { try? await gracefulShutdown() }
            if let duration {
                group.addTask { try? await Task.sleep(for: .milliseconds(Int(duration * 1000))) }
            }
            _ = try await group.next()
            group.cancelAll()
            return try await recorder.stop()
        }
        try await printing.value
        if summary.stopReason == .failed || summary.unsavedSegmentCount > 0 { throw ExitCode(1) }
    }
}
