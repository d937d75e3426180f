import CAllocationCounter
import Foundation
import HarkBLAS
import HarkCore
import HarkTestSupport
import Testing
@testable import HarkWhisper

/// int8 and bfloat16 against faster-whisper's int8 on the same files: they must hear no worse
/// (words said vs words heard, over the fixtures whose words are known). The wider accuracy set,
/// where "within 0.5 points of float32" can be told apart from one word, is `make bench-whisper`'s.
@Suite(.enabled(if: WhisperFixtures.model != nil, "run `make models` to install Whisper tiny.en"))
struct ComputeTypeTests {
    @Test(arguments: [ComputeType.int8, .bfloat16], [1, 5])
    func hearsNoWorseThanFasterWhisperInt8(type: ComputeType, beam: Int) async throws {
        let model = try #require(WhisperFixtures.model(type))
        #expect(model.computeType == type)
        var options = WhisperOptions()
        options.beamSize = beam
        let settings = options
        var errors = 0, reference = 0, words = 0
        for file in WhisperFixtures.reference.files {
            guard let said = file.said else { continue }
            let audio = try WhisperFixtures.audio(file)
            let heard = try await onOwnThread { try WhisperTranscriber(model: model).transcribe(audio, options: settings) }.text
            let fasterWhisper = beam == 1 ? file.int8Greedy.text : file.int8Beam5.text
            print("\(type) beam \(beam) \(file.name): \(heard)")
            errors += TestSupport.wordErrors(heard: heard, said: said).errors
            reference += TestSupport.wordErrors(heard: fasterWhisper, said: said).errors
            words += TestSupport.wordErrors(heard: heard, said: said).words
        }
        #expect(words > 50)
        #expect(errors <= reference, "\(type) beam \(beam): \(errors) word errors, faster-whisper int8 \(reference), of \(words)")
    }

    @Test func autoIsTheFastestAccurateTypeForTheBeam() {
        let greedy = WhisperModel.resolve(.auto, beamSize: 1), beam = WhisperModel.resolve(.auto, beamSize: 5)
        let avx2Only = !PackedMatrix.isAccelerated(.int8) && !PackedMatrix.isAccelerated(.bfloat16) && PackedMatrix.hasSIMDInt8
        if avx2Only {
            // Through AVX2, int8 is the fast type and heard the set best, greedy and beam.
            #expect(greedy == .int8 && beam == .int8)
        } else {
            #expect(greedy != .int8, "with VNNI, greedy int8 was the one type that heard worse")
            #expect(greedy == (PackedMatrix.isAccelerated(.bfloat16) ? .bfloat16 : .float32))
        }
        if PackedMatrix.isAccelerated(.int8) { #expect(beam == .int8) }
        for type in [ComputeType.float32, .int8, .bfloat16] { #expect(WhisperModel.resolve(type, beamSize: 5) == type) }
    }
}

/// A decoding step with the packed kernels allocates nothing: its buffers, caches and scratch are
/// the decoder's, made once per window, and its splits over threads go through the kernels' own
/// pool (counted on the calling thread, greedy and beam 5). float32's OpenBLAS and Dispatch paths
/// still allocate (13 per step measured) and are not held to it.
@Suite(.enabled(if: WhisperFixtures.model != nil, "run `make models` to install Whisper tiny.en"))
struct DecoderAllocationTests {
    @Test(arguments: [ComputeType.int8, .bfloat16], [1, 5])
    func aStepAllocatesNothing(type: ComputeType, hypotheses: Int) async throws {
        try #require(hark_allocations_supported() == 1, "allocation counter is not active")
        let model = try #require(WhisperFixtures.model(type))
        let allocations = try await onOwnThread { Self.allocations(model, hypotheses: hypotheses) }
        #expect(allocations == 0, "\(type), \(hypotheses) hypotheses: \(allocations) allocations in 8 steps")
    }

    static func allocations(_ model: WhisperModel, hypotheses: Int) -> Int64 {
        let encoded = [Float](repeating: 0.1, count: WhisperEncoder.outputFrames * model.dModel)
        var decoder = WhisperDecoder(model: model, encoded: encoded, threads: 2, capacity: hypotheses)
        decoder.step([model.tokens.startOfTranscript])
        decoder.reorder([Int](repeating: 0, count: hypotheses))
        let tokens = [Int](repeating: 262, count: hypotheses), parents = Array(0..<hypotheses)
        decoder.step(tokens)   // thread pools and lazily made state warm up first
        hark_allocations_arm()
        for _ in 0..<8 {
            decoder.step(tokens)
            decoder.reorder(parents)
        }
        return hark_allocations_disarm()
    }
}
