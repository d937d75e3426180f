import Foundation
import Hark
import HarkAudio
import HarkCore

/// The consumer side of a recording — conversion to 16 kHz mono, VAD, segmenter, segment files,
/// manifest, events — run on a file in the device's format as fast as possible. CPU seconds per
/// second of audio is the share of one core a live recording of that format needs. Reference in
/// the same run: the soxr conversion alone, which any recorder of this format must do.
enum ConsumerBenchmark {
    static let repeats = 5

    static func run(file: String) async throws {
        let source = try FileAudioSource(path: file, pacing: .asFastAsPossible)
        let (samples, fileFormat) = try AudioFile.read(path: file)
        let seconds = Double(samples.count / fileFormat.channels) / fileFormat.sampleRate
        print("consumer: \(file) (\(source.format)), \(format(seconds, 2)) s of audio")

        var pipeline: [Double] = [], conversion: [Double] = []
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hark-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for _ in 0..<repeats {
            var configuration = RecorderConfiguration()
            configuration.transcription = nil   // capture alone is measured
            configuration.input = .file(path: file, pacing: .asFastAsPossible)
            configuration.sessionsDirectory = root
            configuration.vadMode = .energy
            let recorder = AsyncRecorderBackend(configuration: configuration)
            let events = recorder.events
            let drain = Task { for try await event in events { if event.name == "recordingStopped" { break } } }
            let before = processCPUTime()
            try await recorder.start()
            _ = await recorder.waitUntilFinished()
            try await drain.value
            pipeline.append(processCPUTime() - before)

            let before2 = threadCPUTime()
            try convertOnly(file)
            conversion.append(threadCPUTime() - before2)
        }
        let p = percentile(pipeline, 0.5), c = percentile(conversion, 0.5)
        print("  whole consumer, process CPU: \(format(p * 1000)) ms per run (runs \(pipeline.map { format($0 * 1000) }.joined(separator: ", ")))")
        print("  soxr conversion alone:       \(format(c * 1000)) ms per run")
        print("  consumer share of one core while recording live: \(format(p / seconds * 100, 2)) % (conversion alone \(format(c / seconds * 100, 2)) %)")
        print("  consumer/conversion ratio: \(format(p / c, 2))×")
    }

    private static func convertOnly(_ file: String) throws {
        let source = try FileAudioSource(path: file, pacing: .asFastAsPossible)
        let converter = try SpeechConverter(from: source.format)
        try source.start()
        var buffer = [Float](repeating: 0, count: 4096 * source.format.channels)
        var out: [Float] = []
        out.reserveCapacity(32_768)
        while case .samples(let n) = try buffer.withUnsafeMutableBufferPointer({ try source.read(into: $0) }) {
            try buffer.withUnsafeBufferPointer { try converter.convert(UnsafeBufferPointer(rebasing: $0[0..<n]), into: &out) }
            out.removeAll(keepingCapacity: true)
        }
        try converter.flush(into: &out)
    }
}
