import Foundation
import CSndFile
import HarkCore

/// Encodes 16 kHz mono samples as a PCM16 WAV file in memory, through libsndfile's virtual I/O,
/// so the bytes can then be written durably (temp file, fsync, rename) by the session store.
public enum WAVEncoder {
    public static func pcm16(_ samples: [Float], sampleRate: Int = 16_000) throws -> [UInt8] {
        let file = MemoryFile()
        var io = SF_VIRTUAL_IO(get_filelen: memoryLength, seek: memorySeek, read: memoryRead,
                               write: memoryWrite, tell: memoryTell)
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        let unmanaged = Unmanaged.passRetained(file)
        defer { unmanaged.release() }
        guard let handle = sf_open_virtual(&io, Int32(SFM_WRITE), &info, unmanaged.toOpaque()) else {
            throw HarkError(.internalFailure, "libsndfile could not start a WAV: \(String(cString: sf_strerror(nil))).")
        }
        // Clip instead of wrapping around when a sample exceeds full scale.
        sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t($0.count)) }
        sf_close(handle)
        guard written == samples.count else {
            throw HarkError(.internalFailure, "libsndfile wrote \(written) of \(samples.count) samples.")
        }
        return file.bytes
    }
}

/// A growable byte buffer that libsndfile reads and writes like a file.
private final class MemoryFile {
    var bytes: [UInt8] = []
    var position = 0

    static func from(_ pointer: UnsafeMutableRawPointer?) -> MemoryFile {
        Unmanaged<MemoryFile>.fromOpaque(pointer!).takeUnretainedValue()
    }
}

private func memoryLength(_ user: UnsafeMutableRawPointer?) -> sf_count_t {
    return sf_count_t(MemoryFile.from(user).bytes.count)
}

private func memorySeek(_ offset: sf_count_t, _ whence: Int32, _ user: UnsafeMutableRawPointer?) -> sf_count_t {
    let file = MemoryFile.from(user)
    let base = switch whence {
    case SEEK_CUR: file.position
    case SEEK_END: file.bytes.count
    default: 0
    }
    file.position = max(0, base + Int(offset))
    return sf_count_t(file.position)
}

private func memoryRead(_ destination: UnsafeMutableRawPointer?, _ count: sf_count_t, _ user: UnsafeMutableRawPointer?) -> sf_count_t {
    let file = MemoryFile.from(user)
    let n = max(0, min(Int(count), file.bytes.count - file.position))
    if n > 0, let destination {
        file.bytes.withUnsafeBytes { source in
            destination.copyMemory(from: source.baseAddress! + file.position, byteCount: n)
        }
        file.position += n
    }
    return sf_count_t(n)
}

private func memoryWrite(_ source: UnsafeRawPointer?, _ count: sf_count_t, _ user: UnsafeMutableRawPointer?) -> sf_count_t {
    let file = MemoryFile.from(user)
    let n = Int(count)
    guard let source, n > 0 else { return 0 }
    let end = file.position + n
    if end > file.bytes.count { file.bytes.append(contentsOf: repeatElement(0, count: end - file.bytes.count)) }
    file.bytes.withUnsafeMutableBytes { target in
        (target.baseAddress! + file.position).copyMemory(from: source, byteCount: n)
    }
    file.position = end
    return count
}

private func memoryTell(_ user: UnsafeMutableRawPointer?) -> sf_count_t {
    return sf_count_t(MemoryFile.from(user).position)
}
