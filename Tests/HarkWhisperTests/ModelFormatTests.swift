import Foundation
import HarkCore
import Testing
@testable import HarkWhisper

/// Other CTranslate2 layouts, made from the tiny.en we have: float32 and int8 (per-row scales)
/// copies of model.bin, and a multilingual vocabulary for the prompt.
@Suite(.enabled(if: WhisperFixtures.model != nil, "run `make models` to install Whisper tiny.en"))
struct ModelFormatTests {
    /// Rewrites model.bin with every float16 tensor as float32, or (int8) every 2-D weight as
    /// int8 with a `weight_scale` per row, as CTranslate2's converter writes them.
    static func rewrite(as target: String) throws -> URL {
        let source = WhisperFixtures.modelDirectory
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hark-\(target)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["config.json", "vocabulary.txt"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let file = try CT2ModelFile(path: source.appendingPathComponent("model.bin").path)
        var out: [UInt8] = []
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out += $0 } }
        func string(_ s: String) { let b = Array(s.utf8) + [0]; withUnsafeBytes(of: UInt16(b.count).littleEndian) { out += $0 }; out += b }
        func floats(_ values: [Float]) { for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } } }
        u32(6); string("WhisperSpec"); u32(3)
        var entries: [(String, [Int], UInt8, [UInt8])] = []
        for (name, variable) in file.variables.sorted(by: { $0.key < $1.key }) where name != "decoder/projection/weight" {
            let values = try file.floats(name)
            var bytes: [UInt8] = []
            if variable.dtype != .float16 {
                // Settings (rank 0, int8/int16): keep them as they were.
                let whole = try Data(contentsOf: source.appendingPathComponent("model.bin"))
                bytes = Array(whole[variable.offset..<(variable.offset + variable.byteCount)])
                entries.append((name, variable.shape, variable.dtype.rawValue, bytes))
            } else if target == "int8" && variable.shape.count == 2 && name.hasSuffix("weight") {
                let rows = variable.shape[0], columns = variable.shape[1]
                var scales: [Float] = []
                for r in 0..<rows {
                    let row = values[(r * columns)..<((r + 1) * columns)]
                    let scale = 127 / max(row.map(abs).max() ?? 1, 1e-8)
                    scales.append(scale)
                    bytes += row.map { UInt8(bitPattern: Int8(max(-127, min(127, ($0 * scale).rounded())))) }
                }
                entries.append((name, variable.shape, 1, bytes))
                var scaleBytes: [UInt8] = []
                for s in scales { withUnsafeBytes(of: s.bitPattern.littleEndian) { scaleBytes += $0 } }
                entries.append((name + "_scale", [rows], 0, scaleBytes))
            } else {
                for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
                entries.append((name, variable.shape, 0, bytes))
            }
        }
        u32(entries.count)
        for (name, shape, dtype, bytes) in entries {
            string(name)
            out.append(UInt8(shape.count))
            for d in shape { u32(d) }
            out.append(dtype)
            u32(bytes.count)
            out += bytes
        }
        u32(1); string("decoder/projection/weight"); string("decoder/embeddings/weight")
        _ = floats
        try Data(out).write(to: folder.appendingPathComponent("model.bin"))
        return folder
    }

    @Test func float32ModelGivesTheSameTokens() async throws {
        let model = try WhisperModel(directory: try Self.rewrite(as: "float32"), computeType: .float32)
        let file = WhisperFixtures.file("beckett")
        let audio = try WhisperFixtures.audio(file)
        let result = try await onOwnThread { try WhisperTranscriber(model: model).transcribe(audio) }
        #expect(result.tokens == file.greedy.tokens)
    }

    /// An int8 model file, computed in float32 (weights widened) and in int8 (its own int8
    /// weights and scales packed as they are, not quantized a second time).
    @Test(arguments: [ComputeType.float32, .int8])
    func int8ModelLoadsAndStillHearsTheWords(computeType: ComputeType) async throws {
        let model = try WhisperModel(directory: try Self.rewrite(as: "int8"), computeType: computeType)
        let file = WhisperFixtures.file("beckett")
        let audio = try WhisperFixtures.audio(file)
        let result = try await onOwnThread { try WhisperTranscriber(model: model).transcribe(audio) }
        print("int8 beckett (\(computeType)): \(result.text)")
        #expect(result.text.lowercased().contains("fail better"), "\(result.text)")
    }

    @Test func multilingualVocabularyTakesLanguageAndTaskTokens() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hark-multi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A 51865-token vocabulary laid out as multilingual Whisper's: EOT 50257, SOT 50258, then languages.
        var lines = (0..<50257).map { "t\($0)" } + ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|zh|>"]
        lines += (0..<(50358 - lines.count)).map { "<|l\($0)|>" }
        lines += ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>", "<|notimestamps|>"]
        lines += (0..<(51865 - lines.count)).map { String(format: "<|%.2f|>", Double($0) * 0.02) }
        try lines.joined(separator: "\n").write(to: folder.appendingPathComponent("vocabulary.txt"), atomically: true, encoding: .utf8)
        let tokens = try WhisperTokens(directory: folder, vocabularySize: 51865)
        #expect(tokens.isMultilingual)
        #expect(tokens.endOfText == 50257 && tokens.startOfTranscript == 50258)
        #expect(tokens.prompt() == [50258, 50259, 50359, 50363])
        #expect(tokens.timestampBegin == 50364)
        #expect(tokens.noSpeech == 50362)

        // The same vocabulary as CTranslate2's vocabulary.json (a JSON array), the only one there.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("vocabulary.txt"))
        try JSONEncoder().encode(lines).write(to: folder.appendingPathComponent("vocabulary.json"))
        let fromJSON = try WhisperTokens(directory: folder, vocabularySize: 51865)
        #expect(fromJSON.prompt() == tokens.prompt() && fromJSON.timestampBegin == tokens.timestampBegin)
        #expect(fromJSON.text([0, 1]) == tokens.text([0, 1]))

        // Neither file, or a JSON that is not a token array: errors that say what to do.
        try Data("{\"t0\": 0}".utf8).write(to: folder.appendingPathComponent("vocabulary.json"))
        #expect(throws: HarkError.self) { try WhisperTokens(directory: folder, vocabularySize: 51865) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("vocabulary.json"))
        do {
            _ = try WhisperTokens(directory: folder, vocabularySize: 51865)
            Issue.record("a folder without a vocabulary was taken")
        } catch {
            #expect(error.code == .modelMissing && error.message.contains("vocabulary.json"), "\(error.message)")
        }
    }

    /// tiny.en read from a vocabulary.json written from its vocabulary.txt hears the same tokens.
    @Test func aModelWithOnlyVocabularyJSONTranscribesTheSame() async throws {
        let installed = WhisperFixtures.modelDirectory
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hark-vocab-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["model.bin", "config.json"] {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name), withDestinationURL: installed.appendingPathComponent(name))
        }
        var lines = try String(contentsOf: installed.appendingPathComponent("vocabulary.txt"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        try JSONEncoder().encode(lines).write(to: folder.appendingPathComponent("vocabulary.json"))
        let audio = try WhisperFixtures.audio(WhisperFixtures.file("beckett"))
        let original = try await onOwnThread { try WhisperTranscriber(model: WhisperModel(directory: installed, computeType: .float32)).transcribe(audio) }
        let fromJSON = try await onOwnThread { try WhisperTranscriber(model: WhisperModel(directory: folder, computeType: .float32)).transcribe(audio) }
        #expect(fromJSON.tokens == original.tokens && fromJSON.text == original.text, "\(fromJSON.text)")
    }
}
