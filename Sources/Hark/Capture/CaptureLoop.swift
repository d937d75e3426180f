import HarkAudio
import HarkCore

/// The consumer side of capture: drains the source, converts to 16 kHz mono, runs the VAD per
/// 32 ms chunk, cuts utterances, has them saved and reports it all as events.
///
/// Runs in its own task, never on the audio thread. While it awaits a file write the source keeps
/// filling its ring; if the ring overflows, the loss is reported as `AudioDropped`.
struct CaptureLoop {
    private let setup: CaptureSetup
    private var converter: SpeechConverter
    private var chunkStep: ChunkStep
    private var native: [Float]
    private var speech: [Float] = []
    private var chunk = [Float](repeating: 0, count: vadChunkSize)
    private var keptAudio: [Float] = []
    private var droppedTotal = 0
    private var unsavedSegments = 0
    /// The id the open utterance's segment will get (the store numbers segments 1, 2, …).
    private var nextSegmentID = 1
    /// Speech paused in the open utterance (a quiet chunk) and has not resumed.
    private var quiet = false

    static let sampleRate = 16_000

    init(setup: CaptureSetup) throws {
        self.setup = setup
        converter = try SpeechConverter(from: setup.source.format)
        chunkStep = ChunkStep(segmenter: try Segmenter(configuration: setup.segmenter, sampleRate: Self.sampleRate),
                              detectors: setup.detectors, mode: setup.mode)
        native = [Float](repeating: 0, count: 4096 * setup.source.format.channels)
        speech.reserveCapacity(64 * 1024)
    }

    private var time: Double { Double(chunkStep.position) / Double(Self.sampleRate) }

    /// Records until stopped, the input ends or a fatal error; then saves what is open.
    mutating func run() async -> RecordingSummary {
        setup.events.publish(.recordingStarted(setup.started))
        report(setup.transcriptionDeferred)
        var reason = RecordingSummary.StopReason.requested
        var fatal: HarkError?
        do {
            reason = try await capture()
        } catch {
            fatal = error as? HarkError ?? HarkError(.internalFailure, "\(error)")
            reason = .failed
        }
        setup.source.stop()
        do {
            try await drainAfterStop()
        } catch {
            fatal = fatal ?? (error as? HarkError ?? HarkError(.internalFailure, "\(error)"))
            reason = .failed
        }
        if let fatal { setup.events.publish(.recorderError(.init(code: fatal.code, message: fatal.message, fatal: true))) }
        let (summary, error) = await setup.store.finish(duration: time, droppedFrames: droppedTotal, reason: reason)
        report(error)
        // Pending transcriptions get `drainTime`; the rest stay queued in the manifest.
        await setup.transcriber?.drain(timeout: setup.drainTime)
        setup.events.publish(.recordingStopped(.init(summary: summary)))
        return summary
    }

    private mutating func capture() async throws -> RecordingSummary.StopReason {
        while !setup.control.isStopRequested {
            let read = try native.withUnsafeMutableBufferPointer { try setup.source.read(into: $0) }
            noteDropped()
            switch read {
            case .samples(let n):
                try native.withUnsafeBufferPointer { try converter.convert(UnsafeBufferPointer(rebasing: $0[0..<n]), into: &speech) }
                try await processChunks()
                await Task.yield()
            case .wait:
                try? await Task.sleep(for: setup.pollInterval)
            case .end:
                return .endOfInput
            case .mark(let mark):
                try await apply(mark)
            }
        }
        return .requested
    }

    /// After the device stops: what is still in its ring, the resampler's tail, a last zero-padded
    /// chunk, and the open utterance — so stopping mid-sentence loses nothing.
    private mutating func drainAfterStop() async throws {
        drain: while true {
            switch try native.withUnsafeMutableBufferPointer({ try setup.source.read(into: $0) }) {
            case .samples(let n):
                try native.withUnsafeBufferPointer { try converter.convert(UnsafeBufferPointer(rebasing: $0[0..<n]), into: &speech) }
            case .mark(let mark):
                try await apply(mark)
            case .wait, .end:
                break drain
            }
        }
        noteDropped()
        try converter.flush(into: &speech)
        if speech.count % vadChunkSize != 0 {
            speech.append(contentsOf: repeatElement(0, count: vadChunkSize - speech.count % vadChunkSize))
        }
        try await processChunks()
        if let utterance = chunkStep.flush() { try await finish(utterance) }
        if !keptAudio.isEmpty { report(await setup.store.appendRecording(keptAudio)) }
        keptAudio.removeAll()
    }

    /// A pushing producer's commit: everything heard up to here (the resampler's tail and a last
    /// zero-padded chunk included) is cut as one segment. Its discard: what is open is dropped.
    private mutating func apply(_ mark: AudioMark) async throws {
        switch mark {
        case .commit:
            try converter.flush(into: &speech)
            converter = try SpeechConverter(from: setup.source.format)
            if speech.count % vadChunkSize != 0 {
                speech.append(contentsOf: repeatElement(0, count: vadChunkSize - speech.count % vadChunkSize))
            }
            try await processChunks()
            if let utterance = chunkStep.flush(reason: .committed) { try await finish(utterance) }
        case .discard:
            speech.removeAll(keepingCapacity: true)
            converter = try SpeechConverter(from: setup.source.format)
            if chunkStep.isInSpeech {
                chunkStep.discardOpen()
                quiet = false
                await setup.transcriber?.discarded(segmentID: nextSegmentID)
            }
        }
    }

