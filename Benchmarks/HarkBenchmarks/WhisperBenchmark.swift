import Foundation
import HarkAudio
import HarkCore
import HarkWhisper

/// Whisper wall time per file (one 30 s window each), as faster-whisper's is measured beside it by
/// scripts/bench-whisper-fw.py: model loaded once, median of `repeats` runs.
enum WhisperBenchmark {
    static func run(model directory: String, files: [String], threads: Int, beam: Int, computeType: ComputeType,
                    repeats: Int = 3) throws {
        let loadStart = monotonicNanoseconds()
        let model = try WhisperModel(directory: URL(fileURLWithPath: directory), computeType: computeType)
        let load = Double(monotonicNanoseconds() - loadStart) / 1e9
        let transcriber = WhisperTranscriber(model: model)
        var options = WhisperOptions()
        options.threads = threads
        options.beamSize = beam
        // As the faster-whisper side: English given, no detection (a multilingual model would detect).
        options.language = "en"
        for file in files {
            let (samples, format) = try AudioFile.read(path: file)
            precondition(format.sampleRate == 16_000 && format.channels == 1, "\(file) must be 16 kHz mono")
            var times: [Double] = []
            var result: WhisperWindowResult?
            for _ in 0..<repeats {
                let start = monotonicNanoseconds()
                result = try transcriber.transcribe(samples, options: options)
                times.append(Double(monotonicNanoseconds() - start) / 1e9)
            }
            let object: [String: Any] = [
                "implementation": "hark-swift", "compute_type": model.computeType.rawValue,
                "file": file, "threads": threads, "beam": beam, "load_seconds": load,
                "seconds": percentile(times, 0.5), "runs": times, "tokens": result!.tokens, "text": result!.text,
                "no_speech_prob": result!.noSpeechProbability, "avg_logprob": result!.averageLogProbability,
                "peak_rss_mb": peakResidentMegabytes(),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
