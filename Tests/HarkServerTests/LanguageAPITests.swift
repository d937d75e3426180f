import Foundation
import HarkTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import HarkServer
import Hark

extension ServerFixtures {
    static let baseInstalled = FileManager.default.fileExists(atPath: RecorderConfiguration.defaultModelsDirectory()
        .appendingPathComponent("whisper-base/model.bin").path) || ProcessInfo.processInfo.environment["HARK_REQUIRE_MODELS"] == "1"
}

/// The OpenAI API with the multilingual base model in real `hark worker`s: the language detected
/// or given, `verbose_json`'s language, and `/v1/audio/translations`.
@Suite(.timeLimit(.minutes(3)), .enabled(if: ServerFixtures.baseInstalled, "run `make models`"))
struct LanguageAPITests {
    static func clip(_ code: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: ServerFixtures.speech).deletingLastPathComponent()
            .appendingPathComponent("whisper/languages/\(code).flac"))
    }

    static func baseServer(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let sessions = try ServerFixtures.temporaryFolder("api-languages")
        let workers = WorkerPoolConfiguration(executable: ServerFixtures.harkExecutable, arguments: ["worker", "--model", "base"])
        try await ServerFixtures.withServer(ServerFixtures.configuration(sessions: sessions, worker: workers)) { try await body($0) }
    }

    static func post(_ client: any TestClientProtocol, _ path: String, _ file: Data, _ fields: [String: String]) async throws -> (HTTPResponse.Status, [String: Any], String) {
        let (headers, body) = ServerFixtures.form(file: file, fileName: "clip.flac", fields: fields)
        return try await client.execute(uri: path, method: .post, headers: headers, body: body) { response in
            (response.status, ServerFixtures.json(response), String(buffer: response.body))
        }
    }

    @Test func theLanguageIsDetectedGivenAndTranslatedFrom() async throws {
        try await Self.baseServer { client in
            let (status, detected, raw) = try await Self.post(client, "/v1/audio/transcriptions", try Self.clip("de"), ["response_format": "verbose_json"])
            #expect(status == .ok, "\(raw)")
            #expect(detected["language"] as? String == "german" && detected["task"] as? String == "transcribe", "\(raw)")
            #expect((detected["text"] as? String ?? "").contains("Kaffee"), "\(raw)")
            // Told it is English, base writes the German clip as English words: the language given is used.
            let (_, given, givenRaw) = try await Self.post(client, "/v1/audio/transcriptions", try Self.clip("de"),
                                                          ["response_format": "verbose_json", "language": "en"])
            #expect(given["language"] as? String == "english" && !(given["text"] as? String ?? "").contains("Kaffee"), "\(givenRaw)")
            let (translated, translation, translationRaw) = try await Self.post(client, "/v1/audio/translations", try Self.clip("es"),
                                                                               ["model": "whisper-1", "response_format": "verbose_json"])
            #expect(translated == .ok, "\(translationRaw)")
            #expect(translation["task"] as? String == "translate" && translation["language"] as? String == "spanish", "\(translationRaw)")
            #expect((translation["text"] as? String ?? "").lowercased().contains("good morning"), "\(translationRaw)")
            let (unknown, _, unknownRaw) = try await Self.post(client, "/v1/audio/transcriptions", try Self.clip("es"), ["language": "klingon"])
            #expect(unknown == .badRequest && unknownRaw.contains("unsupported_language"), "\(unknownRaw)")
        }
    }

    @Test func anEnglishOnlyServerRefusesOtherLanguagesClearly() async throws {
        let sessions = try ServerFixtures.temporaryFolder("api-english-only")
        try await ServerFixtures.withServer(ServerFixtures.configuration(sessions: sessions)) { client in
            let (status, _, raw) = try await Self.post(client, "/v1/audio/transcriptions", try Self.clip("de"), ["language": "de"])
            #expect(status == .badRequest && raw.contains("English only") && raw.contains("unsupported_language"), "\(raw)")
            let (translate, _, translateRaw) = try await Self.post(client, "/v1/audio/translations", try Self.clip("de"), [:])
            #expect(translate == .badRequest && translateRaw.contains("cannot translate"), "\(translateRaw)")
        }
    }
}
