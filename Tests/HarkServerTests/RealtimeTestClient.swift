import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket

/// A WebSocket client of `/v1/realtime` for tests (Hummingbird's client, a real socket): events
/// in as JSON objects, messages out, and the close code the server ended with.
final class RealtimeTestClient: Sendable {
    enum Outgoing: Sendable {
        case text(String)
        case binary([UInt8])
        case close
    }

    private let toServer: AsyncStream<Outgoing>.Continuation
    private let fromServer: AsyncStream<String>
    private let connection: Task<WebSocketCloseFrame?, any Error>

    init(port: Int, query: String = "intent=transcription", headers: HTTPFields = [:]) {
        let (outgoing, toServer) = AsyncStream<Outgoing>.makeStream()
        let (fromServer, received) = AsyncStream<String>.makeStream()
        self.toServer = toServer
        self.fromServer = fromServer
        let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 24, additionalHeaders: headers)
        connection = Task {
            defer { received.finish() }
            return try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/realtime?\(query)", configuration: configuration,
                                                     logger: Logger(label: "realtime-test")) { inbound, outbound, _ in
                let sender = Task {
                    for await item in outgoing {
                        switch item {
                        case .text(let text): try await outbound.write(.text(text))
                        case .binary(let bytes): try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                        case .close:
                            try await outbound.close(.normalClosure, reason: nil)
                            return
                        }
                    }
                }
                defer { sender.cancel() }
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    if case .text(let text) = message { received.yield(text) }
                }
            }
        }
    }

    func send(_ object: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: object)
        toServer.yield(.text(String(decoding: data, as: UTF8.self)))
    }

    func sendText(_ text: String) { toServer.yield(.text(text)) }
    func sendBinary(_ bytes: [UInt8]) { toServer.yield(.binary(bytes)) }
    func close() { toServer.yield(.close) }

    /// PCM16 of `samples` as an append event.
    func append(_ samples: [Float]) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(samples.count * 2)
        for sample in samples {
            let value = Int16(max(-32768, min(32767, (sample * 32768).rounded())))
            bytes.append(UInt8(truncatingIfNeeded: value))
            bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        }
        send(["type": "input_audio_buffer.append", "audio": Data(bytes).base64EncodedString()])
    }

    /// The next server event of `type` (others are skipped), or nil when the connection ends first
    /// or `timeout` passes.
    func next(_ type: String? = nil, timeout: Duration = .seconds(30)) async -> [String: Any]? {
        let stream = fromServer
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await text in stream {
                    guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { continue }
                    if type == nil || object["type"] as? String == type { return text }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first.flatMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        }
    }

    /// How the server closed the connection (nil: no close frame), once it has. After `timeout`
    /// the connection is cancelled (its input closed), so that a client that saw the server's
    /// close but not the end of the socket — seen under load: its socket sat in CLOSE-WAIT and the
    /// test waited for ever, beyond its time limit — still returns what it received.
    func closeCode(timeout: Duration = .seconds(10)) async throws -> WebSocketErrorCode? {
        let connection = self.connection
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            connection.cancel()
        }
        defer { watchdog.cancel() }
        do {
            return try await connection.value?.closeCode
        } catch is CancellationError {
            return nil
        }
    }
}

extension [String: Any] {
    var errorCode: String? { (self["error"] as? [String: Any])?["code"] as? String }
}
