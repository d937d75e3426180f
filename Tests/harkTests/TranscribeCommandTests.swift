import Foundation
import Testing
import Hark

@Suite("hark transcribe") struct TranscribeCommandTests {
    static let modelInstalled = harkTests.modelInstalled("whisper-tiny.en/model.bin")

    @Test(.enabled(if: modelInstalled, "run `make models`"))
    func plainTextOfTheFixture() async throws {
        let result = try await HarkProcess.run(["transcribe", HarkProcess.speech])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("lazy dog"), "\(result.stdout)")
        #expect(result.stdout.contains("then we are done"), "\(result.stdout)")
    }

    @Test(.enabled(if: modelInstalled, "run `make models`"))
    func segmentsAreTimedBySentence() async throws {
        let result = try await HarkProcess.run(["transcribe", "--format", "json", HarkProcess.speech])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let starts = (object?["segments"] as? [[String: Any]] ?? []).compactMap { $0["start"] as? Double }
        // Tests/Fixtures/speech.json; tiny.en's timestamps were measured up to 0.65 s early.
        let known = [1.0, 5.23, 8.47, 12.17]
        #expect(starts.count == known.count, "\(result.stdout)")
        for (start, expected) in zip(starts, known) { #expect(abs(start - expected) < 0.8, "segment at \(start), sentence at \(expected)") }
    }

    /// A 44 s reading ("A Tale of Two Cities", `make models`), longer than Whisper's window: every
    /// word faster-whisper hears in the whole file (same model, float32, its own seeking) is in
    /// Hark's transcript, in order — once, "In short," at the end of the first window was lost.
    /// Tests/Fixtures/whisper/two_cities.json is faster-whisper's (`make whisper-reference`).
    @Test(.enabled(if: harkTests.modelInstalled("test-audio/two_cities.wav"), "run `make models`"),
          arguments: [("greedy", 1), ("beam5", 5)])
    func aLongRecordingKeepsEveryWordFasterWhisperHears(reference: String, beam: Int) async throws {
        let fixture = HarkProcess.repository.appendingPathComponent("Tests/Fixtures/whisper/two_cities.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as? [String: Any]
        let expected = (object?[reference] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }.joined(separator: " ")
        let audio = RecorderConfiguration.defaultModelsDirectory().appendingPathComponent("test-audio/two_cities.wav").path
        let result = try await HarkProcess.run(["transcribe", "--compute-type", "float32", "--beam", "\(beam)", audio])
        #expect(result.status == 0, "\(result.stderr)")
        func words(_ text: String) -> [Substring] { text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "'" } }
        let heard = words(result.stdout), said = words(expected)
        #expect(said.count > 80, "the reference holds the reading: \(expected)")
        #expect(heard == said, "Hark:\n\(result.stdout)\nfaster-whisper:\n\(expected)")
    }

    @Test(.enabled(if: modelInstalled, "run `make models`"))
    func aPromptSpellsWhatTheModelMishears() async throws {
        let result = try await HarkProcess.run(["transcribe", "--prompt", "Please save every word I say.", HarkProcess.speech])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.lowercased().contains("save every word"), "\(result.stdout)")
        #expect(result.stdout.contains("lazy dog") && result.stdout.contains("then we are done"), "\(result.stdout)")
    }

    @Test(.enabled(if: modelInstalled, "run `make models`"))
    func subtitlesAndJSONHaveTimes() async throws {
        let beckett = HarkProcess.repository.appendingPathComponent("Tests/Fixtures/vad/beckett.flac").path
        let srt = try await HarkProcess.run(["transcribe", "--format", "srt", beckett])
        #expect(srt.stdout.hasPrefix("1\n00:00:00,"), "\(srt.stdout)")
        #expect(srt.stdout.contains(" --> 00:00:"))
        let vtt = try await HarkProcess.run(["transcribe", "--format", "vtt", beckett])
        #expect(vtt.stdout.hasPrefix("WEBVTT\n\n00:00:00."), "\(vtt.stdout)")
        let json = try await HarkProcess.run(["transcribe", "--format", "json", "--beam", "5", beckett])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["text"] as? String)?.contains("Fail better") == true, "\(json.stdout)")
        #expect((object?["segments"] as? [[String: Any]])?.first?["start"] is Double)
    }

    @Test(.enabled(if: modelInstalled, "run `make models`"))
    func nonAudioAndEmptyFilesAreNamedAndTheRestStillRun() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString).wav").path
        try Data().write(to: URL(fileURLWithPath: empty))
        let result = try await HarkProcess.run(["transcribe", "/etc/passwd", empty, HarkProcess.speech])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/etc/passwd"), "\(result.stderr)")
        #expect(result.stderr.contains(empty), "\(result.stderr)")
        #expect(result.stdout.contains("lazy dog"))
    }

    @Test func aMissingModelSaysHowToInstall() async throws {
        let result = try await HarkProcess.run(["transcribe", "--model", "/nonexistent/model", HarkProcess.speech])
        #expect(result.status == 1)
        #expect(result.stderr.contains("make models"), "\(result.stderr)")
    }

    @Test func badOptionsTeach() async throws {
        let result = try await HarkProcess.run(["transcribe", "--format", "doc", HarkProcess.speech])
        #expect(result.status != 0)
        #expect(result.stderr.contains("txt"), "\(result.stderr)")
        let type = try await HarkProcess.run(["transcribe", "--compute-type", "int4", HarkProcess.speech])
        #expect(type.status != 0)
        #expect(type.stderr.contains("bfloat16"), "the choices are named: \(type.stderr)")
    }

    /// Every compute type through the built `hark`: the same words of the fixture.
    @Test(.enabled(if: modelInstalled, "run `make models`"), arguments: ["auto", "float32", "int8", "bfloat16"])
    func everyComputeTypeHearsTheFixture(type: String) async throws {
        let result = try await HarkProcess.run(["transcribe", "--compute-type", type, "--beam", "5", HarkProcess.speech])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("brown fox"), "\(result.stdout)")
        #expect(result.stdout.contains("then we are done"), "\(result.stdout)")
    }
}
