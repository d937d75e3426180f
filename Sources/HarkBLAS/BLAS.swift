import CHarkBLAS
import HarkCore

/// Single-precision matrix products through OpenBLAS, loaded on first use (see CHarkBLAS for
/// why it is loaded at run time). All matrices are row-major.
public enum BLAS {
    /// Loads the library; throws a `HarkError` that says how to install it when it is missing.
    public static func load() throws(HarkError) {
        if let message = loadError { throw HarkError(.internalFailure, message) }
    }

    private static let loadError: String? = {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = buffer.withUnsafeMutableBufferPointer { hark_blas_load($0.baseAddress, $0.count) }
        return status == 0 ? nil : String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// The kernels OpenBLAS runs ("SkylakeX", "Haswell", ...), for benchmarks and diagnostics.
    public static var coreName: String { String(cString: hark_blas_core_name()) }

    /// C = alpha · op(A) · op(B) + beta · C. Call `load()` first.
    @inline(__always)
    public static func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        hark_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
                   a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = alpha · op(A) · x + beta · y, A being m × n. Call `load()` first.
    @inline(__always)
    public static func gemv(transpose: Bool = false, m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>) {
        hark_sgemv(transpose ? 1 : 0, Int32(m), Int32(n), alpha, a, Int32(lda), x, beta, y)
    }
}
