import CPortAudio
import HarkCore

/// A live input device through PortAudio, at the device's own rate and up to two channels.
///
/// The real-time callback fills a `SampleRing`; `read` drains it on the consumer side. Overflow
/// (the consumer fell more than `ringDuration` behind) is counted and reported by
/// `takeDroppedFrames`, never hidden.
public final class PortAudioSource: AudioSource, @unchecked Sendable {
    // @unchecked Sendable is safe: `stream` and `state` are only touched by start/read/stop/deinit,
    // which the AudioSource contract confines to one consumer at a time; the only thing shared with
    // PortAudio's thread is `ring`, which is built for exactly that.
    /// The device's name, as PortAudio reports it.
    public let name: String
    /// The device's default rate, at most two channels.
    public let format: AudioFormat
    /// The input device the selector resolved to.
    public let device: InputDevice
    let ring: SampleRing
    private var stream: UnsafeMutableRawPointer?
    private var state = State.idle

    private enum State { case idle, running, stopped }

    /// Opens nothing yet: resolves the device and sizes the ring.
    /// - Parameter ringDuration: seconds of audio the ring holds while the consumer is busy.
    public init(device selector: DeviceSelector, ringDuration: Double = 2) throws {
        try PortAudioRuntime.acquire()
        do {
            device = try selector.resolve(in: PortAudioRuntime.inputDevices())
        } catch {
            PortAudioRuntime.release()
            throw error
        }
        // Virtual devices (PulseAudio's) report 32 channels; speech needs at most a stereo pair.
        let channels = min(device.maxInputChannels, 2)
        format = AudioFormat(sampleRate: device.defaultSampleRate, channels: channels)
        name = device.name
        ring = SampleRing(minimumCapacity: Int(device.defaultSampleRate * ringDuration) * channels, granule: channels)
    }

    deinit {
        closeStream()
        PortAudioRuntime.release()
    }

    /// Opens and starts the stream at the device's high input latency; does nothing unless idle.
    /// Throws HarkError `.deviceUnavailable` when the device cannot be opened or started.
    public func start() throws {
        guard state == .idle else { return }
        let info = Pa_GetDeviceInfo(PaDeviceIndex(device.index))
        // The device's high latency: a recorder gains nothing from small buffers (the VAD works in
        // 32 ms chunks) and larger ones make overruns in the audio library less likely.
        var parameters = PaStreamParameters(
            device: PaDeviceIndex(device.index), channelCount: Int32(format.channels),
            sampleFormat: PaSampleFormat(paFloat32), suggestedLatency: info?.pointee.defaultHighInputLatency ?? 0.1,
            hostApiSpecificStreamInfo: nil)
        var opened: UnsafeMutableRawPointer?
        let ringPointer = Unmanaged.passUnretained(ring).toOpaque()
        let error = Pa_OpenStream(&opened, &parameters, nil, format.sampleRate,
                                  UInt(paFramesPerBufferUnspecified), PaStreamFlags(paNoFlag),
                                  captureCallback, ringPointer)
        guard error == paNoError.rawValue, let opened else {
            throw HarkError(.deviceUnavailable, """
                Could not open '\(name)' for recording at \(format): \(PortAudioRuntime.message(error)). \
                Check that the device is connected and not used exclusively by another program \
                (on Linux, that PulseAudio or PipeWire is running); `hark devices` lists inputs.
                """)
        }
        stream = opened
        let started = Pa_StartStream(opened)
        guard started == paNoError.rawValue else {
            closeStream()
            throw HarkError(.deviceUnavailable, "Could not start recording from '\(name)': \(PortAudioRuntime.message(started)).")
        }
        state = .running
    }

    /// Drains up to `buffer.count` interleaved samples from the ring. `.wait` when it is empty,
    /// `.end` once stopped and drained. Throws HarkError `.audioStreamFailed` when the running
    /// stream went inactive (the device was unplugged, say).
    public func read(into buffer: UnsafeMutableBufferPointer<Float>) throws -> AudioRead {
        guard let base = buffer.baseAddress else { return .wait }
        let n = ring.read(into: base, maxCount: buffer.count)
        if n > 0 { return .samples(n) }
        switch state {
        case .idle: return .wait
        case .stopped: return .end
        case .running:
            if let stream, Pa_IsStreamActive(stream) != 1 {
                throw HarkError(.audioStreamFailed, "The input '\(name)' stopped delivering audio (was it unplugged?).")
            }
            return .wait
        }
    }

    /// Frames the ring dropped since the last call because the consumer fell behind.
    public func takeDroppedFrames() -> Int {
        ring.takeDroppedSamples() / format.channels
    }

    /// Stops the device. Audio already in the ring stays readable; `read` then returns `.end`.
    public func stop() {
        closeStream()
        state = .stopped
    }

    private func closeStream() {
        guard let stream else { return }
        _ = Pa_StopStream(stream)   // waits for the callback to return
        _ = Pa_CloseStream(stream)
        self.stream = nil
    }
}
