import Foundation
import HarkAudio
import HarkCore

/// The callback PortAudio calls on its real-time thread, fed 48 kHz stereo blocks. Each call is
/// followed by the consumer's read of the same block, so the ring never overflows (an overflowing
/// call copies nothing and would flatter the figure). Reference: two `memcpy`s of the same block —
/// in and out — the least any hand-over through a buffer can cost.
enum CallbackBenchmark {
    static let frames = 512, channels = 2, calls = 200_000, repeats = 5

    static func run() {
        let ring = SampleRing(minimumCapacity: 2 * 48_000 * channels, granule: channels)
        let block = (0..<frames * channels).map { Float(sin(Double($0) * 0.01)) }
        let userData = Unmanaged.passUnretained(ring).toOpaque()
        var out = [Float](repeating: 0, count: frames * channels)
        var middle = [Float](repeating: 0, count: frames * channels)
        var ringNs: [Double] = [], memcpyNs: [Double] = [], single: [Double] = []

        block.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { out in
                middle.withUnsafeMutableBytes { middle in
                    for _ in 0..<repeats {
                        var start = monotonicNanoseconds()
                        for _ in 0..<calls {
                            _ = captureCallback(input.baseAddress, nil, UInt(frames), nil, 0, userData)
                            _ = ring.read(into: out.baseAddress!, maxCount: out.count)
                        }
                        ringNs.append(Double(monotonicNanoseconds() - start) / Double(calls))
                        start = monotonicNanoseconds()
                        for _ in 0..<calls {
                            memcpy(middle.baseAddress!, input.baseAddress!, input.count)
                            blackHole(middle.baseAddress!)
                            memcpy(out.baseAddress!, middle.baseAddress!, input.count)
                            blackHole(UnsafeMutableRawPointer(out.baseAddress!))
                        }
                        memcpyNs.append(Double(monotonicNanoseconds() - start) / Double(calls))
                    }
                    // The callback alone, call by call, for the tail (includes ~20–40 ns of clock reads).
                    for _ in 0..<100_000 {
                        let t0 = monotonicNanoseconds()
                        _ = captureCallback(input.baseAddress, nil, UInt(frames), nil, 0, userData)
                        single.append(Double(monotonicNanoseconds() - t0))
                        _ = ring.read(into: out.baseAddress!, maxCount: out.count)
                    }
                }
            }
        }
        let budget = Double(frames) / 48_000 * 1e9
        let median = percentile(ringNs, 0.5), reference = percentile(memcpyNs, 0.5)
        print("callback: \(frames) frames × \(channels) ch float32 per call = \(format(budget / 1e6, 2)) ms of 48 kHz audio")
        print("  callback + ring read, median of \(repeats) × \(calls): \(format(median)) ns (runs \(ringNs.map { format($0) }.joined(separator: ", ")))")
        print("  memcpy in + memcpy out, same sizes:  \(format(reference)) ns (runs \(memcpyNs.map { format($0) }.joined(separator: ", ")))")
        print("  ratio ring/memcpy: \(format(median / reference, 2))×")
        print("  callback alone, single calls: p50 \(format(percentile(single, 0.5))) ns, p99 \(format(percentile(single, 0.99))) ns, p99.99 \(format(percentile(single, 0.9999))) ns, max \(format(single.max()!)) ns")
        print("  callback p50 as a share of the block's real-time budget: \(format(percentile(single, 0.5) / budget * 100, 3)) %")
        print("  dropped samples: \(ring.takeDroppedSamples()) (must be 0)")
    }
}

@inline(never) func blackHole(_ pointer: UnsafeMutableRawPointer) { _ = pointer }
