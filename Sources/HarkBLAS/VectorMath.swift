/// exp, sigmoid and tanh on SIMD lanes, for the Silero LSTM's gates (Whisper's element-wise
/// work is in C, see CHarkKernels.h).
///
/// By hand because the platform's `expf`/`tanhf` are scalar calls (tanhf alone was a fifth
/// of Silero's streaming cost). Cephes' single-precision exp polynomial: within about 2 ulp of
/// expf over the clamped range. Four lanes: wider SIMD types spill registers on the x86-64
/// baseline Swift compiles for.
public enum VectorMath {
    /// Four floats: the width every function here works on.
    public typealias Lanes = SIMD4<Float>
    /// Four Int32 lanes, which `exp` uses to build powers of two from bits.
    public typealias IntegerLanes = SIMD4<Int32>

    /// eˣ per lane, within about 2 ulp of `expf`. x is clamped to -87.3...88.3 first, so the
    /// result is never 0 or infinite.
    @inline(__always)
    public static func exp(_ x: Lanes) -> Lanes {
        // Clamped by hand: `clamped(lowerBound:upperBound:)` is not inlined for SIMD types.
        var x = x.replacing(with: -87.3, where: x .< -87.3)
        x = x.replacing(with: 88.3, where: x .> 88.3)
        // Adding 1.5·2²³ rounds x·log2(e) to an integer n in the low mantissa bits, so 2ⁿ is built
        // with integer lane operations (Swift's Float→Int32 lane conversion is scalar and slow).
        let shifted = x * 1.44269504088896341 + 12582912.0
        let n = shifted - 12582912.0
        let r = x - n * 0.693359375 - n * -2.12194440e-4
        var p = Lanes(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r * r + r + 1
        let exponent = (unsafeBitCast(shifted, to: IntegerLanes.self) &- 0x4B40_0000 &+ 127) &<< 23
        return y * unsafeBitCast(exponent, to: Lanes.self)
    }

    /// 1 / (1 + e⁻ˣ) per lane, with `exp`'s clamping.
    @inline(__always)
    public static func sigmoid(_ x: Lanes) -> Lanes { 1 / (1 + exp(-x)) }

    /// tanh(x) = sign(x) · (1 − e^(−2|x|)) / (1 + e^(−2|x|)), which never overflows.
    @inline(__always)
    public static func tanh(_ x: Lanes) -> Lanes {
        let negative = x .< 0
        let t = exp(x.replacing(with: -x, where: .!negative) * 2)
        let magnitude = (1 - t) / (1 + t)
        return magnitude.replacing(with: -magnitude, where: negative)
    }

    /// Four floats from `p`, which need not be aligned.
    @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }

    /// Writes `v`'s four lanes to `p` onwards; `p` need not be aligned.
    @inline(__always)
    public static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
    }
}
