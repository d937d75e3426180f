import Foundation

/// The bounds of `GET /v1/realtime`, each with what a client gets past it: an `error` event
/// (the Realtime API's shape) and, where the connection cannot go on, a close with 1008 (policy)
/// or 1000 — never 1001/1011/1013, which OpenAI's clients take as a cue to reconnect at once.
public struct RealtimeLimits: Sendable {
    /// Connections at once. One more is answered `error` (`too_many_connections`) and closed
    /// with 1008 before any `session.created`. Each runs its own worker process (~200 MB).
    public var maxConnections = Self.defaultConnections
    /// Two per core: on 2 cores, 4 clients talking at once still see partial text and finals
    /// within 0.7 s of end of speech; finals stay within 1.5 s up to 13 (`make bench-realtime`),
    /// but partial text all but stops, so more is an operator's choice.
    public static var defaultConnections: Int {
        min(64, 2 * max(1, ProcessInfo.processInfo.activeProcessorCount))
    }
    /// Largest message, in bytes of JSON. A larger one (up to `maxFrameBytes`) is read, refused
    /// with `error` (`message_too_large`) and the connection stays; an `append` of this size
    /// holds about 32 s of 24 kHz audio.
    public var maxMessageBytes = 2 << 20
    /// Largest WebSocket frame or message read at all; past it the socket is closed with 1009
    /// (message too big) by the WebSocket layer, before the message is in memory.
    public var maxFrameBytes = 16 << 20
    /// Audio waiting for the recorder, in seconds. A client sending faster than real time is
    /// read at its pace while this has room; when it is full, reading pauses (TCP slows the
    /// client); if it stays full for `bufferStallTimeout`, `error` (`input_audio_buffer_full`)
    /// and close 1008.
    public var bufferSeconds: Double = 60
    /// How long the audio buffer may stay full before the client gets `error`
    /// (`input_audio_buffer_full`) and close 1008.
    public var bufferStallTimeout: Duration = .seconds(10)
    /// A connection that sends nothing for this long gets `error` (`idle_timeout`) and close 1000.
    public var idleTimeout: Duration = .seconds(120)
    /// Server events waiting to be written. A client that stops reading fills it, and is closed
    /// with 1008 (`error` cannot reach it).
    public var outgoingEvents = 512
    /// When the client goes away, how long the utterances it committed may still take to
    /// transcribe into a saved session (`?save=true`); what is left stays queued on disk.
    public var drainTime: Duration = .seconds(30)

    /// The defaults above.
    public init() {}
}
