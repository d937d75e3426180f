import Foundation
import Hark
import HarkCore

/// Which model folder a `--model` value, or its absence, means.
public enum ModelChoice {
    /// `$HARK_MODEL`, else the settings file's model, else tiny.en.
    public static func defaultName(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        try HarkSettings.defaultModelName(environment: environment)
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
