import Foundation
import Hark
import Testing

/// Hark as a new app gets it: a package of its own with one dependency line on Hark (by path),
/// built with `swift build` and run three ways, each printing the speech fixture's transcripts.
/// The package is `Tests/ConsumerPackage`; it is built in `.build/consumer-package`, so that a
/// second run is incremental (the first compiles Hark and its dependencies, ~2.5 min on 2 cores).
@Suite(.serialized, .enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
struct ConsumerPackageTests {
    static let folder = HarkProcess.repository.appendingPathComponent(".build/consumer-package")
    static let executable = folder.appendingPathComponent(".build/debug/HarkConsumer")
    /// Built once for the suite.
    static let built = Task { try await build() }

    @Test func transcribesWithDefaultsWithItsOwnWorkersAndInProcess() async throws {
        try await Self.built.value
        var heard: [String: [String]] = [:]
        for mode in ["defaults", "workers", "in-process"] {
            let (lines, launches) = try await Self.run(mode)
            let texts = lines.filter { $0.hasPrefix("segment ") }
            print("\(mode):\n  " + texts.joined(separator: "\n  "))
            #expect(texts.count == 4, "\(mode): four transcripts: \(lines)")
            let all = texts.joined(separator: " ").lowercased()
            for words in ["lazy dog", "i say today", "easier than it looks", "we are done"] {
                #expect(all.contains(words), "\(mode) heard '\(words)': \(all)")
            }
            #expect(lines.contains { $0.hasPrefix("4 segments in ") })
            // Workers are the app itself, started with the entry's argument — or none at all.
            let workers = launches.filter { $0.hasPrefix(HarkWorker.argument) }
            #expect(mode == "in-process" ? workers.isEmpty : !workers.isEmpty, "\(mode) started: \(launches)")
            heard[mode] = texts
        }
        #expect(Set(heard.values).count == 1, "the same text each way: \(heard)")
    }

    /// Without a Whisper model the app still records: one `recorderError` says how to install
    /// one, and the segments wait in the manifest for a later run (`hark resume` here).
    @Test func withoutAModelSegmentsAreSavedAndQueued() async throws {
        try await Self.built.value
        let models = try temporaryFolder("consumer-no-model")
        let silero = RecorderConfiguration.defaultModelsDirectory().appendingPathComponent("silero_vad_16k_op15.onnx")
        try FileManager.default.createSymbolicLink(at: models.appendingPathComponent(silero.lastPathComponent), withDestinationURL: silero)
        let sessions = try temporaryFolder("consumer-no-model-sessions")
        let (lines, _) = try await Self.run("defaults", sessions: sessions, environment: ["HARK_MODELS_DIR": models.path])
        let errors = lines.filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1, "\(lines)")
        #expect(errors.first?.contains("hark models install tiny.en") == true, "\(errors)")
        #expect(!lines.contains { $0.hasPrefix("segment ") })
        let folder = sessions.appendingPathComponent(try #require(sessionFolders(in: sessions).first))
        let manifest = try JSON.decoder.decode(SessionManifest.self, from: Data(contentsOf: folder.appendingPathComponent("session.json")))
        #expect(manifest.segments.count == 4)
        #expect(manifest.segments.allSatisfy { $0.transcription?.state == .queued }, "\(manifest.segments.map(\.transcription))")

        let resumed = try await HarkProcess.run(["resume", folder.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = try JSON.decoder.decode(SessionManifest.self, from: Data(contentsOf: folder.appendingPathComponent("session.json")))
        #expect(after.segments.allSatisfy { $0.transcription?.state == .done })
    }

    /// Runs the app on the speech fixture; its output lines, and how each of its processes was started.
    static func run(_ mode: String, sessions: URL? = nil, environment: [String: String] = [:]) async throws
        -> (lines: [String], launches: [String]) {
        let sessions = try sessions ?? temporaryFolder("consumer-\(mode)")
        let log = sessions.appendingPathComponent("launches.txt")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let app = try HarkProcess(executable: executable.path, [mode, HarkProcess.speech, sessions.path],
                                  environment: environment.merging(["HARK_CONSUMER_LAUNCHES": log.path]) { $1 })
        let status = try await app.exitStatus()
        #expect(status == 0, "\(mode): \(app.stderr)")
        let launches = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
        return (app.stdout.split(separator: "\n").map(String.init), launches.filter { !$0.hasPrefix(mode) })
    }

    /// Writes the package (the same files each time) and builds it.
    static func build() async throws {
        let source = HarkProcess.repository.appendingPathComponent("Tests/ConsumerPackage")
        let main = folder.appendingPathComponent("Sources/HarkConsumer")
        try FileManager.default.createDirectory(at: main, withIntermediateDirectories: true)
        let template = try String(contentsOf: source.appendingPathComponent("Package.swift.template"), encoding: .utf8)
        let manifest = template.replacingOccurrences(of: "HARK_PATH", with: HarkProcess.repository.path)
            .replacingOccurrences(of: "HARK_IDENTITY", with: HarkProcess.repository.lastPathComponent.lowercased())
        try write(manifest, to: folder.appendingPathComponent("Package.swift"))
        try write(String(contentsOf: source.appendingPathComponent("Sources/HarkConsumer/main.swift"), encoding: .utf8),
                  to: main.appendingPathComponent("main.swift"))
        let swift = try HarkProcess(executable: "/usr/bin/env", ["swift", "build", "--package-path", folder.path])
        let status = try await swift.exitStatus(timeout: .seconds(1200))
        #expect(status == 0, "swift build of the consumer package:\n\(swift.stdout.suffix(3000))\n\(swift.stderr.suffix(3000))")
        if status != 0 { throw TimeoutError(what: "the consumer package to build", output: swift.stderr) }
    }

    /// Writes `text` unless the file already holds it (an unchanged file keeps the build incremental).
    private static func write(_ text: String, to url: URL) throws {
        if (try? String(contentsOf: url, encoding: .utf8)) == text { return }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}
