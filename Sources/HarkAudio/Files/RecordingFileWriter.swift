import CSndFile
import HarkCore

/// The full recording (`--keep-audio`), written as it happens: a 16 kHz mono PCM16 WAV whose
/// header libsndfile updates on every write, and which is synced to disk on every `append`, so a
/// killed process loses at most the audio not yet appended (the caller appends about once a second).
public final class RecordingFileWriter {
    private let handle: OpaquePointer
    /// The WAV file being written.
    public let path: String
    /// Frames (samples, mono) written so far.
    public private(set) var frames = 0

    /// Creates (or truncates) `path` as a mono PCM16 WAV at `sampleRate` Hz. Throws HarkError
    /// `.outputNotWritable` when libsndfile cannot create it.
    public init(path: String, sampleRate: Int = 16_000) throws {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw HarkError(.outputNotWritable, "Cannot create '\(path)': \(String(cString: sf_strerror(nil))).")
        }
        sf_command(handle, Int32(SFC_SET_UPDATE_HEADER_AUTO), nil, Int32(SF_TRUE))
        sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        self.handle = handle
        self.path = path
    }

    deinit { sf_close(handle) }

    /// Appends and syncs. Throws `diskFull` or `writeFailed` when the bytes did not all land.
    public func append(_ samples: UnsafeBufferPointer<Float>) throws {
        let written = Int(sf_writef_float(handle, samples.baseAddress, sf_count_t(samples.count)))
        frames += written
        sf_write_sync(handle)
        if written < samples.count {
            let reason = String(cString: sf_strerror(handle))
            let code: HarkError.Code = reason.lowercased().contains("space") ? .diskFull : .writeFailed
            throw HarkError(code, "Could not append to '\(path)': \(reason). The segments are saved separately.")
        }
    }
}
