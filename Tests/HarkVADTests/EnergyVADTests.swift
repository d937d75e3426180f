import Testing
import HarkCore
@testable import HarkVAD

@Suite struct EnergyVADTests {
    static func chunk(amplitude: Float, seed: inout UInt64) -> [Float] {
        (0..<vadChunkSize).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return amplitude * (Float(seed >> 40) / Float(1 << 24) * 2 - 1)
        }
    }

    @Test func loudBurstsOverSteadyNoiseAreSpeech() throws {
        var vad = EnergyVAD()
        var seed: UInt64 = 1
        var quiet: [Float] = []
        for _ in 0..<100 {
            quiet.append(try Self.chunk(amplitude: 0.003, seed: &seed).withUnsafeBufferPointer { try vad.speechProbability($0) })
        }
        let loud = try Self.chunk(amplitude: 0.2, seed: &seed).withUnsafeBufferPointer { try vad.speechProbability($0) }
        #expect(quiet.suffix(50).allSatisfy { $0 < 0.2 })
        #expect(loud > 0.9)
    }

    @Test func theFloorAdaptsToLouderBackgroundNoise() throws {
        var vad = EnergyVAD()
        var seed: UInt64 = 7
        var probabilities: [Float] = []
        for _ in 0..<(31 * 40) {   // 40 s of constant, fairly loud noise
            probabilities.append(try Self.chunk(amplitude: 0.05, seed: &seed).withUnsafeBufferPointer { try vad.speechProbability($0) })
        }
        #expect(probabilities.first! > 0.5, "at first the noise sounds like speech")
        #expect(probabilities.last! < 0.5, "after a while it is learned as the floor")
    }

    @Test func digitalSilenceIsNotSpeech() throws {
        var vad = EnergyVAD()
        let zeros = [Float](repeating: 0, count: vadChunkSize)
        for _ in 0..<10 {
            #expect(try zeros.withUnsafeBufferPointer { try vad.speechProbability($0) } < 0.01)
        }
    }

    @Test func wrongChunkSizeIsAnError() {
        var vad = EnergyVAD()
        let short = [Float](repeating: 0, count: 100)
        #expect(throws: HarkError.self) { try short.withUnsafeBufferPointer { try vad.speechProbability($0) } }
    }

    @Test func resetForgetsTheLearnedFloor() throws {
        var vad = EnergyVAD()
        var seed: UInt64 = 3
        for _ in 0..<300 { _ = try Self.chunk(amplitude: 0.05, seed: &seed).withUnsafeBufferPointer { try vad.speechProbability($0) } }
        vad.reset()
        #expect(vad.noiseFloor == EnergyVAD.Configuration().initialFloor)
    }
}
