import Foundation
import HarkArchive
import Logging
import Synchronization

/// Keeps the sessions root's search index (`SessionArchive`) current as one session's transcripts
/// change, off the recorder's path: a change only raises a flag; one task at a time re-reads the
/// folder into the index, so a burst of transcripts costs one update, and the index can never
/// hold an older version than the last one it read. Failures are logged and left to the next
/// `refresh()`, which compares every manifest with what the index holds: the folder is the truth.
final class ArchiveUpdates: Sendable {
    private struct State {
        var pending = false
        var task: Task<Void, Never>?
        var reportedFailure = false
    }

    private let archive: SessionArchive
    private let folder: URL
    private let state = Mutex(State())
    private static let logger = Logger(label: "hark.archive")

    init(folder: URL) {
        self.folder = folder
        archive = SessionArchive(root: folder.deletingLastPathComponent())
    }

    /// The folder's transcripts changed.
    func changed() {
        state.withLock { state in
            state.pending = true
            if state.task == nil {
                state.task = Task.detached { [self] in await drain() }
            }
        }
    }

    /// Returns once the index holds the last change.
    func flush() async {
        while let task = state.withLock({ $0.task }) { await task.value }
    }

    private func drain() async {
        while state.withLock({ state in
            if state.pending { state.pending = false; return true }
            state.task = nil
            return false
        }) {
            do {
                try await archive.update(sessionFolder: folder)
            } catch {
                let first = state.withLock { state in defer { state.reportedFailure = true }; return !state.reportedFailure }
                if first {
                    Self.logger.warning("The search index was not updated (\(error)); `hark index rebuild` catches up.")
                }
            }
        }
    }
}
