import Foundation
import HarkAudio
import HarkCore
import Testing
@testable import HarkWhisper

/// The installed multilingual base, loaded once.
enum BaseModel {
    static let directory = WhisperFixtures.modelDirectory.deletingLastPathComponent().appendingPathComponent("whisper-base")
    static let installed = FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.bin").path)
        || ProcessInfo.processInfo.environment["HARK_REQUIRE_MODELS"] == "1"
    static let model: WhisperModel? = try? WhisperModel(directory: directory, computeType: .float32)
}

/// Multilingual Whisper base against faster-whisper on the same model files
/// (Tests/Fixtures/whisper/languages.json, `make whisper-reference`): the detected language and
/// its probability, and the tokens it transcribes and translates, greedy and beam 5.
@Suite(.enabled(if: BaseModel.installed, "run `make models`"))
struct MultilingualTests {
    static var model: WhisperModel? { BaseModel.model }

    struct Reference: Decodable {
        struct Detection: Decodable { var language: String; var probability: Double }
        struct Decoding: Decodable { var beam: Int; var prompt: [Int]; var tokens: [Int]; var text: String }
        struct File: Decodable {
            var name: String
            var file: String
            var detect: Detection
            var transcribe: [Decoding]?
            var translate: [Decoding]?
        }
        var files: [File]
    }

    static let reference: Reference = {
        let data = try! Data(contentsOf: WhisperFixtures.folder.appendingPathComponent("languages.json"))
        return try! JSONDecoder().decode(Reference.self, from: data)
    }()

    static func audio(_ file: Reference.File) throws -> [Float] {
        // The real recording is installed with the models (`make models`), not committed.
        let path = file.file.hasPrefix("test-audio/")
            ? WhisperFixtures.modelDirectory.deletingLastPathComponent().appendingPathComponent(file.file).path
            : WhisperFixtures.repository.appendingPathComponent(file.file).path
        return Array(try AudioFile.readSpeech(path: path).prefix(30 * 16_000))
    }

    static func run(_ audio: [Float], beam: Int = 1, language: String? = nil, translate: Bool = false) async throws -> WhisperWindowResult {
        let model = try #require(Self.model)
        var options = WhisperOptions()
        options.beamSize = beam
        options.language = language
        options.translate = translate
        let settings = options
        return try await onOwnThread { try WhisperTranscriber(model: model).transcribe(audio, options: settings) }
    }

    @Test func theLanguageIsDetectedAsFasterWhisperDetectsIt() async throws {
        #expect(Self.reference.files.count >= 5 && Set(Self.reference.files.map(\.detect.language)).count >= 4)
        for file in Self.reference.files {
            let result = try await Self.run(try Self.audio(file))
            #expect(result.language == file.detect.language, "\(file.name)")
            let probability = try #require(result.languageProbability)
            #expect(abs(probability - file.detect.probability) <= 1e-3, "\(file.name): \(probability) | faster-whisper: \(file.detect.probability)")
        }
    }

    @Test(arguments: ["transcribe", "translate"])
    func tokensAreFasterWhispersGreedyAndBeamFive(task: String) async throws {
        var compared = 0
        for file in Self.reference.files {
            let audio = try Self.audio(file)
            for decoding in (task == "translate" ? file.translate : file.transcribe) ?? [] {
                let result = try await Self.run(audio, beam: decoding.beam, translate: task == "translate")
                #expect(result.tokens == decoding.tokens, "\(file.name) \(task) beam \(decoding.beam): \(result.text) | faster-whisper: \(decoding.text)")
                compared += 1
            }
        }
        #expect(compared >= (task == "translate" ? 6 : 10))
    }

    @Test func aGivenLanguageIsUsedAndAnUnknownOneRefused() async throws {
        let file = try #require(Self.reference.files.first { $0.name == "de" })
        let audio = try Self.audio(file)
        let given = try await Self.run(audio, language: "de")
        #expect(given.language == "de" && given.languageProbability == nil)
        #expect(given.tokens == file.transcribe?.first { $0.beam == 1 }?.tokens)
        await #expect(throws: HarkError.self) { _ = try await Self.run(audio, language: "xx") }
        let prompt = try #require(Self.model).tokens.prompt(language: "de", translating: true)
        #expect(prompt == file.translate?.first?.prompt)
    }

    @Test func englishOnlyModelsStayEnglish() async throws {
        let model = try #require(WhisperFixtures.model)
        #expect(model.tokens.languages.isEmpty)
        var options = WhisperOptions()
        options.language = "de"
        let settings = options
        #expect { try WhisperTranscriber(model: model).transcribe([Float](repeating: 0, count: 16_000), options: settings) } throws: { error in
            (error as? HarkError)?.code == .invalidInput && "\(error)".contains("English only")
        }
        let result = try WhisperTranscriber(model: model).transcribe(try WhisperFixtures.audio(WhisperFixtures.file("speech")))
        #expect(result.language == "en" && result.languageProbability == nil)
    }
}
