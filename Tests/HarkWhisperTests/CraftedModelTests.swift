import Foundation
import HarkCore
import Testing
@testable import HarkWhisper

/// model.bin files crafted to break a loader that trusts them (README invites any faster-whisper
/// folder): each must be refused as `modelCorrupt` before a kernel runs, never trap or overflow.
@Suite(.enabled(if: WhisperFixtures.model != nil, "run `make models` to install Whisper tiny.en"))
struct CraftedModelTests {
    typealias Entry = (name: String, shape: [Int], dtype: UInt8, bytes: [UInt8])

    /// tiny.en's tensors as stored.
    static func entries() throws -> [Entry] {
        let path = WhisperFixtures.modelDirectory.appendingPathComponent("model.bin").path
        let file = try CT2ModelFile(path: path)
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return file.variables.sorted { $0.key < $1.key }.filter { $0.key != "decoder/projection/weight" }.map { name, v in
            (name, v.shape, v.dtype.rawValue, Array(whole[v.offset..<(v.offset + v.byteCount)]))
        }
    }

    /// A model folder whose model.bin holds `entries`, written as CTranslate2 lays them out.
    static func folder(_ entries: [Entry]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hark-crafted-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["config.json", "vocabulary.txt"] {
            try FileManager.default.copyItem(at: WhisperFixtures.modelDirectory.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        var out: [UInt8] = []
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { out += $0 } }
        func string(_ s: String) { let b = Array(s.utf8) + [0]; withUnsafeBytes(of: UInt16(b.count).littleEndian) { out += $0 }; out += b }
        u32(6); string("WhisperSpec"); u32(3)
        u32(entries.count)
        for entry in entries {
            string(entry.name)
            out.append(UInt8(entry.shape.count))
            for d in entry.shape { u32(d) }
            out.append(entry.dtype)
            u32(entry.bytes.count)
            out += entry.bytes
        }
        u32(0)
        try Data(out).write(to: folder.appendingPathComponent("model.bin"))
        return folder
    }

    static func refused(_ change: (inout [Entry]) -> Void) throws -> String {
        var entries = try entries()
        change(&entries)
        let folder = try folder(entries)
        let error = try #require(throws: HarkError.self) { try WhisperModel(directory: folder) }
        #expect(error.code == .modelCorrupt, "\(error)")
        return error.message
    }

    static func replace(_ entries: inout [Entry], _ name: String, shape: [Int], dtype: UInt8 = 4, bytes: [UInt8]? = nil) {
        let index = entries.firstIndex { $0.name == name }!
        let size = [0: 4, 1: 1, 4: 2][Int(dtype)] ?? 4
        entries[index] = (name, shape, dtype, bytes ?? [UInt8](repeating: 0, count: shape.reduce(1, *) * size))
    }

    @Test func zeroHeads() throws {
        let message = try Self.refused { entries in
            let index = entries.firstIndex { $0.name == "encoder/num_heads" }!
            entries[index].bytes = [UInt8](repeating: 0, count: entries[index].bytes.count)
        }
        #expect(message.contains("heads"), "\(message)")
    }

    @Test func aLayerNarrowerThanTheModel() throws {
        // Before: the kernels wrote a 384-wide row into a 383-wide weight's products (heap overflow).
        let message = try Self.refused { Self.replace(&$0, "decoder/layer_2/ffn/linear_1/weight", shape: [384, 1535]) }
        #expect(message.contains("decoder/layer_2/ffn/linear_1"), "\(message)")
        _ = try Self.refused { Self.replace(&$0, "encoder/layer_1/self_attention/linear_0/bias", shape: [1151]) }
    }

    @Test func dimensionsWhoseProductOverflows() throws {
        let message = try Self.refused { Self.replace(&$0, "encoder/conv1/bias", shape: [1 << 31, 1 << 31, 1 << 31], bytes: [0, 0, 0, 0]) }
        #expect(message.contains("encoder/conv1/bias"), "\(message)")
    }

    @Test func aRankZeroInt8Table() throws {
        _ = try Self.refused { Self.replace(&$0, "decoder/embeddings/weight", shape: [], dtype: 1, bytes: [1]) }
    }

    @Test func aPositionTableOfTheWrongShape() throws {
        _ = try Self.refused { Self.replace(&$0, "decoder/position_encodings/encodings", shape: [10, 384], dtype: 0) }
        _ = try Self.refused { Self.replace(&$0, "encoder/position_encodings/encodings", shape: [1500, 383], dtype: 0) }
    }

    @Test func anEmptyOrTruncatedFile() throws {
        let folder = try Self.folder([])
        for bytes in [[UInt8](), [6, 0, 0, 0]] {
            try Data(bytes).write(to: folder.appendingPathComponent("model.bin"))
            let error = try #require(throws: HarkError.self) { try WhisperModel(directory: folder) }
            #expect(error.code == .modelCorrupt, "\(error)")
        }
    }

    @Test func theUntouchedCopyStillLoads() throws {
        _ = try WhisperModel(directory: try Self.folder(try Self.entries()))
    }
}
