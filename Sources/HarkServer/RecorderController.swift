import HarkCore
import Foundation
import Hark

/// The one recorder a server runs, shared by every client: start, stop, VAD mode, status. Its
/// events are relayed to the server's own broadcaster, which every event-stream client reads.
actor RecorderController {
    let recorder: AsyncRecorderBackend
    nonisolated let relay: EventBroadcaster
    private var relayTask: Task<Void, Never>?
    private var lastSummary: RecordingSummary?

    init(configuration: RecorderConfiguration, eventBufferLimit: Int = 1024) {
        recorder = AsyncRecorderBackend(configuration: configuration)
        relay = EventBroadcaster(bufferLimit: eventBufferLimit)
    }

    /// Starts relaying; call once before serving.
    func begin() {
        guard relayTask == nil else { return }
        let events = recorder.events
        let relay = relay
        relayTask = Task {
            do {
                for try await event in events { relay.publish(event) }
            } catch {
                relay.publish(.recorderError(.init(code: .eventConsumerTooSlow, message: "The server fell behind its recorder's events.", fatal: false)))
            }
        }
    }

    struct Status: Codable, Sendable {
        var recording: Bool
        var sessionID: String?
        var sessionPath: String?
        var vadMode: String
        var availableVADModes: [String]
        var input: String
        var transcribes: Bool
        var lastStop: RecordingSummary?
    }

    func status() async -> Status {
        let url = await recorder.sessionURL
        let mode = await recorder.currentVADMode
        let input: String = switch recorder.configuration.input {
        case .device(let selector): selector.description
        case .file(let path, _): path
        case .stream(let stream): stream.name
        }
        return Status(recording: await recorder.isRecording, sessionID: url?.lastPathComponent, sessionPath: url?.path,
                      vadMode: mode.description, availableVADModes: recorder.availableDetectors.map(\.rawValue),
                      input: input, transcribes: recorder.configuration.transcribes, lastStop: lastSummary)
    }

    func start() async throws -> Status {
        try await recorder.start()
        return await status()
    }

    func stop() async throws -> Status {
        lastSummary = try await recorder.stop()
        return await status()
    }

    func setVADMode(_ argument: String) async throws -> Status {
        guard let mode = VADMode(argument: argument) else {
            throw HarkError.invalidInput("'\(argument)' is not a VAD mode; try silero, energy or manual, optionally :low, :normal or :high.")
        }
        try await recorder.setVADMode(mode)
        return await status()
    }

    /// The session being recorded, if any (it may not be deleted).
    func activeSessionID() async -> String? {
        await recorder.isRecording ? await recorder.sessionURL?.lastPathComponent : nil
    }

    /// On server shutdown: the utterance in progress is saved, then event streams end.
    func shutdown() async {
        if await recorder.isRecording { lastSummary = try? await recorder.stop() }
        relayTask?.cancel()
        relay.finish()
    }
}
