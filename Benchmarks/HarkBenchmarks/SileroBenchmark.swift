import CAllocationCounter
import Foundation
import HarkAudio
import HarkBLAS
import HarkVAD

/// Silero VAD cost per 32 ms chunk: streaming (one call per chunk, as the recorder runs it) and
/// the batch path, on a 16 kHz file, single-threaded. Prints one JSON line for `make bench-silero`
/// to set beside onnxruntime's figure from the same run.
enum SileroBenchmark {
    static func run(model path: String, file: String, repeats: Int = 7) throws {
        let model = try SileroModel(path: path)
        let (samples, fileFormat) = try AudioFile.read(path: file)
        guard fileFormat.sampleRate == 16_000, fileFormat.channels == 1 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(file) must be 16 kHz mono"])
        }
        let chunks = samples.count / 512
        var vad = SileroVAD(model: model)
        var streaming: [Double] = [], batch: [Double] = []
        var allocations: Int64 = -1
        try samples.withUnsafeBufferPointer { audio in
            for run in 0..<repeats {
                vad.reset()
                _ = try vad.speechProbability(UnsafeBufferPointer(rebasing: audio[0..<512]))   // warm-up
                vad.reset()
                if run == 0 { hark_allocations_arm() }
                let start = monotonicNanoseconds()
                for i in 0..<chunks {
                    _ = try vad.speechProbability(UnsafeBufferPointer(rebasing: audio[i * 512..<(i + 1) * 512]))
                }
                let elapsed = monotonicNanoseconds() - start
                if run == 0 { allocations = hark_allocations_disarm() }
                streaming.append(Double(elapsed) / 1000 / Double(chunks))

                let batchStart = monotonicNanoseconds()
                _ = try vad.probabilities(of: UnsafeBufferPointer(rebasing: audio[0..<chunks * 512]))
                batch.append(Double(monotonicNanoseconds() - batchStart) / 1000 / Double(chunks))
            }
        }
        let allocationsPerChunk = hark_allocations_supported() == 1 ? String(Double(allocations) / Double(chunks)) : "null"
        print("""
            {"implementation": "hark-swift", "blas": "\(BLAS.coreName)", "file": "\(file)", "chunks": \(chunks), \
            "streaming_us_per_chunk": \(format(percentile(streaming, 0.5), 2)), \
            "streaming_runs": [\(streaming.map { format($0, 2) }.joined(separator: ", "))], \
            "batch_us_per_chunk": \(format(percentile(batch, 0.5), 2)), \
            "batch_runs": [\(batch.map { format($0, 2) }.joined(separator: ", "))], \
            "streaming_allocations_per_chunk": \(allocationsPerChunk)}
            """)
    }
}
