import Foundation
import HarkCore

/// The file operations a session folder needs, each durable once it returns. A protocol so tests
/// can substitute a disk that fills up.
protocol SessionFileSystem: Sendable {
    func createDirectory(at url: URL) throws
    /// Replaces `url` with `bytes` so that a reader sees the old file or the new one, never a part:
    /// temp file in the same folder, fsync, rename, fsync of the folder.
    func writeAtomically(_ bytes: [UInt8], to url: URL) throws
}

struct POSIXFileSystem: SessionFileSystem {
    func createDirectory(at url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw HarkError(.outputNotWritable, """
                Cannot create the folder '\(url.path)': \((error as NSError).localizedDescription). \
                Choose a writable place with --out DIR (or HARK_SESSIONS_DIR).
                """)
        }
        guard FileManager.default.isWritableFile(atPath: url.path) else {
            throw HarkError(.outputNotWritable, "The folder '\(url.path)' is not writable. Choose another with --out DIR.")
        }
    }

    func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        let folder = url.deletingLastPathComponent().path
        let temp = "\(folder)/.\(url.lastPathComponent).\(getpid()).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.failure(errno, writing: url) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        do {
            defer { close(fd) }
            try Self.writeAll(bytes, to: fd, for: url)
            guard fsync(fd) == 0 else { throw Self.failure(errno, writing: url) }
        }
        guard rename(temp, url.path) == 0 else { throw Self.failure(errno, writing: url) }
        ok = true
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }

    /// Every byte of `bytes` to `fd` (writes may be partial or interrupted); errors name `url`.
    static func writeAll(_ bytes: [UInt8], to fd: Int32, for url: URL) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure(errno, writing: url)
                }
                offset += n
            }
        }
    }

    static func failure(_ code: Int32, writing url: URL) -> HarkError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT:
            return HarkError(.diskFull, "The disk is full: could not write '\(url.path)'. Free some space; what was saved before is intact.")
        case EACCES, EPERM, EROFS:
            return HarkError(.outputNotWritable, "Cannot write '\(url.path)': \(reason). Choose a writable place with --out DIR.")
        default:
            return HarkError(.writeFailed, "Could not write '\(url.path)': \(reason).")
        }
    }
}
