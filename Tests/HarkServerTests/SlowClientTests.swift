import Foundation
import HarkTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import HarkServer
import Hark

/// Clients that hold a place without using it: an upload that trickles in, an event stream that
/// is never read. Real sockets on a real port; each must lose its place within its deadline.
@Suite(.timeLimit(.minutes(2))) struct SlowClientTests {
    /// A blocking TCP connection to 127.0.0.1, with a receive buffer as small as the kernel allows.
    final class RawConnection {
        let fd: Int32
        init(port: Int, smallReceiveBuffer: Bool = false) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            if smallReceiveBuffer {
                var size: Int32 = 1024
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        }
        deinit { close(fd) }

        func send(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
        }

        /// The status line of the answer to `request`, then the connection is dropped.
        static func status(port: Int, _ request: String) throws -> String {
            let connection = try RawConnection(port: port)
            _ = connection.send(request)
            var tv = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = buffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            return String(decoding: buffer[0..<max(0, n)], as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
        }

        /// Reads until the peer closes (or `limit` passes): what it sent.
        func readAll(timeout: Duration) -> String {
            var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                data += buffer[0..<n]
            }
            return String(decoding: data, as: UTF8.self)
        }
    }

    @Test func anUploadThatTricklesIsCutOffAndItsPlaceFreed() async throws {
        let sessions = try ServerFixtures.temporaryFolder("trickle")
        var configuration = ServerFixtures.configuration(sessions: sessions, worker: WorkerPoolConfiguration(
            executable: try TestSupport.fakeWorker(""), arguments: []))
        configuration.queueLimit = 0   // one place: the worker's
        configuration.uploadDeadline = .seconds(5)   // room for the 429 request on a loaded machine
        // The server at hand (not `withServer`), to see when the trickling upload holds its place:
        // under load a new connection's head can be read after a kept-alive one's request.
        let server = try HarkServer(configuration: configuration)
        await server.prepare()
        defer { Task { await server.finish() } }
        let queue = try #require(server.transcriptions)
        try await Application(router: server.makeRouter()).test(.live) { client in
            let port = try #require(client.port)
            let (headers, body) = ServerFixtures.form(file: Data("RIFF".utf8))
            let slow = try RawConnection(port: port)
            #expect(slow.send("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n"))
            for _ in 0..<500 where await queue.outstanding == 0 { try await Task.sleep(for: .milliseconds(2)) }
            #expect(await queue.outstanding == 1, "the trickling upload's head is in and holds the one place")
            // A second upload waits its turn (429) — the body is not even read.
            try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .tooManyRequests)
            }
            // Past the deadline the server closes it; the place is free again.
            let answer = slow.readAll(timeout: .seconds(10))
            #expect(!answer.contains("200 OK"), "\(answer)")
            for _ in 0..<500 where await queue.outstanding > 0 { try await Task.sleep(for: .milliseconds(2)) }
            #expect(await queue.outstanding == 0, "the closed upload's place is freed")
            try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
        }
    }

    /// The quiet case: no recording, meters off, only keep-alives — which fill a reader-less
    /// client's buffers all the same.
    @Test func anIdleEventClientThatReadsNothingIsDisconnected() async throws {
        let sessions = try ServerFixtures.temporaryFolder("idle")
        var configuration = ServerFixtures.configuration(sessions: sessions)
        configuration.transcription = nil
        configuration.maxEventClients = 1
        configuration.eventClientStallTimeout = .seconds(1)
        configuration.eventKeepAliveInterval = .milliseconds(20)
        try await ServerFixtures.withServer(configuration, .live) { client in
            let port = try #require(client.port)
            let stalled = try RawConnection(port: port, smallReceiveBuffer: true)
            #expect(stalled.send("GET /api/events?meters=false HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
            var place = false
            for _ in 0..<40 where !place {
                try await Task.sleep(for: .milliseconds(250))
                let line = try RawConnection.status(port: port, "GET /api/events?meters=false HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                place = line.contains(" 200 ")
                // Nothing (a loaded machine answered late) or 503 until then; never another answer.
                #expect(place || line.contains(" 503 ") || line.isEmpty, "\(line)")
            }
            #expect(place, "the client that read nothing lost its place")
        }
    }

    @Test func anEventClientThatStopsReadingIsDisconnected() async throws {
        let sessions = try ServerFixtures.temporaryFolder("stall")
        var configuration = ServerFixtures.configuration(sessions: sessions, worker: WorkerPoolConfiguration(
            executable: try TestSupport.fakeWorker(""), arguments: []))
        configuration.maxEventClients = 1
        configuration.eventClientStallTimeout = .seconds(1)
        configuration.recorder.transcription = nil
        try await ServerFixtures.withServer(configuration, .live) { client in
            let port = try #require(client.port)
            let stalled = try RawConnection(port: port, smallReceiveBuffer: true)
            #expect(stalled.send("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
            try await Task.sleep(for: .milliseconds(300))
            try await client.execute(uri: "/api/events", method: .get) { response in
                #expect(response.status == .serviceUnavailable, "the one place is taken")
            }
            // Events flood in (the recorder reads its file as fast as it can); the client reads none.
            var place = false
            for _ in 0..<20 where !place {
                try await client.execute(uri: "/api/recorder/start", method: .post) { _ in }
                try await Task.sleep(for: .milliseconds(500))
                let line = try RawConnection.status(port: port, "GET /api/events?meters=false HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                place = line.contains(" 200 ")
            }
            #expect(place, "the stalled client's place was freed")
        }
    }
}
