import Foundation
import HarkAudio
import HarkTestSupport
@testable import Hark

enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let speech = repository.appendingPathComponent("Tests/Fixtures/speech.wav").path

    struct Region: Decodable { var text: String; var start: Double; var end: Double }
    private struct Known: Decodable { var speech: [Region] }

    /// Where speech lies in `speech.wav`, as written by scripts/make-speech-fixture.py.
    static func speechRegions() throws -> [Region] {
        let data = try Data(contentsOf: repository.appendingPathComponent("Tests/Fixtures/speech.json"))
        return try JSONDecoder().decode(Known.self, from: data).speech
    }

    static let harkExecutable = TestSupport.harkExecutable

    static var whisperModelInstalled: Bool {
        FileManager.default.fileExists(atPath: RecorderConfiguration.defaultModelsDirectory()
            .appendingPathComponent("whisper-tiny.en/model.bin").path)
    }

    static func workers(model: String? = nil) -> WorkerPoolConfiguration {
        var workers = WorkerPoolConfiguration(executable: harkExecutable, arguments: ["worker"] + (model.map { ["--model", $0] } ?? []))
        workers.size = 1
        return workers
    }

    static func temporaryFolder(_ label: String = "sessions") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hark-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func fileConfiguration(root: URL, pacing: RecorderConfiguration.FilePacing = .asFastAsPossible,
                                  path: String = speech) -> RecorderConfiguration {
        var configuration = RecorderConfiguration()
        configuration.transcription = nil   // not transcribed unless a test says so
        configuration.input = .file(path: path, pacing: pacing)
        configuration.sessionsDirectory = root
        configuration.vadMode = .energy
        return configuration
    }

    static func manifest(in folder: URL) throws -> SessionManifest {
        let data = try Data(contentsOf: folder.appendingPathComponent(SessionManifest.fileName))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(SessionManifest.self, from: data)
    }
}

/// Collects one recording's events from a recorder's `AsyncSequence`: up to `recordingStopped`
/// (the stream itself lives as long as the recorder).
final class EventLog: Sendable {
    private let task: Task<[RecorderEvent], any Error>

    init(_ stream: EventStream) {
        task = Task {
            var events: [RecorderEvent] = []
            for try await event in stream {
                events.append(event)
                if case .recordingStopped = event { break }
            }
            return events
        }
    }

    var events: [RecorderEvent] { get async throws { try await task.value } }
}

enum Signal {
    /// Normalised correlation of two equally long signals: 1 when identical up to gain.
    static func correlation(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        precondition(a.count == b.count)
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) {
            ab += Double(x) * Double(y); aa += Double(x) * Double(x); bb += Double(y) * Double(y)
        }
        return aa > 0 && bb > 0 ? ab / (aa * bb).squareRoot() : 0
    }

    /// The delay (in samples) at which `source` best lines up inside `recording`.
    static func offset(of source: [Float], in recording: [Float], maximum: Int) -> Int {
        // Coarse: 10 ms energy envelopes; fine: raw samples within ±10 ms of the coarse answer.
        func envelope(_ x: [Float]) -> [Float] {
            stride(from: 0, to: x.count - 160, by: 160).map { i in x[i..<i + 160].reduce(0) { $0 + $1 * $1 } }
        }
        let es = envelope(source), er = envelope(recording)
        var best = (lag: 0, score: -Double.infinity)
        for lag in 0..<min(maximum / 160, er.count - es.count) {
            let score = correlation(es[...], er[lag..<lag + es.count])
            if score > best.score { best = (lag, score) }
        }
        var fine = (lag: best.lag * 160, score: -Double.infinity)
        let probe = source[16_000..<48_000]   // a second of the first sentence
        for lag in max(0, best.lag * 160 - 160)...(best.lag * 160 + 160) where lag + 48_000 <= recording.count {
            let score = correlation(probe, recording[(lag + 16_000)..<(lag + 48_000)])
            if score > fine.score { fine = (lag, score) }
        }
        return fine.lag
    }

    /// How well `segment` matches `source` around `start` when the path between them resamples
    /// and drifts (a PulseAudio null sink does both): the best correlation of 10 ms RMS envelopes
    /// within ±100 ms of `start`. Sample-level correlation is meaningless after such a path.
    static func envelopeMatch(_ segment: [Float], in source: [Float], near start: Int) -> Double {
        func rms(_ x: ArraySlice<Float>) -> [Float] {
            stride(from: x.startIndex, to: x.endIndex - 159, by: 160).map { i in
                (x[i..<i + 160].reduce(0) { $0 + $1 * $1 } / 160).squareRoot()
            }
        }
        let target = rms(segment[...])
        var best = -1.0
        for shift in stride(from: -1600, through: 1600, by: 40) {
            let from = start + shift
            guard from >= 0, from + segment.count <= source.count else { continue }
            let candidate = rms(source[from..<from + segment.count])
            let meanA = target.reduce(0, +) / Float(target.count), meanB = candidate.reduce(0, +) / Float(candidate.count)
            best = max(best, correlation(target.map { $0 - meanA }[...], candidate.map { $0 - meanB }[...]))
        }
        return best
    }
}
