import Foundation
import HarkAudio

/// The line protocol between the recorder and `hark worker` processes: one JSON object per line
/// on the worker's stdin (jobs) and stdout (everything else). Version 1.
///
/// worker → `{"type":"ready"}` once its model is loaded, or `{"type":"fatal","error":…}` and exit;
/// recorder → `{"type":"job","id":…,"file":…,"beamSize":…,"timestamps":…}`;
/// worker → `{"type":"result","id":…,"text":…,"segments":[…],…}` or `{"type":"error","id":…,"error":…}`.
public struct WorkerMessage: Sendable, Hashable, Codable {
    public static let version = 1

    public enum Kind: String, Sendable, Hashable, Codable { case ready, fatal, job, result, error }

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
        func send(_ message: WorkerMessage) {
            FileHandle.standardOutput.write(Data(message.encodedLine().utf8))
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
        // Blocking reads are fine here: this process does nothing else while it waits for a job.
        while let line = readLine() {
            guard let job = WorkerMessage.decode(line), job.type == .job, let id = job.id, let file = job.file else {
                var reply = WorkerMessage(type: .error)
                reply.error = .init(code: .invalidInput, message: "Not a version \(WorkerMessage.version) job: \(line.prefix(200))")
                send(reply)
                continue
            }
            let options = TranscriptionOptions(beamSize: job.beamSize ?? 1, threads: threads, timestamps: job.timestamps ?? false)
            let started = ContinuousClock.now
            do {
                let samples = try AudioFile.readSpeech(path: file)
                guard !samples.isEmpty else { throw HarkError(.unreadableAudio, "'\(file)' holds no audio.") }
                let result = try await transcribe(samples, engine: engine, options: options, modelsDirectory: modelsDirectory)
                var reply = WorkerMessage(type: .result)
                reply.id = id
                reply.text = result.text
                reply.segments = result.segments
                reply.noSpeechProbability = result.noSpeechProbability
                reply.isSilence = result.isSilence
                reply.processingTime = (ContinuousClock.now - started).inSeconds
                send(reply)
            } catch {
                var reply = WorkerMessage(type: .error)
                reply.id = id
                let failure = error as? HarkError ?? HarkError(.internalFailure, "\(error)")
                reply.error = .init(code: failure.code, message: failure.message)
                send(reply)
            }
        }
        return 0
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
