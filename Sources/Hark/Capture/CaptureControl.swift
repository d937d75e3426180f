import HarkCore
import Synchronization

/// What the backend tells a running capture loop. Read by the loop once per chunk.
final class CaptureControl: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    private let requestedMode = Mutex<VADMode?>(nil)

    func requestStop() { stopRequested.store(true, ordering: .releasing) }
    var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    /// Asks for a mode change at the next chunk boundary. A later request replaces an unapplied one.
    func request(_ mode: VADMode) { requestedMode.withLock { $0 = mode } }
    func takeRequestedMode() -> VADMode? { requestedMode.withLock { mode in defer { mode = nil }; return mode } }
}

/// What one recording's capture loop is given.
struct CaptureSetup: Sendable {
    var source: any AudioSource
    var store: SessionStore
    var events: EventBroadcaster
    var control: CaptureControl
    var detectors: [VADMode.Detector: any VoiceActivityDetector]
    var mode: VADMode
    var segmenter: SegmenterConfiguration
    var pollInterval: Duration
    var started: RecordingStarted
    /// Queues each saved segment for transcription; nil when transcription is off.
    var transcriber: SessionTranscriber? = nil
    /// Why transcription cannot run now (no model): said once, as the recording starts, and
    /// each saved segment is marked queued in the manifest for a later run to transcribe.
    var transcriptionDeferred: HarkError? = nil
    /// Transcribe each pause's tentative utterance before the hangover confirms it.
    var speculate = true
    /// Ask the transcriber for partial transcripts of the utterance being spoken.
    var partials = false
    /// How long the end of a recording waits for queued transcriptions.
    var drainTime: Duration = .seconds(10)
}
