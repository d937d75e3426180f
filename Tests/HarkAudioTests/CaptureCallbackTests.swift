import CAllocationCounter
import CPortAudio
import Testing
@testable import HarkAudio
@testable import HarkCore

/// The rule for PortAudio's real-time thread: the callback copies into the ring and returns,
/// without touching the heap. The allocation counter interposes malloc for this test process.
@Suite struct CaptureCallbackTests {
    @Test func callbackDoesNotAllocateEvenWhenTheRingOverflows() throws {
        try #require(hark_allocations_supported() == 1, "allocation counter is not active")
        let ring = SampleRing(minimumCapacity: 4096, granule: 2)
        let frames = 480
        let input = [Float](repeating: 0.25, count: frames * 2)
        let userData = Unmanaged.passUnretained(ring).toOpaque()
        var allocations: Int64 = 0
        input.withUnsafeBytes { raw in
            // Warm up once (lazy runtime metadata), then count 100 calls: normal, overflowing, null input.
            _ = captureCallback(raw.baseAddress, nil, UInt(frames), nil, 0, userData)
            hark_allocations_arm()
            for _ in 0..<100 {
                _ = captureCallback(raw.baseAddress, nil, UInt(frames), nil, 0, userData)
                _ = captureCallback(nil, nil, UInt(frames), nil, 0, userData)
            }
            allocations = hark_allocations_disarm()
        }
        #expect(allocations == 0)
        #expect(ring.availableToRead == 4096, "the ring filled up")
        #expect(ring.takeDroppedSamples() == 200 * frames * 2 - 4096 + frames * 2)
    }

    @Test func theCounterSeesAllocations() throws {
        try #require(hark_allocations_supported() == 1)
        hark_allocations_arm()
        let array = [Int](repeating: 1, count: Int.random(in: 100...200))
        let count = hark_allocations_disarm()
        #expect(array.count >= 100)
        #expect(count >= 1, "a detector that never sees an allocation would prove nothing")
    }

    /// PortAudio's input-overflow flag: audio it lost before the call is counted as dropped
    /// (one block, as it says no more), though the block itself is kept.
    @Test func inputOverflowFlagCountsAsDroppedAudio() {
        let ring = SampleRing(minimumCapacity: 4096)
        let userData = Unmanaged.passUnretained(ring).toOpaque()
        let input = [Float](repeating: 0.5, count: 256)
        input.withUnsafeBytes { raw in
            _ = captureCallback(raw.baseAddress, nil, 256, nil, 0, userData)
            _ = captureCallback(raw.baseAddress, nil, 256, nil, 0x2, userData)
        }
        #expect(ring.availableToRead == 512)
        #expect(ring.takeDroppedSamples() == 256)
    }

    @Test func callbackAlwaysContinues() {
        let ring = SampleRing(minimumCapacity: 64)
        let userData = Unmanaged.passUnretained(ring).toOpaque()
        #expect(captureCallback(nil, nil, 16, nil, 0, userData) == Int32(paContinue.rawValue))
        #expect(captureCallback(nil, nil, 16, nil, 0, nil) == Int32(paContinue.rawValue))
    }
}
