import ArgumentParser
import Foundation
import Hark

struct VADCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vad",
        abstract: "Print where speech is in audio files (Silero VAD).",
        discussion: """
            Same parameters and rules as silero-vad's get_speech_timestamps, on Hark's own Silero \
            VAD. Files in any format libsndfile reads, at any rate (converted to 16 kHz mono).

            Examples:
              hark vad talk.wav                            regions as text
              hark vad --json talk.wav                     one JSON object per file
              hark vad --threshold 0.6 --min-silence-ms 300 --max-speech-s 30 meeting.flac
            """)

    @Argument(help: ArgumentHelp("Audio files.", valueName: "FILE"))
    var files: [String]

    @Option(help: "Speech starts at or above this probability.")
    var threshold: Double = 0.5

    @Option(help: "Speech ends below this probability (default: threshold − 0.15).")
    var negThreshold: Double?

    @Option(name: .customLong("min-speech-ms"), help: "Drop speech shorter than this.")
    var minSpeech: Double = 250

    @Option(name: .customLong("min-silence-ms"), help: "Silence that ends a region.")
    var minSilence: Double = 100

    @Option(name: .customLong("speech-pad-ms"), help: "Padding on each side of a region.")
    var speechPad: Double = 30

    @Option(name: .customLong("max-speech-s"), help: "Split regions longer than this (default: no limit).")
    var maxSpeech: Double?

    @Flag(help: "Print JSON (with per-chunk probabilities).")
    var json = false

    @Option(help: ArgumentHelp("Models folder (default: $HARK_MODELS_DIR or $XDG_DATA_HOME/hark/models).", valueName: "DIR"))
    var models: String?

    func validate() throws {
        guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be between 0 and 1.") }
        if let negThreshold, !(0...1).contains(negThreshold) { throw ValidationError("--neg-threshold must be between 0 and 1.") }
        if let maxSpeech, !(maxSpeech > 0) { throw ValidationError("--max-speech-s must be positive.") }
        guard minSpeech >= 0, minSilence >= 0, speechPad >= 0 else { throw ValidationError("Durations cannot be negative.") }
    }

    func run() throws {
        var rules = SpeechTimestamps()
        rules.threshold = threshold
        rules.negativeThreshold = negThreshold
        rules.minSpeechMilliseconds = minSpeech
        rules.minSilenceMilliseconds = minSilence
        rules.speechPadMilliseconds = speechPad
        rules.maxSpeechSeconds = maxSpeech ?? .infinity
        let directory = models.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? RecorderConfiguration.defaultModelsDirectory()
        let encoder = JSON.encoder
        var failed = false
        for file in files {
            do {
                let speech = try FileSpeech.detect(path: file, rules: rules, modelsDirectory: directory)
                if json {
                    print(String(decoding: try encoder.encode(speech), as: UTF8.self))
                } else {
                    if files.count > 1 { print("\(file):") }
                    for region in speech.regions {
                        print("\(formatTime(region.start)) – \(formatTime(region.end))  (\(formatDuration(region.end - region.start)))")
                    }
                    let total = speech.regions.reduce(0) { $0 + $1.end - $1.start }
                    print("\(speech.regions.count) regions, \(formatDuration(total)) of speech in \(formatDuration(speech.duration))")
                }
            } catch let error as HarkError {
                FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                if error.code == .modelMissing || error.code == .modelCorrupt { throw ExitCode(1) }
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
