import CHarkBLAS

/// A row-major weight matrix kept as IEEE float16. Decoding reads every decoder weight once per
/// token, so its products are bound by memory bandwidth; the model file's own float16 values are
/// half the bytes of their float32 widening and give the same products.
struct HalfMatrix: Sendable {
    private let storage: [UInt16]

    /// IEEE float16 bit patterns, row-major.
    init(bits: [UInt16]) {
        storage = bits
    }

    /// Nil unless every value is a float16 value (models stored as float32 or int8 stay float32).
    init?(exactly values: [Float]) {
        var storage = [UInt16](repeating: 0, count: values.count)
        let exact = values.withUnsafeBufferPointer { v in
            storage.withUnsafeMutableBytes { hark_float_to_half_exact(v.baseAddress!, $0.baseAddress!, v.count) }
        }
        guard exact == 1 else { return nil }
        self.storage = storage
    }

    /// Row `index` (of `columns` values) widened to float32 into `out`.
    func row(_ index: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        storage.withUnsafeBufferPointer { hark_half_to_float($0.baseAddress! + index * columns, out, columns) }
    }

    /// Rows `first ..< first + rows` against each of `batch` inputs (batch × columns); output row b
    /// starts at `y + b * ldy`.
    func multiply(rows first: Int, count rows: Int, columns: Int, batch x: UnsafePointer<Float>, count batch: Int,
                  beta: Float = 0, into y: UnsafeMutablePointer<Float>, ldy: Int) {
        storage.withUnsafeBufferPointer { w in
            let w = w.baseAddress! + first * columns
            // One input (greedy decoding) streams four weight rows at once instead.
            if batch == 1 {
                hark_gemv_half(w, rows, columns, x, beta, y)
            } else {
                hark_gemm_half(w, rows, columns, x, batch, beta, y, ldy)
            }
        }
    }
}
