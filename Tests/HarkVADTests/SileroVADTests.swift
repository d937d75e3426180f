import CAllocationCounter
import Foundation
import HarkCore
import Testing
@testable import HarkVAD

/// Parity with onnxruntime running the official `silero_vad.onnx`, on real recordings and on
/// espeak-ng speech in noise (references from scripts/make-silero-reference.py).
@Suite(.enabled(if: SileroFixtures.model != nil, "run `make models` to install the Silero model"))
struct SileroVADTests {
    static let files = SileroFixtures.reference.files.map(\.name)

    @Test(arguments: files)
    func streamingMatchesOnnxruntimeOnEveryChunk(name: String) throws {
        let file = SileroFixtures.reference.files.first { $0.name == name }!
        let audio = try SileroFixtures.audio(file)
        #expect(audio.count == file.samples)
        var vad = SileroVAD(model: SileroFixtures.model!)
        var chunk = [Float](repeating: 0, count: 512)
        var worst: Float = 0, disagreements = 0
        for (i, expected) in file.probabilities.enumerated() {
            let start = i * 512, end = min(audio.count, start + 512)
            for k in 0..<512 { chunk[k] = start + k < end ? audio[start + k] : 0 }
            let p = try chunk.withUnsafeBufferPointer { try vad.speechProbability($0) }
            worst = max(worst, abs(p - expected))
            if (p >= 0.5) != (expected >= 0.5) { disagreements += 1 }
        }
        print("silero streaming \(name): \(file.probabilities.count) chunks, max |Δp| \(worst)")
        #expect(worst <= 1e-4)
        #expect(disagreements == 0)
    }

    @Test(arguments: files)
    func batchMatchesOnnxruntimeOnEveryChunk(name: String) throws {
        let file = SileroFixtures.reference.files.first { $0.name == name }!
        let audio = try SileroFixtures.audio(file)
        var vad = SileroVAD(model: SileroFixtures.model!)
        let probabilities = try audio.withUnsafeBufferPointer { try vad.probabilities(of: $0, batch: 100) }
        #expect(probabilities.count == file.probabilities.count)
        let worst = zip(probabilities, file.probabilities).map { abs($0 - $1) }.max() ?? 1
        print("silero batch \(name): max |Δp| \(worst)")
        #expect(worst <= 1e-4)
        #expect(zip(probabilities, file.probabilities).allSatisfy { ($0 >= 0.5) == ($1 >= 0.5) })
    }

    @Test func noHeapAllocationPerChunkAfterWarmUp() throws {
        try #require(hark_allocations_supported() == 1, "allocation counter is not active")
        var vad = SileroVAD(model: SileroFixtures.model!)
        let chunk = (0..<512).map { Float(sin(Double($0) * 0.05)) * 0.3 }
        var allocations: Int64 = -1
        try chunk.withUnsafeBufferPointer { chunk in
            _ = try vad.speechProbability(chunk)
            hark_allocations_arm()
            for _ in 0..<100 { _ = try vad.speechProbability(chunk) }
            vad.reset()
            _ = try vad.speechProbability(chunk)
            allocations = hark_allocations_disarm()
        }
        #expect(allocations == 0)
    }

    @Test func nonFiniteSamplesAreRefusedAndLeaveTheStateAlone() throws {
        let file = SileroFixtures.reference.files[0]
        let audio = try SileroFixtures.audio(file)
        var vad = SileroVAD(model: SileroFixtures.model!)
        for i in 0..<20 { _ = try audio.withUnsafeBufferPointer { try vad.speechProbability(UnsafeBufferPointer(rebasing: $0[i * 512..<(i + 1) * 512])) } }
        for bad in [Float.nan, .infinity, -.infinity] {
            var chunk = Array(audio[20 * 512..<21 * 512])
            chunk[100] = bad
            let error = #expect(throws: HarkError.self) { _ = try chunk.withUnsafeBufferPointer { try vad.speechProbability($0) } }
            #expect(error?.code == .invalidInput)
        }
        // The refused chunks changed nothing: the next good chunk gives the reference value.
        let p = try audio.withUnsafeBufferPointer { try vad.speechProbability(UnsafeBufferPointer(rebasing: $0[20 * 512..<21 * 512])) }
        #expect(abs(p - file.probabilities[20]) <= 1e-4)
        var batch = Array(audio[0..<4096])
        batch[7] = .nan
        #expect(throws: HarkError.self) { _ = try batch.withUnsafeBufferPointer { try vad.probabilities(of: $0) } }
    }

    @Test func wrongChunkSizeIsAClearError() throws {
        var vad = SileroVAD(model: SileroFixtures.model!)
        let short = [Float](repeating: 0, count: 480)
        let error = #expect(throws: HarkError.self) { _ = try short.withUnsafeBufferPointer { try vad.speechProbability($0) } }
        #expect(error?.message.contains("512") == true)
    }
}

