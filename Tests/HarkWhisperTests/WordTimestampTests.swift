import Foundation
import HarkAudio
import HarkCore
import Testing
@testable import HarkWhisper

/// Word times against faster-whisper's `word_timestamps=True` on the same model files
/// (Tests/Fixtures/whisper/words.json, `make whisper-reference`): tiny.en on three English
/// recordings, base on German, French, Spanish and English.
@Suite(.enabled(if: BaseModel.installed && WhisperFixtures.model != nil, "run `make models`"))
struct WordTimestampTests {
    struct Reference: Decodable {
        struct Word: Decodable { var word: String; var start: Double; var end: Double; var probability: Double }
        struct Segment: Decodable { var seek: Int; var tokens: [Int] }
        struct Case: Decodable {
            var model: String
            var file: String
            var language: String
            var detected: Bool
            var segments: [Segment]
            var words: [Word]
        }
        var cases: [Case]
    }

    static let reference: Reference = {
        let data = try! Data(contentsOf: WhisperFixtures.folder.appendingPathComponent("words.json"))
        return try! JSONDecoder().decode(Reference.self, from: data)
    }()

    @Test func wordsAreTimedAsFasterWhisperTimesThem() async throws {
        var compared = 0, close = 0, far: [String] = []
        for item in Self.reference.cases {
            let model = try #require(item.model == "whisper-base" ? BaseModel.model : WhisperFixtures.model)
            let audio = try AudioFile.readSpeech(path: WhisperFixtures.repository.appendingPathComponent(item.file).path)
            var options = WhisperOptions()
            options.wordTimestamps = true
            options.language = item.detected ? nil : item.language
            let settings = options
            let result = try await onOwnThread { try WhisperTranscriber(model: model).transcribe(audio, options: settings) }
            // faster-whisper's later windows (speech after the first one's last word) are not this window's.
            let first = item.segments.filter { $0.seek == 0 }.flatMap(\.tokens)
            #expect(result.tokens == first, "\(item.file)")
            let words = result.segments.flatMap { $0.words ?? [] }
            #expect(words.count <= item.words.count && words.count >= item.words.count - 1, "\(item.file): \(words.map(\.word))")
            for (hark, theirs) in zip(words, item.words) {
                #expect(hark.word == theirs.word, "\(item.file)")
                #expect(abs(hark.probability - theirs.probability) < 1e-3, "\(item.file) '\(hark.word)' p \(hark.probability) | \(theirs.probability)")
                compared += 1
                if abs(hark.start - theirs.start) <= 0.0201 && abs(hark.end - theirs.end) <= 0.0201 {
                    close += 1
                } else {
                    far.append("\(item.file) '\(hark.word)' \(hark.start)–\(hark.end) | faster-whisper \(theirs.start)–\(theirs.end)")
                }
            }
        }
        #expect(compared >= 100)
        #expect(Double(close) >= 0.95 * Double(compared), "\(close) of \(compared) within 20 ms; off: \(far)")
        print("word timestamps: \(close) of \(compared) within 20 ms of faster-whisper; off: \(far)")
    }
}
