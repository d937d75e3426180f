import Foundation
import HarkCore

/// The user's lasting choices, in `$XDG_CONFIG_HOME/hark/settings.json` (else
/// `~/.config/hark/settings.json`), so that they are made once rather than on every command.
public struct HarkSettings: Codable, Sendable, Equatable {
    /// The model used when nothing chooses one.
    public static let fallbackModelName = "tiny.en"

    /// The model's name (`hark models use`), or a model folder's path; nil for the default.
    public var model: String?
    /// The language spoken, as a code ("de"), or "auto"; nil for auto.
    public var language: String?

    /// Settings with these choices (nil: not chosen).
    public init(model: String? = nil, language: String? = nil) {
        self.model = model
        self.language = language
    }

    /// Where the settings live for `environment`.
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

extension HarkSettings {
    /// `$HARK_MODEL`, else the settings file's model, else tiny.en. Throws `invalidConfiguration`
    /// when the settings file is not settings.
    public static func defaultModelName(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let name = environment["HARK_MODEL"], !name.isEmpty { return name }
        return try load(environment: environment).model ?? fallbackModelName
    }

    /// The folder of the default model in `modelsDirectory` (a path in `$HARK_MODEL` is taken as
    /// given); an unreadable settings file counts as none.
    public static func defaultModelDirectory(in modelsDirectory: URL,
                                             environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let name = (try? defaultModelName(environment: environment)) ?? fallbackModelName
        if name.contains("/") { return URL(fileURLWithPath: name, isDirectory: true) }
        return modelsDirectory.appendingPathComponent("whisper-\(name)", isDirectory: true)
    }
}
