import Foundation
import HarkCore

/// The line protocol between the recorder and `hark worker` processes, version 2: one JSON object
/// per line ("\n" only; see `LineFramer`) on the worker's stdin (requests) and stdout (replies).
///
/// worker → `{"type":"ready","version":2}` once its model is loaded, or `{"type":"fatal","error":…}` and exit;
/// recorder → `{"type":"job","id":…,"file":…,"beamSize":…,"timestamps":…,"maxSeconds":…,"prefix":[…],"prompt":…,"language":…,"task":…,"wordTimestamps":…}`, one at a time;
/// recorder → `{"type":"cancel","id":…}` (version 2) while that job runs: the worker stops it early
/// and answers `error` with code `cancelled`; a cancel for any other id is ignored;
/// worker → `{"type":"result","id":…,"text":…,"segments":[…],"words":[…],"language":…,…}` or `{"type":"error","id":…,"error":…}`.
/// Fields a side does not know are ignored, so `prefix`, `prompt`, `language`, `task`, `wordTimestamps` and `words`
/// need no new version.
public enum WorkerProtocol {
    /// The protocol version a worker states in `ready`; cancels need 2.
    public static let version = 2
}

/// What the recorder sends a worker.
public enum WorkerRequest: Sendable, Hashable {
    case job(WorkerJobRequest)
    case cancel(id: Int)

    public func encodedLine() -> String {
        switch self {
        case .job(let job):
            var wire = WireMessage(type: .job, id: job.id)
            wire.file = job.file
            wire.beamSize = job.options.beamSize
            wire.timestamps = job.options.timestamps
            wire.maxSeconds = job.maxSeconds
            wire.prefix = job.options.prefix.isEmpty ? nil : job.options.prefix
            wire.prompt = job.options.prompt
            wire.language = job.options.language
            wire.task = job.options.task
            wire.wordTimestamps = job.options.wordTimestamps
            wire.hotwords = job.options.hotwords
            return wire.encodedLine()
        case .cancel(let id):
            return WireMessage(type: .cancel, id: id).encodedLine()
        }
    }

    /// The request a line holds, or nil when it is not one (any other type, a missing field).
    public static func decode(_ line: some StringProtocol) -> WorkerRequest? {
        guard let wire = WireMessage.decode(line), let id = wire.id else { return nil }
        switch wire.type {
        case .cancel: return .cancel(id: id)
        case .job:
            guard let file = wire.file else { return nil }
            let beam = min(max(wire.beamSize ?? 1, 1), WorkerJobRequest.maxBeamSize)
            let limit = wire.maxSeconds.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
            var options = TranscriptionOptions(beamSize: beam, timestamps: wire.timestamps ?? false, prefix: wire.prefix ?? [],
                                               prompt: wire.prompt, language: wire.language, task: wire.task,
                                               wordTimestamps: wire.wordTimestamps)
            options.hotwords = wire.hotwords
            return .job(WorkerJobRequest(id: id, file: file, options: options, maxSeconds: limit))
        default: return nil
        }
    }
}

/// One transcription job: a file the worker reads, and how to transcribe it.
public struct WorkerJobRequest: Sendable, Hashable {
    /// More beams than this only cost time; a larger request is lowered to it.
    public static let maxBeamSize = 16
    /// The job's id, repeated in its answer.
    public var id: Int
    /// The WAV (or any file libsndfile reads) to transcribe.
    public var file: String
    /// How to decode this job.
    public var options: TranscriptionOptions
    /// Decoded audio beyond this many seconds is refused (`audioTooLong`); nil: the reader's default.
    public var maxSeconds: Double?

    /// A job for `file`.
    public init(id: Int, file: String, options: TranscriptionOptions, maxSeconds: Double? = nil) {
        self.id = id
        self.file = file
        self.options = options
        self.maxSeconds = maxSeconds
    }
}

