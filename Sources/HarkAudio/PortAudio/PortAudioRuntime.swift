import CPortAudio
import HarkCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// PortAudio's global initialisation, reference counted. `Pa_Initialize`/`Pa_Terminate` are not
/// thread-safe, so every use goes through this lock.
enum PortAudioRuntime {
    private static let users = Mutex(0)

    static func acquire() throws {
        try users.withLock { count in
            if count == 0 {
                hark_silence_alsa()
                try check(withStandardErrorSilenced { Pa_Initialize() }, "start the audio system")
            }
            count += 1
        }
    }

    static func release() {
        users.withLock { count in
            count -= 1
            if count == 0 { _ = Pa_Terminate() }
        }
    }

    /// Probing host APIs makes libjack print several lines to stderr when no JACK server runs,
    /// which is the normal case. Failures still come back as PortAudio error codes, so the noise
    /// is dropped: fd 2 points at /dev/null for the duration of `body` only.
    private static func withStandardErrorSilenced<T>(_ body: () -> T) -> T {
        let saved = dup(STDERR_FILENO)
        let null = open("/dev/null", O_WRONLY)
        guard saved >= 0, null >= 0 else { return body() }
        dup2(null, STDERR_FILENO)
        close(null)
        defer {
            dup2(saved, STDERR_FILENO)
            close(saved)
        }
        return body()
    }

    /// Runs `body` with PortAudio initialised.
    static func withRuntime<T>(_ body: () throws -> T) throws -> T {
        try acquire()
        defer { release() }
        return try body()
    }

    static func message(_ error: PaError) -> String {
        String(cString: Pa_GetErrorText(error))
    }

    static func check(_ error: PaError, _ action: String) throws {
        guard error != paNoError.rawValue else { return }
        throw HarkError(.audioStreamFailed, "Could not \(action): \(message(error)).")
    }

    /// Input devices as PortAudio lists them. Call with the runtime acquired.
    static func inputDevices() -> [InputDevice] {
        let count = Pa_GetDeviceCount()
        guard count > 0 else { return [] }
        let defaultIndex = Pa_GetDefaultInputDevice()
        return (0..<count).compactMap { index -> InputDevice? in
            guard let info = Pa_GetDeviceInfo(index), info.pointee.maxInputChannels > 0 else { return nil }
            return InputDevice(index: Int(index), name: String(cString: info.pointee.name),
                               maxInputChannels: Int(info.pointee.maxInputChannels),
                               defaultSampleRate: info.pointee.defaultSampleRate,
                               isDefault: index == defaultIndex)
        }
    }
}

/// The capture devices this machine offers.
public enum AudioDevices {
    /// Every input device with its default rate. Empty when there is none.
    public static func inputs() throws -> [InputDevice] {
        try PortAudioRuntime.withRuntime { PortAudioRuntime.inputDevices() }
    }
}
