import Foundation
import Hark
import Testing

/// Languages through the built `hark` with the multilingual base model: transcribe detects or
/// is told, translates, and a recording carries each utterance's language to its manifest.
@Suite(.timeLimit(.minutes(10)), .enabled(if: modelInstalled("whisper-base/model.bin") || ProcessInfo.processInfo.environment["HARK_REQUIRE_MODELS"] == "1",
                                         "run `make models`"))
struct LanguageCommandTests {
    static func clip(_ code: String) -> String {
        HarkProcess.repository.appendingPathComponent("Tests/Fixtures/whisper/languages/\(code).flac").path
    }

    @Test func transcribeDetectsTheLanguageOrTranslates() async throws {
        let json = try await HarkProcess.run(["transcribe", "--model", "base", "--format", "json", Self.clip("de")])
        #expect(json.status == 0, "\(json.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(document?["language"] as? String == "de")
        #expect((document?["text"] as? String ?? "").contains("Kaffee"), "\(json.stdout)")
        let translated = try await HarkProcess.run(["transcribe", "--model", "base", "--task", "translate", Self.clip("es")])
        #expect(translated.stdout.lowercased().contains("good morning"), "\(translated.stdout)")
        let englishOnly = try await HarkProcess.run(["transcribe", "--language", "de", Self.clip("de")], environment: ["HARK_MODEL": ""])
        #expect(englishOnly.status != 0 && englishOnly.stderr.contains("English-only") && englishOnly.stderr.contains("--model base"), "\(englishOnly.stderr)")
        let unknown = try await HarkProcess.run(["transcribe", "--model", "base", "--language", "xx", Self.clip("de")])
        #expect(unknown.status != 0 && unknown.stderr.contains("no language 'xx'"), "\(unknown.stderr)")
    }

    /// Two utterances, German then French, recorded through worker processes: each detected on its own.
    @Test func aRecordingKeepsEachUtterancesLanguage() async throws {
        let folder = try temporaryFolder("languages")
        let input = folder.appendingPathComponent("de-fr.wav").path
        let sox = try await HarkProcess.run(executable: "/usr/bin/sox", [Self.clip("de"), Self.clip("fr"), input, "pad", "1", "1"])
        #expect(sox.status == 0, "\(sox.stderr)")
        let sessions = folder.appendingPathComponent("sessions")
        // Waits for every transcription: base on a CPU without AVX-512, beside other tests, can take minutes.
        let record = try HarkProcess(["record", "--input", input, "--model", "base", "--end-silence", "0.3", "--drain", "600", "--out", sessions.path])
        #expect(try await record.exitStatus(timeout: .seconds(600)) == 0, "\(record.stderr)")
        #expect(record.stdout.contains("» [fr] Je voudrais"), "\(record.stdout)")
        let session = try #require(try sessionFolders(in: sessions).first)
        let manifest = try JSONDecoder.harkManifest.decode(SessionManifest.self, from: Data(contentsOf: sessions.appendingPathComponent("\(session)/session.json")))
        let languages = manifest.segments.compactMap { $0.transcription?.language }
        #expect(languages.suffix(2) == ["de", "fr"], "\(manifest.segments.map { ($0.transcription?.language, $0.transcription?.text) })")
        #expect(manifest.segments.last?.transcription?.languageProbability ?? 0 > 0.5)
        let jsonl = try String(contentsOf: sessions.appendingPathComponent("\(session)/transcript.jsonl"), encoding: .utf8)
        #expect(jsonl.split(separator: "\n").last?.contains(#""language":"fr""#) == true, "\(jsonl)")
    }
}

extension JSONDecoder {
    static var harkManifest: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
