import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HarkCore

/// Where and how a `RemoteTranscriptionEngine` sends its audio.
public struct RemoteEngineConfiguration: Sendable {
    /// Base URLs of OpenAI-compatible servers (`…/v1/audio/transcriptions` is appended unless the
    /// URL already ends in it): another `hark serve`, nginx in front of several, or any such API.
    public var endpoints: [URL]
    /// Sent as `Authorization: Bearer …` when set.
    public var token: String?
    /// The `model` form field; `hark serve` accepts any name.
    public var model = "whisper-1"
    /// One request's limit, connection included.
    public var requestTimeout: Duration = .seconds(60)
    /// Rounds over all endpoints before giving up; between rounds the engine waits
    /// `backoff`, doubled each round (capped at `maxBackoff`).
    public var rounds = 3
    /// The wait before the second round; it doubles each round after.
    public var backoff: Duration = .milliseconds(500)
    /// The longest wait between rounds.
    public var maxBackoff: Duration = .seconds(8)

    /// The defaults for everything else: model "whisper-1", 60 s per request, 3 rounds.
    public init(endpoints: [URL], token: String? = nil) {
        self.endpoints = endpoints
        self.token = token
    }

    /// The longest one `transcribe` can take before it gives up: every endpoint timing out in
    /// every round, with the backoffs between rounds. A supervisor must wait at least this long.
    public var longestTranscription: Duration {
        var backoffs = Duration.zero, backoff = backoff
        for _ in 1..<max(1, rounds) {
            backoffs += backoff
            backoff = min(backoff * 2, maxBackoff)
        }
        return requestTimeout * endpoints.count * max(1, rounds) + backoffs
    }

    static func transcriptionsURL(_ base: URL) -> URL {
        base.path.hasSuffix("/audio/transcriptions") ? base
            : base.appendingPathComponent(base.path.hasSuffix("/v1") ? "audio/transcriptions" : "v1/audio/transcriptions")
    }
}