    private mutating func processChunks() async throws {
        var offset = 0
        defer { speech.removeFirst(offset) }
        while speech.count - offset >= vadChunkSize {
            if let requested = setup.control.takeRequestedMode(), requested != chunkStep.mode {
                let change = VADModeChanged(time: time, from: chunkStep.mode, to: requested)
                chunkStep.mode = requested
                setup.events.publish(.vadModeChanged(change))
                report(await setup.store.noteModeChange(requested, at: change.time))
            }
            let start = offset
            offset += vadChunkSize
            for i in 0..<vadChunkSize { chunk[i] = speech[start + i] }
            let step = try analyseChunk()
            keptAudio.append(contentsOf: chunk)
            if keptAudio.count >= Self.sampleRate {
                report(await setup.store.appendRecording(keptAudio))
                keptAudio.removeAll(keepingCapacity: true)
            }
            if let finished = step.finished { try await finish(finished) }
            await followPause()
            if let tentative = step.tentative, setup.speculate {
                await setup.transcriber?.paused(segmentID: nextSegmentID)
                await setup.transcriber?.speculate(tentative, sampleRate: Self.sampleRate, segmentID: nextSegmentID)
            }
            if let started = step.started {
                setup.events.publish(.speechStarted(.init(time: Double(started) / Double(Self.sampleRate))))
                await setup.transcriber?.prepare()
            }
            await followOpenUtterance()
        }
        await setup.store.noteProgress(duration: time, droppedFrames: droppedTotal)
    }

    /// A pause in a confirmed utterance begins (its first quiet chunk) or ends: speech going on
    /// frees the pause's speculation.
    private mutating func followPause() async {
        guard let transcriber = setup.transcriber else { return }
        let segmenter = chunkStep.segmenter
        if quiet && !segmenter.isPausing {
            quiet = false
            if segmenter.isInSpeech { await transcriber.resumed() }
        } else if !quiet && segmenter.isPausing && segmenter.isConfirmed {
            quiet = true
            if setup.partials, let audioStart = segmenter.openAudioStart {
                await transcriber.quiet(segmentID: nextSegmentID, audioStart: audioStart)
            }
        }
    }

    /// A partial transcript of the utterance as heard so far, when due.
    private mutating func followOpenUtterance() async {
        guard setup.partials, let transcriber = setup.transcriber else { return }
        let segmenter = chunkStep.segmenter
        guard let audioStart = segmenter.openAudioStart,
              await transcriber.partialDue(segmentID: nextSegmentID, audioStart: audioStart, position: segmenter.position),
              let open = segmenter.openUtterance()
        else { return }
        await transcriber.transcribePartial(open, segmentID: nextSegmentID, sampleRate: Self.sampleRate)
    }

    /// Level, speech probability and segmenter step for `chunk`, published as events.
    private mutating func analyseChunk() throws -> SegmenterStep {
        let result = try chunkStep.process(&chunk)
        if result.firstBadSamples {
            report(HarkError(.invalidInput, "The input delivered NaN or infinite samples; they are recorded as silence."))
        }
        let now = time
        setup.events.publish(.audioLevel(.init(time: now, rms: result.rms, peak: result.peak)))
        setup.events.publish(.speechDetected(.init(time: now, probability: result.probability, isSpeech: chunkStep.isInSpeech)))
        return result.step
    }

    private mutating func finish(_ utterance: Utterance) async throws {
        let rate = Double(Self.sampleRate)
        setup.events.publish(.speechEnded(.init(time: Double(utterance.speechEnd) / rate,
                                                speechStart: Double(utterance.speechStart) / rate,
                                                reason: utterance.endReason)))
        let (record, error) = try await setup.store.save(utterance, sampleRate: Self.sampleRate)
        report(error)
        nextSegmentID = record.id + 1
        quiet = false
        setup.events.publish(.segmentSaved(.init(segment: record)))
        if setup.transcriptionDeferred != nil {
            report(await setup.store.setTranscription(TranscriptionRecord(state: .queued, attempts: 0), forSegment: record.id))
        }
        let sinceSpeechEnd = Double(chunkStep.position - utterance.speechEnd) / rate
        await setup.transcriber?.enqueue(record, span: Speculation.Span(utterance), speechEnded: .now - .seconds(sinceSpeechEnd))
    }

    private mutating func noteDropped() {
        let dropped = setup.source.takeDroppedFrames()
        guard dropped > 0 else { return }
        droppedTotal += dropped
        setup.events.publish(.audioDropped(.init(time: time, frames: dropped,
                                                 seconds: Double(dropped) / setup.source.format.sampleRate,
                                                 totalFrames: droppedTotal)))
    }

    private func report(_ error: HarkError?) {
        guard let error else { return }
        setup.events.publish(.recorderError(.init(code: error.code, message: error.message, fatal: false)))
    }
}
