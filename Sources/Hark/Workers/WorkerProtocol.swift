import Foundation
import HarkAudio

/// The line protocol between the recorder and `hark worker` processes: one JSON object per line
/// on the worker's stdin (jobs, cancels) and stdout (everything else). Version 2.
///
/// worker → `{"type":"ready"}` once its model is loaded, or `{"type":"fatal","error":…}` and exit;
/// recorder → `{"type":"job","id":…,"file":…,"beamSize":…,"timestamps":…}`, one at a time;
/// recorder → `{"type":"cancel","id":…}` (version 2) while that job runs: the worker stops it early
/// and answers `error` with code `cancelled`; a cancel for any other id is ignored;
/// worker → `{"type":"result","id":…,"text":…,"segments":[…],…}` or `{"type":"error","id":…,"error":…}`.
public struct WorkerMessage: Sendable, Hashable, Codable {
    public static let version = 2

    public enum Kind: String, Sendable, Hashable, Codable { case ready, fatal, job, cancel, result, error }

    public struct Failure: Sendable, Hashable, Codable {
        public var code: HarkError.Code
        public var message: String
    }

    public var type: Kind
    public var version: Int? = Self.version
    public var id: Int?
    public var file: String?
    public var beamSize: Int?
    public var timestamps: Bool?
    public var text: String?
    public var segments: [TranscriptSegment]?
    public var noSpeechProbability: Double?
    public var isSilence: Bool?
    public var processingTime: Double?
    public var error: Failure?

    public init(type: Kind) { self.type = type }

    public static func job(id: Int, file: String, options: TranscriptionOptions) -> WorkerMessage {
        var message = WorkerMessage(type: .job)
        message.id = id
        message.file = file
        message.beamSize = options.beamSize
        message.timestamps = options.timestamps
        return message
    }

    public static func cancel(id: Int) -> WorkerMessage {
        var message = WorkerMessage(type: .cancel)
        message.id = id
        return message
    }

    public func encodedLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }

    public static func decode(_ line: some StringProtocol) -> WorkerMessage? {
        try? JSONDecoder().decode(WorkerMessage.self, from: Data(line.utf8))
    }
}

/// The worker side: loads its engine once, then answers jobs from stdin until it closes.
public enum TranscriptionWorker {
    private static let output = NSLock()

    /// Serves with the local Whisper model in `modelDirectory`.
    public static func serve(modelDirectory: URL, threads: Int? = nil) async -> Int32 {
        let engine = WhisperEngine(modelDirectory: modelDirectory)
        return await serve(engine: engine, threads: threads) { try await engine.load() }
    }

    /// Serves with any engine; `load` runs first, and a failure there is the worker's `fatal`.
    /// Audio longer than Whisper's 30 s window (an upload to `hark serve`, say) is cut with the VAD.
    public static func serve(engine: any TranscriptionEngine, threads: Int? = nil,
                             modelsDirectory: URL = RecorderConfiguration.defaultModelsDirectory(),
                             load: () async throws -> Void) async -> Int32 {
        @Sendable func send(_ message: WorkerMessage) {
            // A result and a protocol error may be written from two tasks: one line at a time.
            output.withLock { FileHandle.standardOutput.write(Data(message.encodedLine().utf8)) }
        }
        do {
            try await load()
        } catch {
            var fatal = WorkerMessage(type: .fatal)
            let failure = error as? HarkError ?? HarkError(.internalFailure, "\(error)")
            fatal.error = .init(code: failure.code, message: failure.message)
            send(fatal)
            return 1
        }
        send(WorkerMessage(type: .ready))
        // Jobs run one at a time in a task of their own, so that a cancel read meanwhile can stop one.
        var current: (id: Int, task: Task<Void, Never>)?
        for await line in standardInputLines() {
            let message = WorkerMessage.decode(line)
            switch (message?.type, message?.id, message?.file) {
            case (.cancel?, let id?, _):
                if let current, current.id == id { current.task.cancel() }
            case (.job?, let id?, _?):
                await current?.task.value
                let job = message!
                current = (id, Task { send(await answer(job, engine: engine, threads: threads, modelsDirectory: modelsDirectory)) })
            default:
                var reply = WorkerMessage(type: .error)
                reply.error = .init(code: .invalidInput, message: "Not a version \(WorkerMessage.version) job: \(line.prefix(200))")
                send(reply)
            }
        }
        await current?.task.value
        return 0
    }

    /// The worker's stdin as lines, read on a thread of its own (a blocking read must not hold a
    /// thread of the cooperative pool). The recorder sends a job and at most a cancel for it before
    /// it waits for the answer, so a small buffer is plenty; lines beyond it would be dropped.
    private static func standardInputLines() -> AsyncStream<String> {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(16))
        Thread.detachNewThread {
            while let line = readLine() { continuation.yield(line) }
            continuation.finish()
        }
        return lines
    }

    private static func answer(_ job: WorkerMessage, engine: any TranscriptionEngine, threads: Int?,
                               modelsDirectory: URL) async -> WorkerMessage {
        let options = TranscriptionOptions(beamSize: job.beamSize ?? 1, threads: threads, timestamps: job.timestamps ?? false)
        let file = job.file ?? ""
        let started = ContinuousClock.now
        do {
            let samples = try AudioFile.readSpeech(path: file)
            guard !samples.isEmpty else { throw HarkError(.unreadableAudio, "'\(file)' holds no audio.") }
            let result = try await transcribe(samples, engine: engine, options: options, modelsDirectory: modelsDirectory)
            var reply = WorkerMessage(type: .result)
            reply.id = job.id
            reply.text = result.text
            reply.segments = result.segments
            reply.noSpeechProbability = result.noSpeechProbability
            reply.isSilence = result.isSilence
            reply.processingTime = (ContinuousClock.now - started).inSeconds
            return reply
        } catch {
            var reply = WorkerMessage(type: .error)
            reply.id = job.id
            var failure = error as? HarkError ?? HarkError(.internalFailure, "\(error)")
            if Task.isCancelled { failure = HarkError(.cancelled, "The job was cancelled before it finished.") }
            reply.error = .init(code: failure.code, message: failure.message)
            return reply
        }
    }

    private static func transcribe(_ samples: [Float], engine: any TranscriptionEngine, options: TranscriptionOptions,
                                   modelsDirectory: URL) async throws -> Transcript {
        guard samples.count > 30 * 16_000 else { return try await engine.transcribe(samples, options: options) }
        var pieceOptions = options
        pieceOptions.timestamps = true
        let whole = FileTranscription(engine: engine, options: pieceOptions, modelsDirectory: modelsDirectory)
        let segments = try await whole.transcribe(samples: samples)
        let text = segments.map { $0.text.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return Transcript(text: text, tokens: [], noSpeechProbability: 0, averageLogProbability: 0,
                          isSilence: segments.isEmpty, processingTime: 0, segments: segments)
    }
}
