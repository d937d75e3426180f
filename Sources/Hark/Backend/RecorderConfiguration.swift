import Foundation
import HarkCore
import HarkVAD

/// Everything a recorder needs to know, with defaults that suit dictation and meeting notes.
public struct RecorderConfiguration: Sendable {
    /// Where the audio comes from.
    public enum Input: Sendable, Hashable {
        /// A live capture device.
        case device(DeviceSelector)
        /// An audio file played as if it were a microphone.
        case file(path: String, pacing: FilePacing)
        /// Audio the program pushes in (a network client, a browser), with commits and clears.
        case stream(AudioStream)
    }

    /// How a file input is played: at the speed of speech, or as fast as it can be read.
    public enum FilePacing: String, Sendable, Hashable, Codable {
        case realTime
        case asFastAsPossible
    }

    /// The system's default input device unless chosen.
    public var input: Input = .device(.systemDefault)
    /// Where session folders are made. See `defaultSessionsDirectory`.
    public var sessionsDirectory: URL = RecorderConfiguration.defaultSessionsDirectory()
    /// The VAD mode a recording starts with (`setVADMode` changes it while recording).
    public var vadMode: VADMode = .silero
    /// Where models are installed (scripts/install-models.sh). See `defaultModelsDirectory`.
    public var modelsDirectory: URL = RecorderConfiguration.defaultModelsDirectory()
    /// How speech is cut into utterances: pre-roll, hangover, minimum and maximum length.
    public var segmenter = SegmenterConfiguration()
    /// Also write the whole recording (`recording.wav`), synced about once a second.
    public var keepAudio = false
    /// Seconds of device audio the capture ring holds while the consumer is busy. Beyond that,
    /// audio is dropped and reported as `AudioDropped`.
    public var ringDuration: Double = 2
    /// How often the capture loop looks for new audio. The real-time callback may not signal
    /// (that would mean a syscall or Swift concurrency on its thread), so the consumer polls.
    public var pollInterval: Duration = .milliseconds(10)
    /// The most lossless events a subscriber may have waiting before it is ended.
    public var eventBufferLimit = 4096
    /// Segments held in memory when their files cannot be written, before the recording stops.
    public var maxUnsavedSegments = 16
    /// How saved segments are transcribed; nil leaves them untranscribed. By default Whisper
    /// with the default model (`WorkerPoolConfiguration.Workers.automatic`): in worker processes
    /// of the app itself when it calls `HarkWorker.runIfRequested()`, else in this process. With
    /// the model not installed, a `recorderError` (`modelMissing`) says how to install it, once
    /// per recording, and segments are saved and left queued for a later run.
    public var transcription: WorkerPoolConfiguration? = WorkerPoolConfiguration()
    /// At the end of a recording, how long to wait for queued transcriptions (the rest stay
    /// queued in the manifest for `hark resume` or the next start).
    public var transcriptionDrainTime: Duration = .seconds(30)
    /// Start transcribing when speech pauses, while the hangover (`segmenter.endSilence`) decides
    /// whether the utterance has ended; the result is used only if it has, for exactly that audio.
    /// Costs a wasted transcription for each pause that speech then resumes after.
    public var speculativeTranscription = true
    /// Transcribe the utterance still being spoken and publish `transcriptionPartial` events
    /// (needs `transcription`); nil, the default, makes none. Off unless something shows them:
    /// each costs a worker a transcription (greedy, ~0.25 s with tiny.en on two cores) per interval.
    public var partialTranscripts: PartialTranscriptConfiguration?
    /// On the first start, finish in the background (one extra worker) the transcriptions that
    /// earlier sessions under `sessionsDirectory` left queued. Off for short-lived recorders that
    /// share a folder with one that does it (the server's realtime connections).
    public var finishesEarlierSessions = true
    /// Keep the search index of `sessionsDirectory` (`SessionArchive`, `index.sqlite`) current as
    /// transcripts arrive. Off for sessions kept only for a moment (unsaved realtime sessions).
    public var indexesTranscripts = true

    /// `transcription` with `automatic` decided for this recorder's `modelsDirectory`; nil when off.
    public var transcriptionWorkers: WorkerPoolConfiguration? {
        guard var workers = transcription else { return nil }
        workers.modelsDirectory = modelsDirectory
        return workers.resolved()
    }

    /// Whether recordings will be transcribed: `transcription` is set and its workers can start
    /// (`WorkerPoolConfiguration.unavailability()`).
    public var transcribes: Bool { transcriptionWorkers.map { $0.unavailability() == nil } ?? false }

    /// Builds detectors for modes; loaded lazily on the first `start`, off the caller's executor.
    var detectorFactory: DetectorFactory = .standard
    var fileSystem: any SessionFileSystem = POSIXFileSystem()

    /// The defaults: the default device, Silero VAD, transcription as `transcription` says.
    public init() {}

    /// `$HARK_MODELS_DIR`, else `$XDG_DATA_HOME/hark/models`, else `~/.local/share/hark/models`.
    public static func defaultModelsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let explicit = environment["HARK_MODELS_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        return dataDirectory(environment).appendingPathComponent("hark/models", isDirectory: true)
    }

    private static func dataDirectory(_ environment: [String: String]) -> URL {
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share").path
        return URL(fileURLWithPath: data, isDirectory: true)
    }

    /// `$HARK_SESSIONS_DIR`, else `$XDG_DATA_HOME/hark/sessions`, else `~/.local/share/hark/sessions`.
    public static func defaultSessionsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let explicit = environment["HARK_SESSIONS_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        return dataDirectory(environment).appendingPathComponent("hark/sessions", isDirectory: true)
    }
}

/// How partial transcripts are made (see `RecorderConfiguration.partialTranscripts`).
public struct PartialTranscriptConfiguration: Sendable, Hashable {
    /// Seconds of new audio between two partials of one utterance.
    public var interval: Double = 0.5
    /// Beams for partials (the final is decoded with the pool's own options). 5, as the finals:
    /// the encoder is most of a partial's cost, and greedy partials of a second or two of audio
    /// agreed on wrong words often enough that they became stable (live, int8: text visible p95
    /// 636 ms greedy, 518 ms at beam 5, workers 41 vs 43 % of a core).
    public var beamSize = 5

    /// Partials every `interval` seconds of new audio, decoded with `beamSize` beams.
    public init(interval: Double = 0.5, beamSize: Int = 5) {
        self.interval = interval
        self.beamSize = beamSize
    }
}

/// Makes the detector behind a VAD mode. `nil` for `.manual`, which needs none.
struct DetectorFactory: Sendable {
    var available: [VADMode.Detector]
    var make: @Sendable (_ detector: VADMode.Detector, _ modelsDirectory: URL) throws -> (any VoiceActivityDetector)?

    static let standard = DetectorFactory(available: [.silero, .energy, .manual]) { detector, models in
        switch detector {
        case .silero: try SileroVAD(modelsDirectory: models)
        case .energy: EnergyVAD()
        case .manual: nil
        }
    }
}

extension SileroVAD {
    /// The Silero model that `make models` installs in `directory`.
    init(modelsDirectory directory: URL) throws(HarkError) {
        try self.init(path: directory.appendingPathComponent(SileroModel.fileName).path)
    }
}
