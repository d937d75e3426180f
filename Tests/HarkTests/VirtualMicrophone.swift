import Foundation
import HarkCore

/// The PulseAudio null sink of `scripts/virtual-mic.sh`, for tests that capture through PortAudio.
enum VirtualMicrophone {
    static let script = Fixtures.repository.appendingPathComponent("scripts/virtual-mic.sh").path

    /// Starts the daemon (idempotent) and points this process's PulseAudio clients at it.
    /// Must run before PortAudio opens a device.
    static func start() async throws {
        let runtime = ProcessInfo.processInfo.environment["PULSE_RUNTIME_PATH"] ?? "/tmp/hark-pulse"
        setenv("PULSE_RUNTIME_PATH", runtime, 1)
        try await onOwnThread { try run(["start"]) }
    }

    /// Plays `file` into the microphone in real time; returns when it has played.
    static func play(_ file: String) async throws {
        try await onOwnThread { try run(["play", file]) }
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey:
                "scripts/virtual-mic.sh \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)); run scripts/install-deps.sh"])
        }
    }
}
