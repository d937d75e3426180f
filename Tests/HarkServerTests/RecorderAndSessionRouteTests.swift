import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import HarkServer
import Hark

/// Recorder control and the sessions API, through a real recording of `speech.wav` with real
/// transcription workers.
@Suite(.timeLimit(.minutes(3)), .enabled(if: ServerFixtures.whisperInstalled, "run `make models`"))
struct RecorderAndSessionRouteTests {
    @Test func recordThenReadEverythingBackThenDelete() async throws {
        let sessions = try ServerFixtures.temporaryFolder("routes")
        try await ServerFixtures.withServer(ServerFixtures.configuration(sessions: sessions)) { client in
            try await client.execute(uri: "/api/recorder", method: .get) { response in
                #expect(ServerFixtures.json(response)["recording"] as? Bool == false)
            }
            try await client.execute(uri: "/api/recorder/vad-mode", method: .put, body: ByteBuffer(string: #"{"mode":"loud"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(ServerFixtures.errorMessage(response).contains("not a VAD mode"))
            }
            try await client.execute(uri: "/api/recorder/vad-mode", method: .put, body: ByteBuffer(string: "mode=x")) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/recorder/vad-mode", method: .put, body: ByteBuffer(string: #"{"mode":"silero:high"}"#)) { response in
                #expect(ServerFixtures.json(response)["vadMode"] as? String == "silero:high")
            }
            let id = try await client.execute(uri: "/api/recorder/start", method: .post) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return ServerFixtures.json(response)["sessionID"] as? String ?? ""
            }
            // The file input ends by itself; transcription finishes in the background.
            let deadline = ContinuousClock.now + .seconds(90)
            while true {
                let done = try await client.execute(uri: "/api/sessions", method: .get) { response in
                    let list = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]]) ?? []
                    return list.first.map { ($0["state"] as? String == "stopped") && ($0["transcribed"] as? Int == 4) } ?? false
                }
                if done { break }
                try #require(ContinuousClock.now < deadline, "the session was not transcribed in time")
                try await Task.sleep(for: .milliseconds(200))
            }
            // Transcripts can be complete before the recorder has shut its workers down; until it
            // has, the session still counts as being recorded (and deleting it is refused).
            while try await client.execute(uri: "/api/recorder", method: .get) { ServerFixtures.json($0)["recording"] as? Bool != false } {
                try #require(ContinuousClock.now < deadline, "the recorder did not finish in time")
                try await Task.sleep(for: .milliseconds(100))
            }
            try await client.execute(uri: "/api/sessions/\(id)", method: .get) { response in
                #expect((ServerFixtures.json(response)["segments"] as? [Any])?.count == 4)
            }
            for (format, marker) in [("txt", "lazy dog"), ("srt", " --> "), ("vtt", "WEBVTT"), ("json", "\"segments\"")] {
                try await client.execute(uri: "/api/sessions/\(id)/transcript?format=\(format)", method: .get) { response in
                    #expect(String(buffer: response.body).contains(marker), "\(format)")
                }
            }
            try await client.execute(uri: "/api/sessions/\(id)/transcript?format=doc", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/sessions/\(id)/segments/2", method: .get) { response in
                #expect(response.headers[.contentType] == "audio/wav")
                #expect(String(buffer: response.body.getSlice(at: 0, length: 4)!) == "RIFF")
            }
            try await client.execute(uri: "/api/sessions/\(id)/segments/99", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(ServerFixtures.errorMessage(response).contains("no saved segment 99"))
            }
            try await client.execute(uri: "/api/sessions/\(id)/segments/first", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/sessions/..%2F..%2Fetc", method: .get) { response in
                #expect(response.status == .badRequest || response.status == .notFound)
            }
            try await client.execute(uri: "/api/sessions/2020-01-01T00-00-00Z", method: .get) { response in
                #expect(response.status == .notFound)
            }
            // Search: the recording's transcripts are in the index, hits point at their audio.
            try await client.execute(uri: "/api/search?q=%22lazy%20dog%22", method: .get) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let hits = ServerFixtures.json(response)["hits"] as? [[String: Any]] ?? []
                #expect(hits.count == 1)
                #expect(hits.first?["session"] as? String == id)
                let text = hits.first?["text"] as? String ?? ""
                let audio = hits.first?["audio"] as? String ?? ""
                #expect(text.lowercased().contains("lazy dog"))
                let matches = hits.first?["matches"] as? [[Int]] ?? []
                #expect(matches.count == 1, "the phrase is marked as one span")
                if let span = matches.first, span.count == 2 {
                    let marked = String(decoding: Array(text.utf16)[span[0]..<span[1]], as: UTF16.self)
                    #expect(marked.lowercased() == "lazy dog", "\(marked)")
                }
                #expect(audio.hasPrefix("/api/sessions/\(id)/segments/"))
                #expect(ServerFixtures.json(response)["hasMore"] as? Bool == false)
            }
            for (query, status) in [("%22lazy", HTTPResponse.Status.badRequest), ("lazy&limit=0", .badRequest),
                                    ("lazy&since=someday", .badRequest), ("lazy&offset=x", .badRequest), ("", .badRequest),
                                    ("lazy&literal=true&language=de", .ok)] {
                try await client.execute(uri: "/api/search?q=\(query)", method: .get) { response in
                    #expect(response.status == status, "\(query): \(String(buffer: response.body))")
                    if status == .badRequest { #expect(!ServerFixtures.errorMessage(response).isEmpty) }
                }
            }
            try await client.execute(uri: "/api/search", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/sessions/\(id)", method: .delete) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/api/search?q=lazy", method: .get) { response in
                #expect((ServerFixtures.json(response)["hits"] as? [Any])?.count == 0, "a deleted session leaves the index")
            }
            try await client.execute(uri: "/api/sessions/\(id)", method: .get) { response in
                #expect(response.status == .notFound)
            }
            #expect(!FileManager.default.fileExists(atPath: sessions.appendingPathComponent(id).path))
            try await client.execute(uri: "/api/recorder/stop", method: .post) { response in
                #expect(response.status == .conflict || response.status == .ok)
            }
            try await client.execute(uri: "/no/such/route", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(ServerFixtures.errorMessage(response).contains("No such route"))
            }
        }
    }

    @Test func theSessionBeingRecordedCannotBeDeleted() async throws {
        let sessions = try ServerFixtures.temporaryFolder("routes")
        var configuration = ServerFixtures.configuration(sessions: sessions)
        configuration.recorder.input = .file(path: ServerFixtures.speech, pacing: .realTime)
        configuration.recorder.transcription = nil
        try await ServerFixtures.withServer(configuration) { client in
            let id = try await client.execute(uri: "/api/recorder/start", method: .post) {
                ServerFixtures.json($0)["sessionID"] as? String ?? ""
            }
            try await client.execute(uri: "/api/recorder/start", method: .post) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "/api/sessions/\(id)", method: .delete) { response in
                #expect(response.status == .conflict)
                #expect(ServerFixtures.errorMessage(response).contains("being recorded"))
            }
            try await client.execute(uri: "/api/recorder/stop", method: .post) { response in
                #expect(ServerFixtures.json(response)["recording"] as? Bool == false)
            }
            try await client.execute(uri: "/api/recorder/stop", method: .post) { response in
                #expect(response.status == .conflict, "stopping twice: \(String(buffer: response.body))")
            }
        }
    }

    /// A session another process owns (here: a lock taken as `hark record` or `hark resume`
    /// takes it) is not deleted under it.
    @Test func aSessionLockedByAnotherOwnerCannotBeDeleted() async throws {
        let sessions = try ServerFixtures.temporaryFolder("locked")
        var configuration = ServerFixtures.configuration(sessions: sessions)
        configuration.recorder.transcription = nil
        try await ServerFixtures.withServer(configuration) { client in
            let id = try await client.execute(uri: "/api/recorder/start", method: .post) {
                ServerFixtures.json($0)["sessionID"] as? String ?? ""
            }
            var ended = false
            for _ in 0..<200 where !ended {
                try await client.execute(uri: "/api/recorder", method: .get) { response in
                    ended = ServerFixtures.json(response)["recording"] as? Bool == false
                }
                if !ended { try await Task.sleep(for: .milliseconds(50)) }
            }
            try #require(!id.isEmpty && ended, "the recording of the file ended")
            let lock = try SessionLock.acquire(sessions.appendingPathComponent(id))
            try await client.execute(uri: "/api/sessions/\(id)", method: .delete) { response in
                #expect(response.status == .conflict)
                #expect(ServerFixtures.errorMessage(response).contains("being recorded"), "\(ServerFixtures.errorMessage(response))")
            }
            lock.release()
            // Released — though a process this one forks meanwhile (the parallel tests start many)
            // shares the lock until it execs and close-on-exec drops it: so within a moment.
            var deleted = false
            for _ in 0..<100 where !deleted {
                try await client.execute(uri: "/api/sessions/\(id)", method: .delete) { response in
                    deleted = response.status == .noContent
                    #expect(deleted || response.status == .conflict)
                }
                if !deleted { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(deleted)
        }
    }
}

@Suite struct AccessTests {
    @Test func aTokenGuardsEveryAPIRouteButNotThePage() async throws {
        let sessions = try ServerFixtures.temporaryFolder("token")
        var configuration = ServerFixtures.configuration(sessions: sessions, token: "s3cret")
        configuration.transcription = nil
        try await ServerFixtures.withServer(configuration) { client in
            for uri in ["/api/recorder", "/api/sessions", "/api/events", "/v1/models"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(uri)")
                    #expect(ServerFixtures.errorMessage(response).contains("Bearer"))
                }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                    #expect(response.status == .unauthorized, "\(uri)")
                    #expect(ServerFixtures.errorMessage(response).contains("wrong"))
                }
            }
            try await client.execute(uri: "/api/sessions", method: .get, headers: [.authorization: "Bearer s3cret"]) { response in
                #expect(response.status == .ok)
            }
            for uri in ["//api/sessions", "/api//recorder", "//v1/models"] {   // the router ignores empty components
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(uri)")
                }
            }
            // ?token= only where browsers send no headers: the event stream and segment audio.
            try await client.execute(uri: "/api/recorder?token=s3cret", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/recorder/start?token=s3cret", method: .post) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/sessions/x/segments/1?token=s3cret", method: .get) { response in
                #expect(response.status != .unauthorized)
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("<title>Hark</title>"))
            }
            try await client.execute(uri: "/api/health", method: .get, headers: [.authorization: "Bearer s3cret"]) { response in
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
            // A list of inputs where there are some (the virtual microphone), else a clear error.
            try await client.execute(uri: "/api/devices", method: .get, headers: [.authorization: "Bearer s3cret"]) { response in
                let body = String(buffer: response.body)
                if response.status == .ok {
                    #expect(body.hasPrefix("["), "\(body)")
                } else {
                    #expect(response.status.code >= 400 && body.contains("\"message\""), "\(body)")
                }
            }
            try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: [.authorization: "Bearer s3cret"]) { response in
                #expect(response.status == .serviceUnavailable, "no workers configured")
                #expect(ServerFixtures.errorMessage(response).contains("make models"))
            }
        }
    }

    @Test func aNonLoopbackAddressNeedsAToken() throws {
        var configuration = ServerFixtures.configuration(sessions: URL(fileURLWithPath: "/tmp"))
        configuration.host = "0.0.0.0"
        #expect(throws: HarkError.self) { try HarkServer(configuration: configuration) }
        configuration.token = "t"
        _ = try HarkServer(configuration: configuration)
        #expect(ServerConfiguration.isLoopback("127.0.0.1") && ServerConfiguration.isLoopback("::1"))
        #expect(!ServerConfiguration.isLoopback("192.168.1.2") && !ServerConfiguration.isLoopback("127.example.net"))
        configuration.token = ""
        #expect(throws: HarkError.self, "an empty token is no token") { try HarkServer(configuration: configuration) }
    }
}
