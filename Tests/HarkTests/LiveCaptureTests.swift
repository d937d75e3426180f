import Foundation
import HarkAudio
import HarkCore
import Testing
@testable import Hark

/// Through the real parts: a PulseAudio null sink as the microphone, PortAudio's callback, the
/// ring, soxr, the detector, the segmenter and the session folder.
@Suite(.serialized, .timeLimit(.minutes(2))) struct LiveCaptureTests {
    init() async throws { try await VirtualMicrophone.start() }

    @Test func speechPlayedIntoTheMicrophoneIsCutAtTheKnownSentences() async throws {
        let root = try Fixtures.temporaryFolder("live")
        var configuration = RecorderConfiguration()
        configuration.transcription = nil   // not transcribed unless a test says so
        configuration.input = .device(.systemDefault)
        configuration.sessionsDirectory = root
        configuration.keepAudio = true   // the default detector: Silero
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let log = EventLog(recorder.events)
        let saved = recorder.events
        try await recorder.start()
        try await VirtualMicrophone.play(Fixtures.speech)
        // The last sentence is saved once its hangover has passed after playback ends.
        var count = 0
        for try await event in saved where event.name == "segmentSaved" {
            count += 1
            if count == 4 { break }
        }
        let summary = try await recorder.stop()
        let folder = URL(fileURLWithPath: summary.sessionPath)

        let events = try await log.events
        #expect(!events.contains { $0.name == "audioDropped" }, "no audio dropped")
        guard case .recordingStarted(let started) = events.first else { Issue.record("no recordingStarted"); return }
        #expect(started.inputFormat.sampleRate != 16_000 || started.inputFormat.channels != 1,
                "the device's own format is captured and converted (\(started.inputFormat))")

        // Where the played file begins inside the recording (paplay and PulseAudio add latency).
        let source = try AudioFile.read(path: Fixtures.speech).samples
        let recording = try AudioFile.read(path: folder.appendingPathComponent("recording.wav").path).samples
        let lag = Signal.offset(of: source, in: recording, maximum: 5 * 16_000)
        let delay = Double(lag) / 16_000

        let known = try Fixtures.speechRegions()
        let manifest = try Fixtures.manifest(in: folder)
        #expect(manifest.segments.count == known.count)
        for (segment, region) in zip(manifest.segments, known) {
            #expect(abs(segment.speechStart - delay - region.start) < 0.15,
                    "segment \(segment.id) starts at \(segment.speechStart - delay), expected \(region.start)")
            #expect(abs(segment.speechEnd - delay - region.end) < 0.15,
                    "segment \(segment.id) ends at \(segment.speechEnd - delay), expected \(region.end)")
            let samples = try AudioFile.read(path: folder.appendingPathComponent(segment.file).path).samples
            let r = Signal.envelopeMatch(samples, in: source, near: Int((segment.audioStart * 16_000).rounded()) - lag)
            #expect(r > 0.98, "segment \(segment.id)'s envelope correlates \(r) with the source")
            print("live segment \(segment.id): start \(String(format: "%+.3f", segment.speechStart - delay - region.start)) s, end \(String(format: "%+.3f", segment.speechEnd - delay - region.end)) s, envelope correlation \(String(format: "%.4f", r))")
        }
    }

    @Test func aDeviceThatDoesNotExistIsAClearError() async throws {
        var configuration = RecorderConfiguration()
        configuration.transcription = nil   // not transcribed unless a test says so
        configuration.input = .device(.nameContaining("no such microphone"))
        configuration.sessionsDirectory = try Fixtures.temporaryFolder("nodevice")
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let error = await #expect(throws: HarkError.self) { try await recorder.start() }
        #expect(error?.code == .deviceNotFound)
        #expect(error?.message.contains("Inputs are:") == true, "the error lists the inputs there are")
        #expect(await recorder.sessionURL == nil)
    }
}
