import ArgumentParser
import Hark

@main
struct HarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hark",
        abstract: "Record speech, cut it into utterances, save every one of them.",
        discussion: """
            Hark listens to a microphone (or a file played as one), finds speech with a voice \
            activity detector, and saves each utterance as a WAV in a session folder with a \
            session.json manifest.

            Start with:  hark devices        (which microphones there are)
                         hark record         (record until Ctrl-C)
                         hark sessions       (what has been recorded)
                         hark vad FILE       (where the speech is in a file)
                         hark transcribe FILE  (what was said in it)
                         hark serve          (web page and HTTP API on 127.0.0.1:8765)

            Models:      hark models         (tiny.en and base; `hark models install base`)
            """,
        subcommands: [RecordCommand.self, DevicesCommand.self, SessionsCommand.self, VADCommand.self, TUICommand.self, TranscribeCommand.self, ServeCommand.self, ResumeCommand.self, RetranscribeCommand.self, ModelsCommand.self, SearchCommand.self, IndexCommand.self, WorkerCommand.self],
        defaultSubcommand: nil)
}
