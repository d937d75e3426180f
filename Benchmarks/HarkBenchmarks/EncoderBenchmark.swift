import Foundation
import HarkAudio
import HarkCore
@_spi(Benchmarks) import HarkWhisper

/// One 30 s encoder window: wall time (median of `repeats` after a warm-up) and where it goes,
/// per stage summed over layers. scripts/bench-encoder-fw.py times CTranslate2's encoder beside it.
enum EncoderBenchmark {
    static func run(model directory: String, file: String, threads: Int, computeType: ComputeType, repeats: Int = 9) throws {
        let model = try WhisperModel(directory: URL(fileURLWithPath: directory), computeType: computeType)
        let transcriber = WhisperTranscriber(model: model)
        let (samples, _) = try AudioFile.read(path: file)
        try transcriber.profileEncoder(samples, threads: threads, profile: EncoderProfile())
        var runs: [EncoderProfile] = []
        for _ in 0..<repeats {
            let profile = EncoderProfile()
            try transcriber.profileEncoder(samples, threads: threads, profile: profile)
            runs.append(profile)
        }
        let totals = runs.map { $0.seconds.values.reduce(0, +) }
        let median = runs[totals.indices.sorted { totals[$0] < totals[$1] }[repeats / 2]]
        let object: [String: Any] = [
            "implementation": "hark-swift", "compute_type": model.computeType.rawValue, "threads": threads,
            "encoder_ms": percentile(totals, 0.5) * 1000, "min_ms": (totals.min() ?? 0) * 1000,
            "stages_ms": median.seconds.mapValues { ($0 * 10000).rounded() / 10 },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
