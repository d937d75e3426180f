import Foundation
import Hark

/// An `error` event's content, as the Realtime API shapes it.
struct RealtimeError: Error, Sendable, Equatable {
    /// "invalid_request_error" (the client's fault) or "server_error".
    var type: String
    var code: String?
    var message: String
    var param: String?

    static func invalid(_ message: String, param: String? = nil, code: String = "invalid_value") -> RealtimeError {
        RealtimeError(type: "invalid_request_error", code: code, message: message, param: param)
    }

    static func server(_ message: String, code: String) -> RealtimeError {
        RealtimeError(type: "server_error", code: code, message: message, param: nil)
    }
}

/// One event the client sent, parsed: the transcription subset of the Realtime API.
enum RealtimeClientEvent {
    /// `session.update` (or the beta's `transcription_session.update`, `beta`).
    case sessionUpdate(session: [String: Any], beta: Bool)
    /// `input_audio_buffer.append`: PCM16 little-endian mono samples, as floats.
    case append([Float])
    case commit
    case clear

    /// Parses one text message; the error names what is wrong (with the client's `event_id`).
    static func parse(_ text: String) -> (event: RealtimeClientEvent?, eventID: String?, error: RealtimeError?) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return (nil, nil, .invalid("Every message must be a JSON object, one event.", code: "invalid_json"))
        }
        let eventID = object["event_id"] as? String
        func fail(_ error: RealtimeError) -> (RealtimeClientEvent?, String?, RealtimeError?) { (nil, eventID, error) }
        switch object["type"] as? String {
        case "session.update", "transcription_session.update":
            guard let session = object["session"] as? [String: Any] else {
                return fail(.invalid("session.update needs a session object.", param: "session", code: "missing_required_parameter"))
            }
            return (.sessionUpdate(session: session, beta: object["type"] as? String == "transcription_session.update"), eventID, nil)
        case "input_audio_buffer.append":
            guard let audio = object["audio"] as? String else {
                return fail(.invalid("input_audio_buffer.append needs audio: base64 PCM16.", param: "audio", code: "missing_required_parameter"))
            }
            guard let bytes = Data(base64Encoded: audio), bytes.count % 2 == 0 else {
                return fail(.invalid("audio is not base64 of 16-bit PCM samples.", param: "audio", code: "invalid_value"))
            }
            return (.append(Self.samples(bytes)), eventID, nil)
        case "input_audio_buffer.commit": return (.commit, eventID, nil)
        case "input_audio_buffer.clear": return (.clear, eventID, nil)
        case let type?:
            return fail(.invalid("'\(type)' is not an event this server takes: it transcribes (session.update, input_audio_buffer.append, .commit, .clear).",
                                 param: "type", code: "unknown_event_type"))
        case nil:
            return fail(.invalid("The event has no type.", param: "type", code: "missing_required_parameter"))
        }
    }

    static func samples(_ bytes: Data) -> [Float] {
        bytes.withUnsafeBytes { raw in
            (0..<(raw.count / 2)).map { Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) / 32768 }
        }
    }
}

/// The recorder's events as the Realtime API's server events, for one connection: item ids per
/// segment, deltas of stable text only (a delta is appended text, so text that might still change
/// is never sent), the final as `completed`. A value with no I/O: tested with events alone.
struct RealtimeEventMapper {
    /// Turn detection on: speech start and stop are reported (off, only commits make items).
    var serverVAD: Bool
    /// Seconds of audio kept before speech (`prefix_padding_ms`), which an item's start includes.
    var preRoll: Double

    private var lastSaved = 0
    private var sentStable: [Int: String] = [:]
    private var durations: [Int: Double] = [:]

    init(serverVAD: Bool, preRoll: Double) {
        self.serverVAD = serverVAD
        self.preRoll = preRoll
    }

    static func itemID(_ segment: Int) -> String { "item_\(segment)" }

    mutating func map(_ event: RecorderEvent) -> [[String: Any]] {
        switch event {
        case .speechStarted(let e) where serverVAD:
            return [["type": "input_audio_buffer.speech_started", "item_id": Self.itemID(lastSaved + 1),
                     "audio_start_ms": Self.milliseconds(max(0, e.time - preRoll))]]
        case .speechEnded(let e) where serverVAD:
            return [["type": "input_audio_buffer.speech_stopped", "item_id": Self.itemID(lastSaved + 1),
                     "audio_end_ms": Self.milliseconds(e.time)]]
        case .segmentSaved(let e):
            let id = e.segment.id
            defer { lastSaved = id }
            durations[id] = e.segment.duration
            return [["type": "input_audio_buffer.committed", "item_id": Self.itemID(id),
                     "previous_item_id": lastSaved > 0 ? Self.itemID(lastSaved) as Any : NSNull()]]
        case .transcriptionPartial(let p):
            let sent = sentStable[p.segmentID] ?? ""
            guard p.stable.count > sent.count, p.stable.hasPrefix(sent) else { return [] }
            sentStable[p.segmentID] = p.stable
            return [["type": "conversation.item.input_audio_transcription.delta", "item_id": Self.itemID(p.segmentID),
                     "content_index": 0, "delta": String(p.stable.dropFirst(sent.count))]]
        case .transcriptionComplete(let e):
            sentStable[e.segmentID] = nil
            return [["type": "conversation.item.input_audio_transcription.completed", "item_id": Self.itemID(e.segmentID),
                     "content_index": 0, "transcript": e.text,
                     "usage": ["type": "duration", "seconds": ((durations.removeValue(forKey: e.segmentID) ?? 0) * 1000).rounded() / 1000]]]
        case .transcriptionFailed(let e):
            sentStable[e.segmentID] = nil
            durations[e.segmentID] = nil
            return [["type": "conversation.item.input_audio_transcription.failed", "item_id": Self.itemID(e.segmentID),
                     "content_index": 0, "error": ["type": "server_error", "code": "transcription_failed", "message": e.reason]]]
        case .recorderError(let e) where e.fatal:
            return [Self.error(.server(e.message, code: e.code.rawValue))]
        default:
            return []
        }
    }

    static func error(_ error: RealtimeError, eventID: String? = nil) -> [String: Any] {
        ["type": "error", "error": ["type": error.type, "code": error.code as Any? ?? NSNull(), "message": error.message,
                                    "param": error.param as Any? ?? NSNull(), "event_id": eventID as Any? ?? NSNull()]]
    }

    static func milliseconds(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }
}
