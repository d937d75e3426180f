import Foundation
import HarkAudio
import HarkCore
import Testing
@testable import HarkWhisper

/// Hark's BPE encoder against faster-whisper's tokenizer (Hugging Face tokenizers) on the same
/// tokenizer.json: Tests/Fixtures/whisper/encodings.json, from `make whisper-reference`.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: WhisperFixtures.modelDirectory.appendingPathComponent("tokenizer.json").path),
                "run `make models`"))
struct WhisperTextEncoderTests {
    struct Case: Decodable { var text: String; var ids: [Int] }

    @Test func encodesAsFasterWhispersTokenizer() throws {
        let encoder = try WhisperTextEncoder(directory: WhisperFixtures.modelDirectory)
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: WhisperFixtures.folder.appendingPathComponent("encodings.json")))
        #expect(cases.count >= 10)
        let model = try #require(WhisperFixtures.model)
        for item in cases {
            #expect(encoder.encode(item.text) == item.ids, "\(item.text.debugDescription)")
            #expect(model.tokens.text(encoder.encode(item.text)) == item.text, "decodes back")
        }
        #expect(encoder.encode("").isEmpty)
    }

    struct Hotwords: Decodable { var name: String; var file: String; var hotwords: String; var prompt: String?; var beam: Int; var tokens: [Int]; var text: String }

    /// faster-whisper's `hotwords` (after start-of-previous, before any prompt): the same tokens,
    /// alone and with an `initial_prompt`, greedy and beam 5 (Tests/Fixtures/whisper/hotwords.json).
    @Test func hotwordsDecodeAsFasterWhispersHotwords() async throws {
        let model = try #require(WhisperFixtures.model)
        let encoder = try WhisperTextEncoder(directory: WhisperFixtures.modelDirectory)
        let cases = try JSONDecoder().decode([Hotwords].self, from: Data(contentsOf: WhisperFixtures.folder.appendingPathComponent("hotwords.json")))
        #expect(cases.count == 6)
        for item in cases {
            let audio = try AudioFile.readSpeech(path: WhisperFixtures.repository.appendingPathComponent(item.file).path)
            var options = WhisperOptions()
            options.beamSize = item.beam
            options.hotwords = encoder.encode(" " + item.hotwords)
            if let prompt = item.prompt { options.previous = encoder.encode(" " + prompt) }
            let settings = options
            let result = try await onOwnThread { try WhisperTranscriber(model: model).transcribe(audio, options: settings) }
            #expect(result.tokens == item.tokens, "\(item.name) '\(item.hotwords)' beam \(item.beam): \(result.text) | faster-whisper: \(item.text)")
        }
    }

    /// Long hotwords and a long prompt together still leave the text room to decode.
    @Test func longHotwordsAndPromptKeepRoomForText() throws {
        let tokens = try #require(WhisperFixtures.model).tokens
        let long = [Int](repeating: 383, count: 400)
        let prompt = tokens.prompt(previous: long, hotwords: long)
        #expect(prompt.count <= WhisperDecoder.maxPositions - WhisperOptions.minimumDecodeRoom)
        #expect(tokens.prompt(previous: Array(long.prefix(100)), hotwords: Array(long.prefix(20))).count == 1 + 20 + 100 + 2)
    }

    @Test func aFolderWithoutTokenizerSaysSo() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hark-no-tokenizer-\(UUID().uuidString)")
        #expect { try WhisperTextEncoder(directory: folder) } throws: { error in
            (error as? HarkError)?.code == .modelMissing && "\(error)".contains("tokenizer.json")
        }
    }

    struct Prompted: Decodable { var name: String; var file: String; var prompt: String; var beam: Int; var tokens: [Int]; var text: String }

    /// With an `initial_prompt`, the same tokens as faster-whisper (float32, one window, greedy and
    /// beam 5): Tests/Fixtures/whisper/prompted.json.
    @Test func aPromptDecodesAsFasterWhispersInitialPrompt() async throws {
        let model = try #require(WhisperFixtures.model)
        let encoder = try WhisperTextEncoder(directory: WhisperFixtures.modelDirectory)
        let cases = try JSONDecoder().decode([Prompted].self, from: Data(contentsOf: WhisperFixtures.folder.appendingPathComponent("prompted.json")))
        #expect(cases.count == 4)
        for item in cases {
            let audio = try AudioFile.read(path: WhisperFixtures.repository.appendingPathComponent(item.file).path).samples
            var options = WhisperOptions()
            options.beamSize = item.beam
            options.previous = encoder.encode(" " + item.prompt)
            let settings = options
            let result = try await onOwnThread { try WhisperTranscriber(model: model).transcribe(audio, options: settings) }
            #expect(result.tokens == item.tokens, "\(item.name) beam \(item.beam): \(result.text) | faster-whisper: \(item.text)")
        }
    }

    @Test func thePromptGoesBeforeStartOfTranscriptAndIsCutToItsLimit() throws {
        let tokens = try #require(WhisperFixtures.model).tokens
        let previous = Array(repeating: 100, count: 300)
        let prompt = tokens.prompt(timestamps: false, previous: previous)
        #expect(prompt.first == tokens.startOfPrevious)
        #expect(prompt.count == 1 + WhisperOptions.maxPreviousTokens + 2)
        #expect(Array(prompt.suffix(2)) == [tokens.startOfTranscript, tokens.noTimestamps])
        #expect(tokens.prompt(timestamps: false, previous: []) == [tokens.startOfTranscript, tokens.noTimestamps])
    }
}
