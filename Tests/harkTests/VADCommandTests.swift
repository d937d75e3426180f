import Foundation
import Testing

@Suite("hark vad") struct VADCommandTests {
    static let modelInstalled = harkTests.modelInstalled("silero_vad_16k_op15.onnx")

    struct Reference: Decodable {
        struct Region: Decodable { var start: Int; var end: Int }
        struct File: Decodable { var file: String; var timestamps: [Region] }
        var files: [File]
    }

    @Test(.enabled(if: modelInstalled, "run `make models`"))
    func jsonRegionsEqualSileroVADsOwn() async throws {
        let folder = HarkProcess.repository.appendingPathComponent("Tests/Fixtures/vad")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: folder.appendingPathComponent("reference.json")))
        let paths = reference.files.map { folder.appendingPathComponent($0.file).path }
        let result = try await HarkProcess.run(["vad", "--json"] + paths)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        try #require(lines.count == reference.files.count)
        for (line, file) in zip(lines, reference.files) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let regions = (object?["regions"] as? [[String: Any]] ?? []).map { [$0["startSample"] as? Int ?? -1, $0["endSample"] as? Int ?? -1] }
            #expect(regions == file.timestamps.map { [$0.start, $0.end] }, "\(file.file)")
        }
    }

    @Test(.enabled(if: modelInstalled, "run `make models`"))
    func textOutputForTheFixture() async throws {
        let result = try await HarkProcess.run(["vad", HarkProcess.speech])
        #expect(result.status == 0)
        #expect(result.stdout.contains("4 regions"), "\(result.stdout)")
    }

    @Test func missingModelSaysHowToInstall() async throws {
        let result = try await HarkProcess.run(["vad", HarkProcess.speech], environment: ["HARK_MODELS_DIR": "/nonexistent"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("make models"), "\(result.stderr)")
    }

    @Test(.enabled(if: modelInstalled, "run `make models`"))
    func badFilesAreNamedAndTheRestStillRun() async throws {
        let result = try await HarkProcess.run(["vad", "/etc/passwd", HarkProcess.speech])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/etc/passwd"))
        #expect(result.stdout.contains("4 regions"))
    }

    @Test func badParametersTeach() async throws {
        let result = try await HarkProcess.run(["vad", "--threshold", "2", HarkProcess.speech])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--threshold must be between 0 and 1"))
    }
}
