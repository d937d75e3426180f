import Foundation
import HarkAudio
import HarkCore
import HarkWhisper

enum WhisperFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let folder = repository.appendingPathComponent("Tests/Fixtures/whisper")

    static var modelDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        let models = environment["HARK_MODELS_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share").path) + "/hark/models")
        return URL(fileURLWithPath: models).appendingPathComponent("whisper-tiny.en")
    }

    static let model: WhisperModel? = try? WhisperModel(directory: modelDirectory, computeType: .float32)
    static let int8Model: WhisperModel? = try? WhisperModel(directory: modelDirectory, computeType: .int8)
    static let bfloat16Model: WhisperModel? = try? WhisperModel(directory: modelDirectory, computeType: .bfloat16)

    /// The installed tiny.en, loaded once per compute type.
    static func model(_ type: ComputeType) -> WhisperModel? {
        switch type {
        case .int8: int8Model
        case .bfloat16: bfloat16Model
        case .float32, .auto: model
        }
    }

    struct Reference: Decodable {
        struct Decoding: Decodable { var tokens: [Int]; var text: String; var noSpeechProb: [Double]; var avgLogprob: [Double] }
        struct Text: Decodable { var text: String }
        struct File: Decodable {
            var name: String
            var file: String
            var samples: Int
            var featureFrames: Int
            var frames: [Int]
            var greedy: Decoding
            var beam5: Decoding
            /// faster-whisper's with compute_type int8.
            var int8Greedy: Text
            var int8Beam5: Text
            /// The words said, where known.
            var said: String?
        }
        var files: [File]
    }

    static let reference: Reference = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("reference.json"))
        return try! JSONDecoder().decode(Reference.self, from: data)
    }()

    static func file(_ name: String) -> Reference.File { reference.files.first { $0.name == name }! }

    static func audio(_ file: Reference.File) throws -> [Float] {
        try AudioFile.read(path: repository.appendingPathComponent(file.file).path).samples
    }

    /// faster-whisper's features at `file.frames`, frame-major (frames × 80).
    static func features(_ file: Reference.File) throws -> [Float] {
        let data = try Data(contentsOf: folder.appendingPathComponent("\(file.name).features.f32"))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
