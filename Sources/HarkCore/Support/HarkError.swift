/// The one error type Hark throws. `message` says what happened and what the user can do about it.
public struct HarkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure: a stable name that code and JSON readers can match on.
    public enum Code: String, Sendable, Codable, Hashable {
        case noCaptureDevice
        case deviceNotFound
        case deviceUnavailable
        case audioStreamFailed
        case unreadableAudio
        case unsupportedAudio
        /// The audio decodes to more than the caller's limit (a very long file, or a decompression bomb).
        case audioTooLong
        case outputNotWritable
        case diskFull
        case writeFailed
        case alreadyRecording
        case notRecording
        case invalidConfiguration
        case invalidInput
        case eventConsumerTooSlow
        case sessionNotFound
        case corruptSession
        /// Another process is recording the session and holds its lock.
        case sessionBusy
        case modelMissing
        case modelCorrupt
        /// A model name Hark does not know (`hark models` lists the known ones).
        case unknownModel
        /// A model's download failed (network, package index, interrupted transfer).
        case downloadFailed
        /// Downloaded or installed bytes differ from their pinned sha256: refused, nothing installed.
        case checksumMismatch
        case internalFailure
        /// No transcription endpoint answered; the work stays queued and is tried again later.
        case remoteUnavailable
        /// Transcription workers cannot be started (they exit or fail before they are ready).
        case transcriptionUnavailable
        /// The service is at its limit (a full queue); try again later.
        case busy
        /// The caller withdrew the work before it finished (a speculation that speech proved wrong).
        case cancelled
    }

    /// The kind of failure, for code to act on.
    public let code: Code
    /// What happened and what the user can do, for people.
    public let message: String

    /// An error of kind `code` with a message for people.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message alone.
    public var description: String { message }
}

extension HarkError {
    /// An `.invalidConfiguration` error whose message is "Invalid configuration: " followed by `what`.
    public static func invalidConfiguration(_ what: String) -> HarkError {
        HarkError(.invalidConfiguration, "Invalid configuration: \(what)")
    }
    /// An `.invalidInput` error with `what` as its whole message.
    public static func invalidInput(_ what: String) -> HarkError {
        HarkError(.invalidInput, what)
    }
}
