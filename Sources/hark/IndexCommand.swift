import ArgumentParser
import Foundation
import Hark
import HarkArchive
import Synchronization

struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Keep the search index (index.sqlite in the sessions folder) in step with the sessions.",
        discussion: """
            The index is derived from the session folders, which stay the truth: recordings, \
            `hark resume` and `hark serve` update it as transcripts arrive, and `hark search` catches \
            up with anything else first. Deleting index.sqlite loses nothing.
            """,
        subcommands: [Update.self, Rebuild.self, Check.self],
        defaultSubcommand: Update.self)

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read new and changed sessions (all, or the ones named) and forget deleted ones.")
        @Argument(help: ArgumentHelp("Sessions to read again: ids, folder paths or 'latest'. None: every session that changed.", valueName: "session"))
        var sessions: [String] = []
        @OptionGroup var location: SessionsCommand.Location

        func run() async throws {
            let library = location.library
            let archive = SessionArchive(root: library.root)
            if sessions.isEmpty {
                let progress = IndexProgress(verb: "indexing")
                let summary = try await archive.refresh(progress: progress.show)
                progress.clear()
                print("\(summary.sessions) sessions; \(summary.updated) read (\(summary.utterances) utterances), \(summary.removed) removed.")
                return
            }
            for name in sessions {
                let folder = try library.find(name).folder
                try await archive.update(sessionFolder: folder)
            }
            print("\(sessions.count) session\(sessions.count == 1 ? "" : "s") read again.")
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the index anew from every session folder.")
        @OptionGroup var location: SessionsCommand.Location

        func run() async throws {
            let archive = SessionArchive(root: location.library.root)
            let progress = IndexProgress(verb: "indexing")
            let started = ContinuousClock.now
            let summary = try await archive.rebuild(progress: progress.show)
            progress.clear()
            let seconds = (ContinuousClock.now - started).inSeconds
            print("Indexed \(summary.utterances) utterances of \(summary.sessions) sessions in \(String(format: "%.1f", seconds)) s: \(archive.indexURL.path)")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the index file's integrity (repairs nothing: `hark index rebuild` does).")
        @OptionGroup var location: SessionsCommand.Location

        func run() async throws {
            let archive = SessionArchive(root: location.library.root)
            let problems = await archive.check()
            guard problems.isEmpty else {
                for problem in problems.prefix(20) { print(problem) }
                throw HarkError(.internalFailure, "\(archive.indexURL.path) is damaged; `hark index rebuild` makes it anew from the sessions.")
            }
            print("\(archive.indexURL.path): sound.")
        }
    }
}

/// "indexing 400/10000 sessions" on stderr: redrawn in place on a terminal, silent elsewhere
/// (scripts read the summary line).
final class IndexProgress: Sendable {
    private let terminal = isatty(STDERR_FILENO) == 1
    private let verb: String
    private let drawn = Mutex(false)

    init(verb: String) { self.verb = verb }

    func show(_ done: Int, _ total: Int) {
        guard terminal, total > 0 else { return }
        drawn.withLock { $0 = true }
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(verb) \(done)/\(total) sessions".utf8))
    }

    func clear() {
        if drawn.withLock({ $0 }) { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
