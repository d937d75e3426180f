import CHarkBLAS
import Foundation
import HarkBLAS
import HarkCore
import Testing

/// The int8 and bfloat16 products against references computed here in Double, on every
/// instruction-set level this CPU can run (capped for the test's own thread only).
/// Each test runs on a thread of its own: seconds of arithmetic must not hold one of the
/// cooperative pool's threads, which the parallel suites' recorders and worker pools need.
@Suite(.serialized) struct PackedMatrixTests {
    /// Levels to try: the portable one always, then what this CPU has.
    static let levels: [Int32] = [Int32(HARK_LEVEL_SCALAR), Int32(HARK_LEVEL_AVX2), Int32(HARK_LEVEL_AVXVNNI),
                                  Int32(HARK_LEVEL_AVX512F), Int32(HARK_LEVEL_AVX512)]

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001) / 1_000_000 - 1
        }
    }

    /// Row-wise int8 quantization as the kernels do it: scale 127 / max |row|, nearest even.
    static func quantized(_ row: ArraySlice<Float>) -> (q: [Double], scale: Double) {
        let amax = row.map { abs($0) }.max() ?? 0
        let scale = amax > 0 ? 127 / amax : 1
        return (row.map { Double(max(-127, min(127, ($0 * scale).rounded(.toNearestOrEven)))) }, Double(scale))
    }

    static func onEveryLevel(_ body: (String) throws -> Void) rethrows {
        let previous = hark_kernels_limit(Int32(HARK_LEVEL_AVX512))
        defer { hark_kernels_limit(previous) }
        for level in levels {
            hark_kernels_limit(level)
            try body("level \(level): \(PackedMatrix.implementation(.int8)), \(PackedMatrix.implementation(.bfloat16))")
        }
    }

    @Test(arguments: [(1, 384, 1152), (5, 384, 384), (67, 240, 384), (300, 1536, 70)])
    func int8IsTheExactProductOfItsQuantizedOperands(rows m: Int, inputs k: Int, outputs n: Int) async throws {
        let failures = try await onOwnThread { Self.int8Product(rows: m, inputs: k, outputs: n) }
        #expect(failures.isEmpty, "\(failures)")
    }

    /// What went wrong, per level (checked here, off the test's task, and expected there).
    static func int8Product(rows m: Int, inputs k: Int, outputs n: Int) -> [String] {
        var failures: [String] = []
        let x = Self.random(m * k, seed: 1), w = Self.random(n * k, seed: 2), bias = Self.random(n, seed: 3)
        let packed = w.withUnsafeBufferPointer { PackedMatrix(quantizing: $0.baseAddress!, rows: n, columns: k) }
        var expected = [Double](repeating: 0, count: m * n)
        let qw = (0..<n).map { Self.quantized(w[($0 * k)..<(($0 + 1) * k)]) }
        for r in 0..<m {
            let qx = Self.quantized(x[(r * k)..<((r + 1) * k)])
            for c in 0..<n {
                var sum = 0.0
                for i in 0..<k { sum += qx.q[i] * qw[c].q[i] }
                expected[r * n + c] = sum / (qx.scale * qw[c].scale) + Double(bias[c])
            }
        }
        Self.onEveryLevel { level in
            let y = Self.product(packed, x, rows: m, bias: bias)
            let worst = zip(y, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
            if !(worst < 1e-5) { failures.append("\(level): \(worst)") }
        }
        return failures
    }

    @Test func bfloat16IsCloseToFloat32AndAccumulatesAndSplitsByOutputs() async throws {
        let failures = try await onOwnThread { Self.bfloat16Product() }
        #expect(failures.isEmpty, "\(failures)")
    }

    static func bfloat16Product() -> [String] {
        var failures: [String] = []
        let m = 5, k = 384, n = 200
        let x = Self.random(m * k, seed: 4), w = Self.random(n * k, seed: 5), bias = Self.random(n, seed: 6)
        let packed = w.withUnsafeBufferPointer { PackedMatrix(bfloat16: $0.baseAddress!, rows: n, columns: k) }
        var exact = [Double](repeating: 0, count: m * n)
        for r in 0..<m { for c in 0..<n {
            exact[r * n + c] = (0..<k).reduce(Double(bias[c])) { $0 + Double(x[r * k + $1]) * Double(w[c * k + $1]) }
        }}
        let scale = exact.map(abs).max() ?? 1
        Self.onEveryLevel { level in
            let y = Self.product(packed, x, rows: m, bias: bias)
            if !zip(y, exact).allSatisfy({ abs(Double($0) - $1) < 1e-2 * scale }) { failures.append("\(level): far from float32") }
            // y += x · Wᵀ + b, and only outputs 64..<128: twice the product there, once elsewhere.
            var twice = y
            twice.withUnsafeMutableBufferPointer { out in
                x.withUnsafeBufferPointer { x in bias.withUnsafeBufferPointer { b in
                    ScratchBuffer.with(bytes: packed.scratchBytes(rows: m)) { s in
                        packed.multiply(x.baseAddress!, ldx: k, rows: m, bias: b.baseAddress!, into: out.baseAddress!, ldy: n,
                                        accumulate: true, outputs: 64..<128, scratch: s)
                    }
                }}
            }
            for r in 0..<m { for c in 0..<n {
                let factor: Float = (64..<128).contains(c) ? 2 : 1
                if abs(twice[r * n + c] - factor * y[r * n + c]) > 1e-5 * max(1, abs(y[r * n + c])) {
                    failures.append("\(level): output \(r),\(c) after accumulating outputs 64..<128")
                }
            }}
        }
        return failures
    }

    /// A thread that caps the level (and never lifts it) slows no other thread's products.
    @Test func aLevelCapHoldsForItsThreadAlone() async throws {
        let capped = try await onOwnThread { () -> String in
            hark_kernels_limit(Int32(HARK_LEVEL_SCALAR))
            return PackedMatrix.implementation(.int8)
        }
        #expect(capped == "scalar")
        let here = try await onOwnThread { PackedMatrix.implementation(.int8) }
        #expect(here != "scalar" || !PackedMatrix.isAccelerated(.int8), "\(here)")
    }

    @Test func aPackedRowReadsBackItsWeights() {
        let k = 70, n = 130
        let w = Self.random(n * k, seed: 7)
        let int8 = w.withUnsafeBufferPointer { PackedMatrix(quantizing: $0.baseAddress!, rows: n, columns: k) }
        let bf16 = w.withUnsafeBufferPointer { PackedMatrix(bfloat16: $0.baseAddress!, rows: n, columns: k) }
        var row = [Float](repeating: 0, count: k)
        for index in [0, 63, 64, 129] {
            let original = w[(index * k)..<((index + 1) * k)], step = Float(Self.quantized(original).scale)
            row.withUnsafeMutableBufferPointer { int8.row(index, into: $0.baseAddress!) }
            #expect(zip(row, original).allSatisfy { abs($0 - $1) <= 0.5 / step + 1e-6 }, "int8 row \(index)")
            row.withUnsafeMutableBufferPointer { bf16.row(index, into: $0.baseAddress!) }
            #expect(zip(row, original).allSatisfy { abs($0 - $1) <= abs($1) / 256 }, "bf16 row \(index)")
        }
    }

    /// A model's float16 weights packed straight (a row widened at a time, on two threads) hold
    /// the same bytes' worth as packing their float widening: every row reads back the same, and
    /// products agree exactly. A NaN or an infinity anywhere refuses the matrix.
    @Test(arguments: [(130, 70), (1, 384), (200, 384)])
    func float16WeightsPackAsTheirWideningDoes(rows n: Int, columns k: Int) throws {
        let half = Self.random(n * k, seed: 11).map { Float16($0) }
        let widened = half.map { Float($0) }
        let x = Self.random(3 * k, seed: 12)
        for format in [PackedMatrix.Format.int8, .bfloat16] {
            let direct = try #require(half.withUnsafeBytes {
                PackedMatrix(half: $0.baseAddress!, rows: n, columns: k, as: format, threads: 2)
            })
            let reference = widened.withUnsafeBufferPointer {
                format == .int8 ? PackedMatrix(quantizing: $0.baseAddress!, rows: n, columns: k)
                                : PackedMatrix(bfloat16: $0.baseAddress!, rows: n, columns: k)
            }
            var a = [Float](repeating: 0, count: k), b = a
            for index in 0..<n {
                a.withUnsafeMutableBufferPointer { direct.row(index, into: $0.baseAddress!) }
                b.withUnsafeMutableBufferPointer { reference.row(index, into: $0.baseAddress!) }
                #expect(a == b, "\(format) row \(index)")
            }
            var y1 = [Float](repeating: 0, count: 3 * n), y2 = y1
            let scratch = ScratchBuffer(byteCount: direct.scratchBytes(rows: 3))
            x.withUnsafeBufferPointer { x in
                y1.withUnsafeMutableBufferPointer { direct.multiply(x.baseAddress!, ldx: k, rows: 3, bias: nil, into: $0.baseAddress!, ldy: n, scratch: scratch.pointer) }
                y2.withUnsafeMutableBufferPointer { reference.multiply(x.baseAddress!, ldx: k, rows: 3, bias: nil, into: $0.baseAddress!, ldy: n, scratch: scratch.pointer) }
            }
            #expect(y1 == y2, "\(format) product")
            for bad in [Float16.nan, .infinity] {
                var broken = half
                broken[broken.count / 2] = bad
                #expect(broken.withUnsafeBytes { PackedMatrix(half: $0.baseAddress!, rows: n, columns: k, as: format, threads: 2) } == nil)
            }
        }
    }

    @Test func fusedAttentionMatchesSoftmaxOfScores() async throws {
        let failures = try await onOwnThread { Self.attention() }
        #expect(failures.isEmpty, "\(failures)")
    }

    static func attention() -> [String] {
        var failures: [String] = []
        let t = 200, keys = 150, size = 64, ld = 3 * size
        let qkv = Self.random(max(t, keys) * ld, seed: 8).map { $0 * 2 }
        let alpha = 1 / Float(size).squareRoot()
        var expected = [Double](repeating: 0, count: t * size)
        for r in 0..<t {
            let scores = (0..<keys).map { j in (0..<size).reduce(0.0) { $0 + Double(qkv[r * ld + $1]) * Double(qkv[j * ld + size + $1]) } * Double(alpha) }
            let top = scores.max()!, weights = scores.map { exp($0 - top) }, total = weights.reduce(0, +)
            for c in 0..<size {
                expected[r * size + c] = (0..<keys).reduce(0.0) { $0 + weights[$1] / total * Double(qkv[$1 * ld + 2 * size + c]) }
            }
        }
        Self.onEveryLevel { level in
            var out = [Float](repeating: 0, count: t * size)
            qkv.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { o in
                let base = p.baseAddress!
                ScratchBuffer.with(bytes: Attention.scratchBytes(keys: keys, headSize: size, packing: true)) { s in
                    Attention.attend(base, ldq: ld, rows: t, keys: base + size, ldk: ld, values: base + 2 * size, ldv: ld,
                                     count: keys, headSize: size, alpha: alpha, into: o.baseAddress!, ldo: size, scratch: s)
                }
            }}
            let worst = zip(out, expected).map { abs(Double($0) - $1) }.max() ?? 0
            if !(worst < 2e-2) { failures.append("\(level) (\(Attention.implementation)): \(worst)") }
        }
        return failures
    }

    static func product(_ packed: PackedMatrix, _ x: [Float], rows m: Int, bias: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: m * packed.rows)
        x.withUnsafeBufferPointer { x in bias.withUnsafeBufferPointer { b in y.withUnsafeMutableBufferPointer { y in
            ScratchBuffer.with(bytes: packed.scratchBytes(rows: m)) { s in
                packed.multiply(x.baseAddress!, ldx: packed.columns, rows: m, bias: b.baseAddress!, into: y.baseAddress!,
                                ldy: packed.rows, scratch: s)
            }
        }}}
        return y
    }
}
