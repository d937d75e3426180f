import Foundation
import Hark
import HarkAudio
import HarkCore
import HarkWhisper

/// Hark's transcripts of the accuracy set (scripts/make-wer-set.py), one JSON line per recording,
/// for scripts/score-wer.py: recordings of up to 30 s as one window, as faster-whisper's are
/// measured beside them; longer ones as `hark transcribe` does them (VAD pieces of at most 30 s).
enum WERBenchmark {
    struct Set: Decodable {
        struct Entry: Decodable { var name: String; var file: String; var text: String }
        var entries: [Entry]
    }

    static func run(model directory: String, set path: String, beam: Int, computeType: ComputeType) async throws {
        let set = try JSONDecoder().decode(Set.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        let model = try WhisperModel(directory: URL(fileURLWithPath: directory), computeType: computeType)
        let transcriber = WhisperTranscriber(model: model)
        let engine = WhisperEngine(modelDirectory: model.directory, computeType: computeType)
        var options = WhisperOptions()
        options.threads = 2
        options.beamSize = beam
        // As the faster-whisper side: English given, no detection (a multilingual model would detect).
        options.language = "en"
        for entry in set.entries {
            let samples = try AudioFile.readSpeech(path: entry.file)
            let start = monotonicNanoseconds()
            let text: String
            if samples.count <= 30 * 16_000 {
                text = try transcriber.transcribe(samples, options: options).text
            } else {
                let job = FileTranscription(engine: engine, options: .init(beamSize: beam, threads: 2, timestamps: beam == 1))
                text = try await job.transcribe(samples: samples).map(\.text).joined(separator: " ")
            }
            let object: [String: Any] = [
                "implementation": "hark-swift", "compute_type": model.computeType.rawValue, "beam": beam, "name": entry.name,
                "text": text, "seconds": Double(monotonicNanoseconds() - start) / 1e9,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}
