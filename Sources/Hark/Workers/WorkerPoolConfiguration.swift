import Foundation
import HarkCore
import HarkWhisper

/// How saved segments are transcribed: where the workers run, how many, and their limits.
///
/// A value (`Sendable`): build it, change what you need, hand it to `RecorderConfiguration`.
/// `WorkerPoolConfiguration()` is what a recorder uses by default: Hark's choice of workers for
/// the default model (see `Workers.automatic`).
public struct WorkerPoolConfiguration: Sendable {
    /// Where transcription runs. Processes cost a model load each and ~5 ms per job for the
    /// pipe, and a crash in one (a bad model, a bug in a kernel) is a failed job the pool
    /// retries; in-process work shares the app's memory, so such a crash ends the app.
    public enum Workers: Sendable {
        /// Hark chooses: `ownExecutable` when the app called `HarkWorker.runIfRequested()` first
        /// thing in `main`, else `inProcess`. `model` nil is the default model (`$HARK_MODEL`,
        /// else `hark models use`'s choice, else tiny.en) in the recorder's models directory.
        case automatic(model: URL?, computeType: ComputeType)
        /// Processes of this app's own executable, started in worker mode: the app must call
        /// `HarkWorker.runIfRequested()` first thing in `main` (without it the pool refuses to
        /// start them, rather than start the app again).
        case ownExecutable(model: URL, computeType: ComputeType)
        /// Processes of another program that speaks `WorkerProtocol`: `hark worker`, say.
        case executable(path: String, arguments: [String])
        /// Whisper in this process, on threads of its own (never the cooperative pool's).
        case inProcess(model: URL, computeType: ComputeType)
        /// Any engine in this process (`name` is for messages). Its `transcribe` should run
        /// heavy work on threads of its own, as `WhisperEngine` does.
        case inProcessEngine(name: String, make: @Sendable () -> any TranscriptionEngine)
    }

    /// Where the workers run; `.automatic` unless chosen.
    public var workers: Workers
    /// Where the default model (`automatic`) and, for audio over 30 s, Silero VAD are found. A
    /// recorder sets it to its own `modelsDirectory`.
    public var modelsDirectory = RecorderConfiguration.defaultModelsDirectory()
    /// Added to the environment worker processes inherit (a remote endpoint's token, say).
    public var environment: [String: String] = [:]
    /// Workers; the default fits the machine (one per two cores, at least one).
    public var size: Int = max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
    /// A job taking longer is abandoned, its worker killed and replaced, and the job retried. An
    /// in-process worker cannot be killed: its job is cancelled and its thread left to finish.
    public var jobTimeout: Duration = .seconds(120)
    /// How long a new worker may take to load its model.
    public var startTimeout: Duration = .seconds(120)
    /// Attempts per job when workers crash or hang (a worker's own error is not retried); also
    /// the failed starts in a row (a worker that exits, or says anything but `ready`, before it
    /// is ready) after which transcription is disabled until `recoveryInterval` has passed.
    public var maxAttempts = 3
    /// While transcription is disabled, jobs fail at once with the reason; the first job after
    /// this long tries to start workers again, so the pool recovers once the cause is gone (a
    /// model installed, say).
    public var recoveryInterval: Duration = .seconds(10)
    /// The first pause between failed starts, doubled after each (0.2 s, 0.4 s, …).
    public var restartBackoff: Duration = .milliseconds(200)
    /// Decoded audio per job beyond this is refused by the worker (`audioTooLong`); nil: the
    /// reader's default (`AudioFile.defaultMaxSeconds`).
    public var maxAudioSeconds: Double?
    /// Jobs waiting in memory; beyond this `submit` refuses (the durable queue keeps them).
    public var queueLimit = 1024
    /// Beam 5, faster-whisper's default: on utterances cut out of a talk, greedy decoding misheard
    /// two of the fixture's four sentences that beam search got right.
    public var options = TranscriptionOptions(beamSize: 5)
    /// Each job reads the text last transcribed before it as its prompt, after `options.prompt`
    /// (faster-whisper's condition_on_previous_text, across utterances): names and style carry
    /// over, and so would a mistake. "Last" is by completion: live, with one worker, that is the
    /// utterance before; with several, or a resumed session's backlog, not always.
    public var conditionOnPreviousText = false

    /// Workers as `workers` says.
    public init(workers: Workers = .automatic(model: nil, computeType: .auto)) {
        self.workers = workers
    }

    /// Processes of `executable` (a program speaking `WorkerProtocol`, such as `hark` with
    /// `arguments` ["worker"]).
    public init(executable: String, arguments: [String] = ["worker"]) {
        self.init(workers: .executable(path: executable, arguments: arguments))
    }

