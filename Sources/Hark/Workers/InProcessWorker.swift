import Foundation
import HarkCore
import HarkWhisper

/// A transcription worker in this process: `TranscriptionWorker.serve` reading request lines
/// from memory and writing its replies into the pool's `LineInbox`, as a process's pipes would.
/// Speaking the same protocol keeps one conversation, with its timeouts, cancels and failure
/// handling, for both kinds of worker.
///
/// The engine's heavy work runs on threads of its own (`WhisperEngine` transcribes on a thread
/// it starts); the serve loop is light and runs as a task. Unlike a process it cannot be killed:
/// `stop` cancels the job in hand, and an engine that ignores that keeps its thread until done.
final class InProcessWorker: Sendable {
    let inbox: LineInbox
    private let requests: AsyncStream<String>.Continuation
    private let server: Task<Void, Never>

    init(engine: any TranscriptionEngine, modelsDirectory: URL) {
        let inbox = LineInbox()
        // One job and a cancel for it are all the pool sends before it waits for the answer.
        let (lines, requests) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(16))
        self.inbox = inbox
        self.requests = requests
        server = Task.detached {
            _ = await TranscriptionWorker.serve(
                engine: engine, threads: nil, modelsDirectory: modelsDirectory, requests: lines,
                send: { reply in await inbox.push(.line(String(reply.encodedLine().dropLast()))) },
                load: { if let whisper = engine as? WhisperEngine { try await whisper.load() } })
            await inbox.finish()
        }
    }

    /// Hands the worker one request line.
    func send(_ line: String) throws {
        guard case .enqueued = requests.yield(line) else {
            throw HarkError(.transcriptionUnavailable, "The in-process transcription worker stopped reading.")
        }
    }

    /// No more requests: the worker finishes the job in hand, then ends.
    func closeInput() {
        requests.finish()
    }

    /// Ends the worker now, cancelling the job in hand (cancelled first: the serve loop, woken by
    /// the end of its input, must already see it).
    func stop() {
        server.cancel()
        requests.finish()
    }
}
