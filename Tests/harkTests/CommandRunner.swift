import Foundation
import HarkTestSupport
import Hark
import Synchronization

/// Runs the built `hark` executable as a user would, collecting what it prints.
final class HarkProcess: Sendable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let speech = repository.appendingPathComponent("Tests/Fixtures/speech.wav").path

    static let executable = URL(fileURLWithPath: TestSupport.harkExecutable)

    private let process = Process()
    private let output = Output()

    private final class Output: Sendable {
        let captured = Mutex((stdout: Data(), stderr: Data()))
    }

    convenience init(_ arguments: [String], environment: [String: String] = [:]) throws {
        try self.init(executable: Self.executable.path, arguments, environment: environment)
    }

    /// Any program, run the same way (curl, nginx).
    init(executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            output.captured.withLock { $0.stdout.append(data) }
        }
        err.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            output.captured.withLock { $0.stderr.append(data) }
        }
        try process.run()
    }

    var stdout: String { output.captured.withLock { String(decoding: $0.stdout, as: UTF8.self) } }
    var stderr: String { output.captured.withLock { String(decoding: $0.stderr, as: UTF8.self) } }

    func interrupt() { process.interrupt() }

    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    var processIdentifier: Int32 { process.processIdentifier }

    /// Waits (up to `timeout`) for the process to exit and returns its status; kills it on timeout.
    func exitStatus(timeout: Duration = .seconds(180)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw TimeoutError(what: "hark \(process.arguments ?? [])", output: stdout + stderr)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(50))   // let the pipes drain
        return process.terminationStatus
    }

    /// Waits until stdout contains `text`.
    func waitForOutput(_ text: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !stdout.contains(text) {
            if ContinuousClock.now > deadline || !process.isRunning {
                throw TimeoutError(what: "'\(text)' in output", output: stdout + stderr)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Runs to completion.
    static func run(executable: String = HarkProcess.executable.path, _ arguments: [String],
                    environment: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = try HarkProcess(executable: executable, arguments, environment: environment)
        let status = try await process.exitStatus()
        return (status, process.stdout, process.stderr)
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    var what: String
    var output: String
    var description: String { "timed out waiting for \(what); output so far:\n\(output)" }
}

func temporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hark-cli-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Whether `make models` installed `relativePath` where the built `hark` looks for it.
func modelInstalled(_ relativePath: String) -> Bool {
    FileManager.default.fileExists(atPath: RecorderConfiguration.defaultModelsDirectory().appendingPathComponent(relativePath).path)
}

/// The session folders under a sessions folder (not `index.sqlite` and its companions), sorted.
func sessionFolders(in root: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: root.path).sorted().filter {
        FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("session.json").path)
    }
}