    /// Whisper `model` (a faster-whisper/CTranslate2 folder) in this process.
    public static func inProcess(model: URL, computeType: ComputeType = .auto) -> WorkerPoolConfiguration {
        WorkerPoolConfiguration(workers: .inProcess(model: model, computeType: computeType))
    }

    /// Whisper `model` in processes of this app's own executable (see `HarkWorker`).
    public static func ownExecutable(model: URL, computeType: ComputeType = .auto) -> WorkerPoolConfiguration {
        WorkerPoolConfiguration(workers: .ownExecutable(model: model, computeType: computeType))
    }

    /// The worker program when workers are processes of another program; empty otherwise.
    public var executable: String {
        if case .executable(let path, _) = workers { path } else { "" }
    }

    /// Its arguments (see `executable`).
    public var arguments: [String] {
        if case .executable(_, let arguments) = workers { arguments } else { [] }
    }

    /// Why these workers cannot transcribe now, found before any starts: their Whisper model is
    /// not installed (`modelMissing`, saying how to install one), or they are the app's own
    /// executable and the app lacks `HarkWorker.runIfRequested()` (`invalidConfiguration`).
    /// Other workers say for themselves when they start.
    public func unavailability() -> HarkError? {
        if case .ownExecutable = resolved().workers, !HarkWorker.isAvailable {
            return HarkWorker.entryMissing
        }
        guard let model = model(),
              !FileManager.default.fileExists(atPath: model.appendingPathComponent("model.bin").path) else { return nil }
        let folder = model.lastPathComponent
        let install = folder.hasPrefix("whisper-")
            ? "Install it with `hark models install \(folder.dropFirst(8))` (or `ModelStore().install(\"\(folder.dropFirst(8))\")` from HarkModels)"
            : "Point the configuration at a faster-whisper model folder, or install one with `hark models install tiny.en`"
        return HarkError(.modelMissing, """
            No Whisper model at '\(model.path)': segments are saved and queued, not transcribed. \(install); \
            the next recording, or `hark resume`, transcribes what is queued.
            """)
    }
}

extension WorkerPoolConfiguration {
    /// How one worker is run, once `automatic` is decided.
    enum Launch: Sendable {
        case process(executable: String, arguments: [String], ownExecutable: Bool)
        case inProcess(name: String, make: @Sendable () -> any TranscriptionEngine)
    }

    /// The Whisper model `automatic` means in `modelsDirectory`, or the one chosen.
    func model() -> URL? {
        switch workers {
        case .automatic(let model, _): model ?? HarkSettings.defaultModelDirectory(in: modelsDirectory)
        case .ownExecutable(let model, _), .inProcess(let model, _): model
        case .executable, .inProcessEngine: nil
        }
    }

    /// With `automatic` decided: own-executable workers when the app has the entry, else in process.
    func resolved() -> WorkerPoolConfiguration {
        guard case .automatic(_, let computeType) = workers, let model = model() else { return self }
        var resolved = self
        resolved.workers = HarkWorker.isAvailable ? .ownExecutable(model: model, computeType: computeType)
                                                  : .inProcess(model: model, computeType: computeType)
        return resolved
    }

    /// A name for messages: the program, or the engine in this process.
    var workerName: String {
        switch workers {
        case .automatic, .inProcess: "Whisper (in this process)"
        case .ownExecutable: HarkWorker.executablePath() + " " + HarkWorker.argument
        case .executable(let path, _): path
        case .inProcessEngine(let name, _): name
        }
    }

    /// How to run a worker. `automatic` left unresolved runs in process.
    var launch: Launch {
        let beamSize = options.beamSize
        switch resolved().workers {
        case .executable(let path, let arguments):
            return .process(executable: path, arguments: arguments, ownExecutable: false)
        case .ownExecutable(let model, let computeType):
            return .process(executable: HarkWorker.executablePath(),
                            arguments: HarkWorker.arguments(model: model, computeType: computeType, beamSize: beamSize),
                            ownExecutable: true)
        case .inProcess(let model, let computeType):
            return .inProcess(name: workerName) { WhisperEngine(modelDirectory: model, computeType: computeType, beamSize: beamSize) }
        case .inProcessEngine(let name, let make):
            return .inProcess(name: name, make: make)
        case .automatic(let model, let computeType):
            let folder = model ?? HarkSettings.defaultModelDirectory(in: modelsDirectory)
            return .inProcess(name: workerName) { WhisperEngine(modelDirectory: folder, computeType: computeType, beamSize: beamSize) }
        }
    }
}
