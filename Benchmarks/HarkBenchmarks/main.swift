// Figures for the capture path, measured against a reference in the same run:
//   hark-benchmarks callback          the real-time callback vs a bare memcpy of the same block
//   hark-benchmarks consumer FILE     the consumer's CPU per second of device-format audio
//   hark-benchmarks live SECONDS      process CPU while recording from the default input
//   hark-benchmarks silero MODEL FILE Silero VAD µs per chunk, streaming and batch, allocations
//   hark-benchmarks latency SECONDS HARK BEAM [SCRIPT.json] [--no-speculation] [--end-silence S] [--padding S] [--instant-worker] [--partials] [--details]   live end-of-speech → transcript latency, RSS
//   hark-benchmarks whisper THREADS BEAM MODELDIR FILE… [--compute-type T]  Whisper wall time per file, tokens, peak RSS
//   hark-benchmarks encoder THREADS MODELDIR FILE [--compute-type T]  one encoder window: time and stages
//   hark-benchmarks wer MODELDIR SET.json BEAM [--compute-type T]  transcripts of the accuracy set (score-wer.py)
//   hark-benchmarks search SESSIONS UTTERANCES DIR  the search index: size, rebuild, query latency
// Run through `make bench` (release build). Timings come from the shared, noisy machine: read the
// ratios, and the spread between repeats.
import Foundation
import Hark
import HarkAudio
import HarkCore
import HarkVAD

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "callback": CallbackBenchmark.run()
    case "consumer" where arguments.count == 2: try await ConsumerBenchmark.run(file: arguments[1])
    case "live": try await LiveBenchmark.run(seconds: Double(arguments.dropFirst().first ?? "") ?? 20)
    case "latency" where arguments.count >= 4:
        let extra = arguments.dropFirst(4)
        try await LatencyBenchmark.run(seconds: Double(arguments[1]) ?? 180, worker: arguments[2], beam: Int(arguments[3]) ?? 5,
                                       script: extra.first { $0.hasSuffix(".json") },
                                       speculate: !extra.contains("--no-speculation"),
                                       endSilence: value(after: "--end-silence", in: extra), padding: value(after: "--padding", in: extra),
                                       instantWorker: extra.contains("--instant-worker"), partials: extra.contains("--partials"),
                                       details: extra.contains("--details"))
    case "silero" where arguments.count == 3: try SileroBenchmark.run(model: arguments[1], file: arguments[2])
    case "whisper" where arguments.count >= 5:
        let rest = Array(arguments.dropFirst(4))
        let type = rest.firstIndex(of: "--compute-type").flatMap { rest.index(after: $0) < rest.endIndex ? ComputeType(rawValue: rest[$0 + 1]) : nil }
        try WhisperBenchmark.run(model: arguments[3], files: rest.filter { $0.hasPrefix("/") || $0.contains(".") }.filter { ComputeType(rawValue: $0) == nil },
                                 threads: Int(arguments[1]) ?? 2, beam: Int(arguments[2]) ?? 1, computeType: type ?? .auto)
    case "encoder" where arguments.count >= 4:
        let rest = Array(arguments.dropFirst(4))
        let type = rest.firstIndex(of: "--compute-type").flatMap { rest.index(after: $0) < rest.endIndex ? ComputeType(rawValue: rest[$0 + 1]) : nil }
        try EncoderBenchmark.run(model: arguments[2], file: arguments[3], threads: Int(arguments[1]) ?? 2, computeType: type ?? .auto)
    case "wer" where arguments.count >= 4:
        let rest = Array(arguments.dropFirst(4))
        let type = rest.firstIndex(of: "--compute-type").flatMap { rest.index(after: $0) < rest.endIndex ? ComputeType(rawValue: rest[$0 + 1]) : nil }
        try await WERBenchmark.run(model: arguments[1], set: arguments[2], beam: Int(arguments[3]) ?? 1, computeType: type ?? .auto)
    case "search" where arguments.count == 4:
        try await SearchBenchmark.run(sessions: Int(arguments[1]) ?? 10_000, utterances: Int(arguments[2]) ?? 20, folder: arguments[3])
    default:
        print("usage: hark-benchmarks callback | consumer FILE | live [SECONDS] | silero MODEL FILE16K | whisper THREADS BEAM MODELDIR FILE16K... | encoder THREADS MODELDIR FILE16K | latency SECONDS HARK BEAM [SCRIPT.json] [--no-speculation] [--end-silence S] [--padding S] [--instant-worker] [--partials] | search SESSIONS UTTERANCES DIR")
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("hark-benchmarks: \(error)\n".utf8))
    exit(1)
}

func value(after flag: String, in arguments: ArraySlice<String>) -> Double? {
    arguments.firstIndex(of: flag).flatMap { arguments.index(after: $0) < arguments.endIndex ? Double(arguments[arguments.index(after: $0)]) : nil }
}
