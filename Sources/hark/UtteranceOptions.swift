import ArgumentParser
import Hark

/// How an utterance ends and when its transcription starts: shared by `record`, `tui` and `serve`.
struct UtteranceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Silence that ends an utterance (default 0.5). Shorter gives text sooner but splits sentences at hesitations.",
                               valueName: "SECONDS"))
    var endSilence: Double?

    @Flag(inversion: .prefixedNo,
          help: "Start transcribing when speech pauses, before --end-silence confirms the utterance ended (kept only if it did).")
    var speculate = true

    @Flag(inversion: .prefixedNo, help: """
        Show the text of the utterance being spoken as it grows (partial transcripts; on by default where \
        they are shown: a terminal, --json, the TUI, the web page).
        """)
    var partials: Bool?

    @Option(help: ArgumentHelp("Seconds of new speech between two partial transcripts (default 0.5).", valueName: "SECONDS"))
    var partialInterval: Double?

    func validate() throws {
        if let endSilence, !(endSilence > 0 && endSilence <= 10) {
            throw ValidationError("--end-silence must be more than 0 and at most 10 seconds.")
        }
        if let partialInterval, !(partialInterval >= 0.1 && partialInterval <= 10) {
            throw ValidationError("--partial-interval must be 0.1 to 10 seconds.")
        }
    }

    /// `partialsByDefault`: whether this command shows partial transcripts unless told otherwise.
    func apply(to configuration: inout RecorderConfiguration, partialsByDefault: Bool) {
        if partials ?? partialsByDefault {
            configuration.partialTranscripts = PartialTranscriptConfiguration(interval: partialInterval ?? 0.5)
        }
        if let endSilence {
            configuration.segmenter.endSilence = endSilence
            configuration.segmenter.padding = min(configuration.segmenter.padding, endSilence)
        }
        configuration.speculativeTranscription = speculate
    }
}
