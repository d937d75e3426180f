import ArgumentParser
import Foundation
import Hark
import HarkRemote

/// `--engine remote --endpoint URL…`: transcription by OpenAI-compatible servers instead of the
/// local model. The token comes from the environment so that it never shows in `ps`.
struct RemoteEngineOptions: ParsableArguments {
    enum Engine: String, ExpressibleByArgument, CaseIterable { case local, remote }

    @Option(help: "Where utterances are transcribed: local (Whisper on this machine) or remote (--endpoint).")
    var engine: Engine = .local

    @Option(name: .customLong("endpoint"),
            help: ArgumentHelp("An OpenAI-compatible server (another `hark serve`, or nginx in front of several); repeat for failover. Its token, if any, is read from HARK_REMOTE_TOKEN.",
                               valueName: "URL"))
    var endpoints: [String] = []

    func validate() throws {
        if engine == .remote && endpoints.isEmpty {
            throw ValidationError("--engine remote needs at least one --endpoint URL, e.g. --endpoint http://127.0.0.1:8765")
        }
        if engine == .local && !endpoints.isEmpty {
            throw ValidationError("--endpoint is for --engine remote")
        }
    }

    /// The remote engine, or nil for the local one.
    func makeEngine() throws -> RemoteTranscriptionEngine? {
        guard engine == .remote else { return nil }
        var urls: [URL] = []
        for endpoint in endpoints {
            guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw ValidationError("'\(endpoint)' is not an http(s) URL such as http://127.0.0.1:8765")
            }
            urls.append(url)
        }
        let token = ProcessInfo.processInfo.environment["HARK_REMOTE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return try RemoteTranscriptionEngine(configuration: RemoteEngineConfiguration(endpoints: urls, token: token))
    }

    /// The worker's arguments for this engine.
    var workerArguments: [String] {
        engine == .remote ? ["--engine", "remote"] + endpoints.flatMap { ["--endpoint", $0] } : []
    }
}
