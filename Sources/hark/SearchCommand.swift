import ArgumentParser
import Foundation
import Hark
import HarkArchive

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find what was said in any session.",
        discussion: """
            Searches every transcribed utterance under the sessions folder (its index, index.sqlite, \
            is brought up to date first). Hits come best first: the most relevant, then the newest.

            The query is SQLite full-text syntax:
              budget                  the word, in any case, accents ignored
              budget travel           both words (AND is implied)
              "next quarter"          a phrase (quote it for the shell: '"next quarter"')
              budg*                   words starting with budg
              budget OR costs         either; NOT excludes: 'budget NOT travel'
              NEAR(budget review, 5)  both within 5 words
            --literal takes the text as plain words instead (punctuation ignored).

            Examples:
              hark search budget --since 7d
              hark search '"action items"' --session latest --play
              hark search invoice --json | jq '.hits[].text'
            """)

    @Argument(help: ArgumentHelp("What to find (several words are joined with spaces).", valueName: "query"))
    var words: [String]

    @Option(help: ArgumentHelp("Only what was said at or after this time: today, yesterday, 12h, 7d, 2w, 2026-12-04 or an ISO 8601 time.", valueName: "time"))
    var since: String?
    @Option(help: ArgumentHelp("Only what was said before this time (a day includes that day).", valueName: "time"))
    var until: String?
    @Option(help: ArgumentHelp("Only this session: its id, the path to its folder, or 'latest'.", valueName: "id"))
    var session: String?
    @Option(help: ArgumentHelp("Only utterances transcribed as this language (en, de, …).", valueName: "code"))
    var language: String?
    @Option(help: "How many hits to show (1–1000).")
    var limit = 20
    @Option(help: "Skip this many hits first (the next page).")
    var offset = 0
    @Flag(help: "Take the query as plain words, not full-text syntax.")
    var literal = false
    @Flag(help: "Print the hits as JSON ({hits, hasMore, ranked}), each with its audio file's full path.")
    var json = false
    @Flag(help: "Play the best hit's audio (with $HARK_PLAYER, else paplay, aplay, play or ffplay).")
    var play = false
    @OptionGroup var location: SessionsCommand.Location

    func run() async throws {
        let library = location.library
        var query = ArchiveQuery(words.joined(separator: " "), literal: literal, limit: limit, offset: offset)
        query.since = try since.map { try ArchiveQuery.time($0) }
        query.until = try until.map { try ArchiveQuery.time($0, endOfDay: true) }
        query.language = language
        if let session { query.session = try library.find(session).manifest.id }
        _ = try query.expression()   // its own errors before any folder is read
        guard FileManager.default.fileExists(atPath: library.root.path) else {
            throw HarkError(.sessionNotFound, "There are no sessions under '\(library.root.path)' yet. `hark record` makes one.")
        }
        let archive = SessionArchive(root: library.root)
        let progress = IndexProgress(verb: "indexing")
        try await archive.refresh(progress: progress.show)
        progress.clear()
        let results = try await archive.search(query)
        let audio = { (hit: ArchiveHit) in library.folder(of: hit.session).appendingPathComponent(hit.file) }
        if json {
            struct Hit: Encodable { var hit: ArchiveHit; var path: String
                func encode(to encoder: any Encoder) throws {
                    try hit.encode(to: encoder)
                    var container = encoder.container(keyedBy: Key.self)
                    try container.encode(path, forKey: .path)
                }
                enum Key: CodingKey { case path }
            }
            struct Page: Encodable { var hits: [Hit]; var hasMore: Bool; var ranked: Bool }
            print(JSON.string(Page(hits: results.hits.map { Hit(hit: $0, path: audio($0).path) }, hasMore: results.hasMore, ranked: results.ranked)))
        } else if results.hits.isEmpty {
            print(offset > 0 ? "No more hits." : "Nothing matches \(query.text).")
        } else {
            let terminal = isatty(STDOUT_FILENO) == 1
            for hit in results.hits {
                let marked = terminal ? hit.marked(open: "\u{1B}[1;33m", close: "\u{1B}[0m") : hit.marked(open: "[", close: "]")
                print("\(hit.session)  \(formatTime(hit.start))  \(languageMark(hit.language))\(marked)")
                print("    \(audio(hit).path)")
            }
            if !results.ranked { print("Over 2000 utterances match, too many to rank: the most recently indexed come first. More words narrow it.") }
            if results.hasMore { print("More hits follow: --offset \(offset + results.hits.count).") }
        }
        if play, let best = results.hits.first {
            try AudioPlayer.play(audio(best))
        }
    }
}

/// Plays a file with the first audio player found.
enum AudioPlayer {
    static let candidates = ["paplay", "aplay", "play", "ffplay"]

    static func play(_ file: URL) throws {
        let environment = ProcessInfo.processInfo.environment
        let chosen = environment["HARK_PLAYER"].flatMap { $0.isEmpty ? nil : $0 } ?? candidates.first { find($0) != nil }
        guard let chosen, let path = chosen.contains("/") ? chosen : find(chosen) else {
            throw HarkError(.invalidConfiguration, """
                No audio player found (looked for \(candidates.joined(separator: ", "))). Install one \
                (`apt install pulseaudio-utils` gives paplay) or set HARK_PLAYER; the file is \(file.path).
                """)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = (chosen.hasSuffix("ffplay") ? ["-nodisp", "-autoexit", "-loglevel", "error"] : []) + [file.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HarkError(.audioStreamFailed, "\(chosen) could not play \(file.path) (exit status \(process.terminationStatus)).")
        }
    }

    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
