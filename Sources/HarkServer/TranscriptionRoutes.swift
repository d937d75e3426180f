import Foundation
import Hark
import Hummingbird

extension HarkServer {
    /// `POST /v1/audio/transcriptions` and `/v1/audio/translations` as OpenAI defines them
    /// (multipart `file`, `model`, `response_format` json|text|srt|vtt|verbose_json, `prompt`, and
    /// for transcriptions `language`), and `GET /v1/models`.
    func addTranscriptionRoutes(to router: Router<HarkRequestContext>) {
        router.get("/v1/models") { _, _ in JSONBody(ModelList()) }
        addAudioRoute("/v1/audio/transcriptions", task: .transcribe, to: router)
        addAudioRoute("/v1/audio/translations", task: .translate, to: router)
    }

    private func addAudioRoute(_ path: RouterPath, task: TranscriptionTask, to router: Router<HarkRequestContext>) {
        let queue = transcriptions
        let maxUpload = configuration.maxUploadBytes
        let deadline = configuration.uploadDeadline
        router.post(path) { request, context -> Response in
            guard let queue else {
                throw APIError(.serviceUnavailable, "This server has no Whisper model to transcribe with; install it (`make models`) and restart `hark serve`.")
            }
            let boundary = try Self.boundary(of: request)
            // A place first, then the body: a full queue answers 429 without reading the upload.
            let reservation = try await queue.reserve()
            let upload: Upload
            let timer = ConnectionDeadline(deadline, closing: context.channel)
            let late = APIError(.requestTimeout, "The upload did not arrive within \(deadline).", code: "upload_timeout")
            do {
                defer { timer.cancel() }
                let body = try await request.body.collect(upTo: maxUpload)
                // Whole or cut short, a body that came after its connection was closed is not transcribed.
                if timer.expired { throw late }
                upload = try Upload(body: body, boundary: boundary, task: task)
            } catch {
                await queue.release(reservation)
                if timer.expired { throw late }
                if (error as? any HTTPResponseError)?.status == .contentTooLarge {
                    throw APIError(.contentTooLarge, "The file is larger than this server's limit of \(maxUpload / 1_048_576) MB.", code: "file_too_large")
                }
                throw error
            }
            let reply = try await queue.transcribe(upload.file, fileExtension: upload.fileExtension, prompt: upload.prompt,
                                                   language: upload.language, task: task, wordTimestamps: upload.wordTimestamps,
                                                   reservation: reservation)
            return upload.format.response(for: reply, task: task)
        }
    }

    /// The multipart boundary, or a 400 that says what to send.
    static func boundary(of request: Request) throws -> String {
        try boundary(contentType: request.headers[.contentType] ?? "")
    }

    /// RFC 2046's boundary: 1 to 70 of its characters, not ending in a space (an empty one once
    /// ended the server, inside MultipartKit; see `MultipartBody`).
    static func boundary(contentType type: String) throws -> String {
        guard type.lowercased().hasPrefix("multipart/form-data"),
              let range = type.range(of: "boundary=", options: .caseInsensitive) else {
            throw APIError(.badRequest, "Send the audio as multipart/form-data with a 'file' field (curl -F file=@speech.wav).")
        }
        var boundary = String(type[range.upperBound...].prefix { $0 != ";" })
        if boundary.hasPrefix("\""), boundary.hasSuffix("\""), boundary.count >= 2 { boundary = String(boundary.dropFirst().dropLast()) }
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ")
        guard (1...70).contains(boundary.count), boundary.allSatisfy(allowed.contains), boundary.last != " " else {
            throw APIError(.badRequest, "The multipart boundary '\(boundary.prefix(80))' is not valid (1 to 70 letters, digits or '()+_,-./:=?); send the form as curl -F file=@speech.wav does.",
                           code: "invalid_multipart")
        }
        return boundary
    }
}

/// `GET /v1/models`: one name, which clients send back as `model` (any name is accepted).
struct ModelList: Encodable, Sendable {
    struct Model: Encodable, Sendable { var id = "whisper-1"; var object = "model"; var owned_by = "hark" }
    var object = "list"
    var data = [Model()]
}

/// The form of one transcription request, checked.
struct Upload {
    var file: [UInt8]
    var fileExtension: String
    var format: ResponseFormat
    /// Text said before (OpenAI's `prompt`, faster-whisper's `initial_prompt`).
    var prompt: String?
    /// The language spoken, as a code; nil to detect it.
    var language: String?
    /// `timestamp_granularities[]` holds `word`: verbose_json gets `words`.
    var wordTimestamps = false
    /// Whisper reads at most 223 tokens of it; this many characters is far more than that.
    static let maxPromptCharacters = 4096

