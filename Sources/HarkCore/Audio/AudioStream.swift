import DequeModule
import Synchronization

/// Audio the program pushes in itself — a network client's stream, a browser's microphone — for a
/// recorder to listen to (`RecorderConfiguration.Input.stream`): mono float samples at
/// `format.sampleRate`, with marks where the producer commits or clears what it sent.
///
/// Thread rules: one task appends and marks; the recorder's capture loop reads. Neither is an
/// audio library's real-time thread, so a mutex guards the queue.
///
/// Bounded: at most `capacity` samples wait unread. A producer faster than the recorder is read
/// at its own pace up to that bound; beyond it `append` refuses the samples (returns false) and
/// the producer decides what to do — nothing is dropped silently or queued without limit.
public final class AudioStream: AudioSource, Sendable {
    /// The name the recorder reports for this input.
    public let name: String
    /// Mono at the rate given to `init`.
    public let format: AudioFormat
    /// Samples that may wait unread.
    public let capacity: Int

    private enum Item {
        case samples([Float])
        case mark(AudioMark)
    }

    private struct State {
        var items: Deque<Item> = []
        var buffered = 0
        /// Samples of the first item already read.
        var offset = 0
        var finished = false
    }

    private let state = Mutex(State())

    /// A stream of mono samples at `sampleRate` Hz; at most `capacitySeconds` of audio (and at
    /// least one sample) may wait unread.
    public init(name: String, sampleRate: Double, capacitySeconds: Double = 30) {
        self.name = name
        format = AudioFormat(sampleRate: sampleRate, channels: 1)
        capacity = max(1, Int(capacitySeconds * sampleRate))
    }

    /// Queues `samples`; false (nothing queued) when that would pass `capacity` or the stream has
    /// finished.
    @discardableResult
    public func append(_ samples: [Float]) -> Bool {
        guard !samples.isEmpty else { return true }
        return state.withLock { state in
            guard !state.finished, state.buffered + samples.count <= capacity else { return false }
            state.items.append(.samples(samples))
            state.buffered += samples.count
            return true
        }
    }

    /// Everything appended so far ends the utterance it belongs to.
    /// Two commits with nothing between are one (so marks are bounded as samples are).
    public func commit() {
        state.withLock { state in
            if case .mark(.commit)? = state.items.last { return }
            state.items.append(.mark(.commit))
        }
    }

    /// What was appended and not yet read is dropped, and so is the utterance open in the recorder.
    public func clear() {
        state.withLock { state in
            state.items.removeAll()
            state.buffered = 0
            state.offset = 0
            state.items.append(.mark(.discard))
        }
    }

    /// No more audio comes: the recorder reads what is queued, then ends.
    public func finish() {
        state.withLock { $0.finished = true }
    }

    /// Samples queued and not yet read.
    public var bufferedSamples: Int { state.withLock { $0.buffered } }

    /// Does nothing: the stream is ready from `init`.
    public func start() throws {}

    /// Copies the next queued samples or hands out the next mark, in the order queued; `.wait` while
    /// nothing is queued, `.end` once finished and drained. Never throws.
    public func read(into buffer: UnsafeMutableBufferPointer<Float>) throws -> AudioRead {
        state.withLock { state in
            guard let first = state.items.first else { return state.finished ? .end : .wait }
            switch first {
            case .mark(let mark):
                state.items.removeFirst()
                return .mark(mark)
            case .samples(let samples):
                let n = min(buffer.count, samples.count - state.offset)
                samples.withUnsafeBufferPointer { source in
                    buffer.baseAddress!.update(from: source.baseAddress! + state.offset, count: n)
                }
                state.offset += n
                state.buffered -= n
                if state.offset == samples.count {
                    state.items.removeFirst()
                    state.offset = 0
                }
                return .samples(n)
            }
        }
    }

    /// Always 0: `append` refuses samples rather than dropping them.
    public func takeDroppedFrames() -> Int { 0 }

    /// The same as `finish()`.
    public func stop() { finish() }
}

extension AudioStream: Hashable {
    /// Identity: two streams are equal only when they are the same object.
    public static func == (a: AudioStream, b: AudioStream) -> Bool { a === b }
    /// Hashes the object's identity, matching `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
