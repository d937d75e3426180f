import ArgumentParser
import Foundation
import Hark

struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List recorded sessions, or show one.",
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self)

    struct Location: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("Sessions folder.", valueName: "DIR"))
        var out: String?

        var library: SessionLibrary {
            SessionLibrary(root: out.map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? RecorderConfiguration.defaultSessionsDirectory())
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sessions, oldest first.")
        @OptionGroup var location: Location

        func run() throws {
            let library = location.library
            let sessions = try library.list()
            guard !sessions.isEmpty else {
                print("No sessions in \(library.root.path). Record one with `hark record`.")
                return
            }
            for session in sessions {
                let state = session.state == .stopped ? "" : "  (\(session.state.rawValue))"
                print("\(session.id)  \(formatDuration(session.duration))  \(session.segments.count) segments  \(session.source.name)\(state)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one session's details and segments.")
        @OptionGroup var location: Location
        @Argument(help: "The session id (its folder name), the path to its folder, or 'latest'.")
        var session: String = "latest"

        func run() throws {
            let (manifest, folder) = try location.library.find(session)
            print("Session   \(manifest.id)")
            print("Folder    \(folder.path)")
            print("Source    \(manifest.source.name) (\(manifest.source.format))")
            print("Length    \(formatDuration(manifest.duration)), state \(manifest.state.rawValue)")
            print("VAD       \(manifest.vadModes.map { "\($0.mode) from \(formatTime($0.time))" }.joined(separator: ", "))")
            if manifest.droppedFrames > 0 { print("Dropped   \(manifest.droppedFrames) input frames") }
            if let recording = manifest.recordingFile { print("Audio     \(recording)") }
            for segment in manifest.segments {
                print(SegmentLine.describe(segment))
            }
        }
    }
}
