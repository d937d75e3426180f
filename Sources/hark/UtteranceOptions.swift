import ArgumentParser
import Hark

/// How an utterance ends and when its transcription starts: shared by `record` and `tui`.
struct UtteranceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Silence that ends an utterance (default 0.5). Shorter gives text sooner but splits sentences at hesitations.",
                               valueName: "SECONDS"))
    var endSilence: Double?

    @Flag(inversion: .prefixedNo,
          help: "Start transcribing when speech pauses, before --end-silence confirms the utterance ended (kept only if it did).")
    var speculate = true

    func validate() throws {
        if let endSilence, !(endSilence > 0 && endSilence <= 10) {
            throw ValidationError("--end-silence must be more than 0 and at most 10 seconds.")
        }
    }

    func apply(to configuration: inout RecorderConfiguration) {
        if let endSilence {
            configuration.segmenter.endSilence = endSilence
            configuration.segmenter.padding = min(configuration.segmenter.padding, endSilence)
        }
        configuration.speculativeTranscription = speculate
    }
}
