import Foundation
import HarkTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import HarkServer
import Hark

/// `POST /v1/audio/transcriptions` with real `hark worker` processes and the real model.
@Suite(.timeLimit(.minutes(3)), .enabled(if: ServerFixtures.whisperInstalled, "run `make models`"))
struct TranscriptionAPITests {
    let speech = try! Data(contentsOf: URL(fileURLWithPath: ServerFixtures.speech))

    @Test func everyResponseFormat() async throws {
        let sessions = try ServerFixtures.temporaryFolder("api")
        try await ServerFixtures.withServer(ServerFixtures.configuration(sessions: sessions)) { client in
            for format in ["json", "text", "srt", "vtt", "verbose_json"] {
                let (headers, body) = ServerFixtures.form(file: speech, fields: ["model": "whisper-1", "response_format": format])
                try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body) { response in
                    let text = String(buffer: response.body)
                    #expect(response.status == .ok, "\(format): \(text)")
                    #expect(text.lowercased().contains("lazy dog"), "\(format): \(text)")
                    switch format {
                    case "json": #expect(ServerFixtures.json(response)["text"] is String)
                    case "srt": #expect(text.hasPrefix("1\n") && text.contains(" --> "))
                    case "vtt": #expect(text.hasPrefix("WEBVTT"))
                    case "verbose_json":
                        let object = ServerFixtures.json(response)
                        #expect((object["segments"] as? [Any])?.count ?? 0 >= 2)
                        #expect((object["duration"] as? Double ?? 0) > 10)
                    default: #expect(!text.contains("{"))
                    }
                }
            }
        }
    }

    /// OpenAI's `prompt` is faster-whisper's `initial_prompt`: tiny.en hears "say every word" in
    /// the fixture's second sentence until the prompt spells it.
    @Test func thePromptGuidesTheModel() async throws {
        let sessions = try ServerFixtures.temporaryFolder("api-prompt")
        try await ServerFixtures.withServer(ServerFixtures.configuration(sessions: sessions)) { client in
            let (headers, body) = ServerFixtures.form(file: speech, fields: ["model": "whisper-1", "response_format": "text",
                                                                           "prompt": "Please save every word I say."])
            try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body) { response in
                let text = String(buffer: response.body)
                #expect(response.status == .ok, "\(text)")
                #expect(text.lowercased().contains("save every word"), "\(text)")
            }
            let (long, longBody) = ServerFixtures.form(file: speech, fields: ["prompt": String(repeating: "word ", count: 1000)])
            try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: long, body: longBody) { response in
                #expect(response.status == .badRequest && ServerFixtures.errorMessage(response).contains("223 tokens"),
                        "\(ServerFixtures.errorMessage(response))")
            }
        }
    }

    /// `timestamp_granularities[]=word`: verbose_json's `words`, as OpenAI's API gives them.
    @Test func wordsAreTimedOnRequest() async throws {
        let sessions = try ServerFixtures.temporaryFolder("api-words")
        try await ServerFixtures.withServer(ServerFixtures.configuration(sessions: sessions)) { client in
            let (headers, body) = ServerFixtures.form(file: speech, fields: ["response_format": "verbose_json", "timestamp_granularities[]": "word"])
            try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body) { response in
                let object = ServerFixtures.json(response)
                let words = object["words"] as? [[String: Any]] ?? []
                #expect(response.status == .ok && words.count >= 25, "\(String(buffer: response.body))")
                #expect(words.first?["word"] as? String == "The" && (words.first?["end"] as? Double ?? 0) > 0)
            }
            let (plain, plainBody) = ServerFixtures.form(file: speech, fields: ["response_format": "verbose_json"])
            try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: plain, body: plainBody) { response in
                #expect(ServerFixtures.json(response)["words"] == nil)
            }
            let (bad, badBody) = ServerFixtures.form(file: speech, fields: ["response_format": "json", "timestamp_granularities[]": "word"])
            try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: bad, body: badBody) { response in
                #expect(response.status == .badRequest && ServerFixtures.errorMessage(response).contains("verbose_json"))
            }
        }
    }

    @Test func badUploadsGetClearErrors() async throws {
        let sessions = try ServerFixtures.temporaryFolder("api")
        var configuration = ServerFixtures.configuration(sessions: sessions)
        configuration.maxUploadBytes = 200_000
        configuration.maxUploadSeconds = 4
        try await ServerFixtures.withServer(configuration) { client in
            func check(_ headers: HTTPFields, _ body: ByteBuffer?, _ status: HTTPResponse.Status, _ words: String) async throws {
                try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body) { response in
                    let message = ServerFixtures.errorMessage(response)
                    #expect(response.status == status, "\(message)")
                    #expect(message.contains(words), "\(message)")
                    #expect(!message.contains("/tmp/"), "no server paths in \(message)")
                }
            }
            let (noFile, noFileBody) = ServerFixtures.form(file: nil, fields: ["model": "whisper-1"])
            try await check(noFile, noFileBody, .badRequest, "no 'file' part")
            let (empty, emptyBody) = ServerFixtures.form(file: Data())
            try await check(empty, emptyBody, .badRequest, "no 'file' part")
            try await check([.contentType: "application/json"], ByteBuffer(string: "{}"), .badRequest, "multipart/form-data")
            let (text, textBody) = ServerFixtures.form(file: Data(repeating: 65, count: 5000), fileName: "notes.txt")
            try await check(text, textBody, .badRequest, "not audio")
            let (huge, hugeBody) = ServerFixtures.form(file: Data(repeating: 0, count: 300_000))
            try await check(huge, hugeBody, .contentTooLarge, "limit")
            let (format, formatBody) = ServerFixtures.form(file: speech.prefix(100_000), fields: ["response_format": "xml"])
            try await check(format, formatBody, .badRequest, "response_format")
            let (french, frenchBody) = ServerFixtures.form(file: speech.prefix(100_000), fields: ["language": "fr"])
            try await check(french, frenchBody, .badRequest, "English only")
            // A short file that decodes to more audio than the server takes (a bomb, at scale).
            let (long, longBody) = ServerFixtures.form(file: speech.prefix(150_000))
            try await check(long, longBody, .contentTooLarge, "longer than this server transcribes")
            // After all that, the server still answers.
            let (good, goodBody) = ServerFixtures.form(file: speech.prefix(100_000), fields: ["language": "en", "prompt": "ignored"])
            try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: good, body: goodBody) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
        }
    }
}

