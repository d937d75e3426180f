import CPortAudio
import HarkCore

/// The function PortAudio calls on its real-time thread with each block of input.
///
/// It only copies the block into the preallocated `SampleRing` passed as `userData` and returns:
/// no allocation, no lock, no logging, no Swift concurrency. `_withUnsafeGuaranteedRef` reaches
/// the ring without retain/release traffic; the ring outlives the stream because the source closes
/// the stream before releasing it. Public so that benchmarks can time exactly what PortAudio calls.
public func captureCallback(
    _ input: UnsafeRawPointer?, _ output: UnsafeMutableRawPointer?, _ frameCount: UInt,
    _ time: UnsafePointer<PaStreamCallbackTimeInfo>?, _ flags: PaStreamCallbackFlags,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let userData else { return Int32(paContinue.rawValue) }
    Unmanaged<SampleRing>.fromOpaque(userData)._withUnsafeGuaranteedRef { ring in
        let count = Int(frameCount) * ring.granule
        if let input {
            ring.write(input.assumingMemoryBound(to: Float.self), count: count)
        } else {
            ring.recordDropped(count)
        }
        // PortAudio lost input before this call (its own buffer overflowed) without saying how
        // much: counted as one block, the least it can have been, so it is reported, not hidden.
        // 0x2 is paInputOverflow, a macro Swift does not import.
        if flags & 0x2 != 0 { ring.recordDropped(count) }
    }
    return Int32(paContinue.rawValue)
}
