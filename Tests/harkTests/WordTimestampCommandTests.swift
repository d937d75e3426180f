import Foundation
import Hark
import Testing

/// Word times through the built `hark`: transcribe's json and per-word cues, and a recording
/// whose manifest keeps every utterance's words.
@Suite(.timeLimit(.minutes(3)), .enabled(if: modelInstalled("whisper-tiny.en/model.bin"), "run `make models`"))
struct WordTimestampCommandTests {
    @Test func transcribeTimesEveryWordAndCutsCuesByThem() async throws {
        let json = try await HarkProcess.run(["transcribe", "--word-timestamps", "--format", "json", HarkProcess.speech])
        #expect(json.status == 0, "\(json.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let segments = try #require(document["segments"] as? [[String: Any]])
        let words = segments.flatMap { $0["words"] as? [[String: Any]] ?? [] }
        #expect(words.count >= 25, "\(json.stdout)")
        let starts = words.compactMap { $0["start"] as? Double }, ends = words.compactMap { $0["end"] as? Double }
        #expect(starts == starts.sorted() && zip(starts, ends).allSatisfy { $0 <= $1 })
        #expect(words.contains { ($0["word"] as? String)?.contains("lazy") == true })
        let srt = try await HarkProcess.run(["transcribe", "--word-timestamps", "--format", "srt", "--words-per-cue", "1", HarkProcess.speech])
        #expect(srt.stdout.components(separatedBy: " --> ").count - 1 == words.count, "\(srt.stdout)")
        let refused = try await HarkProcess.run(["transcribe", "--words-per-cue", "2", HarkProcess.speech])
        #expect(refused.status != 0 && refused.stderr.contains("needs --word-timestamps"))
    }

    /// faster-whisper's hotwords: tiny.en's "say every word" becomes "save every word".
    @Test func hotwordsAreListenedFor() async throws {
        let plain = try await HarkProcess.run(["transcribe", "--compute-type", "float32", HarkProcess.speech])
        let hot = try await HarkProcess.run(["transcribe", "--compute-type", "float32", "--hotwords", "save every word", HarkProcess.speech])
        #expect(hot.status == 0 && hot.stdout.lowercased().contains("save every word"), "\(hot.stdout) | without: \(plain.stdout)")
    }

    @Test func aRecordingStoresEachUtterancesWords() async throws {
        let sessions = try temporaryFolder("words")
        let record = try await HarkProcess.run(["record", "--input", HarkProcess.speech, "--word-timestamps", "--out", sessions.path])
        #expect(record.status == 0, "\(record.stderr)")
        let session = try #require(try sessionFolders(in: sessions).first)
        let manifest = try JSONDecoder.harkManifest.decode(SessionManifest.self, from: Data(contentsOf: sessions.appendingPathComponent("\(session)/session.json")))
        #expect(manifest.segments.count == 4)
        for segment in manifest.segments {
            let words = segment.transcription?.segments?.flatMap { $0.words ?? [] } ?? []
            #expect(!words.isEmpty, "segment \(segment.id): \(segment.transcription?.text ?? "-")")
            #expect(words.allSatisfy { $0.start >= 0 && $0.end <= segment.duration + 0.05 }, "segment \(segment.id)")
        }
    }
}