/// The queue bound, with a fake worker that takes its time.
@Suite(.timeLimit(.minutes(2)))
struct TranscriptionQueueTests {
    @Test func aFullQueueAnswers429WithRetryAfter() async throws {
        let folder = try ServerFixtures.temporaryFolder("slowworker")
        let script = try TestSupport.fakeWorker("sleep 2")
        var configuration = ServerFixtures.configuration(sessions: folder, worker: WorkerPoolConfiguration(executable: script, arguments: []))
        configuration.queueLimit = 1   // one running, one waiting
        try await ServerFixtures.withServer(configuration) { client in
            let (headers, body) = ServerFixtures.form(file: Data("RIFF".utf8))
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body) {
                            ($0.status, $0.headers[.retryAfter])
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == .ok }.count == 2, "\(statuses)")
            let refused = statuses.filter { $0.0 == .tooManyRequests }
            #expect(refused.count == 3, "\(statuses)")
            #expect(refused.allSatisfy { Int($0.1 ?? "") ?? 0 >= 1 }, "Retry-After on every 429: \(refused)")
            // Once the queue has room again, requests are taken.
            try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("fake"))
            }
        }
    }
}

/// Workers that cannot start: uploads are answered 503 with the reason, at once, not left hanging.
@Suite(.timeLimit(.minutes(2)))
struct UnavailableWorkerTests {
    @Test func uploadsGet503WhenWorkersFailBeforeReady() async throws {
        let folder = try ServerFixtures.temporaryFolder("deadworker")
        var workers = WorkerPoolConfiguration(executable: try TestSupport.fakeWorker("", startup: "echo garbage; exit 1"), arguments: [])
        workers.restartBackoff = .milliseconds(10)
        let configuration = ServerFixtures.configuration(sessions: folder, worker: workers)
        try await ServerFixtures.withServer(configuration) { client in
            let (headers, body) = ServerFixtures.form(file: Data("RIFF".utf8))
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(ServerFixtures.errorMessage(response).contains("before it was ready"), "\(ServerFixtures.errorMessage(response))")
                    #expect(response.headers[.retryAfter] != nil)
                }
            }
        }
    }
}
