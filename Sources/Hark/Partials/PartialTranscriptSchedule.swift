import Foundation
import HarkCore

/// When partial transcripts of the utterance being spoken are made, and what becomes of their
/// results: one session's logic as a value. `SessionTranscriber` asks it, does the I/O it returns
/// (scratch files, the pool, events) and feeds the answers back. Positions are samples of the
/// stream: no clocks inside, so tests run it with numbers alone.
///
/// Policy, for two cores: at most one partial in flight per session; one is due once `interval`
/// of new audio has been heard and only starts on a worker that is idle at once (finals and
/// speculations go first, and the pool stops a partial for them); a due partial that waits a whole
/// interval for a worker is counted as skipped, and the next covers its audio too.
///
/// A pause (the first quiet chunk) makes one partial due at once, whatever the interval: the
/// utterance heard so far is probably all of it, and its text is shown as a tentative final as
/// soon as it is transcribed, long before the hangover ends the utterance. An older partial in
/// flight is stopped for it. The pause's speculation, once it starts, takes over; the utterance's
/// end cancels whatever is in flight.
struct PartialTranscriptSchedule {
    enum Action: Equatable {
        /// Hand to the pool; answer with `submitted(jobID:accepted:)`.
        case submit(WorkerJob)
        /// Ask the pool to stop it; its outcome still comes through `received`.
        case cancel(jobID: Int)
        case discard(URL)
        case publish(TranscriptionPartial)
    }

    struct Settings: Sendable {
        /// New audio, in samples, between partials.
        var interval: Int
        var sampleRate: Int
        /// How partials decode (greedy by default); the stable words are added as the prefix.
        var options: TranscriptionOptions
    }

    private struct OpenUtterance {
        var segmentID: Int
        var lastEnd: Int
        var stabilizer = PartialStabilizer()
        /// Speech paused (a quiet chunk) and has not resumed.
        var quiet = false
        /// This pause's partial was started (and has not failed).
        var pausePartialStarted = false
        /// This pause's speculation runs: it shows the text, no partial is needed.
        var speculating = false
        var blockedSince: Int?
        var lastPublished: PartialStabilizer.Split?
    }

    private struct InFlight {
        var jobID: Int
        var file: URL
        var segmentID: Int
        var audioStart: Int
        var audioEnd: Int
        /// Started at a pause: its text is the utterance's probable whole.
        var atPause: Bool
        /// Superseded or its utterance ended: its result is not shown.
        var cancelled = false
    }

    let settings: Settings
    private var open: OpenUtterance?
    private var inFlight: InFlight?
    /// Partials that waited a whole interval for a worker.
    private(set) var skipped = 0

    init(settings: Settings) {
        self.settings = settings
    }

    /// Whether a partial of utterance `segmentID` (its audio from `audioStart`) is due at `position`.
    mutating func isDue(segmentID: Int, audioStart: Int, position: Int) -> Bool {
        follow(segmentID: segmentID, audioStart: audioStart)
        guard let open, inFlight == nil else { return false }
        if open.quiet { return !open.speculating && !open.pausePartialStarted && position > open.lastEnd }
        return position - open.lastEnd >= settings.interval
    }

    /// A due partial found no idle worker.
    mutating func blocked(at position: Int) {
        guard var current = open else { return }
        if let since = current.blockedSince, position - since >= settings.interval {
            skipped += 1
            current.blockedSince = position
        } else if current.blockedSince == nil {
            current.blockedSince = position
        }
        open = current
    }

    /// A partial of the open utterance's audio `audioStart..<audioEnd`, written to `file`.
    mutating func start(jobID: Int, file: URL, segmentID: Int, audioStart: Int, audioEnd: Int) -> [Action] {
        guard var current = open, current.segmentID == segmentID, inFlight == nil else { return [.discard(file)] }
        current.lastEnd = audioEnd
        current.blockedSince = nil
        if current.quiet { current.pausePartialStarted = true }
        open = current
        inFlight = InFlight(jobID: jobID, file: file, segmentID: segmentID, audioStart: audioStart, audioEnd: audioEnd,
                            atPause: current.quiet)
        var options = settings.options
        options.prefix = current.stabilizer.prefix
        // Partial text is replaced by the final one: timing its words would only cost time.
        options.wordTimestamps = nil
        return [.submit(WorkerJob(id: jobID, file: file.path, isPartial: true, options: options))]
    }

    /// The pool refused the partial (no worker idle after all): it is skipped (a pause's is due
    /// again).
    mutating func submitted(jobID: Int, accepted: Bool) -> [Action] {
        guard !accepted, let flight = inFlight, flight.jobID == jobID else { return [] }
        inFlight = nil
        skipped += 1
        if flight.atPause, open?.segmentID == flight.segmentID { open?.pausePartialStarted = false }
        return [.discard(flight.file)]
    }

