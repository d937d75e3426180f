import Foundation
import HarkAudio
import HarkTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import NIOWebSocket
import Testing
@testable import HarkServer
import Hark

/// `GET /v1/realtime` on a real port with Hummingbird's WebSocket client: every bad message and
/// every limit gets the Realtime API's `error` event and the server lives on; a 16 kHz session
/// without turn detection transcribes what it commits with a real worker.
@Suite(.timeLimit(.minutes(3))) struct RealtimeTests {
    static func configuration(_ sessions: URL, token: String? = nil, transcribes: Bool = false,
                              limits: (inout RealtimeLimits) -> Void = { _ in }) -> ServerConfiguration {
        var configuration = ServerFixtures.configuration(sessions: sessions, token: token)
        if !transcribes { configuration.recorder.transcription = nil }
        limits(&configuration.realtime)
        return configuration
    }

    /// Runs `test` with the server listening on a free port.
    static func withLiveServer(_ configuration: ServerConfiguration, _ test: @escaping @Sendable (Int) async throws -> Void) async throws {
        var configuration = configuration
        configuration.port = 0
        let server = try HarkServer(configuration: configuration)
        await server.prepare()
        do {
            try await server.makeApplication().test(.live) { client in try await test(client.port!) }
        } catch {
            await server.finish()
            throw error
        }
        await server.finish()
    }

    /// Sends `samples` (16 kHz) in 100 ms appends, as fast as the socket goes, then commits them.
    static func appendAndCommit(_ samples: ArraySlice<Float>, to client: RealtimeTestClient) {
        for start in stride(from: samples.startIndex, to: samples.endIndex, by: 1600) {
            client.append(Array(samples[start..<min(samples.endIndex, start + 1600)]))
        }
        client.send(["type": "input_audio_buffer.commit"])
    }

    nonisolated(unsafe) static let update: [String: Any] = ["type": "session.update", "session": [
        "type": "transcription", "audio": ["input": ["format": ["type": "audio/pcm", "rate": 16000]]]]]

    @Test func badMessagesAreAnsweredWithErrorsAndTheConnectionGoesOn() async throws {
        let sessions = try ServerFixtures.temporaryFolder("rt-bad")
        try await Self.withLiveServer(Self.configuration(sessions) { $0.maxMessageBytes = 64 * 1024 }) { port in
            let client = RealtimeTestClient(port: port)
            let created = await client.next()
            #expect(created?["type"] as? String == "session.created")
            #expect((created?["session"] as? [String: Any])?["type"] as? String == "transcription")

            client.sendText("{not json")
            #expect(await client.next("error")?.errorCode == "invalid_json")
            client.sendBinary([1, 2, 3])
            #expect(await client.next("error")?.errorCode == "invalid_message")
            client.send(["type": "response.create", "event_id": "evt_7"])
            let unknown = await client.next("error")
            #expect(unknown?.errorCode == "unknown_event_type")
            #expect((unknown?["error"] as? [String: Any])?["event_id"] as? String == "evt_7")
            client.append([Float](repeating: 0, count: 1600))
            #expect(await client.next("error")?.errorCode == "session_not_configured")

            client.send(Self.update)
            let updated = await client.next("session.updated")
            #expect(updated != nil)
            client.send(["type": "input_audio_buffer.append", "audio": "%%% not base64 %%%"])
            #expect(await client.next("error")?.errorCode == "invalid_value")
            client.send(["type": "input_audio_buffer.append", "audio": String(repeating: "A", count: 100_000)])
            #expect(await client.next("error")?.errorCode == "message_too_large")
            client.send(["type": "session.update", "session": ["type": "realtime"]])
            #expect(await client.next("error")?.errorCode == "invalid_value")
            client.send(["type": "input_audio_buffer.commit"])
            #expect(await client.next("error")?.errorCode == "input_audio_buffer_commit_empty")

            // Still alive: audio is taken, a clear is answered.
            client.append([Float](repeating: 0, count: 3200))
            client.send(["type": "input_audio_buffer.clear"])
            #expect(await client.next("input_audio_buffer.cleared") != nil)
            client.close()
            let clientCode = try await client.closeCode()
            #expect(clientCode == .normalClosure)
        }
    }

    @Test func oneConnectionTooManyGetsAnErrorAndPolicyClose() async throws {
        let sessions = try ServerFixtures.temporaryFolder("rt-many")
        try await Self.withLiveServer(Self.configuration(sessions) { $0.maxConnections = 1 }) { port in
            let first = RealtimeTestClient(port: port)
            #expect(await first.next()?["type"] as? String == "session.created")
            // Hummingbird's client can miss a refusal that arrives with its upgrade response: seen
            // about once in three runs on a slow machine, its socket left in CLOSE-WAIT with no
            // message and no end. Then another client asks again.
            var refused: [String: Any]?, secondCode: WebSocketErrorCode?
            for _ in 0..<3 where refused == nil {
                let second = RealtimeTestClient(port: port)
                refused = await second.next(timeout: .seconds(10))
                secondCode = try await second.closeCode(timeout: .seconds(5))
                if refused == nil { print("the refusal was missed by the client; asking again") }
            }
            #expect(refused?["type"] as? String == "error")
            #expect(refused?.errorCode == "too_many_connections")
            #expect(secondCode == .policyViolation)
            first.close()
            // Its place is free again (once the server has seen the close).
            var admitted: String?
            for _ in 0..<50 where admitted != "session.created" {
                try await Task.sleep(for: .milliseconds(100))
                let third = RealtimeTestClient(port: port)
                admitted = await third.next(timeout: .seconds(5))?["type"] as? String
                third.close()
            }
            #expect(admitted == "session.created")
        }
    }

    @Test func anIdleConnectionIsToldAndClosed() async throws {
        let sessions = try ServerFixtures.temporaryFolder("rt-idle")
        try await Self.withLiveServer(Self.configuration(sessions) { $0.idleTimeout = .seconds(1) }) { port in
            let client = RealtimeTestClient(port: port)
            #expect(await client.next()?["type"] as? String == "session.created")
            #expect(await client.next("error", timeout: .seconds(10))?.errorCode == "idle_timeout")
            let clientCode = try await client.closeCode()
            #expect(clientCode == .normalClosure)
        }
    }

    @Test func audioFasterThanTheBufferTakesIsRefusedWithPolicyClose() async throws {
        let sessions = try ServerFixtures.temporaryFolder("rt-full")
        try await Self.withLiveServer(Self.configuration(sessions) {
            $0.bufferSeconds = 0.05
            $0.bufferStallTimeout = .zero
        }) { port in
            let client = RealtimeTestClient(port: port)
            client.send(Self.update)
            #expect(await client.next("session.updated") != nil)
            for _ in 0..<20 { client.append([Float](repeating: 0.01, count: 16_000)) }
            // (The first error says that this server has no model: it transcribes nothing.)
            var codes: [String] = []
            while let error = await client.next("error"), let code = error.errorCode {
                codes.append(code)
                if code == "input_audio_buffer_full" { break }
            }
            #expect(codes.last == "input_audio_buffer_full", "\(codes)")
            let clientCode = try await client.closeCode()
            #expect(clientCode == .policyViolation)
        }
    }

    @Test func theTokenIsAskedAsBearerOrAsTheBrowsersSubprotocol() async throws {
        let sessions = try ServerFixtures.temporaryFolder("rt-token")
        try await Self.withLiveServer(Self.configuration(sessions, token: "s3cret")) { port in
            let anonymous = RealtimeTestClient(port: port)
            #expect(await anonymous.next() == nil)
            await #expect(throws: (any Error).self) { try await anonymous.closeCode() }

            let bearer = RealtimeTestClient(port: port, headers: [.authorization: "Bearer s3cret"])
            #expect(await bearer.next()?["type"] as? String == "session.created")
            bearer.close()

            let browser = RealtimeTestClient(port: port, headers: [.secWebSocketProtocol: "realtime, openai-insecure-api-key.s3cret"])
            #expect(await browser.next()?["type"] as? String == "session.created")
            browser.close()
            let wrong = RealtimeTestClient(port: port, headers: [.secWebSocketProtocol: "realtime, openai-insecure-api-key.nope"])
            #expect(await wrong.next() == nil)
        }
    }

    @Test(.enabled(if: ServerFixtures.whisperInstalled, "run `make models`"))
    func withoutTurnDetectionACommitIsOneTranscribedItem() async throws {
        let sessions = try ServerFixtures.temporaryFolder("rt-commit")
        let speech = try AudioFile.readSpeech(path: ServerFixtures.speech)
        try await Self.withLiveServer(Self.configuration(sessions, transcribes: true)) { port in
            let client = RealtimeTestClient(port: port)
            var update = Self.update
            update["session"] = ["type": "transcription", "audio": ["input": ["format": ["type": "audio/pcm", "rate": 16000],
                                                                              "turn_detection": NSNull()]]]
            client.send(update)
            let updated = await client.next("session.updated")
            let input = ((updated?["session"] as? [String: Any])?["audio"] as? [String: Any])?["input"] as? [String: Any]
            #expect(input?["turn_detection"] is NSNull)
            Self.appendAndCommit(speech[8000..<64000], to: client)   // the first sentence, 1.0–3.8 s
            let committed = await client.next("input_audio_buffer.committed")
            #expect(committed?["item_id"] as? String == "item_1")
            let completed = await client.next("conversation.item.input_audio_transcription.completed", timeout: .seconds(60))
            let text = completed?["transcript"] as? String ?? ""
            #expect(TestSupport.wordErrorRate(heard: text, said: "The quick brown fox jumps over the lazy dog.") < 0.25, "\(text)")
            #expect(((completed?["usage"] as? [String: Any])?["seconds"] as? Double ?? 0) > 2)
            client.close()
            _ = try await client.closeCode()
        }
        // Not saved: nothing stays behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: sessions.path).isEmpty)
    }

    /// `transcription.prompt` conditions the session's utterances: tiny.en mishears the fixture's
    /// second sentence ("say every word") until the prompt spells it.
    @Test(.enabled(if: ServerFixtures.whisperInstalled, "run `make models`"))
    func theSessionsPromptGuidesTheModel() async throws {
        let sessions = try ServerFixtures.temporaryFolder("rt-prompt")
        let speech = try AudioFile.readSpeech(path: ServerFixtures.speech)
        try await Self.withLiveServer(Self.configuration(sessions, transcribes: true)) { port in
            let client = RealtimeTestClient(port: port)
            var update = Self.update
            update["session"] = ["type": "transcription", "audio": ["input": [
                "format": ["type": "audio/pcm", "rate": 16000], "turn_detection": NSNull(),
                "transcription": ["model": "whisper-1", "prompt": "Please save every word I say."]]]]
            client.send(update)
            _ = await client.next("session.updated")
            Self.appendAndCommit(speech[80_000..<120_000], to: client)   // the second sentence, 5.0–7.5 s
            let completed = await client.next("conversation.item.input_audio_transcription.completed", timeout: .seconds(60))
            let text = completed?["transcript"] as? String ?? ""
            #expect(text.lowercased().contains("save every word"), "\(text)")
            client.close()
            _ = try await client.closeCode()
        }
    }
}
