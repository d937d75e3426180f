import CNcurses
import Foundation
import Hark
import Synchronization

/// The terminal UI: a thread of its own reads keys and draws (at most ten frames a second, only
/// when something changed), a task turns recorder events into the model, and keys become recorder
/// calls on tasks — the UI never waits for the recorder, and the recorder never waits for the UI.
final class TUIApp: Sendable {
    private let model = Mutex(TUIModel())
    private let state: Mutex<(configuration: RecorderConfiguration, recorder: AsyncRecorderBackend, quitting: Bool)>
    private let colors: Bool

    init(configuration: RecorderConfiguration, colors: Bool) {
        self.colors = colors
        let recorder = AsyncRecorderBackend(configuration: configuration)
        state = Mutex((configuration, recorder, false))
        model.withLock {
            $0.vadMode = configuration.vadMode
            if case .device(let selector) = configuration.input { $0.device = selector.description }
        }
        follow(recorder)
    }

    /// Runs until the user quits (or SIGTERM/SIGHUP asks it to); the terminal is restored on the
    /// way out and the recording stopped as by `q`.
    func run() async {
        let signals = [SIGTERM, SIGHUP].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { [self] in quit() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                hark_name_thread("hark-tui")
                loop()
                done.resume()
            }
            thread.start()
        }
    }

    private func loop() {
        let screen = TUIScreen(colors: colors)
        defer { screen.close() }
        var lastDraw = ContinuousClock.now - .seconds(1)
        var lastSecond = -1
        while true {
            if let key = screen.key(timeout: 50) { handle(key) }
            let now = ContinuousClock.now
            let (snapshot, quit) = model.withLock { model -> (TUIModel?, Bool) in
                let quitting = state.withLock { $0.quitting }
                if quitting && !model.recording && !model.busy { return (nil, true) }
                // The clock in the status line ticks once a second while recording.
                if let started = model.startedAt, Int((now - started).components.seconds) != lastSecond {
                    lastSecond = Int((now - started).components.seconds)
                    model.dirty = true
                }
                guard model.dirty, now - lastDraw >= .milliseconds(100) else { return (nil, false) }
                model.dirty = false
                return (model, false)
            }
            if quit { return }
            if let snapshot {
                screen.draw(snapshot)
                lastDraw = now
            }
        }
    }

    private func handle(_ key: Int32) {
        switch key {
        case 32:                                    // SPACE
            toggleRecording()
        case Int32(UInt8(ascii: "m")):
            cycleMode()
        case Int32(UInt8(ascii: "d")):
            cycleDevice()
        case Int32(UInt8(ascii: "o")):
            model.withLock { $0.message = $0.sessionPath.map { "Session folder: \($0)" } ?? "No session yet: press SPACE to record."; $0.dirty = true }
        case Int32(UInt8(ascii: "q")), 3:           // q, Ctrl-C
            quit()
        case hark_key_resize():
            model.withLock { $0.dirty = true }
        default:
            break
        }
    }

    private func toggleRecording() {
        let (busy, recording) = model.withLock { model -> (Bool, Bool) in
            let was = (model.busy, model.recording)
            if !model.busy { model.busy = true; model.dirty = true; model.message = nil }
            return was
        }
        guard !busy else { return }
        let recorder = state.withLock { $0.recorder }
        Task { [self] in
            do {
                if recording { _ = try await recorder.stop() } else { try await recorder.start() }
            } catch {
                let message = (error as? HarkError)?.message ?? "\(error)"
                model.withLock { $0.warn(message) }
            }
            model.withLock { $0.busy = false; $0.dirty = true }
        }
    }

    private func cycleMode() {
        let recorder = state.withLock { $0.recorder }
        let next = model.withLock { $0.vadMode.next(available: recorder.availableDetectors) }
        let recording = model.withLock { $0.recording }
        if !recording { model.withLock { $0.vadMode = next; $0.message = "VAD mode \(next) for the next recording"; $0.dirty = true } }
        Task { [self] in
            do {
                try await recorder.setVADMode(next)
            } catch {
                model.withLock { $0.warn((error as? HarkError)?.message ?? "\(error)") }
            }
        }
    }

    private func cycleDevice() {
        guard !model.withLock({ $0.recording || $0.busy }) else {
            model.withLock { $0.message = "Stop recording to change the input device."; $0.dirty = true }
            return
        }
        let devices: [InputDevice]
        do {
            devices = try listInputDevices().filter { $0.maxInputChannels > 0 }
        } catch {
            model.withLock { $0.warn((error as? HarkError)?.message ?? "\(error)") }
            return
        }
        guard !devices.isEmpty else {
            model.withLock { $0.warn("No capture devices. Plug in a microphone or start PulseAudio.") }
            return
        }
        let (recorder, device) = state.withLock { state -> (AsyncRecorderBackend, InputDevice) in
            var next = 0
            if case .device(.index(let current)) = state.configuration.input,
               let i = devices.firstIndex(where: { $0.index == current }) { next = (i + 1) % devices.count }
            state.configuration.input = .device(.index(devices[next].index))
            state.recorder = AsyncRecorderBackend(configuration: state.configuration)
            return (state.recorder, devices[next])
        }
        model.withLock { $0.device = device.name; $0.message = "Input: #\(device.index) \(device.name)"; $0.dirty = true }
        follow(recorder)
    }

    private func quit() {
        let recording = model.withLock { $0.recording }
        state.withLock { $0.quitting = true }
        if recording {
            model.withLock { $0.message = "Stopping: the last utterance is saved, transcriptions finish or stay queued…"; $0.dirty = true }
            if !model.withLock({ $0.busy }) { toggleRecording() }
        }
    }

    /// Feeds `recorder`'s events into the model until the recorder is released.
    private func follow(_ recorder: AsyncRecorderBackend) {
        let events = recorder.events
        Task { [self, weak recorder] in
            do {
                for try await event in events {
                    model.withLock { $0.apply(event) }
                    if recorder == nil { break }
                }
            } catch {}
        }
    }
}
