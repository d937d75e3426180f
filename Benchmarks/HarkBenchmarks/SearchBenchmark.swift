import Foundation
import HarkArchive
import HarkCore

/// `make bench-search`: SESSIONS × UTTERANCES synthesized transcripts (words drawn Zipf-like from a
/// 6000-word vocabulary, as speech's are), then the index's size, a rebuild's time, a refresh
/// that finds nothing changed, and search latency per kind of query (200 of each, 20 hits a page).
enum SearchBenchmark {
    static func run(sessions: Int, utterances: Int, folder: String) async throws {
        let root = URL(fileURLWithPath: folder, isDirectory: true)
        var corpus = Corpus(seed: 0x4861726B)
        let marker = root.appendingPathComponent(".synthesized-\(sessions)x\(utterances)")
        if !FileManager.default.fileExists(atPath: marker.path) {
            try? FileManager.default.removeItem(at: root)
            let started = ContinuousClock.now
            try synthesize(sessions: sessions, utterances: utterances, root: root, corpus: &corpus)
            _ = FileManager.default.createFile(atPath: marker.path, contents: nil)
            print("synthesized \(sessions) sessions × \(utterances) utterances in \(format((ContinuousClock.now - started).inSeconds)) s")
        }
        let archive = SessionArchive(root: root)
        var started = ContinuousClock.now
        let summary = try await archive.rebuild()
        let rebuild = (ContinuousClock.now - started).inSeconds
        let bytes = ["", "-wal"].reduce(0) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: archive.indexURL.path + suffix)[.size] as? Int) ?? 0)
        }
        print("rebuild: \(summary.utterances) utterances of \(summary.sessions) sessions in \(format(rebuild)) s; index \(format(Double(bytes) / 1e6)) MB")
        started = ContinuousClock.now
        let unchanged = try await archive.refresh()
        print("refresh with nothing changed: \(format((ContinuousClock.now - started).inSeconds * 1000)) ms (\(unchanged.updated) read)")

        var generator = Corpus(seed: 7)
        let kinds: [(String, () -> String)] = [
            ("word", { generator.word(rank: Int.random(in: 50..<Corpus.vocabularySize, using: &generator.random)) }),
            ("phrase", { "\"\(generator.sentence(length: 2))\"" }),
            ("prefix", { String(generator.word(rank: Int.random(in: 0..<Corpus.vocabularySize, using: &generator.random)).prefix(3)) + "*" }),
            ("two words", { generator.sentence(length: 2) }),
            ("commonest word", { generator.word(rank: 0) }),
        ]
        for (name, make) in kinds {
            var times = [Double]()
            var hits = 0
            for _ in 0..<200 {
                let query = ArchiveQuery(make())
                let start = ContinuousClock.now
                let results = try await archive.search(query)
                times.append((ContinuousClock.now - start).inSeconds * 1000)
                hits += results.hits.count
            }
            print("search \(name): p50 \(format(percentile(times, 0.5), 2)) ms, p95 \(format(percentile(times, 0.95), 2)) ms, \(format(Double(hits) / 200)) hits a page")
        }
    }

    static func synthesize(sessions: Int, utterances: Int, root: URL, corpus: inout Corpus) throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let encoder = JSON.encoder
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        for index in 0..<sessions {
            let id = "s\(String(format: "%05d", index))"
            let folder = root.appendingPathComponent(id, isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var manifest = SessionManifest(id: id, createdAt: start.addingTimeInterval(Double(index) * 3600),
                                           source: .init(kind: .device, name: "bench", format: AudioFormat(sampleRate: 16_000, channels: 1)),
                                           segmenter: SegmenterConfiguration(), vadMode: .silero, keepsRecording: false)
            manifest.state = .stopped
            var time = 0.0
            for segment in 1...utterances {
                let text = " " + corpus.sentence(length: Int.random(in: 6...18, using: &corpus.random))
                let length = Double(text.count) / 14
                manifest.segments.append(SegmentRecord(
                    id: segment, file: SessionManifest.segmentFile(segment), speechStart: time + 0.3, speechEnd: time + length,
                    audioStart: time, audioEnd: time + length + 0.5, endReason: .silence, state: .saved,
                    transcription: TranscriptionRecord(state: .done, attempts: 1, text: text, language: index % 10 == 0 ? "de" : "en")))
                time += length + 2
            }
            manifest.duration = time
            try encoder.encode(manifest).write(to: folder.appendingPathComponent(SessionManifest.fileName))
        }
    }
}

/// Pronounceable words, ranked: rank r is drawn with probability ∝ 1/(r+1) (Zipf), so a few
/// words are everywhere and most are rare, as in speech.
struct Corpus {
    static let vocabularySize = 6000
    var random: SplitMix
    private let cumulative: [Double]

    init(seed: UInt64) {
        random = SplitMix(state: seed)
        var sum = 0.0
        cumulative = (0..<Self.vocabularySize).map { rank in sum += 1 / Double(rank + 1); return sum }
    }

    func word(rank: Int) -> String {
        let onsets = ["b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "v", "w", "st", "tr", "pl"]
        let vowels = ["a", "e", "i", "o", "u", "ou", "ea"]
        var value = rank * 2_654_435_761 % 1_000_003 + rank
        var word = ""
        for _ in 0..<(2 + rank % 2) {
            word += onsets[value % onsets.count] + vowels[(value / onsets.count) % vowels.count]
            value /= onsets.count * vowels.count
        }
        return word + String(rank % 7 == 0 ? "n" : "")
    }

    mutating func sentence(length: Int) -> String {
        (0..<length).map { _ in
            let target = Double.random(in: 0..<cumulative[cumulative.count - 1], using: &random)
            var low = 0, high = cumulative.count - 1
            while low < high { let mid = (low + high) / 2; if cumulative[mid] < target { low = mid + 1 } else { high = mid } }
            return word(rank: low)
        }.joined(separator: " ")
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