    /// Whether `jobID` is a partial this schedule started (and has not yet had its outcome).
    func owns(jobID: Int) -> Bool { inFlight?.jobID == jobID }

    /// A partial's outcome: published if its utterance is still being spoken.
    mutating func received(jobID: Int, _ outcome: WorkerOutcome) -> [Action] {
        guard let flight = inFlight, flight.jobID == jobID else { return [] }
        if case .started = outcome { return [] }
        inFlight = nil
        var actions: [Action] = [.discard(flight.file)]
        guard var current = open, current.segmentID == flight.segmentID, !flight.cancelled else { return actions }
        guard case .transcribed(let transcript) = outcome else {
            // Stopped for another job, or failed: a pause's partial is due again.
            if flight.atPause { open?.pausePartialStarted = false }
            return actions
        }
        guard !transcript.isSilence else { return actions }
        // Still paused: the whole utterance heard so far, shown as its probable text.
        let tentative = flight.atPause && current.quiet
        let split = tentative ? current.stabilizer.receiveTentativeFinal(transcript.words)
                              : current.stabilizer.receive(transcript.words)
        if split != current.lastPublished, !(split.stable + split.unstable).isEmpty {
            current.lastPublished = split
            actions.append(.publish(event(flight.segmentID, flight.audioStart, flight.audioEnd, split, tentativeFinal: tentative)))
        }
        open = current
        return actions
    }

    /// The first quiet chunk of a pause in utterance `segmentID`: a partial of everything heard is
    /// due now; an older one in flight is stopped for it.
    mutating func quiet(segmentID: Int, audioStart: Int) -> [Action] {
        follow(segmentID: segmentID, audioStart: audioStart)
        guard open?.quiet == false else { return [] }
        open?.quiet = true
        open?.pausePartialStarted = false
        open?.speculating = false
        guard let flight = inFlight, !flight.atPause else { return [] }
        return cancelInFlight(for: segmentID)
    }

    /// The pause's speculation started: no pause partial is needed any more (one in flight may
    /// finish; the pool stops it if the speculation needs its worker).
    mutating func paused(segmentID: Int) {
        guard open?.segmentID == segmentID else { return }
        open?.quiet = true
        open?.speculating = true
    }

    /// Speech went on after a pause: partials go on at their interval.
    mutating func resumed() {
        open?.quiet = false
        open?.pausePartialStarted = false
        open?.speculating = false
    }

    /// The pause's speculation finished while speech is still paused: shown at once, all stable
    /// (`PartialStabilizer.receiveTentativeFinal`); a partial still in flight is superseded.
    mutating func tentativeFinal(segmentID: Int, audioStart: Int, audioEnd: Int, _ transcript: Transcript) -> [Action] {
        guard var current = open, current.segmentID == segmentID, current.quiet, !transcript.isSilence,
              !transcript.words.isEmpty else { return [] }
        let split = current.stabilizer.receiveTentativeFinal(transcript.words)
        current.lastPublished = split
        open = current
        return cancelInFlight(for: segmentID) + [.publish(event(segmentID, audioStart, audioEnd, split, tentativeFinal: true))]
    }

    /// Utterance `segmentID` was saved: its final transcript takes over.
    mutating func ended(segmentID: Int) -> [Action] {
        if open?.segmentID == segmentID { open = nil }
        return cancelInFlight(for: segmentID)
    }

    /// The pool's stream ended: the scratch file of a partial in flight goes.
    mutating func finish() -> [Action] {
        defer { inFlight = nil; open = nil }
        return inFlight.map { [.discard($0.file)] } ?? []
    }

    /// Starts following utterance `segmentID` if it is a new one.
    private mutating func follow(segmentID: Int, audioStart: Int) {
        if open?.segmentID != segmentID { open = OpenUtterance(segmentID: segmentID, lastEnd: audioStart) }
    }

    private mutating func cancelInFlight(for segmentID: Int) -> [Action] {
        guard let flight = inFlight, flight.segmentID == segmentID, !flight.cancelled else { return [] }
        inFlight?.cancelled = true
        return [.cancel(jobID: flight.jobID)]
    }

    private func event(_ segmentID: Int, _ start: Int, _ end: Int, _ split: PartialStabilizer.Split,
                       tentativeFinal: Bool) -> TranscriptionPartial {
        let rate = Double(settings.sampleRate)
        return TranscriptionPartial(segmentID: segmentID, audioStart: Double(start) / rate, audioEnd: Double(end) / rate,
                                    stable: split.stable, unstable: split.unstable, tentativeFinal: tentativeFinal)
    }
}
