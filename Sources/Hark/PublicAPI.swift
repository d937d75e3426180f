// The vocabulary of Hark's public API that lives in lower modules, re-exported one declaration
// at a time — what an app that `import Hark` handles: events and their payloads, errors,
// configuration values, sessions and transcripts. Internals (the ring, the segmenter, kernels,
// the line framer) stay in their modules; code in this package that needs them imports those.

// Events
@_exported import enum HarkCore.RecorderEvent
@_exported import struct HarkCore.EventStream
@_exported import struct HarkCore.RecordingStarted
@_exported import struct HarkCore.RecordingStopped
@_exported import struct HarkCore.SpeechStarted
@_exported import struct HarkCore.SpeechEnded
@_exported import struct HarkCore.SpeechDetected
@_exported import struct HarkCore.AudioLevel
@_exported import struct HarkCore.AudioDropped
@_exported import struct HarkCore.SegmentSaved
@_exported import struct HarkCore.VADModeChanged
@_exported import struct HarkCore.RecorderError
@_exported import struct HarkCore.TranscriptionQueued
@_exported import struct HarkCore.TranscriptionPartial
@_exported import struct HarkCore.TranscriptionComplete
@_exported import struct HarkCore.TranscriptionFailed
// Errors and configuration
@_exported import struct HarkCore.HarkError
@_exported import struct HarkCore.VADMode
@_exported import struct HarkCore.VADThresholds
@_exported import struct HarkCore.SegmenterConfiguration
@_exported import struct HarkCore.AudioFormat
@_exported import struct HarkCore.InputDevice
@_exported import enum HarkCore.DeviceSelector
// Sessions
@_exported import struct HarkCore.SessionManifest
@_exported import struct HarkCore.SegmentRecord
@_exported import struct HarkCore.TranscriptionRecord
@_exported import struct HarkCore.RecordingSummary
@_exported import struct HarkCore.Utterance
@_exported import enum HarkCore.JSON
// The search index of every session
@_exported import class HarkArchive.SessionArchive
@_exported import struct HarkArchive.ArchiveQuery
@_exported import struct HarkArchive.ArchiveHit
@_exported import struct HarkArchive.ArchiveResults
@_exported import struct HarkArchive.ArchiveRefresh
// Transcription
@_exported import protocol HarkCore.TranscriptionEngine
@_exported import struct HarkCore.TranscriptionOptions
@_exported import enum HarkCore.TranscriptionTask
@_exported import enum HarkCore.SpokenLanguage
@_exported import struct HarkCore.Transcript
@_exported import struct HarkCore.TranscriptSegment
@_exported import struct HarkCore.TranscriptWord
@_exported import enum HarkCore.ComputeType
@_exported import class HarkCore.AudioStream
@_exported import enum HarkCore.AudioMark
@_exported import class HarkWhisper.WhisperEngine   // an actor: "class" is the import kind for both
