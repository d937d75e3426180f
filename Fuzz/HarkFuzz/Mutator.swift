import Foundation

/// The committed seed inputs of a target: `Fuzz/corpus/TARGET/*`.
enum Corpus {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("corpus")

    static func load(_ target: FuzzTarget) -> [[UInt8]] {
        let folder = root.appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()) ?? []
        let inputs = names.compactMap { FileManager.default.contents(atPath: folder.appendingPathComponent($0).path).map(Array.init) }
        return inputs.isEmpty ? [[]] : inputs
    }
}

/// A small seeded mutator (for the loop without libFuzzer): flips, sets and inserts bytes,
/// writes boundary values, repeats and deletes ranges, splices two seeds. SplitMix64, so a seed
/// replays the same inputs.
struct Mutator {
    private var state: UInt64
    private let corpus: [[UInt8]]
    private static let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x0A, 0x22, 0x2D]

    init(seed: UInt64, corpus: [[UInt8]]) {
        state = seed
        self.corpus = corpus
    }

    private mutating func random(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(1, bound)))
    }

    mutating func next() -> [UInt8] {
        var input = corpus[random(corpus.count)]
        for _ in 0...random(4) {
            let at = random(input.count + 1)
            switch random(7) {
            case 0 where !input.isEmpty: input[min(at, input.count - 1)] ^= UInt8(1 << random(8))
            case 1 where !input.isEmpty: input[min(at, input.count - 1)] = Self.interesting[random(Self.interesting.count)]
            case 2: input.insert(UInt8(random(256)), at: at)
            case 3 where !input.isEmpty:
                let end = min(input.count, at + 1 + random(16))
                input.removeSubrange(min(at, end)..<end)
            case 4 where !input.isEmpty:
                let start = random(input.count), length = 1 + random(min(64, input.count - start))
                input.insert(contentsOf: input[start..<start + length], at: at)
            case 5:
                let other = corpus[random(corpus.count)]
                if !other.isEmpty { input = Array(input.prefix(at)) + other[random(other.count)...] }
            default:
                // A 32-bit little-endian boundary value (lengths and counts in binary formats).
                guard input.count >= 4 else { continue }
                let position = min(at, input.count - 4)
                let value: UInt32 = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, UInt32(random(1 << 16))][random(6)]
                for k in 0..<4 { input[position + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
            }
        }
        return input
    }
}

/// Keeps the input being run where a crash handler can write it out: a trap ends the process,
/// and the input that caused it is what a person needs to reproduce it.
enum CrashRecorder {
    nonisolated(unsafe) private static var current: UnsafeMutableRawBufferPointer = .init(start: nil, count: 0)
    nonisolated(unsafe) private static var length = 0
    nonisolated(unsafe) private static var path: UnsafeMutablePointer<CChar>?

    static func install(path file: String) {
        path = strdup(file)
        current = .allocate(byteCount: 1 << 22, alignment: 1)
        for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
            Foundation.signal(signal) { number in
                // Only async-signal-safe calls here: open, write, close, then the default action.
                if let path = CrashRecorder.path {
                    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                    if fd >= 0 {
                        _ = write(fd, CrashRecorder.current.baseAddress, CrashRecorder.length)
                        close(fd)
                    }
                }
                Foundation.signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    static func run(_ input: [UInt8], _ body: ([UInt8]) -> Void) {
        length = min(input.count, current.count)
        input.withUnsafeBytes { current.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        body(input)
    }
}
