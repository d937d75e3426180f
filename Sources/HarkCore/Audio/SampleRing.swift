import Atomics

/// A lock-free single-producer/single-consumer ring of `Float` samples.
///
/// Thread rules: exactly one thread calls `write` (the audio library's real-time callback) and exactly
/// one thread at a time calls `read`/`takeDroppedSamples` (the consumer). `write` never allocates,
/// locks or suspends, so it is safe on a real-time thread. When the ring is full the samples that do
/// not fit are dropped (never the ones already queued) and counted, so the consumer can report them.
///
/// Written by hand: swift-atomics gives the atomic indices, but no package in reach offers an
/// allocation-free SPSC sample ring with whole-frame writes and a drop counter.
public final class SampleRing: @unchecked Sendable {
    // @unchecked Sendable is safe here: `storage` is only written in slots between `tail` and
    // `head + capacity` by the producer and read in slots between `tail` and `head` by the consumer.
    // `head` is published with release ordering after the slots are written and loaded with acquire
    // ordering before they are read (and symmetrically for `tail`), so no slot is ever touched by
    // both threads at once.
    private let storage: UnsafeMutablePointer<Float>
    /// Number of samples the ring holds (a power of two).
    public let capacity: Int
    /// Writes are cut to whole multiples of this (the channel count of interleaved frames).
    public let granule: Int
    private let mask: Int
    private let head = UnsafeAtomic<Int>.create(0)     // total samples ever written
    private let tail = UnsafeAtomic<Int>.create(0)     // total samples ever read
    private let dropped = UnsafeAtomic<Int>.create(0)  // samples refused since the last take

    /// - Parameters:
    ///   - minimumCapacity: rounded up to a power of two.
    ///   - granule: writes keep whole groups of this many samples (interleaved channels).
    public init(minimumCapacity: Int, granule: Int = 1) {
        precondition(minimumCapacity > 0 && granule > 0, "SampleRing needs a positive size")
        var size = 1
        while size < minimumCapacity { size <<= 1 }
        capacity = size
        mask = size - 1
        self.granule = granule
        storage = .allocate(capacity: size)
        storage.initialize(repeating: 0, count: size)
    }

    deinit {
        storage.deallocate()
        head.destroy()
        tail.destroy()
        dropped.destroy()
    }

    /// Producer side. Copies as many whole granules as fit and counts the rest as dropped.
    /// - Returns: the number of samples written.
    @discardableResult
    public func write(_ source: UnsafePointer<Float>, count: Int) -> Int {
        let written = head.load(ordering: .acquiring)
        let read = tail.load(ordering: .acquiring)
        let free = capacity - (written - read)
        var n = min(count, free)
        n -= n % granule
        if n > 0 {
            let start = written & mask
            let first = min(n, capacity - start)
            copy(source, to: storage + start, count: first)
            if first < n {
                copy(source + first, to: storage, count: n - first)
            }
            head.store(written + n, ordering: .releasing)
        }
        if n < count {
            dropped.wrappingIncrement(by: count - n, ordering: .relaxed)
        }
        return n
    }

    /// Producer side, for a callback that has no samples (PortAudio may pass a null buffer).
    public func recordDropped(_ count: Int) {
        dropped.wrappingIncrement(by: count, ordering: .relaxed)
    }

    /// Consumer side. Copies up to `maxCount` samples (whole granules) into `destination`.
    public func read(into destination: UnsafeMutablePointer<Float>, maxCount: Int) -> Int {
        let read = tail.load(ordering: .relaxed)
        let written = head.load(ordering: .acquiring)
        var n = min(maxCount, written - read)
        n -= n % granule
        guard n > 0 else { return 0 }
        let start = read & mask
        let first = min(n, capacity - start)
        copy(storage + start, to: destination, count: first)
        if first < n {
            copy(storage, to: destination + first, count: n - first)
        }
        tail.store(read + n, ordering: .releasing)
        return n
    }

    /// Samples waiting to be read. Exact on the consumer thread; a lower bound elsewhere.
    public var availableToRead: Int {
        head.load(ordering: .acquiring) - tail.load(ordering: .relaxed)
    }

    /// Consumer side: the samples dropped since the last call, resetting the count.
    public func takeDroppedSamples() -> Int {
        dropped.exchange(0, ordering: .relaxed)
    }

    /// A plain loop rather than `update(from:count:)`: at -Onone that call runs inside the
    /// (uninstrumented) standard library, where ThreadSanitizer cannot see the slot accesses the
    /// stress test is meant to check. Optimised builds turn the loop into a memcpy.
    @inline(__always)
    private func copy(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] = source[i] }
    }
}
