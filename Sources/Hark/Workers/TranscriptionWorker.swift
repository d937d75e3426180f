import Foundation
import HarkAudio
import HarkCore

/// The worker side of `WorkerProtocol`: loads its engine once, then answers jobs from stdin until
/// it closes.
public enum TranscriptionWorker {
    private static let output = NSLock()

    /// Serves with the local Whisper model in `modelDirectory`, computing as `computeType` says
    /// (`auto` for decoding at `beamSize`).
    public static func serve(modelDirectory: URL, computeType: ComputeType = .auto, beamSize: Int = 1,
                             threads: Int? = nil) async -> Int32 {
        let engine = WhisperEngine(modelDirectory: modelDirectory, computeType: computeType, beamSize: beamSize)
        return await serve(engine: engine, threads: threads) { try await engine.load() }
    }

    /// Serves with any engine; `load` runs first, and a failure there is the worker's `fatal`.
    /// Audio longer than Whisper's 30 s window (an upload to `hark serve`, say) is cut with the VAD.
    public static func serve(engine: any TranscriptionEngine, threads: Int? = nil,
                             modelsDirectory: URL = RecorderConfiguration.defaultModelsDirectory(),
                             load: () async throws -> Void) async -> Int32 {
        await serve(engine: engine, threads: threads, modelsDirectory: modelsDirectory, requests: standardInputLines(),
                    send: { reply in
                        // A result and a protocol error may be written from two tasks: one line at a time.
                        output.withLock { FileHandle.standardOutput.write(Data(reply.encodedLine().utf8)) }
                    }, load: load)
    }

    /// The protocol over any pair of channels: `requests` are the lines a worker reads, `send`
    /// what it writes. Processes use stdin and stdout; an in-process worker, memory.
    static func serve(engine: any TranscriptionEngine, threads: Int?, modelsDirectory: URL,
                      requests: AsyncStream<String>, send: @escaping @Sendable (WorkerReply) async -> Void,
                      load: () async throws -> Void) async -> Int32 {
        do {
            try await load()
        } catch {
            await send(.fatal(error as? HarkError ?? HarkError(.internalFailure, "\(error)")))
            return 1
        }
        await send(.ready(version: WorkerProtocol.version))
        // Jobs run one at a time in a task of their own, so that a cancel read meanwhile can stop one.
        var current: (id: Int, task: Task<Void, Never>)?
        for await line in requests {
            switch WorkerRequest.decode(line) {
            case .cancel(let id)?:
                if let current, current.id == id { current.task.cancel() }
            case .job(let job)?:
                await current?.task.value
                current = (job.id, Task { await send(await answer(job, engine: engine, threads: threads, modelsDirectory: modelsDirectory)) })
            case nil:
                await send(.failure(id: nil, HarkError(.invalidInput, "Not a version \(WorkerProtocol.version) job: \(line.prefix(200))")))
            }
        }
        // The input closed. An in-process worker stopped by its pool also stops the job in hand.
        if let current {
            await withTaskCancellationHandler { await current.task.value } onCancel: { current.task.cancel() }
        }
        return 0
    }

    /// The worker's stdin as lines, read on a thread of its own (a blocking read must not hold a
    /// thread of the cooperative pool). The recorder sends a job and at most a cancel for it before
    /// it waits for the answer, so a small buffer is plenty; lines beyond it would be dropped.
    private static func standardInputLines() -> AsyncStream<String> {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(16))
        Thread.detachNewThread {
            var framer = LineFramer(maxLineBytes: 1 << 20)
            var buffer = [UInt8](repeating: 0, count: 65_536)
            func deliver(_ item: LineFramer.Item?) {
                if case .line(let line)? = item { continuation.yield(line) }
            }
            while true {
                let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                for item in framer.feed(buffer[0..<n]) { deliver(item) }
            }
            deliver(framer.finish())
            continuation.finish()
        }
        return lines
    }

    private static func answer(_ job: WorkerJobRequest, engine: any TranscriptionEngine, threads: Int?,
                               modelsDirectory: URL) async -> WorkerReply {
        var options = job.options
        options.threads = threads
        let started = ContinuousClock.now
        do {
            // Read (and resampled) on a thread of its own: in process, this runs beside the app's tasks.
            let file = job.file, maxSeconds = job.maxSeconds ?? AudioFile.defaultMaxSeconds
            let samples = try await onOwnThread { try AudioFile.readSpeech(path: file, maxSeconds: maxSeconds) }
            guard !samples.isEmpty else { throw HarkError(.unreadableAudio, "'\(job.file)' holds no audio.") }
            var result = try await transcribe(samples, engine: engine, options: options, modelsDirectory: modelsDirectory)
            result.processingTime = (ContinuousClock.now - started).inSeconds
            return .result(id: job.id, result)
        } catch {
            var failure = error as? HarkError ?? HarkError(.internalFailure, "\(error)")
            if Task.isCancelled { failure = HarkError(.cancelled, "The job was cancelled before it finished.") }
            return .failure(id: job.id, failure)
        }
    }

    private static func transcribe(_ samples: [Float], engine: any TranscriptionEngine, options: TranscriptionOptions,
                                   modelsDirectory: URL) async throws -> Transcript {
        guard samples.count > 30 * 16_000 else { return try await engine.transcribe(samples, options: options) }
        var pieceOptions = options
        pieceOptions.timestamps = true
        let whole = FileTranscription(engine: engine, options: pieceOptions, modelsDirectory: modelsDirectory)
        let result = try await whole.transcript(samples: samples)
        let text = result.segments.map { $0.text.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        var transcript = Transcript(text: text, tokens: [], noSpeechProbability: 0, averageLogProbability: 0,
                                    isSilence: result.segments.isEmpty, processingTime: 0, segments: result.segments)
        transcript.language = result.language
        transcript.languageProbability = result.languageProbability
        return transcript
    }
}
