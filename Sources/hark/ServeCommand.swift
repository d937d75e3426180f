import ArgumentParser
import Foundation
import Hark
import HarkServer
import Logging
import ServiceLifecycle

/// `hark serve`: the recorder, its sessions and an OpenAI-compatible transcription API over HTTP.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the recorder, its sessions, a web page and an OpenAI-compatible transcription API.",
        discussion: """
            Open http://127.0.0.1:8765/ for the web page (record button, live level, segments and \
            transcripts as they arrive, past sessions with playback).

            API (JSON unless noted):
              GET    /api/recorder                 status
              POST   /api/recorder/start, /stop    record, stop (saves what is open)
              PUT    /api/recorder/vad-mode        {"mode":"silero:high"}
              GET    /api/devices                  capture devices
              GET    /api/events                   Server-Sent Events
              GET    /api/sessions[/ID]            sessions, one manifest
              GET    /api/sessions/ID/transcript?format=txt|srt|vtt|json
              GET    /api/sessions/ID/segments/N   a segment's WAV
              DELETE /api/sessions/ID
              POST   /v1/audio/transcriptions      OpenAI-compatible
              GET    /v1/realtime                  WebSocket, OpenAI Realtime transcription
                                                   sessions (?save=true keeps one)

            Examples:
              hark serve
              curl -F file=@talk.wav -F model=whisper-1 \\
                   http://127.0.0.1:8765/v1/audio/transcriptions
              HARK_TOKEN=secret hark serve --host 0.0.0.0
                  (off loopback a token is required)

            Ctrl-C stops the server; a recording in progress is stopped and saved first.
            """)

    @Option(help: "Address to listen on. Anything but loopback needs a token.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one and prints it).")
    var port = 8765

    @Option(help: ArgumentHelp("Access token clients must send (default: $HARK_TOKEN). Prefer the variable: options show in `ps`.",
                               valueName: "TOKEN"))
    var token: String?

    @Option(help: ArgumentHelp("Capture device for the recorder (index or part of its name).", valueName: "DEVICE"))
    var device: String?

    @Option(help: ArgumentHelp("Sessions folder (default: $HARK_SESSIONS_DIR or $XDG_DATA_HOME/hark/sessions).", valueName: "DIR"))
    var out: String?

    @Option(help: "VAD mode the recorder starts with.", transform: VADMode.parsed)
    var vad: VADMode = .silero

    @OptionGroup(title: "Utterances (the recorder)") var utterance: UtteranceOptions

    @OptionGroup(title: "Transcription") var model: ModelOptions

    @Option(help: "Worker processes for the transcription API (the recorder has its own).")
    var workers: Int?

    @Option(help: "Beam size for the transcription API: 1 is greedy and fastest, 5 is faster-whisper's default.")
    var beamSize = 5

    @Option(help: "Uploads that may wait for a worker; more are answered 429 with Retry-After.")
    var queue = 8

    @Option(help: ArgumentHelp("Largest upload accepted, in MB.", valueName: "MB"))
    var maxUpload = 25

    @Option(help: ArgumentHelp("Longest audio an upload may decode to, in minutes; longer is answered 413.", valueName: "MINUTES"))
    var maxUploadMinutes = 60.0

    @Option(help: ArgumentHelp("Seconds an upload may take to arrive; a slower one is cut off and its queue place freed.", valueName: "SECONDS"))
    var uploadTimeout = 120.0

    @Option(help: ArgumentHelp("Realtime WebSocket connections at once, two per CPU core by default (each runs a worker, ~200 MB); one more gets an error event and is closed. `make bench-realtime` measures what this machine holds.",
                               valueName: "N"))
    var realtimeConnections = RealtimeLimits.defaultConnections

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0…65535.") }
        if queue < 0 { throw ValidationError("--queue must be 0 or more.") }
        if maxUpload < 1 { throw ValidationError("--max-upload must be at least 1 MB.") }
        if !(maxUploadMinutes > 0) { throw ValidationError("--max-upload-minutes must be a positive number.") }
        if !(uploadTimeout > 0) { throw ValidationError("--upload-timeout must be a positive number of seconds.") }
        if !(1...10).contains(beamSize) { throw ValidationError("--beam-size must be 1…10.") }
        if !(1...64).contains(realtimeConnections) { throw ValidationError("--realtime-connections must be 1…64.") }
        if token?.isEmpty == true { throw ValidationError("--token is empty; give a long random token, or leave the option out.") }
    }

    func run() async throws {
        var recorder = RecorderConfiguration()
        recorder.transcription = nil   // chosen below, or none
        if let device { recorder.input = .device(DeviceSelector(argument: device)) }
        if let out { recorder.sessionsDirectory = URL(fileURLWithPath: out, isDirectory: true) }
        recorder.vadMode = vad
        utterance.apply(to: &recorder, partialsByDefault: true)
        recorder.transcription = try WorkerSetup.configuration(model: model, workers: nil, quiet: true)
        var configuration = ServerConfiguration(recorder: recorder)
        configuration.host = host
        configuration.port = port
        configuration.token = token ?? ProcessInfo.processInfo.environment["HARK_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.queueLimit = queue
        configuration.maxUploadBytes = maxUpload * 1_048_576
        configuration.maxUploadSeconds = maxUploadMinutes * 60
        configuration.uploadDeadline = .milliseconds(Int(uploadTimeout * 1000))
        configuration.realtime.maxConnections = realtimeConnections
        if var api = recorder.transcription {
            if let workers { api.size = workers }
            api.options.beamSize = beamSize
            // Clients' requests are unrelated: one's text must never prompt another's.
            api.conditionOnPreviousText = false
            api.workers = .executable(path: api.executable, arguments: ["worker"] + model.workerArguments(beamSize: beamSize))
            configuration.transcription = api
        } else {
            FileHandle.standardError.write(Data("warning: no Whisper model installed; the recorder saves segments untranscribed and /v1/audio/transcriptions answers 503. Run `make models`.\n".utf8))
        }
        var logger = Logger(label: "hark.serve")
        logger.logLevel = .warning
        let host = host
        let server: HarkServer
        do {
            server = try HarkServer(configuration: configuration, logger: logger) { port in
                let address = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/"
                FileHandle.standardOutput.write(Data("hark serve: listening on \(address)\n".utf8))
            }
        } catch let error as HarkError {
            throw ValidationError(error.message)
        }
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        try await group.run()
    }
}
