import CSndFile
import HarkCore

/// An open libsndfile handle for reading. Closes itself.
final class SoundFileReader {
    let handle: OpaquePointer
    let path: String
    let format: AudioFormat
    let frames: Int

    init(path: String) throws {
        var info = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &info) else {
            let reason = String(String(cString: sf_strerror(nil)).reversed().drop { $0 == "." }.reversed())
            throw HarkError(.unreadableAudio, """
                Cannot read '\(path)' as audio: \(reason). Give a WAV, FLAC, OGG or other file \
                libsndfile reads (convert others with e.g. `sox in.mp3 out.wav`).
                """)
        }
        guard info.channels > 0, info.samplerate > 0 else {
            sf_close(handle)
            throw HarkError(.unsupportedAudio, "'\(path)' reports \(info.channels) channels at \(info.samplerate) Hz.")
        }
        self.handle = handle
        self.path = path
        format = AudioFormat(sampleRate: Double(info.samplerate), channels: Int(info.channels))
        frames = Int(info.frames)
    }

    deinit { sf_close(handle) }

    /// Reads up to `frames` interleaved frames; 0 means end of file.
    func read(into buffer: UnsafeMutablePointer<Float>, frames: Int) throws -> Int {
        let n = Int(sf_readf_float(handle, buffer, sf_count_t(frames)))
        if n == 0, sf_error(handle) != 0 {
            throw HarkError(.unreadableAudio, "Reading '\(path)' failed: \(String(cString: sf_strerror(handle))).")
        }
        return n
    }
}

/// Whole-file reading, for tools and tests.
public enum AudioFile {
    /// The file's interleaved samples and format.
    public static func read(path: String) throws -> (samples: [Float], format: AudioFormat) {
        let file = try SoundFileReader(path: path)
        var samples = [Float](repeating: 0, count: max(file.frames, 0) * file.format.channels)
        let got = try samples.withUnsafeMutableBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return try file.read(into: base, frames: file.frames)
        }
        samples.removeLast(samples.count - got * file.format.channels)
        return (samples, file.format)
    }

    /// The file as 16 kHz mono, converted with the same converter as live capture.
    public static func readSpeech(path: String) throws -> [Float] {
        let (samples, format) = try read(path: path)
        let converter = try SpeechConverter(from: format)
        var output: [Float] = []
        try samples.withUnsafeBufferPointer { try converter.convert($0, into: &output) }
        try converter.flush(into: &output)
        return output
    }
}
