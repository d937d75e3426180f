import Foundation
import HarkAudio
import HarkVAD

enum SileroFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let folder = repository.appendingPathComponent("Tests/Fixtures/vad")

    /// Where scripts/install-models.sh puts the model (same rule as Hark's `ModelDirectory`).
    static var modelPath: String {
        let environment = ProcessInfo.processInfo.environment
        let models = environment["HARK_MODELS_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share").path) + "/hark/models")
        return models + "/" + SileroModel.fileName
    }

    static let model: SileroModel? = try? SileroModel(path: modelPath)

    struct Reference: Decodable {
        struct Region: Decodable, Equatable { var start: Int; var end: Int }
        struct File: Decodable {
            var name: String
            var file: String
            var samples: Int
            var probabilities: [Float]
            var timestamps: [Region]
            var customTimestamps: [Region]
        }
        struct Custom: Decodable {
            var threshold: Double
            var neg_threshold: Double
            var min_speech_duration_ms: Double
            var min_silence_duration_ms: Double
            var speech_pad_ms: Double
            var max_speech_duration_s: Double
        }
        var custom: Custom
        var files: [File]
    }

    static let reference: Reference = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("reference.json"))
        return try! JSONDecoder().decode(Reference.self, from: data)
    }()

    static func audio(_ file: Reference.File) throws -> [Float] {
        let (samples, format) = try AudioFile.read(path: folder.appendingPathComponent(file.file).path)
        precondition(format.sampleRate == 16_000 && format.channels == 1)
        return samples
    }
}
