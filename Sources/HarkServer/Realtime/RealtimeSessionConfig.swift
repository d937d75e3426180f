import Foundation
import Hark

/// A realtime transcription session's settings as the OpenAI Realtime API names them (its
/// transcription session; the beta `transcription_session` shape too), and what they become in a
/// recorder. Fields an update leaves out stay as they were; `turn_detection: null` turns the
/// server's VAD off (the client commits).
struct RealtimeSessionConfig: Sendable, Equatable {
    struct TurnDetection: Sendable, Equatable {
        var threshold = 0.5
        var prefixPaddingMs = 300
        var silenceDurationMs = 500
    }

    /// PCM16 mono at 24 kHz (the API's only rate) or 16 kHz.
    var sampleRate = 24_000
    var model = "whisper-1"
    var language: String?
    var prompt = ""
    var turnDetection: TurnDetection? = TurnDetection()

    /// Applies a `session.update`'s session (`beta`: a `transcription_session.update`'s).
    mutating func apply(_ session: [String: Any], beta: Bool) throws(RealtimeError) {
        if beta { return try applyBeta(session) }
        if let type = session["type"] {
            guard type as? String == "transcription" else {
                throw .invalid("session.type must be \"transcription\": this server transcribes only (no conversation sessions).",
                               param: "session.type")
            }
        }
        guard let input = (session["audio"] as? [String: Any])?["input"] as? [String: Any] else { return }
        if let format = input["format"] as? [String: Any] {
            guard (format["type"] as? String ?? "audio/pcm") == "audio/pcm" else {
                throw .invalid("Only audio/pcm (16-bit little-endian mono) is supported, not \(format["type"] ?? "?").",
                               param: "session.audio.input.format.type")
            }
            if let rate = format["rate"] { sampleRate = try Self.rate(rate) }
        }
        if input.keys.contains("transcription") { try applyTranscription(input["transcription"]) }
        if input.keys.contains("turn_detection") { try applyTurnDetection(input["turn_detection"]) }
    }

    private mutating func applyBeta(_ session: [String: Any]) throws(RealtimeError) {
        if let format = session["input_audio_format"] {
            guard format as? String == "pcm16" else {
                throw .invalid("Only input_audio_format \"pcm16\" is supported.", param: "session.input_audio_format")
            }
            sampleRate = 24_000
        }
        if session.keys.contains("input_audio_transcription") { try applyTranscription(session["input_audio_transcription"]) }
        if session.keys.contains("turn_detection") { try applyTurnDetection(session["turn_detection"]) }
    }

    private mutating func applyTranscription(_ value: Any?) throws(RealtimeError) {
        guard let transcription = value as? [String: Any] else {
            throw .invalid("Transcription cannot be turned off in a transcription session.", param: "session.audio.input.transcription")
        }
        if let model = transcription["model"] as? String { self.model = model }
        if transcription.keys.contains("language") {
            let given = (transcription["language"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            if let given, SpokenLanguage.code(for: given) == nil {
                throw .invalid("language '\(given.prefix(40))' is not one Whisper knows; send an ISO-639-1 code such as en, de or fr, or null to detect it.",
                               param: "session.audio.input.transcription.language")
            }
            language = given.flatMap(SpokenLanguage.code(for:))
        }
        if let prompt = transcription["prompt"] as? String { self.prompt = prompt }
    }

    private mutating func applyTurnDetection(_ value: Any?) throws(RealtimeError) {
        guard let detection = value as? [String: Any] else {
            turnDetection = nil
            return
        }
        guard detection["type"] as? String ?? "server_vad" == "server_vad" else {
            throw .invalid("Only turn_detection type \"server_vad\" (or null) is supported.", param: "session.audio.input.turn_detection.type")
        }
        var next = turnDetection ?? TurnDetection()
        if let threshold = detection["threshold"] {
            guard let value = (threshold as? NSNumber)?.doubleValue, (0...1).contains(value) else {
                throw .invalid("threshold must be a number from 0 to 1.", param: "session.audio.input.turn_detection.threshold")
            }
            next.threshold = value
        }
        if let padding = detection["prefix_padding_ms"] { next.prefixPaddingMs = try Self.milliseconds(padding, "prefix_padding_ms", 0...2_000) }
        if let silence = detection["silence_duration_ms"] {
            next.silenceDurationMs = try Self.milliseconds(silence, "silence_duration_ms", 100...5_000)
        }
        turnDetection = next
    }

    private static func rate(_ value: Any) throws(RealtimeError) -> Int {
        guard let rate = (value as? NSNumber)?.intValue, rate == 24_000 || rate == 16_000 else {
            throw .invalid("The audio rate must be 24000 (the API's) or 16000.", param: "session.audio.input.format.rate")
        }
        return rate
    }

    private static func milliseconds(_ value: Any, _ name: String, _ range: ClosedRange<Int>) throws(RealtimeError) -> Int {
        guard let number = (value as? NSNumber)?.intValue, range.contains(number) else {
            throw .invalid("\(name) must be whole milliseconds from \(range.lowerBound) to \(range.upperBound).",
                           param: "session.audio.input.turn_detection.\(name)")
        }
        return number
    }

    // MARK: What the recorder gets

    /// The VAD mode: Silero at the sensitivity nearest `threshold` (start thresholds 0.3, 0.5,
    /// 0.7), or manual (only the client's commits cut) without turn detection.
    var vadMode: VADMode {
        guard let turnDetection else { return .manual }
        let sensitivity: VADMode.Sensitivity = turnDetection.threshold < 0.4 ? .high : (turnDetection.threshold >= 0.6 ? .low : .normal)
        return VADMode(detector: .silero, sensitivity: sensitivity)
    }

    func apply(to segmenter: inout SegmenterConfiguration) {
        guard let turnDetection else { return }
        segmenter.preRoll = Double(turnDetection.prefixPaddingMs) / 1000
        segmenter.endSilence = Double(turnDetection.silenceDurationMs) / 1000
        segmenter.padding = min(segmenter.padding, segmenter.endSilence / 2)
    }

    // MARK: As the API shows it

    private var transcriptionJSON: [String: Any] {
        ["model": model, "prompt": prompt, "language": language ?? NSNull()]
    }

    private var turnDetectionJSON: Any {
        turnDetection.map {
            ["type": "server_vad", "threshold": $0.threshold, "prefix_padding_ms": $0.prefixPaddingMs,
             "silence_duration_ms": $0.silenceDurationMs] as [String: Any]
        } ?? NSNull()
    }

    /// The session as `session.created`/`session.updated` carry it.
    func json(id: String) -> [String: Any] {
        // OpenAI's clients type the rate as 24000 only: a session showing 16000 fails their
        // validation and is built as the wrong class, so that rate is left out.
        let format: [String: Any] = sampleRate == 24_000 ? ["type": "audio/pcm", "rate": sampleRate] : ["type": "audio/pcm"]
        return ["type": "transcription", "object": "realtime.transcription_session", "id": id,
                "audio": ["input": ["format": format, "transcription": transcriptionJSON,
                                    "turn_detection": turnDetectionJSON, "noise_reduction": NSNull()]],
                "include": NSNull()]
    }

    /// The beta `transcription_session.updated` shape.
    func betaJSON(id: String) -> [String: Any] {
        ["id": id, "object": "realtime.transcription_session", "input_audio_format": "pcm16", "modalities": ["text"],
         "input_audio_transcription": transcriptionJSON, "turn_detection": turnDetectionJSON,
         "input_audio_noise_reduction": NSNull(), "include": NSNull()]
    }
}