/// What a worker answers.
public enum WorkerReply: Sendable, Hashable {
    case ready(version: Int)
    case fatal(HarkError)
    /// A job's transcript, its numbers checked (`Transcript.validated()`): a worker is another
    /// program, and a remote engine's answer passes through it.
    case result(id: Int, Transcript)
    /// A job failed (`id`), or a line was not understood (no id).
    case failure(id: Int?, HarkError)

    public func encodedLine() -> String {
        switch self {
        case .ready(let version):
            var wire = WireMessage(type: .ready)
            wire.version = version
            return wire.encodedLine()
        case .fatal(let error):
            var wire = WireMessage(type: .fatal)
            wire.error = .init(error)
            return wire.encodedLine()
        case .result(let id, let transcript):
            let transcript = transcript.validated()   // JSON has no NaN or infinity: the line would be lost
            var wire = WireMessage(type: .result, id: id)
            wire.text = transcript.text
            wire.segments = transcript.segments
            wire.noSpeechProbability = transcript.noSpeechProbability
            wire.averageLogProbability = transcript.averageLogProbability
            wire.isSilence = transcript.isSilence
            wire.processingTime = transcript.processingTime
            wire.words = transcript.words.isEmpty ? nil : transcript.words
            wire.language = transcript.language
            wire.languageProbability = transcript.languageProbability
            return wire.encodedLine()
        case .failure(let id, let error):
            var wire = WireMessage(type: .error, id: id)
            wire.error = .init(error)
            return wire.encodedLine()
        }
    }

    public static func decode(_ line: some StringProtocol) -> WorkerReply? {
        guard let wire = WireMessage.decode(line) else { return nil }
        switch wire.type {
        case .ready: return .ready(version: wire.version ?? 1)
        case .fatal: return .fatal(wire.error?.harkError ?? HarkError(.internalFailure, "the worker could not start"))
        case .result:
            guard let id = wire.id else { return nil }
            var transcript = Transcript(text: wire.text ?? "", tokens: [], noSpeechProbability: wire.noSpeechProbability ?? 0,
                                        averageLogProbability: wire.averageLogProbability ?? 0, isSilence: wire.isSilence ?? false,
                                        processingTime: wire.processingTime ?? 0, segments: wire.segments ?? [])
            transcript.words = wire.words ?? []
            transcript.language = wire.language
            transcript.languageProbability = wire.languageProbability
            return .result(id: id, transcript.validated())
        case .error:
            return .failure(id: wire.id, wire.error?.harkError ?? HarkError(.internalFailure, "the worker failed"))
        case .job, .cancel: return nil
        }
    }
}

/// The JSON on the wire: one object whose `type` says which fields it has. Kept private so that
/// code handles the enums above, never a bag of optionals.
private struct WireMessage: Codable {
    enum Kind: String, Codable { case ready, fatal, job, cancel, result, error }

    struct Failure: Codable {
        var code: HarkError.Code
        var message: String
        init(_ error: HarkError) {
            code = error.code
            message = error.message
        }
        var harkError: HarkError { HarkError(code, message) }
    }

    var type: Kind
    var version: Int? = WorkerProtocol.version
    var id: Int?
    var file: String?
    var beamSize: Int?
    var timestamps: Bool?
    var maxSeconds: Double?
    var prefix: [Int]?
    var text: String?
    var segments: [TranscriptSegment]?
    var noSpeechProbability: Double?
    var averageLogProbability: Double?
    var isSilence: Bool?
    var processingTime: Double?
    var words: [TranscriptWord]?
    var prompt: String?
    var language: String?
    var languageProbability: Double?
    var task: TranscriptionTask?
    var wordTimestamps: Bool?
    var hotwords: String?
    var error: Failure?

    init(type: Kind, id: Int? = nil) {
        self.type = type
        self.id = id
    }

    func encodedLine() -> String {
        String(decoding: (try? JSON.encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }

    static func decode(_ line: some StringProtocol) -> WireMessage? {
        try? JSONDecoder().decode(WireMessage.self, from: Data(line.utf8))
    }
}
