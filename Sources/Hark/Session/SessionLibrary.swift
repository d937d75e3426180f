import Foundation
import HarkCore

/// Reads the sessions under a folder.
public struct SessionLibrary: Sendable {
    /// The folder whose subfolders are sessions.
    public let root: URL

    /// A library over `root` (by default the recorder's sessions folder); nothing is read yet.
    public init(root: URL = RecorderConfiguration.defaultSessionsDirectory()) {
        self.root = root
    }

    /// Every readable session, oldest first. Folders without a readable manifest are skipped.
    public func list() throws -> [SessionManifest] {
        guard FileManager.default.fileExists(atPath: root.path) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        return names.compactMap { try? load(id: $0) }
    }

    /// The folder of session `id`.
    public func folder(of id: String) -> URL { root.appendingPathComponent(id, isDirectory: true) }

    /// A session named on the command line: its id (folder name), the path to its folder, or
    /// "latest" (the newest under `root`).
    public func find(_ argument: String) throws -> (manifest: SessionManifest, folder: URL) {
        var id = argument
        if argument == "latest" {
            guard let latest = try list().last else {
                throw HarkError(.sessionNotFound, "There are no sessions under '\(root.path)' yet. `hark record` makes one.")
            }
            id = latest.id
        }
        let manifest = try load(id: id)
        return (manifest, id.contains("/") ? URL(fileURLWithPath: id, isDirectory: true) : folder(of: id))
    }

    /// Loads `session.json` of session `id` (a folder name under `root`, or a path to one).
    public func load(id: String) throws -> SessionManifest {
        let folder = id.contains("/") ? URL(fileURLWithPath: id, isDirectory: true) : folder(of: id)
        let file = folder.appendingPathComponent(SessionManifest.fileName)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw HarkError(.sessionNotFound, "No session '\(id)' under '\(root.path)'. `hark sessions` lists them.")
        }
        let manifest: SessionManifest
        do {
            manifest = try JSON.decoder.decode(SessionManifest.self, from: data)
        } catch {
            throw HarkError(.corruptSession, "'\(file.path)' is not a readable session manifest: \(error).")
        }
        return try manifest.validated()
    }

}
