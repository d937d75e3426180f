import Foundation
import Hark

/// How `hark serve` listens and what it runs.
public struct ServerConfiguration: Sendable {
    /// The address to bind; only loopback addresses may go without a `token`.
    public var host = "127.0.0.1"
    /// The TCP port to listen on; 0 lets the system pick one (`HarkServer`'s `onRunning` hears it).
    public var port = 8765
    /// Required (as `Authorization: Bearer …`, or `?token=` where a browser cannot send headers)
    /// on every API route when set; `hark serve` refuses a non-loopback address without one.
    public var token: String?
    /// The recorder behind `/api/recorder` (its device, sessions folder, VAD mode, workers).
    public var recorder: RecorderConfiguration
    /// Workers for `POST /v1/audio/transcriptions`; nil answers it with 503 (no model installed).
    public var transcription: WorkerPoolConfiguration?
    /// Uploads waiting for a worker beyond those running; more get 429 with Retry-After.
    public var queueLimit = 8
    /// Largest upload accepted (OpenAI's own limit is 25 MB); larger gets 413.
    public var maxUploadBytes = 25 * 1024 * 1024
    /// Longest decoded audio of one upload; longer gets 413 (a small file may decode to hours).
    public var maxUploadSeconds: Double = 3600
    /// The whole upload must arrive within this, or the connection is closed and its queue
    /// place freed (a client sending a byte now and then would otherwise keep it for ever).
    public var uploadDeadline: Duration = .seconds(120)
    /// Event-stream clients at once; more get 503.
    public var maxEventClients = 32
    /// An event-stream client that has not taken what it was sent for this long (it stopped
    /// reading and its socket buffers are full) is disconnected, freeing its place.
    public var eventClientStallTimeout: Duration = .seconds(30)
    /// How often an event stream carries a keep-alive comment of 4 KiB. Proxies keep the stream
    /// open, and a client that reads nothing fills its socket buffers (some 100 KB) in minutes
    /// even while no event is sent, so that it is found stalled: at the default, within about
    /// seven minutes, at a cost of 270 bytes a second per client.
    public var eventKeepAliveInterval: Duration = .seconds(15)
    /// Realtime transcription over WebSocket (`GET /v1/realtime`): connections, sizes, timeouts.
    public var realtime = RealtimeLimits()

    /// The defaults above, for `recorder`; no transcription workers.
    public init(recorder: RecorderConfiguration) {
        self.recorder = recorder
    }

    /// True for 127.0.0.0/8, ::1 and localhost: the only binds allowed without a token. Addresses
    /// are parsed, so that a name such as "127.example.net" is not taken for one.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else { return false }
        return UInt32(bigEndian: address.s_addr) >> 24 == 127
    }
}
