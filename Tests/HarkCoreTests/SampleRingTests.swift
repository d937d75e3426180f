import Foundation
import Testing
@testable import HarkCore

@Suite struct SampleRingTests {
    @Test func roundsCapacityUpToAPowerOfTwo() {
        #expect(SampleRing(minimumCapacity: 1000).capacity == 1024)
        #expect(SampleRing(minimumCapacity: 1024).capacity == 1024)
    }

    @Test func readsBackWhatWasWrittenAcrossTheWrap() {
        let ring = SampleRing(minimumCapacity: 8)
        var out = [Float](repeating: 0, count: 8)
        for round in 0..<5 {
            let input: [Float] = (0..<6).map { Float(round * 10 + $0) }
            #expect(ring.write(input, count: 6) == 6)
            #expect(ring.availableToRead == 6)
            #expect(ring.read(into: &out, maxCount: 8) == 6)
            #expect(Array(out[0..<6]) == input)
        }
        #expect(ring.takeDroppedSamples() == 0)
    }

    @Test func overflowKeepsQueuedSamplesAndCountsTheRest() {
        let ring = SampleRing(minimumCapacity: 8)
        let input: [Float] = (0..<12).map(Float.init)
        #expect(ring.write(input, count: 12) == 8)
        #expect(ring.takeDroppedSamples() == 4)
        #expect(ring.takeDroppedSamples() == 0, "taking the count resets it")
        var out = [Float](repeating: 0, count: 8)
        #expect(ring.read(into: &out, maxCount: 8) == 8)
        #expect(out == Array(input[0..<8]))
    }

    @Test func keepsWholeFramesOfInterleavedChannels() {
        let ring = SampleRing(minimumCapacity: 8, granule: 3)
        let input: [Float] = (0..<9).map(Float.init)
        #expect(ring.write(input, count: 9) == 6, "two whole stereo... three-channel frames fit in 8")
        #expect(ring.takeDroppedSamples() == 3)
        var out = [Float](repeating: 0, count: 5)
        #expect(ring.read(into: &out, maxCount: 5) == 3, "reads stop at a frame boundary")
    }

    @Test func nullInputIsCountedAsDropped() {
        let ring = SampleRing(minimumCapacity: 8)
        ring.recordDropped(256)
        #expect(ring.takeDroppedSamples() == 256)
    }

    /// One producer thread and one consumer thread hammer the ring; every sample must arrive once,
    /// in order, or be counted as dropped. Plain threads, like PortAudio's callback thread, so that
    /// no executor hand-off hides a missing barrier. Run under `swift test --sanitize=thread` in CI.
    @Test func concurrentProducerAndConsumerLoseNothingUncounted() async {
        let ring = SampleRing(minimumCapacity: 256, granule: 2)
        let total = 400_000
        let producer = Thread {
            var next: Float = 0
            var block = [Float](repeating: 0, count: 64)
            var produced = 0
            while produced < total {
                let n = min(64, total - produced)
                for i in stride(from: 0, to: n, by: 2) {
                    block[i] = next; block[i + 1] = -next
                    next += 1
                }
                ring.write(block, count: n)
                produced += n
            }
        }
        let result = await withCheckedContinuation { (done: CheckedContinuation<(received: Int, dropped: Int, ordered: Bool), Never>) in
            let consumer = Thread {
                var out = [Float](repeating: 0, count: 100)
                var received = 0, dropped = 0
                var last: Float = -1
                var ordered = true
                while received + dropped < total {
                    let n = ring.read(into: &out, maxCount: 100)
                    dropped += ring.takeDroppedSamples()
                    for i in stride(from: 0, to: n, by: 2) {
                        if out[i] <= last || out[i + 1] != -out[i] { ordered = false }
                        last = out[i]
                    }
                    received += n
                }
                done.resume(returning: (received, dropped, ordered))
            }
            consumer.start()
            producer.start()
        }
        #expect(result.ordered)
        #expect(result.received + result.dropped == total)
        #expect(result.received > 0)
    }
}
