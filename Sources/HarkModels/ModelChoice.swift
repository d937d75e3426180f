import Foundation
import Hark
import HarkCore

/// Which model folder a `--model` value, or its absence, means.
public enum ModelChoice {
    /// `$HARK_MODEL`, else the settings file's model, else tiny.en.
    public static func defaultName(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let name = environment["HARK_MODEL"], !name.isEmpty { return name }
        return try HarkSettings.load(environment: environment).model ?? ModelCatalog.defaultModelName
    }

    /// A known model's name (its folder in the models directory) or a folder's path; nil means
    /// the default. A path is taken as given (loading it says what is wrong with it); a name that
    /// is neither known nor a folder is an `unknownModel` error.
    public static func directory(for value: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let value = try value ?? defaultName(environment: environment)
        let store = ModelStore(directory: RecorderConfiguration.defaultModelsDirectory(environment: environment))
        if let model = try? ModelCatalog.model(named: value) { return store.path(of: model) }
        if value.contains("/") || FileManager.default.fileExists(atPath: value) {
            return URL(fileURLWithPath: value, isDirectory: true)
        }
        return store.path(of: try ModelCatalog.model(named: value))
    }
}

/// The user's lasting choices, in `$XDG_CONFIG_HOME/hark/settings.json` (else
/// `~/.config/hark/settings.json`), so that they are made once rather than on every command.
public struct HarkSettings: Codable, Sendable, Equatable {
    public var model: String?
    public var language: String?

    public init(model: String? = nil, language: String? = nil) {
        self.model = model
        self.language = language
    }

    public static func file(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config").path
        return URL(fileURLWithPath: config, isDirectory: true).appendingPathComponent("hark/settings.json")
    }

    /// The saved settings; none when there is no file. A file that is not settings is an error
    /// naming it, not silently ignored.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HarkSettings {
        let url = file(environment: environment)
        guard let data = FileManager.default.contents(atPath: url.path) else { return HarkSettings() }
        do {
            return try JSONDecoder().decode(HarkSettings.self, from: data)
        } catch {
            throw HarkError(.invalidConfiguration, "'\(url.path)' is not Hark's settings ({\"model\": \"base\", \"language\": \"de\"}): fix or delete it.")
        }
    }

    /// Changes and saves the settings (atomically); returns the file.
    @discardableResult
    public static func update(environment: [String: String] = ProcessInfo.processInfo.environment,
                              _ change: (inout HarkSettings) -> Void) throws -> URL {
        let url = file(environment: environment)
        var settings = try load(environment: environment)
        change(&settings)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(settings).write(to: url, options: .atomic)
        return url
    }
}

extension ModelChoice {
    /// `directory(for:)`, and for a known model that is not installed a `modelMissing` error
    /// saying how to install it.
    public static func installedDirectory(for value: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let folder = try directory(for: value, environment: environment)
        let name = try value ?? defaultName(environment: environment)
        if let model = try? ModelCatalog.model(named: name), !FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.bin").path) {
            throw HarkError(.modelMissing, "The model \(model.name) is not installed: run `hark models install \(model.name)` (or `make models`).")
        }
        return folder
    }
}
