import Foundation
import HarkCore

/// One owner per session folder at a time: the recorder while it records and transcribes,
/// `hark resume` / `retranscribe` while they work, a delete while it deletes.
///
/// An exclusive `flock` on `.lock` in the folder. The kernel drops it when its descriptor closes —
/// also when the process dies — so a killed recorder leaves no stale lock behind. The descriptor
/// is close-on-exec: worker processes must not inherit (and so keep) the lock.
///
/// Thread rules: an owned handle; `release` is idempotent and also runs on deinit.
public final class SessionLock: @unchecked Sendable {
    // @unchecked Sendable is safe: `fd` is set once and only `release` changes it, under `mutex`.
    /// The lock file's name inside a session folder.
    public static let fileName = ".lock"
    private var fd: Int32
    private let mutex = NSLock()

    private init(fd: Int32) { self.fd = fd }

    deinit { release() }

    /// Takes the lock of the session at `folder`, or throws `sessionBusy` when another owner has it.
    public static func acquire(_ folder: URL) throws -> SessionLock {
        let path = folder.appendingPathComponent(fileName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw POSIXFileSystem.failure(errno, writing: folder.appendingPathComponent(fileName)) }
        // A lock just released can still be held for a moment by a child this process is
        // forking (a worker starting): until it execs, the child shares our descriptor, and with
        // it the flock, close-on-exec or not. So a busy lock is asked again for a short while
        // before it counts as another owner's.
        let patience = ContinuousClock.now + .milliseconds(300)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let code = errno
            if code == EWOULDBLOCK, ContinuousClock.now < patience {
                usleep(5_000)
                continue
            }
            close(fd)
            if code == EWOULDBLOCK {
                throw HarkError(.sessionBusy, """
                    Session \(folder.lastPathComponent) is being recorded (or transcribed) by another process; \
                    wait until it stops, or stop it (Ctrl-C in its terminal).
                    """)
            }
            throw HarkError(.writeFailed, "Cannot lock session \(folder.lastPathComponent): \(String(cString: strerror(code))).")
        }
        return SessionLock(fd: fd)
    }

    /// Closes the descriptor, which drops the lock; later calls do nothing. Safe from any thread.
    public func release() {
        mutex.withLock {
            guard fd >= 0 else { return }
            close(fd)   // drops the flock
            fd = -1
        }
    }
}
