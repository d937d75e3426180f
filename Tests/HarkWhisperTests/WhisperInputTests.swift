import Foundation
import HarkCore
import Testing
@testable import HarkWhisper

/// No words out of no speech, and clear errors for bad models.
@Suite(.enabled(if: WhisperFixtures.model != nil, "run `make models` to install Whisper tiny.en"))
struct WhisperSilenceTests {
    static func transcribe(_ samples: [Float], _ type: ComputeType = .float32) async throws -> WhisperWindowResult {
        let model = try #require(WhisperFixtures.model(type))
        return try await onOwnThread { try WhisperTranscriber(model: model).transcribe(samples) }
    }

    @Test(arguments: ComputeType.allCases.filter { $0 != .auto })
    func silenceGivesNoText(type: ComputeType) async throws {
        let result = try await Self.transcribe([Float](repeating: 0, count: 16_000 * 5), type)
        #expect(result.text.isEmpty, "got '\(result.text)' (no-speech \(result.noSpeechProbability), logprob \(result.averageLogProbability))")
    }

    @Test(arguments: ComputeType.allCases.filter { $0 != .auto })
    func whiteNoiseGivesNoText(type: ComputeType) async throws {
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<(16_000 * 5)).map { _ in Float.random(in: -0.1...0.1, using: &generator) }
        let result = try await Self.transcribe(noise, type)
        #expect(result.text.isEmpty, "got '\(result.text)' (no-speech \(result.noSpeechProbability), logprob \(result.averageLogProbability))")
    }

    @Test(arguments: ComputeType.allCases.filter { $0 != .auto })
    func aClickGivesNoText(type: ComputeType) async throws {
        var samples = [Float](repeating: 0, count: 16_000 * 2)
        for i in 16_000..<(16_000 + 3_200) { samples[i] = i % 2 == 0 ? 0.9 : -0.9 }   // 0.2 s
        let result = try await Self.transcribe(samples, type)
        #expect(result.text.isEmpty, "got '\(result.text)' (no-speech \(result.noSpeechProbability), logprob \(result.averageLogProbability))")
    }

    @Test func audioTooShortForAFrameGivesNoText() async throws {
        let result = try await Self.transcribe([Float](repeating: 0.3, count: 100))
        #expect(result.text.isEmpty && result.isSilence)
    }

    @Test func nonFiniteSamplesAreAClearError() async throws {
        var samples = [Float](repeating: 0, count: 16_000)
        samples[10] = .nan
        let error = await #expect(throws: HarkError.self) { try await Self.transcribe(samples) }
        #expect(error?.code == .invalidInput)
    }

    /// A partial's prefix comes over the worker wire: a token that is not text, or too many, is refused.
    @Test func aPrefixThatIsNotTextTokensIsAClearError() async throws {
        let model = try #require(WhisperFixtures.model)
        for prefix in [[model.tokens.endOfText], [-1], [Int](repeating: 262, count: WhisperOptions.maxPrefixTokens + 1)] {
            var wanted = WhisperOptions()
            wanted.prefix = prefix
            let options = wanted
            let error = await #expect(throws: HarkError.self) {
                try await onOwnThread { try WhisperTranscriber(model: model).transcribe([Float](repeating: 0, count: 16_000), options: options) }
            }
            #expect(error?.code == .invalidInput)
        }
    }
}

@Suite struct WhisperModelFileTests {
    static func folder(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hark-whisper-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for name in ["config.json", "vocabulary.txt"] {
            try? FileManager.default.copyItem(at: WhisperFixtures.modelDirectory.appendingPathComponent(name), to: url.appendingPathComponent(name))
        }
        return url
    }

    @Test func missingModelSaysHowToInstall() throws {
        let error = #expect(throws: HarkError.self) { try WhisperModel(directory: URL(fileURLWithPath: "/nonexistent/whisper")) }
        #expect(error?.code == .modelMissing)
        #expect(error?.message.contains("make models") == true)
    }

    @Test(.enabled(if: WhisperFixtures.model != nil))
    func truncatedModelIsCorrupt() throws {
        let folder = try Self.folder("truncated")
        let handle = try FileHandle(forReadingFrom: WhisperFixtures.modelDirectory.appendingPathComponent("model.bin"))
        try handle.readData(ofLength: 5_000_000).write(to: folder.appendingPathComponent("model.bin"))
        let error = #expect(throws: HarkError.self) { try WhisperModel(directory: folder) }
        #expect(error?.code == .modelCorrupt)
        #expect(error?.message.contains("model.bin") == true)
    }

    @Test(.enabled(if: WhisperFixtures.model != nil))
    func unknownDataTypeIsNamed() throws {
        let folder = try Self.folder("dtype")
        // Header, then one variable with dtype 9.
        var bytes: [UInt8] = [6, 0, 0, 0]
        func string(_ s: String) { let b = Array(s.utf8) + [0]; bytes += [UInt8(b.count), 0] + b }
        string("WhisperSpec")
        bytes += [3, 0, 0, 0, 1, 0, 0, 0]
        string("encoder/num_heads")
        bytes += [0, 9, 4, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]
        try Data(bytes).write(to: folder.appendingPathComponent("model.bin"))
        let error = #expect(throws: HarkError.self) { try WhisperModel(directory: folder) }
        #expect(error?.code == .modelCorrupt)
        #expect(error?.message.contains("unknown data type (9)") == true, "\(error?.message ?? "")")
    }

    @Test func emptyAndNonModelFilesAreCorrupt() throws {
        for content in [Data(), Data("not a model".utf8)] {
            let folder = try Self.folder("empty")
            try content.write(to: folder.appendingPathComponent("model.bin"))
            let error = #expect(throws: HarkError.self) { try WhisperModel(directory: folder) }
            #expect(error?.code == .modelCorrupt)
        }
    }
}