/// The model file's failure modes, each with a message naming the file and the fix.
@Suite struct SileroModelFileTests {
    @Test func missingModelSaysHowToInstall() {
        let error = #expect(throws: HarkError.self) { try SileroModel(path: "/nonexistent/silero_vad_16k_op15.onnx") }
        #expect(error?.code == .modelMissing)
        #expect(error?.message.contains("/nonexistent/silero_vad_16k_op15.onnx") == true)
        #expect(error?.message.contains("make models") == true)
    }

    @Test(.enabled(if: SileroFixtures.model != nil), arguments: [1000, 600_000, 1_289_000])
    func truncatedModelIsCorrupt(keeping bytes: Int) throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: SileroFixtures.modelPath))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("truncated-\(bytes).onnx").path
        try whole.prefix(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: HarkError.self) { try SileroModel(path: path) }
        #expect(error?.code == .modelCorrupt)
        #expect(error?.message.contains(path) == true)
    }

    @Test func aFileThatIsNotAModelIsCorrupt() throws {
        let path = SileroFixtures.repository.appendingPathComponent("Tests/Fixtures/speech.json").path
        let error = #expect(throws: HarkError.self) { try SileroModel(path: path) }
        #expect(error?.code == .modelCorrupt)
    }

    @Test func theSafetensorsCheckpointIsNotAccepted() throws {
        // Some other protobuf with float tensors but not Silero's: named, shaped wrongly.
        var bytes: [UInt8] = []
        func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] { [UInt8(number << 3 | 2), UInt8(payload.count)] + payload }
        let tensor = [0x08, 0x02, 0x10, 0x01] + field(8, Array("model.stft.forward_basis_buffer".utf8)) + field(9, [0, 0, 0, 0, 0, 0, 0, 0])
        bytes = field(7, field(5, tensor))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wrong-shape.onnx").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: HarkError.self) { try SileroModel(path: path) }
        #expect(error?.code == .modelCorrupt)
        #expect(error?.message.contains("shape [2]") == true, "\(error?.message ?? "")")
    }
}

@Suite struct ONNXTensorsTests {
    @Test func readsRawAndPackedFloatTensorsAndSkipsOthers() throws {
        func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] { [UInt8(number << 3 | 2), UInt8(payload.count)] + payload }
        func floats(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
        let raw = [0x08, 0x02, 0x08, 0x01, 0x10, 0x01] + field(8, Array("a".utf8)) + field(9, floats([1.5, -2]))
        let packed = field(1, [0x03]) + [0x10, 0x01] + field(4, floats([1, 2, 3])) + field(8, Array("b".utf8))
        let int64 = [0x08, 0x01, 0x10, 0x07] + field(8, Array("c".utf8)) + field(9, Array(repeating: 0, count: 8))
        let model = [0x08, 0x08] + field(7, field(5, raw) + field(5, packed) + field(5, int64))
        let tensors = try ONNXTensors(bytes: model)
        #expect(tensors.tensors["a"]?.shape == [2, 1])
        #expect(tensors.tensors["a"]?.values == [1.5, -2])
        #expect(tensors.tensors["b"]?.values == [1, 2, 3])
        #expect(tensors.tensors["c"] == nil)
    }

    /// Dimensions whose product overflows (three of 2^31) or that are negative once trapped.
    @Test func impossibleShapesAreAnErrorNotACrash() throws {
        func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] { [UInt8(number << 3 | 2), UInt8(payload.count)] + payload }
        let big: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x08]   // varint 2^31
        let negative: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]   // -1 as int64
        // A data type past Int.max (found by make fuzz) trapped converting it.
        let hugeType = field(8, Array("t".utf8)) + [0x10] + [0xFB, 0xBD, 0xFE, 0x9E, 0xB5, 0xF7, 0xFF, 0xFF, 0xC0, 0x01]
        let parsed = try ONNXTensors(bytes: field(7, field(5, hugeType)))
        #expect(parsed.tensors.isEmpty)
        for dims in [big + big + big, negative] {
            let tensor = field(1, dims) + [0x10, 0x01] + field(8, Array("x".utf8)) + field(9, [0, 0, 0, 0])
            #expect(throws: ONNXFormatError.self) { try ONNXTensors(bytes: field(7, field(5, tensor))) }
        }
    }

    @Test func truncatedInputIsAnErrorNotACrash() {
        for bytes: [UInt8] in [[0x3A, 0x10, 0x01], [0x3A], [0x80], [0x3A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0x0F]] {
            #expect(throws: ONNXFormatError.self) { try ONNXTensors(bytes: bytes) }
        }
    }
}

/// `make test` sets HARK_REQUIRE_MODELS=1: there, a missing model fails the run instead of
/// quietly skipping every test that needs it.
@Suite struct ModelPresenceTests {
    @Test func theModelIsInstalledWhenTheRunRequiresIt() throws {
        guard ProcessInfo.processInfo.environment["HARK_REQUIRE_MODELS"] == "1" else { return }
        #expect(SileroFixtures.model != nil, "no usable model at \(SileroFixtures.modelPath)")
    }
}
