import Testing
@testable import HarkWhisper

@Suite struct LogMelTests {
    static let names = WhisperFixtures.reference.files.map(\.name)

    @Test(arguments: names)
    func featuresMatchFasterWhisper(name: String) throws {
        let file = WhisperFixtures.file(name)
        let audio = try WhisperFixtures.audio(file)
        #expect(audio.count == file.samples)
        let mel = LogMelSpectrogram()
        let (values, frames) = try mel.features(of: audio)
        #expect(frames == file.featureFrames)
        let window = mel.window(values, frames: frames)
        let expected = try WhisperFixtures.features(file)
        var worst: Float = 0
        for (row, frame) in file.frames.enumerated() {
            for m in 0..<80 { worst = max(worst, abs(window[frame * 80 + m] - expected[row * 80 + m])) }
        }
        print("log-mel \(name): max |Δ| \(worst) over \(file.frames.count) frames × 80")
        #expect(worst <= 1e-3)
    }
}
