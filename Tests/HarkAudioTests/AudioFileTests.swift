import Foundation
import Testing
@testable import HarkAudio
@testable import HarkCore

enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let speech = folder.appendingPathComponent("speech.wav").path

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hark-audio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

@Suite struct AudioFileTests {
    @Test func readsTheSpeechFixture() throws {
        let (samples, format) = try AudioFile.read(path: Fixtures.speech)
        #expect(format == .speech)
        #expect(abs(Double(samples.count) / 16_000 - 16.15) < 0.1)
    }

    @Test func wavEncoderRoundTripsThroughLibsndfile() throws {
        let tone = (0..<16_000).map { Float(sin(Double($0) * 2 * .pi * 440 / 16_000) * 0.5) }
        let bytes = try WAVEncoder.pcm16(tone)
        #expect(Array(bytes[0..<4]) == Array("RIFF".utf8))
        let folder = try Fixtures.temporaryFolder()
        let path = folder.appendingPathComponent("tone.wav").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let (back, format) = try AudioFile.read(path: path)
        #expect(format == .speech)
        #expect(back.count == tone.count)
        #expect(zip(back, tone).allSatisfy { abs($0 - $1) < 1.0 / 16_000 })
    }

    @Test func converts48kStereoTo16kMonoKeepingPitchAndLevel() throws {
        // A 1 kHz tone in both channels at 48 kHz must stay a 1 kHz tone at 16 kHz.
        let frames = 48_000
        var interleaved = [Float](repeating: 0, count: frames * 2)
        for i in 0..<frames {
            let v = Float(sin(Double(i) * 2 * .pi * 1000 / 48_000) * 0.5)
            interleaved[2 * i] = v
            interleaved[2 * i + 1] = v
        }
        let converter = try SpeechConverter(from: AudioFormat(sampleRate: 48_000, channels: 2))
        var out: [Float] = []
        // Feed in uneven blocks, as a device would.
        var offset = 0
        for block in [960, 1024, 2, 4410].cycled(until: interleaved.count) {
            let n = min(block, interleaved.count - offset)
            try interleaved[offset..<offset + n].withUnsafeBufferPointer { try converter.convert($0, into: &out) }
            offset += n
        }
        try converter.flush(into: &out)
        #expect(abs(out.count - 16_000) <= 2)
        let middle = out[2000..<14_000]
        let rms = (middle.reduce(0) { $0 + $1 * $1 } / Float(middle.count)).squareRoot()
        #expect(abs(rms - Float(0.5 / 2.0.squareRoot())) < 0.01)
        var crossings = 0
        for i in middle.indices.dropFirst() where (middle[i - 1] < 0) != (middle[i] < 0) { crossings += 1 }
        #expect(abs(crossings - 1500) <= 4, "12 000 samples of 1 kHz at 16 kHz cross zero 1500 times")
    }

    @Test func nonAudioFileGetsAClearError() throws {
        let folder = try Fixtures.temporaryFolder()
        let path = folder.appendingPathComponent("notes.wav").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("just text, not audio\n".utf8))
        let error = try #require(throws: HarkError.self) { try FileAudioSource(path: path, pacing: .asFastAsPossible) }
        #expect(error.code == .unreadableAudio)
        #expect(error.message.contains(path))
    }

    @Test func missingFileGetsAClearError() throws {
        let error = try #require(throws: HarkError.self) { try AudioFile.read(path: "/nonexistent/x.wav") }
        #expect(error.code == .unreadableAudio)
        #expect(error.message.contains("/nonexistent/x.wav"))
    }

    @Test func realTimePacingDeliversNoFasterThanTheClock() throws {
        let source = try FileAudioSource(path: Fixtures.speech, pacing: .realTime)
        try source.start()
        var buffer = [Float](repeating: 0, count: 16_000)
        let began = ContinuousClock.now
        var delivered = 0
        while ContinuousClock.now - began < .milliseconds(300) {
            if case .samples(let n) = try buffer.withUnsafeMutableBufferPointer({ try source.read(into: $0) }) {
                delivered += n
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        let elapsed = ContinuousClock.now - began
        #expect(Double(delivered) <= 16_000 * (Double(elapsed.components.attoseconds) * 1e-18 + Double(elapsed.components.seconds)) + 1)
        #expect(delivered > 0)
    }

    @Test func recordingWriterKeepsAValidFileAfterEveryAppend() throws {
        let folder = try Fixtures.temporaryFolder()
        let path = folder.appendingPathComponent("recording.wav").path
        let writer = try RecordingFileWriter(path: path)
        let block = [Float](repeating: 0.1, count: 16_000)
        try block.withUnsafeBufferPointer { try writer.append($0) }
        // Read while the writer is still open, as after a crash: the header already counts the audio.
        let (back, _) = try AudioFile.read(path: path)
        #expect(back.count == 16_000)
    }
}

extension Array where Element == Int {
    /// Repeats the block sizes until they add up to at least `total`.
    func cycled(until total: Int) -> [Int] {
        var out: [Int] = []
        var sum = 0
        while sum < total {
            for b in self where sum < total { out.append(b); sum += b }
        }
        return out
    }
}
