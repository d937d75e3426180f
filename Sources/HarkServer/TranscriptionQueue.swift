import Foundation
import Hark

/// The bounded queue behind `POST /v1/audio/transcriptions`: uploads are written to a private
/// temporary folder and handed to a pool of worker processes. A request first reserves a place;
/// when `limit` uploads already wait (beyond one per worker) it gets `busy`, which the route turns
/// into 429 with a Retry-After estimated from recent job times — before its body is even read, so
/// a crowd of clients cannot fill memory with uploads.
actor TranscriptionQueue {
    private let pool: TranscriptionWorkerPool
    private let limit: Int
    private var reserved = 0
    private var nextID = 1
    private var waiting: [Int: CheckedContinuation<WorkerOutcome, Never>] = [:]
    private var recentSeconds: [Double] = []
    private var collector: Task<Void, Never>?

    init(workers: WorkerPoolConfiguration, limit: Int, maxUploadBytes: Int) throws {
        var workers = workers
        workers.queueLimit = limit + workers.size
        // An upload may be long (25 MB of WAV is 13 minutes): allow a second per 16 kB, not the
        // recorder's two minutes per utterance.
        workers.jobTimeout = .seconds(max(120, maxUploadBytes / 16_000))
        // Timed segments for every answer: srt, vtt and verbose_json need them, and json and text
        // are their joined text.
        workers.options.timestamps = true
        pool = TranscriptionWorkerPool(configuration: workers)

        self.limit = limit + workers.size
        _ = try ScratchFolder.folder()   // fails here, at start, if no private folder can be had
    }

    func begin() {
        guard collector == nil else { return }
        let results = pool.results
        collector = Task { [weak self] in
            for await (job, outcome) in results {
                if case .started = outcome { continue }
                await self?.resolve(job.id, outcome)
            }
        }
    }

    /// A place in the queue, or `busy` with the seconds to wait.
    struct Reservation: Sendable { fileprivate let id: Int }

    func reserve() throws -> Reservation {
        guard reserved < limit else {
            throw APIError(.tooManyRequests, "All \(limit) transcription places are taken; try again in \(retryAfter) s.",
                           code: "rate_limit_exceeded", retryAfter: retryAfter)
        }
        reserved += 1
        defer { nextID += 1 }
        return Reservation(id: nextID)
    }

    func release(_ reservation: Reservation) {
        reserved = max(0, reserved - 1)
    }

    /// Transcribes `audio` (any file libsndfile reads) for a reservation, which it releases.
    func transcribe(_ audio: [UInt8], fileExtension: String, prompt: String? = nil, language: String? = nil,
                    task: TranscriptionTask = .transcribe, wordTimestamps: Bool = false, reservation: Reservation) async throws -> Transcript {
        defer { reserved = max(0, reserved - 1) }
        let file: URL
        do {
            file = try ScratchFolder.write(audio, name: "upload-\(reservation.id)-\(UUID().uuidString.prefix(8)).\(fileExtension)")
        } catch {
            throw APIError(.serviceUnavailable, "The server could not store the upload (is its disk full?); try again later.")
        }
        defer { try? FileManager.default.removeItem(at: file) }
        let started = ContinuousClock.now
        let outcome = await withCheckedContinuation { continuation in
            waiting[reservation.id] = continuation
            // What this request asked, whatever the server's defaults: its route decides the
            // task, and words are timed only when asked for.
            var options = pool.configuration.options
            options.prompt = prompt ?? options.prompt
            options.language = language ?? options.language
            options.task = task
            options.wordTimestamps = wordTimestamps ? true : nil
            let asked = options
            Task { await submit(WorkerJob(id: reservation.id, file: file.path, options: asked)) }
        }
        switch outcome {
        case .transcribed(let reply):
            recentSeconds.append((ContinuousClock.now - started).inSeconds)
            if recentSeconds.count > 20 { recentSeconds.removeFirst() }
            return reply
        case .failed(let reason, let code) where code == .unreadableAudio || code == .unsupportedAudio:
            throw APIError(.badRequest, "The upload is not audio Hark can read: \(Self.upload(reason, file))", code: "invalid_audio")
        case .failed(let reason, .invalidInput?):
            // A language or task the model cannot do (an English-only model asked for German).
            throw APIError(.badRequest, reason, code: "unsupported_language")
        case .failed(let reason, .audioTooLong?):
            throw APIError(.contentTooLarge, "The upload is longer than this server transcribes: \(Self.upload(reason, file))", code: "audio_too_long")
        case .failed(let reason, let code?) where [.transcriptionUnavailable, .modelMissing, .modelCorrupt].contains(code):
            throw APIError(.serviceUnavailable, "Transcription is unavailable: \(reason)", code: "transcription_unavailable", retryAfter: 10)
        case .failed(let reason, _):
            // This upload's own failure (its worker crashed on it, say): trying it again later
            // will not help, so not a 5xx that tells clients to retry.
            throw APIError(.unprocessableContent, "Transcription failed: \(Self.upload(reason, file))", code: "transcription_failed")
        case .unavailable(let reason):
            throw APIError(.serviceUnavailable, "Transcription failed: \(reason)")
        case .interrupted, .started:
            throw APIError(.serviceUnavailable, "The server is shutting down; try again.")
        }
    }

    /// A worker names the file by its scratch path, which means nothing to the client.
    private static func upload(_ reason: String, _ file: URL) -> String {
        reason.replacingOccurrences(of: "'\(file.path)'", with: "the upload")
    }

    private func submit(_ job: WorkerJob) async {
        if await !pool.submit(job) { resolve(job.id, .interrupted) }
    }

    private func resolve(_ id: Int, _ outcome: WorkerOutcome) {
        waiting.removeValue(forKey: id)?.resume(returning: outcome)
    }

    /// Seconds until a place is likely free: the recent mean job time, times the queue ahead per
    /// worker; at least 1.
    var retryAfter: Int {
        let mean = recentSeconds.isEmpty ? 2 : recentSeconds.reduce(0, +) / Double(recentSeconds.count)
        let workers = Double(max(1, pool.configuration.size))
        return max(1, Int((mean * Double(reserved) / workers).rounded(.up)))
    }

    /// Jobs waiting or running (for status and tests).
    var outstanding: Int { reserved }

    func shutdown() async {
        await pool.shutdown()
        for continuation in waiting.values { continuation.resume(returning: .interrupted) }
        waiting.removeAll()
        collector?.cancel()
    }
}
