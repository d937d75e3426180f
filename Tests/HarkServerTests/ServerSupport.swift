import Foundation
import HarkTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import HarkServer
import Hark

enum ServerFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let speech = repository.appendingPathComponent("Tests/Fixtures/speech.wav").path

    static let harkExecutable = TestSupport.harkExecutable

    static var whisperInstalled: Bool {
        FileManager.default.fileExists(atPath: RecorderConfiguration.defaultModelsDirectory()
            .appendingPathComponent("whisper-tiny.en/model.bin").path)
    }

    static func temporaryFolder(_ label: String) throws -> URL { try TestSupport.temporaryFolder(label) }

    /// A server whose recorder reads `speech.wav` as fast as it can, with real `hark worker`s
    /// (greedy, one process) for both the recorder and the API — or `worker` instead.
    static func configuration(sessions: URL, token: String? = nil, worker: WorkerPoolConfiguration? = nil) -> ServerConfiguration {
        var recorder = RecorderConfiguration()
        recorder.input = .file(path: speech, pacing: .asFastAsPossible)
        recorder.sessionsDirectory = sessions
        var workers = worker ?? WorkerPoolConfiguration(executable: harkExecutable)
        workers.size = 1
        if worker == nil { workers.options.beamSize = 1 }
        recorder.transcription = workers
        var configuration = ServerConfiguration(recorder: recorder)
        configuration.token = token
        configuration.transcription = workers
        configuration.queueLimit = 2
        return configuration
    }

    /// Runs `test` against the server's routes, in process (`.router`) or on a real port (`.live`).
    static func withServer<Value: Sendable>(_ configuration: ServerConfiguration, _ setup: TestingSetup = .router,
                                            _ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let server = try HarkServer(configuration: configuration)
        await server.prepare()
        let application = Application(router: server.makeRouter())
        do {
            let value = try await application.test(setup, test)
            await server.finish()
            return value
        } catch {
            await server.finish()
            throw error
        }
    }

    /// A multipart/form-data body as curl -F sends it.
    static func form(file: Data?, fileName: String = "speech.wav", fields: [String: String] = [:]) -> (HTTPFields, ByteBuffer) {
        let boundary = "test-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        if let file {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
            body.append(file)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return ([.contentType: "multipart/form-data; boundary=\(boundary)"], ByteBuffer(bytes: body))
    }

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
    }

    static func errorMessage(_ response: TestResponse) -> String {
        (json(response)["error"] as? [String: Any])?["message"] as? String ?? String(buffer: response.body)
    }
}
