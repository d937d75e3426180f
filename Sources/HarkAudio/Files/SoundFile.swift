import CSndFile
import HarkCore

/// An open libsndfile handle for reading. Closes itself.
final class SoundFileReader {
    let handle: OpaquePointer
    let path: String
    let format: AudioFormat
    /// The header's length: a hint at most (see `AudioFile`), never a size to allocate.
    let declaredFrames: Int

    init(path: String) throws {
        var info = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &info) else {
            let reason = String(String(cString: sf_strerror(nil)).reversed().drop { $0 == "." }.reversed())
            throw HarkError(.unreadableAudio, """
                Cannot read '\(path)' as audio: \(reason). Give a WAV, FLAC, OGG or other file \
                libsndfile reads (convert others with e.g. `sox in.mp3 out.wav`).
                """)
        }
        guard info.channels > 0, info.channels <= 64, info.samplerate > 0 else {
            sf_close(handle)
            throw HarkError(.unsupportedAudio, "'\(path)' reports \(info.channels) channels at \(info.samplerate) Hz; Hark reads 1 to 64 channels at a positive rate.")
        }
        self.handle = handle
        self.path = path
        format = AudioFormat(sampleRate: Double(info.samplerate), channels: Int(info.channels))
        declaredFrames = Int(info.frames)
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

/// Whole-file reading, for tools, workers and tests.
///
/// A header's length is never trusted to size memory: FLAC may say 0 ("unknown", as encoders
/// writing to a pipe do) and libsndfile then reports an enormous frame count, and a crafted file
/// may claim anything. Files are read in blocks until their real end, and decoded audio is bounded
/// by `maxSeconds`, so a small file that decodes to days of audio (a decompression bomb) is an
/// error, not an exhausted memory.
public enum AudioFile {
    /// The longest audio read unless a caller says otherwise: four hours (at 16 kHz mono, 0.9 GB).
    public static let defaultMaxSeconds: Double = 4 * 3600
    /// Every block of `file` to `body`, interleaved, until the file's real end (never its header's
    /// length): up to 128 Ki samples a read, whatever the channel count.
    static func forEachBlock(of file: SoundFileReader, _ body: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        let channels = file.format.channels
        let blockFrames = max(1, 131_072 / channels)
        var block = [Float](repeating: 0, count: blockFrames * channels)
        while true {
            let got = try block.withUnsafeMutableBufferPointer { try file.read(into: $0.baseAddress!, frames: blockFrames) }
            if got == 0 { return }
            try block.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<got * channels])) }
        }
    }

    /// The file's interleaved samples and format.
    public static func read(path: String, maxSeconds: Double = defaultMaxSeconds) throws -> (samples: [Float], format: AudioFormat) {
        let file = try SoundFileReader(path: path)
        let channels = file.format.channels
        let limit = frameLimit(maxSeconds, rate: file.format.sampleRate)
        var samples: [Float] = []
        // The header's length as a hint only, and only when it is plausible.
        if file.declaredFrames > 0, file.declaredFrames <= limit { samples.reserveCapacity(file.declaredFrames * channels) }
        try forEachBlock(of: file) { block in
            guard (samples.count + block.count) / channels <= limit else { throw tooLong(path, maxSeconds) }
            samples.append(contentsOf: block)
        }
        return (samples, file.format)
    }

    /// The file as 16 kHz mono, converted with the same converter as live capture, block by block
    /// (memory holds the converted audio only).
    public static func readSpeech(path: String, maxSeconds: Double = defaultMaxSeconds) throws -> [Float] {
        let file = try SoundFileReader(path: path)
        let converter = try SpeechConverter(from: file.format)
        let limit = frameLimit(maxSeconds, rate: AudioFormat.speech.sampleRate)
        var output: [Float] = []
        try forEachBlock(of: file) { block in
            try converter.convert(block, into: &output)
            guard output.count <= limit else { throw tooLong(path, maxSeconds) }
        }
        try converter.flush(into: &output)
        guard output.count <= limit else { throw tooLong(path, maxSeconds) }
        return output
    }

    static func frameLimit(_ seconds: Double, rate: Double) -> Int {
        let frames = seconds * rate
        return frames.isFinite && frames < Double(Int.max / 2) ? max(0, Int(frames)) : Int.max / 2
    }

    static func tooLong(_ path: String, _ seconds: Double) -> HarkError {
        HarkError(.audioTooLong, "'\(path)' holds more than \(durationText(seconds)) of audio, the most read at once; cut it into shorter files (e.g. `sox in.flac out.flac trim 0 3600 : newfile : restart`).")
    }

    static func durationText(_ seconds: Double) -> String {
        seconds >= 3600 && seconds.truncatingRemainder(dividingBy: 3600) == 0 ? "\(Int(seconds / 3600)) h"
            : seconds >= 60 ? "\(Int(seconds / 60)) min" : "\(Int(seconds)) s"
    }
}
