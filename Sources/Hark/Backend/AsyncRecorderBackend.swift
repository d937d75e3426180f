import Foundation
import HarkAudio
import HarkCore

/// The recorder for async code: capture → VAD → utterances → session folder → events.
///
/// ```swift
/// let recorder = AsyncRecorderBackend(configuration: .init()) { event in print(event.name) }
/// try await recorder.start()
/// try await Task.sleep(for: .seconds(10))
/// let summary = try await recorder.stop()
/// ```
/// Detectors load lazily on the first `start()`, off the caller's executor. File writes happen on
/// the session store's actor, never on the caller or the audio thread. Events reach the handler
/// (sync or async) and every `events` subscriber in order.
public actor AsyncRecorderBackend {
    /// What it was made with; fixed for its life.
    public nonisolated let configuration: RecorderConfiguration
    private let broadcaster: EventBroadcaster
    private let handlerTask: Task<Void, Never>?
    private var lifecycle = RecorderLifecycle()
    private var detectors: [VADMode.Detector: any VoiceActivityDetector]?
    private var vadMode: VADMode
    private var control: CaptureControl?
    private var captureTask: Task<RecordingSummary, Never>?
    private var catchUp: Task<Void, Never>?

    /// The current (or last) session folder; set once `start()` returns.
    public private(set) var sessionURL: URL?

    /// A recorder with `configuration`, its events read from `events`; nothing loads until `start()`.
    public init(configuration: RecorderConfiguration = .init()) {
        self.init(configuration: configuration, handler: nil)
    }

    /// With a handler called for every event, in order, off the recorder's own tasks.
    public init(configuration: RecorderConfiguration = .init(),
                eventHandler: @escaping @Sendable (RecorderEvent) -> Void) {
        self.init(configuration: configuration, handler: { eventHandler($0) })
    }

    /// With an async handler, awaited for each event in order before the next is delivered.
    public init(configuration: RecorderConfiguration = .init(),
                eventHandler: @escaping @Sendable (RecorderEvent) async -> Void) {
        self.init(configuration: configuration, handler: eventHandler)
    }

    private init(configuration: RecorderConfiguration, handler: (@Sendable (RecorderEvent) async -> Void)?) {
        self.configuration = configuration
        let broadcaster = EventBroadcaster(bufferLimit: configuration.eventBufferLimit)
        self.broadcaster = broadcaster
        vadMode = configuration.vadMode
        if let handler {
            let stream = broadcaster.subscribe()
            handlerTask = Task { try? await Self.deliver(stream, to: handler) }
        } else {
            handlerTask = nil
        }
    }

    private static func deliver(_ stream: EventStream, to handler: @Sendable (RecorderEvent) async -> Void) async throws {
        for try await event in stream { await handler(event) }
    }

    deinit {
        catchUp?.cancel()
        control?.requestStop()
        broadcaster.finish()
    }

    /// Every event from now on. Each access is a new subscription with its own bounded buffer.
    public nonisolated var events: EventStream { broadcaster.subscribe() }

    /// Whether a recording runs now.
    public var isRecording: Bool { lifecycle.isRecording }

    /// The VAD mode in force (or that the next recording starts with).
    public var currentVADMode: VADMode { vadMode }

    /// Starts a new session. Throws `alreadyRecording` if one is running, and a clear error when
    /// the device or file cannot be opened or the sessions folder is not writable.
    public func start() async throws {
        try lifecycle.beginStart()
        do {
            let detectors = try await loadedDetectors()
            let source = try makeSource()
            let store = try SessionStore.create(root: configuration.sessionsDirectory, source: sourceInfo(source),
                                                configuration: configuration, vadMode: vadMode)
            let folder = store.folder
            do {
                try source.start()
            } catch {
                await store.releaseLock()
                try? FileManager.default.removeItem(at: folder)
                throw error
            }
            let control = CaptureControl()
            let started = RecordingStarted(sessionID: folder.lastPathComponent, sessionPath: folder.path,
                                           source: source.name, inputFormat: source.format, vadMode: vadMode)
            var setup = CaptureSetup(source: source, store: store, events: broadcaster, control: control,
                                     detectors: detectors, mode: vadMode, segmenter: configuration.segmenter,
                                     pollInterval: configuration.pollInterval, started: started)
            var transcription: (transcriber: SessionTranscriber, collector: Task<Void, Never>)?
            let workers = configuration.transcriptionWorkers
            setup.transcriptionDeferred = workers?.unavailability()
            if let workers, setup.transcriptionDeferred == nil {
                let transcriber = SessionTranscriber(store: store, pool: TranscriptionWorkerPool(configuration: workers),
                                                     events: broadcaster, partials: configuration.partialTranscripts,
                                                     sampleRate: CaptureLoop.sampleRate)
                transcription = (transcriber, Task { await transcriber.run() })
                setup.transcriber = transcriber
                setup.drainTime = configuration.transcriptionDrainTime
                setup.speculate = configuration.speculativeTranscription
                setup.partials = configuration.partialTranscripts != nil
            }
            var loop = try CaptureLoop(setup: setup)
            let task = Task.detached {
                let summary = await loop.run()
                // Workers stop with the recording; unfinished segments stay queued on disk.
                if let transcription {
                    await transcription.transcriber.pool.shutdown()
                    await transcription.collector.value
                }
                await store.releaseLock()
                return summary
            }
            self.control = control
            captureTask = task
            sessionURL = folder
            lifecycle.startSucceeded()
            if let workers, setup.transcriptionDeferred == nil, configuration.finishesEarlierSessions, catchUp == nil {
                // Sessions an earlier run left with transcriptions queued (stopped before they ran,
                // or killed): finished in the background by one extra worker.
                var one = workers
                one.size = 1
                let root = configuration.sessionsDirectory
                catchUp = Task.detached { await SessionResume.finishEarlierSessions(under: root, excluding: folder, workers: one) }
            }
            Task { [weak self] in
                let summary = await task.value
                await self?.captureEnded(summary)
            }
        } catch {
            lifecycle.startFailed()
            throw error
        }
    }

    /// Stops recording, saves the utterance in progress, and returns what the session holds.
    /// Throws `notRecording` when idle. If the input already ended, returns that summary.
    @discardableResult
    public func stop() async throws -> RecordingSummary {
        switch try lifecycle.beginStop() {
        case .alreadyEnded(let summary):
            return summary
        case .stopCapture:
            control?.requestStop()
            let summary = await captureTask!.value
            lifecycle.stopFinished()
            return summary
        case .awaitStop:
            return await captureTask!.value
        }
    }

    /// Waits until the current recording ends (for file input, at its end) and returns its summary.
    /// Returns nil when nothing was ever started.
    public func waitUntilFinished() async -> RecordingSummary? {
        guard let captureTask else { return nil }
        return await captureTask.value
    }

    /// Changes the VAD mode; while recording it applies at the next 32 ms chunk and emits
    /// `vadModeChanged`. Throws if the mode's detector is not available in this build.
    public func setVADMode(_ mode: VADMode) async throws {
        guard configuration.detectorFactory.available.contains(mode.detector) else {
            throw HarkError.invalidConfiguration("VAD mode '\(mode)' is not available; choose one of \(availableDetectors.map(\.rawValue)).")
        }
        if detectors != nil, detectors?[mode.detector] == nil, mode.detector != .manual {
            detectors?[mode.detector] = try await Self.load(mode.detector, with: configuration)
        }
        vadMode = mode
        if lifecycle.isRecording { control?.request(mode) }
    }

    /// The VAD detectors this build can use.
    public nonisolated var availableDetectors: [VADMode.Detector] { configuration.detectorFactory.available }

    // MARK: - Helpers


    private func captureEnded(_ summary: RecordingSummary) {
        lifecycle.captureEnded(summary)
    }

    /// Loads detectors once, on a background task, so a slow model load never runs on the caller.
    private func loadedDetectors() async throws -> [VADMode.Detector: any VoiceActivityDetector] {
        if let detectors, vadMode.detector == .manual || detectors[vadMode.detector] != nil { return detectors }
        var loaded = detectors ?? [:]
        for detector in Set([vadMode.detector, .energy]) where detector != .manual && loaded[detector] == nil {
            guard configuration.detectorFactory.available.contains(detector) else { continue }
            loaded[detector] = try await Self.load(detector, with: configuration)
        }
        detectors = loaded
        return loaded
    }

    private static func load(_ detector: VADMode.Detector, with configuration: RecorderConfiguration) async throws
        -> (any VoiceActivityDetector)? {
        let factory = configuration.detectorFactory, models = configuration.modelsDirectory
        return try await Task.detached { try factory.make(detector, models) }.value
    }

    private func makeSource() throws -> any AudioSource {
        switch configuration.input {
        case .device(let selector):
            return try PortAudioSource(device: selector, ringDuration: configuration.ringDuration)
        case .file(let path, let pacing):
            return try FileAudioSource(path: path, pacing: pacing == .realTime ? .realTime : .asFastAsPossible)
        case .stream(let stream):
            return stream
        }
    }

    private func sourceInfo(_ source: any AudioSource) -> SessionManifest.Source {
        let kind: SessionManifest.Source.Kind = switch configuration.input {
        case .device: .device
        case .file: .file
        case .stream: .stream
        }
        return .init(kind: kind, name: source.name, format: source.format)
    }
}