    init(body: ByteBuffer, boundary: String, task: TranscriptionTask = .transcribe) throws {
        let form: MultipartBody
        do {
            form = try MultipartBody(Array(buffer: body), boundary: boundary)
        } catch {
            throw APIError(.badRequest, "The multipart body could not be read (\(error.reason)); send it as curl -F file=@speech.wav does.")
        }
        var fields: [String: String] = [:]
        var granularities: [String] = []
        var fileData: [UInt8]?
        var fileName = ""
        for part in form.parts {
            let disposition = part.headers["content-disposition"] ?? ""
            guard let name = Self.parameter("name", in: disposition) else { continue }
            if name == "file" {
                fileData = Array(part.content)
                fileName = Self.parameter("filename", in: disposition) ?? ""
            } else if name == "timestamp_granularities[]" || name == "timestamp_granularities" {
                granularities.append(String(decoding: part.content, as: UTF8.self).trimmingCharacters(in: .whitespaces))
            } else {
                fields[name] = String(decoding: part.content, as: UTF8.self)
            }
        }
        guard let fileData, !fileData.isEmpty else {
            throw APIError(.badRequest, "The request has no 'file' part (or an empty one); send the audio as -F file=@speech.wav.", code: "missing_file")
        }
        let formatName = fields["response_format"] ?? "json"
        guard let format = ResponseFormat(rawValue: formatName) else {
            throw APIError(.badRequest, "response_format '\(formatName)' is not one of json, text, srt, vtt, verbose_json.")
        }
        // Translations take no language (OpenAI's API has none there): the source is detected.
        if task == .transcribe, let language = fields["language"]?.trimmingCharacters(in: .whitespaces), !language.isEmpty {
            guard let code = SpokenLanguage.code(for: language) else {
                throw APIError(.badRequest, "language '\(language.prefix(40))' is not one Whisper knows; send an ISO-639-1 code such as en, de or fr, or leave it out to detect it.",
                               code: "unsupported_language")
            }
            self.language = code
        }
        for granularity in granularities where !["word", "segment"].contains(granularity) {
            throw APIError(.badRequest, "timestamp_granularities[] '\(granularity.prefix(40))' is not word or segment.", code: "invalid_value")
        }
        wordTimestamps = granularities.contains("word")
        if wordTimestamps && format != .verboseJSON {
            throw APIError(.badRequest, "timestamp_granularities[] needs response_format verbose_json.", code: "invalid_value")
        }
        // `model` is accepted whatever it names (clients send "whisper-1").
        if let prompt = fields["prompt"]?.trimmingCharacters(in: .whitespacesAndNewlines), !prompt.isEmpty {
            guard prompt.count <= Self.maxPromptCharacters else {
                throw APIError(.badRequest, "prompt is longer than \(Self.maxPromptCharacters) characters; Whisper reads only its last 223 tokens, so send the end of it.",
                               code: "prompt_too_long")
            }
            self.prompt = prompt
        }
        file = fileData
        let suffix = (fileName as NSString).pathExtension.lowercased()
        fileExtension = !suffix.isEmpty && suffix.count <= 5 && suffix.allSatisfy({ $0.isLetter || $0.isNumber }) ? suffix : "audio"
        self.format = format
    }

    /// `name="value"` from a Content-Disposition header.
    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";") {
            let part = piece.trimmingCharacters(in: .whitespaces)
            guard part.lowercased().hasPrefix(name + "=") else { continue }
            var value = String(part.dropFirst(name.count + 1))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}

enum ResponseFormat: String {
    case json, text, srt, vtt
    case verboseJSON = "verbose_json"

    func response(for transcript: Transcript, task: TranscriptionTask = .transcribe) -> Response {
        let text = transcript.isSilence ? "" : transcript.text.trimmingCharacters(in: .whitespaces)
        let segments = transcript.isSilence ? [] : transcript.segments
        func plain(_ body: String, _ type: String) -> Response {
            Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        switch self {
        case .text: return plain(text + "\n", "text/plain; charset=utf-8")
        case .srt: return plain(TranscriptFormat.srt.render(segments), TranscriptFormat.srt.contentType)
        case .vtt: return plain(TranscriptFormat.vtt.render(segments), TranscriptFormat.vtt.contentType)
        case .json: return plain(Self.encode(["text": text]), "application/json")
        case .verboseJSON:
            struct Segment: Encodable {
                var id: Int; var seek = 0; var start: Double; var end: Double; var text: String
                var tokens: [Int] = []; var temperature = 0.0; var avg_logprob = 0.0
                var compression_ratio = 0.0; var no_speech_prob: Double
            }
            struct Word: Encodable { var word: String; var start: Double; var end: Double }
            struct Verbose: Encodable {
                var task: String; var language: String; var duration: Double; var text: String; var segments: [Segment]; var words: [Word]?
            }
            let noSpeech = transcript.noSpeechProbability
            // OpenAI names the language spoken ("german"), for translations too.
            let verbose = Verbose(task: task.rawValue, language: SpokenLanguage.name(of: transcript.language ?? "en"),
                                  duration: segments.map(\.end).max() ?? 0, text: text,
                                  segments: segments.enumerated().map { Segment(id: $0, start: $1.start, end: $1.end, text: $1.text, no_speech_prob: noSpeech) },
                                  words: segments.contains { $0.words != nil }
                                      ? segments.flatMap { $0.words ?? [] }.map { Word(word: $0.word.trimmingCharacters(in: .whitespaces), start: $0.start, end: $0.end) }
                                      : nil)
            return plain(Self.encode(verbose), "application/json")
        }
    }

    static func encode(_ value: some Encodable) -> String {
        JSON.string(value)
    }
}
