import Foundation
import HarkCore

/// Where Hark keeps audio that is not part of a session — speculative utterances, uploads to
/// `hark serve` — while a worker reads it: `$TMPDIR/hark-UID/PID/`, the user's folder 0700 and
/// each file 0600, so other users of the machine cannot read what was said. A crash leaves its
/// folder behind; the next process to use scratch space removes the folders of processes that are
/// no longer alive.
public enum ScratchFolder {
    /// This process's folder, made (and the dead ones cleaned) on first use.
    public static func folder() throws -> URL {
        try made.get()
    }

    /// Writes `bytes` to a new 0600 file named `name` in this process's folder.
    public static func write(_ bytes: [UInt8], name: String) throws -> URL {
        let file = try folder().appendingPathComponent(name)
        let fd = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw POSIXFileSystem.failure(errno, writing: file) }
        defer { close(fd) }
        do {
            try POSIXFileSystem.writeAll(bytes, to: fd, for: file)
        } catch {
            unlink(file.path)
            throw error
        }
        return file
    }

    private static let made = Result<URL, any Error> { try make() }

    private static func make() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hark-\(getuid())", isDirectory: true)
        try ensurePrivateFolder(root)
        removeFoldersOfDeadProcesses(in: root)
        let mine = root.appendingPathComponent(String(getpid()), isDirectory: true)
        try? FileManager.default.removeItem(at: mine)   // a dead process's, with our reused pid
        try ensurePrivateFolder(mine)
        return mine
    }

    /// A folder that is ours, not a link, and 0700 — made so if it is missing.
    private static func ensurePrivateFolder(_ url: URL) throws {
        if mkdir(url.path, 0o700) != 0 && errno != EEXIST {
            throw POSIXFileSystem.failure(errno, writing: url)
        }
        var info = stat()
        guard lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid() else {
            throw HarkError(.outputNotWritable, "'\(url.path)' is not a folder of this user's; remove it or set TMPDIR to another place.")
        }
        if info.st_mode & 0o077 != 0 { chmod(url.path, 0o700) }
    }

    static func removeFoldersOfDeadProcesses(in root: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for name in names {
            guard let pid = Int32(name), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
            }
        }
    }
}
