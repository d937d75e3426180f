import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Hark
import HarkAudio
@testable import HarkRemote
@testable import HarkServer

/// The remote engine against a real server on a real port.
@Suite(.timeLimit(.minutes(2)), .enabled(if: ServerFixtures.whisperInstalled, "run `make models`"))
struct RemoteEngineTests {
    /// Port 1 on loopback: nothing listens there, so connecting is refused at once.
    let dead = URL(string: "http://127.0.0.1:1")!

    @Test func failsOverPastADeadEndpoint() async throws {
        let samples = Array(try AudioFile.readSpeech(path: ServerFixtures.speech).prefix(16_000 * 4))
        let sessions = try ServerFixtures.temporaryFolder("remote")
        var configuration = ServerFixtures.configuration(sessions: sessions, token: "tok")
        configuration.recorder.transcription = nil
        let dead = dead
        try await ServerFixtures.withServer(configuration, .live) { client in
            let live = URL(string: "http://127.0.0.1:\(try #require(client.port))")!
            var remote = RemoteEngineConfiguration(endpoints: [dead, live], token: "tok")
            remote.rounds = 1
            let engine = try RemoteTranscriptionEngine(configuration: remote)
            for _ in 0..<2 {   // requests rotate, so the dead one comes first once
                let transcript = try await engine.transcribe(samples, options: .init())
                #expect(transcript.text.lowercased().contains("lazy dog"), "\(transcript.text)")
                #expect(!transcript.segments.isEmpty)
            }
        }
    }

    @Test func saysUnavailableWhenNoEndpointAnswers() async throws {
        var remote = RemoteEngineConfiguration(endpoints: [dead, URL(string: "http://127.0.0.1:1/v1")!])
        remote.rounds = 2
        remote.backoff = .milliseconds(10)
        let engine = try RemoteTranscriptionEngine(configuration: remote)
        do {
            _ = try await engine.transcribe([Float](repeating: 0, count: 16_000), options: .init())
            Issue.record("no endpoint answered, yet it succeeded")
        } catch let error as HarkError {
            #expect(error.code == .remoteUnavailable)
            #expect(error.message.contains("127.0.0.1:1"), "\(error.message)")
        }
    }

    @Test func refusesAnythingButHTTPURLs() {
        #expect(throws: HarkError.self) { try RemoteTranscriptionEngine(configuration: .init(endpoints: [])) }
        #expect(throws: HarkError.self) { try RemoteTranscriptionEngine(configuration: .init(endpoints: [URL(string: "ftp://x")!])) }
        #expect(RemoteEngineConfiguration.transcriptionsURL(URL(string: "http://h:1")!).path == "/v1/audio/transcriptions")
        #expect(RemoteEngineConfiguration.transcriptionsURL(URL(string: "http://h:1/v1")!).path == "/v1/audio/transcriptions")
        // Two endpoints timing out in each of 3 rounds, with 0.5 + 1 s of backoff between rounds.
        #expect(RemoteEngineConfiguration(endpoints: [dead, dead]).longestTranscription == .milliseconds(361_500))
    }
}
