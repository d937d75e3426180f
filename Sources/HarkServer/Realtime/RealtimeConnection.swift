import Foundation
import Hark
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// One `/v1/realtime` connection: the client's events in, a recorder fed by an `AudioStream`,
/// the recorder's events out as the Realtime API's. Writes go through one task and a bounded
/// queue (`RealtimeLimits.outgoingEvents`), so a slow reader never blocks the recorder.
actor RealtimeConnection {
    enum Outgoing: Sendable {
        case text(String)
        case close(WebSocketErrorCode, String)
    }

    private let hub: RealtimeHub
    private let save: Bool
    private let channel: any Channel
    private let outgoing: AsyncStream<Outgoing>.Continuation
    private let sessionID = "sess_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
    private var sentEvents = 0
    private var closing = false
    private var lastHeard = ContinuousClock.now

    /// nil until the first `session.update`; audio before it is refused.
    private var config: RealtimeSessionConfig?
    private var mapper = RealtimeEventMapper(serverVAD: true, preRoll: 0.3)
    private var recorder: (backend: AsyncRecorderBackend, stream: AudioStream, events: Task<Void, Never>, folder: URL?)?
    /// Samples appended since the last commit or clear (a commit of less than 100 ms is refused).
    private var uncommitted = 0

    private init(hub: RealtimeHub, save: Bool, channel: any Channel, outgoing: AsyncStream<Outgoing>.Continuation) {
        self.hub = hub
        self.save = save
        self.channel = channel
        self.outgoing = outgoing
    }

    /// Runs a connection to its end: refused when all places are taken, else `session.created`,
    /// then the client's events until it closes, goes idle or breaks a limit.
    static func serve(hub: RealtimeHub, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
                      request: Request, channel: any Channel) async {
        let limits = hub.limits
        guard hub.acquire() else {
            let error = RealtimeEventMapper.error(.server(
                "This server already runs \(limits.maxConnections) realtime connection(s), its limit; try again when one ends.",
                code: "too_many_connections"))
            try? await outbound.write(.text(Self.encode(error, eventID: "event_1")))
            try? await outbound.close(.policyViolation, reason: "too many connections")
            return
        }
        defer { hub.release() }
        let (queue, continuation) = AsyncStream<Outgoing>.makeStream(bufferingPolicy: .bufferingOldest(limits.outgoingEvents))
        let save = ["1", "true", "yes"].contains(request.uri.queryParameters.get("save")?.lowercased() ?? "")
        let connection = RealtimeConnection(hub: hub, save: save, channel: channel, outgoing: continuation)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await item in queue {
                    switch item {
                    case .text(let text):
                        do { try await outbound.write(.text(text)) } catch { return }
                    case .close(let code, let reason):
                        try? await outbound.close(code, reason: reason)
                        return
                    }
                }
            }
            group.addTask { await connection.watchIdle() }
            await connection.begin()
            do {
                for try await message in inbound.messages(maxSize: limits.maxFrameBytes) {
                    guard await connection.receive(message) else { break }
                }
            } catch {}
            // The writer ends when the queue is finished, after the last event and any close.
            await connection.end()
        }
    }

    private func begin() {
        send(["type": "session.created", "session": (config ?? RealtimeSessionConfig()).json(id: sessionID)])
    }

    /// Handles one message; false once the connection is closing.
    private func receive(_ message: WebSocketMessage) async -> Bool {
        lastHeard = .now
        guard case .text(let text) = message else {
            fail(.invalid("Send each event as a JSON text message, not binary.", code: "invalid_message"))
            return !closing
        }
        guard text.utf8.count <= hub.limits.maxMessageBytes else {
            fail(.invalid("The message has \(text.utf8.count) bytes; this server takes at most \(hub.limits.maxMessageBytes). Send audio in smaller appends.",
                          code: "message_too_large"))
            return !closing
        }
        let parsed = RealtimeClientEvent.parse(text)
        if let error = parsed.error {
            fail(error, eventID: parsed.eventID)
            return !closing
        }
        switch parsed.event {
        case .sessionUpdate(let session, let beta)?: await update(session, beta: beta, eventID: parsed.eventID)
        case .append(let samples)?: await append(samples, eventID: parsed.eventID)
        case .commit?: commit(eventID: parsed.eventID)
        case .clear?: clear()
        case nil: break
        }
        return !closing
    }

    // MARK: Client events

    private func update(_ session: [String: Any], beta: Bool, eventID: String?) async {
        var next = config ?? RealtimeSessionConfig()
        do {
            try next.apply(session, beta: beta)
        } catch {
            return fail(error, eventID: eventID)
        }
        if let current = config, let recorder {
            // The recorder's rate and timings are set when audio starts; the VAD can change.
            guard next.sampleRate == current.sampleRate,
                  next.turnDetection?.prefixPaddingMs ?? current.turnDetection?.prefixPaddingMs == current.turnDetection?.prefixPaddingMs,
                  next.turnDetection?.silenceDurationMs ?? current.turnDetection?.silenceDurationMs == current.turnDetection?.silenceDurationMs
            else {
                return fail(.invalid("The audio rate, prefix_padding_ms and silence_duration_ms are fixed once audio has come; open a new connection to change them.",
                                     param: "session"), eventID: eventID)
            }
            try? await recorder.backend.setVADMode(next.vadMode)
        }
        config = next
        mapper.serverVAD = next.turnDetection != nil
        if beta {
            send(["type": "transcription_session.updated", "session": next.betaJSON(id: sessionID)])
        } else {
            send(["type": "session.updated", "session": next.json(id: sessionID)])
        }
    }

    private func append(_ samples: [Float], eventID: String?) async {
        guard let config else {
            return fail(.invalid("Send session.update (a transcription session with its audio format) before audio.",
                                 code: "session_not_configured"), eventID: eventID)
        }
        if recorder == nil {
            do {
                try await startRecorder(config)
            } catch {
                fail(.server("The recorder could not start: \(error.message)", code: error.code.rawValue), eventID: eventID)
                return close(.normalClosure, "recorder failed")
            }
        }
        guard let stream = recorder?.stream, !samples.isEmpty else { return }
        // A client faster than real time is read at its pace while the buffer has room; when
        // it is full, reading waits (TCP slows the client) for the recorder to catch up.
        // An append larger than the buffer goes in pieces.
        let piece = max(1, stream.capacity / 4)
        for start in stride(from: 0, to: samples.count, by: piece) {
            let part = Array(samples[start..<min(samples.count, start + piece)])
            let deadline = ContinuousClock.now + hub.limits.bufferStallTimeout
            while !stream.append(part) {
                guard !closing else { return }
                guard ContinuousClock.now < deadline, !Task.isCancelled else {
                    fail(.server("The audio buffer (\(hub.limits.bufferSeconds) s) stayed full for \(hub.limits.bufferStallTimeout): this server cannot keep up with the audio sent.",
                                 code: "input_audio_buffer_full"), eventID: eventID)
                    return close(.policyViolation, "audio buffer full")
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            uncommitted += part.count
        }
    }

    private func commit(eventID: String?) {
        let rate = config?.sampleRate ?? 24_000
        guard let stream = recorder?.stream, uncommitted * 10 >= rate else {
            let ms = uncommitted * 1000 / rate
            return fail(.invalid("Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has \(ms).00ms of audio.",
                                 code: "input_audio_buffer_commit_empty"), eventID: eventID)
        }
        stream.commit()
        uncommitted = 0
    }

    private func clear() {
        recorder?.stream.clear()
        uncommitted = 0
        send(["type": "input_audio_buffer.cleared"])
    }

    // MARK: The recorder

    private func startRecorder(_ config: RealtimeSessionConfig) async throws(HarkError) {
        var configuration = hub.recorder
        let stream = AudioStream(name: "realtime \(sessionID)", sampleRate: Double(config.sampleRate), capacitySeconds: hub.limits.bufferSeconds)
        configuration.input = .stream(stream)
        configuration.vadMode = config.vadMode
        config.apply(to: &configuration.segmenter)
        // Without turn detection only commits cut, and the API commits anything from 100 ms.
        if config.turnDetection == nil { configuration.segmenter.minSpeech = 0.1 }
        var folder: URL?
        if !save {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("hark-realtime-\(sessionID)", isDirectory: true)
            configuration.sessionsDirectory = folder!
            configuration.indexesTranscripts = false
        }
        configuration.transcription?.size = 1
        // The session's prompt conditions every utterance (faster-whisper's initial_prompt).
        // The session's prompt and language, else the server's (`hark serve --prompt/--language`).
        if !config.prompt.isEmpty { configuration.transcription?.options.prompt = String(config.prompt.suffix(Upload.maxPromptCharacters)) }
        // A set language is kept for every utterance; without one, each is detected.
        if let language = config.language { configuration.transcription?.options.language = language }
        if configuration.partialTranscripts == nil { configuration.partialTranscripts = .init() }
        configuration.finishesEarlierSessions = false
        configuration.transcriptionDrainTime = save ? hub.limits.drainTime : .seconds(1)
        configuration.keepAudio = false
        mapper.preRoll = configuration.segmenter.preRoll
        let backend = AsyncRecorderBackend(configuration: configuration)
        let events = backend.events
        let forwarding = Task { [weak self] in
            do {
                for try await event in events { await self?.forward(event) }
            } catch {}
        }
        do {
            try await backend.start()
        } catch {
            forwarding.cancel()
            if let folder { try? FileManager.default.removeItem(at: folder) }
            throw error as? HarkError ?? HarkError(.internalFailure, "\(error)")
        }
        recorder = (backend, stream, forwarding, folder)
        if !configuration.transcribes {
            fail(.server("No Whisper model is installed on this server: utterances are cut and committed, not transcribed.",
                         code: "transcription_unavailable"))
        }
    }

    private func forward(_ event: RecorderEvent) {
        for object in mapper.map(event) { send(object) }
    }

    /// The client has gone (or is being closed): the recorder stops, saving what is open, and a
    /// scratch session is deleted.
    private func end() async {
        closing = true
        guard let recorder else { return outgoing.finish() }
        recorder.stream.finish()
        _ = try? await recorder.backend.stop()
        recorder.events.cancel()
        if let folder = recorder.folder { try? FileManager.default.removeItem(at: folder) }
        self.recorder = nil
        outgoing.finish()
    }

    /// Closes a connection that has sent nothing for `idleTimeout`.
    private func watchIdle() async {
        while !Task.isCancelled, !closing {
            try? await Task.sleep(for: .seconds(1))
            if ContinuousClock.now - lastHeard > hub.limits.idleTimeout, !closing {
                fail(.invalid("Nothing was received for \(hub.limits.idleTimeout); the connection is closed.", code: "idle_timeout"))
                close(.normalClosure, "idle")
            }
        }
    }

    // MARK: Sending

    private func fail(_ error: RealtimeError, eventID: String? = nil) {
        send(RealtimeEventMapper.error(error, eventID: eventID))
    }

    private func close(_ code: WebSocketErrorCode, _ reason: String) {
        guard !closing else { return }
        closing = true
        outgoing.yield(.close(code, reason))
    }

    private func send(_ object: [String: Any]) {
        guard !closing else { return }
        sentEvents += 1
        if case .dropped = outgoing.yield(.text(Self.encode(object, eventID: "event_\(sentEvents)"))) {
            // The client stopped reading: no event reaches it, so the connection is cut.
            closing = true
            hub.logger.warning("realtime: a client stopped reading its events; closing its connection")
            channel.close(promise: nil)
        }
    }

    static func encode(_ object: [String: Any], eventID: String) -> String {
        var object = object
        object["event_id"] = eventID
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data(#"{"type":"error"}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