/// Transcription by an OpenAI-compatible HTTP service. Each utterance goes as a 16 kHz PCM16 WAV
/// to one endpoint; a connection failure, timeout, 5xx or 429 moves on to the next (requests
/// rotate over the endpoints so that several share the work). When every endpoint failed every
/// round it throws `remoteUnavailable`, which the recorder's durable queue treats as "try later",
/// never as a spent attempt. So is 401/403 (a token to fix); any other 4xx is the request's own
/// fault: `invalidInput`.
public actor RemoteTranscriptionEngine: TranscriptionEngine {
    /// Where and how requests are sent; fixed for the engine's life.
    public nonisolated let configuration: RemoteEngineConfiguration
    private let session: URLSession
    private var next = 0

    /// Throws HarkError `.invalidConfiguration` when there is no endpoint or one is not an http(s) URL.
    public init(configuration: RemoteEngineConfiguration) throws {
        guard !configuration.endpoints.isEmpty else {
            throw HarkError.invalidConfiguration("the remote engine needs at least one --endpoint URL")
        }
        for url in configuration.endpoints where !["http", "https"].contains(url.scheme ?? "") {
            throw HarkError.invalidConfiguration("'\(url)' is not an http(s) URL")
        }
        self.configuration = configuration
        let settings = URLSessionConfiguration.ephemeral
        settings.timeoutIntervalForRequest = configuration.requestTimeout.inSeconds
        session = URLSession(configuration: settings)
    }

    /// Sends `samples` (16 kHz mono) as a PCM16 WAV, trying endpoints in turn for up to `rounds`
    /// rounds. Throws HarkError `.invalidInput` when an endpoint refuses the request (a 4xx other
    /// than 401, 403, 408 and 429) or the audio is too long for one WAV, `.remoteUnavailable` when
    /// no endpoint answered; cancellation during a backoff throws `CancellationError`.
    public func transcribe(_ samples: [Float], options: TranscriptionOptions) async throws -> Transcript {
        let started = ContinuousClock.now
        let wav = Data(try WAVEncoder.pcm16(samples))
        var failures: [String] = []
        var backoff = configuration.backoff
        for round in 0..<max(1, configuration.rounds) {
            if round > 0 {
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, configuration.maxBackoff)
            }
            let first = next
            next = (next + 1) % configuration.endpoints.count
            for offset in 0..<configuration.endpoints.count {
                let endpoint = configuration.endpoints[(first + offset) % configuration.endpoints.count]
                switch await post(wav, options: options, to: endpoint) {
                case .success(let reply):
                    // Another program's numbers: made safe before anything formats them.
                    return reply.transcript(processingTime: (ContinuousClock.now - started).inSeconds).validated()
                case .failure(.rejected(let message)):
                    throw HarkError(.invalidInput, "\(endpoint.absoluteString) refused the audio: \(message)")
                case .failure(.unavailable(let message)):
                    failures.append("\(endpoint.host ?? endpoint.absoluteString):\(endpoint.port.map(String.init) ?? ""): \(message)")
                }
            }
        }
        let recent = failures.suffix(configuration.endpoints.count).joined(separator: "; ")
        throw HarkError(.remoteUnavailable, "No transcription endpoint answered (\(recent)).")
    }

    private enum Failure: Error { case unavailable(String), rejected(String) }

    private func post(_ wav: Data, options: TranscriptionOptions, to endpoint: URL) async -> Result<VerboseReply, Failure> {
        let boundary = "hark-\(UUID().uuidString)"
        var request = URLRequest(url: RemoteEngineConfiguration.transcriptionsURL(endpoint))
        request.httpMethod = "POST"
        request.timeoutInterval = configuration.requestTimeout.inSeconds
        request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        if let token = configuration.token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        var form = MultipartForm(boundary: boundary)
            .field("model", configuration.model)
            .field("response_format", "verbose_json")
            .field("temperature", "0")
        if let prompt = options.prompt { form = form.field("prompt", prompt) }
        // OpenAI's API names the language spoken; it has no hotwords, and translation is
        // another route (refused with a remote engine before anything starts).
        if let language = options.language { form = form.field("language", language) }
        request.httpBody = form
            .file("file", filename: "utterance.wav", type: "audio/wav", data: wav)
            .encoded()
        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            return .failure(.unavailable((error as? URLError).map { "\($0.code)" } ?? "\(error)"))
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let message = ErrorReply.message(in: data) ?? "HTTP \(status)"
        switch status {
        case 200..<300:
            guard let reply = try? JSONDecoder().decode(VerboseReply.self, from: data) else {
                return .failure(.unavailable("an answer that is not transcription JSON"))
            }
            return .success(reply)
        // A wrong token is fixed by the user, not by the audio: wait for it like for an outage.
        case 401, 403, 408, 429, 500...: return .failure(.unavailable("HTTP \(status): \(message)"))
        default: return .failure(.rejected("HTTP \(status): \(message)"))
        }
    }
}

/// OpenAI's `verbose_json` answer, as much of it as Hark uses.
struct VerboseReply: Decodable {
    struct Segment: Decodable {
        var start: Double
        var end: Double
        var text: String
        var no_speech_prob: Double?
        var avg_logprob: Double?
    }
    var text: String
    var segments: [Segment]?

    func transcript(processingTime: Double) -> Transcript {
        let segments = segments ?? []
        let noSpeech = segments.compactMap(\.no_speech_prob).max() ?? 0
        let logProbability = segments.compactMap(\.avg_logprob).first ?? 0
        let text = text.trimmingCharacters(in: .whitespaces)
        return Transcript(text: text, tokens: [], noSpeechProbability: noSpeech, averageLogProbability: logProbability,
                          isSilence: text.isEmpty, processingTime: processingTime,
                          segments: segments.map { TranscriptSegment(start: $0.start, end: $0.end, text: $0.text) })
    }
}

/// `{"error":{"message":…}}`, OpenAI's (and Hummingbird's) error shape.
enum ErrorReply {
    static func message(in data: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let error = object["error"] as? [String: Any] else { return nil }
        return error["message"] as? String
    }
}
