import ArgumentParser
import Foundation
import Hark

struct TranscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcribe",
        abstract: "Transcribe audio files locally with Whisper.",
        discussion: """
            Any file libsndfile reads, at any rate. Silero VAD finds the speech, which Hark's own \
            Whisper (faster-whisper's model format; tiny.en is installed by `make models`) \
            transcribes in windows of at most 30 s; words a window leaves unfinished start the next \
            one, as in faster-whisper, so none are lost between windows.

            Examples:
              hark transcribe talk.wav                        plain text
              hark transcribe --format srt talk.wav > talk.srt
              hark transcribe --beam 5 --format json a.flac b.wav
              hark transcribe --prompt "Hark, Silero, PortAudio." notes.wav
              hark transcribe --model base interview-de.wav   language detected (multilingual base)
              hark transcribe --model base --language fr --task translate cours.flac
              hark transcribe --word-timestamps --format srt --words-per-cue 1 song.wav
              hark transcribe --model ~/models/faster-whisper-small talk.wav
            """)

    @Argument(help: ArgumentHelp("Audio files.", valueName: "FILE"))
    var files: [String]

    @Option(help: "Output: txt, srt, vtt or json.")
    var format: TranscriptFormat = .txt

    @OptionGroup(title: "Model") var model: ModelOptions

    @Option(help: "Beam size (1 = greedy, faster-whisper's default is 5).")
    var beam: Int = 1

    @Option(help: "Threads (default: the machine's cores).")
    var threads: Int?


    @Option(help: ArgumentHelp("With --word-timestamps: srt and vtt cues of at most N words each, timed by their words.", valueName: "N"))
    var wordsPerCue: Int?

    func validate() throws {
        if let wordsPerCue, wordsPerCue < 1 { throw ValidationError("--words-per-cue must be at least 1.") }
        if wordsPerCue != nil && !model.wordTimestamps { throw ValidationError("--words-per-cue needs --word-timestamps.") }
        guard (1...16).contains(beam) else { throw ValidationError("--beam must be between 1 and 16.") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
    }

    func run() async throws {
        let models = RecorderConfiguration.defaultModelsDirectory()
        let engine = WhisperEngine(modelDirectory: model.directory, computeType: model.computeType, beamSize: beam)
        do {
            try await engine.load()
        } catch let error as HarkError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
        // Timestamps give segment times, and let a window's unfinished words start the next one.
        var options = TranscriptionOptions(beamSize: beam, threads: threads, timestamps: true, prompt: model.prompt,
                                           language: model.spokenLanguage, task: model.task,
                                           wordTimestamps: model.wordTimestamps ? true : nil)
        options.hotwords = model.hotwords
        var job = FileTranscription(engine: engine, options: options,
                                    modelsDirectory: models)
        job.conditionOnPreviousText = model.conditionOnPreviousText
        let showProgress = isatty(STDERR_FILENO) == 1
        var failed = false
        for file in files {
            do {
                let result = try await job.transcript(path: file) { fraction in
                    guard showProgress else { return }
                    let width = 30, filled = Int(fraction * Double(width))
                    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
                    FileHandle.standardError.write(Data("\r\(bar) \(Int(fraction * 100))% \(file)".utf8))
                }
                if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
                if files.count > 1 && format != .json { print("==> \(file) <==") }
                print(format.render(result.segments, source: file, language: result.language, wordsPerCue: wordsPerCue), terminator: "")
            } catch let error as HarkError {
                if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
                FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

extension TranscriptFormat: ExpressibleByArgument {}
