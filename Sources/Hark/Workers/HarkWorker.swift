import Atomics
import Foundation
import HarkCore

/// Transcription workers made of the app's own executable, as Python's multiprocessing starts
/// its own interpreter: call `HarkWorker.runIfRequested()` first thing in `main`. In the app it
/// returns at once and lets recorders start workers from the app itself; in a worker (started
/// with `HarkWorker.argument` first) it serves jobs on stdin/stdout (`WorkerProtocol`) and exits
/// the process when its input closes, never returning.
///
/// ```swift
/// @main struct App {
///     static func main() async throws {
///         await HarkWorker.runIfRequested()
///         // … the app, with recorders that transcribe in worker processes
///     }
/// }
/// ```
public enum HarkWorker {
    /// The first argument of a worker process; what follows says the model and how to compute.
    public static let argument = "--hark-worker"
    /// Set in a worker's environment too: a worker whose arguments the app passed on changed
    /// (`runIfRequested(arguments:)`) refuses, rather than run as another copy of the app.
    static let environmentKey = "HARK_WORKER"

    private static let entryCalled = ManagedAtomic(false)

    /// Whether this process called `runIfRequested()`, so that starting its executable again
    /// makes a worker rather than another copy of the app.
    public static var isAvailable: Bool { entryCalled.load(ordering: .acquiring) }

    /// In a worker process, serves jobs and exits with the worker's status; otherwise notes that
    /// the app has the entry and returns.
    public static func runIfRequested(arguments: [String] = CommandLine.arguments) async {
        guard let request = request(in: arguments) else { return }
        exit(await serve(request))
    }

    /// The same for a `main` without async code: the worker's jobs run on Swift's concurrency
    /// threads while this thread waits.
    public static func runIfRequested(arguments: [String] = CommandLine.arguments) {
        guard let request = request(in: arguments) else { return }
        let status = ManagedAtomic<Int32>(0), done = DispatchSemaphore(value: 0)
        Task.detached {
            status.store(await serve(request), ordering: .releasing)
            done.signal()
        }
        done.wait()
        exit(status.load(ordering: .acquiring))
    }

    /// Why workers of the app's own executable cannot start: the app lacks the entry.
    static let entryMissing = HarkError(.invalidConfiguration, """
        Workers of this app's own executable need `HarkWorker.runIfRequested()` called first thing in its `main`; \
        call it, or choose in-process transcription (WorkerPoolConfiguration.inProcess).
        """)

    /// What a worker process is asked to load.
    struct Request: Sendable, Equatable {
        var model: URL
        var computeType: ComputeType
        var beamSize: Int
    }

    /// The arguments that make a worker of `model`.
    static func arguments(model: URL, computeType: ComputeType, beamSize: Int) -> [String] {
        [argument, "--model", model.path, "--compute-type", computeType.rawValue, "--beam-size", String(beamSize)]
    }

    /// nil (and the entry noted) when `arguments` are not a worker's; a worker's malformed
    /// arguments make it say `fatal` and exit 2.
    static func request(in arguments: [String],
                        environment: [String: String] = ProcessInfo.processInfo.environment) -> Request? {
        do {
            guard let request = try parse(arguments) else {
                if environment[environmentKey] == "1" {
                    refuse("Started as a transcription worker, but its arguments do not say so: \(arguments.dropFirst().prefix(8)). Pass the process's own arguments to HarkWorker.runIfRequested.")
                }
                entryCalled.store(true, ordering: .releasing)
                return nil
            }
            return request
        } catch {
            refuse(error.message)
        }
    }

    /// What a worker's `arguments` ask; nil when they are not a worker's.
    static func parse(_ arguments: [String]) throws(HarkError) -> Request? {
        guard arguments.count > 1, arguments[1] == argument else { return nil }
        var model: URL?, computeType = ComputeType.auto, beamSize = 1
        var rest = arguments.dropFirst(2)
        while let name = rest.popFirst() {
            let value = rest.popFirst()
            switch (name, value) {
            case ("--model", let path?): model = URL(fileURLWithPath: path, isDirectory: true)
            case ("--compute-type", let type?) where ComputeType(rawValue: type) != nil: computeType = ComputeType(rawValue: type)!
            case ("--beam-size", let size?) where Int(size).map({ $0 >= 1 }) == true: beamSize = Int(size)!
            default:
                throw HarkError(.invalidConfiguration, "Not a worker argument: '\(([name] + (value.map { [$0] } ?? [])).joined(separator: " "))'.")
            }
        }
        guard let model else { throw HarkError(.invalidConfiguration, "A worker needs --model FOLDER.") }
        return Request(model: model, computeType: computeType, beamSize: beamSize)
    }

    private static func refuse(_ message: String) -> Never {
        let reply = WorkerReply.fatal(HarkError(.invalidConfiguration, message))
        FileHandle.standardOutput.write(Data(reply.encodedLine().utf8))
        exit(2)
    }

    private static func serve(_ request: Request) async -> Int32 {
        await TranscriptionWorker.serve(modelDirectory: request.model, computeType: request.computeType, beamSize: request.beamSize)
    }

    /// This program's own path, for starting it again as a worker.
    public static func executablePath() -> String {
        #if os(Linux)
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        #endif
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}
