import CHarkBLAS

/// A weight matrix (`rows` outputs × `columns` inputs) packed once for the int8 or bfloat16
/// kernels of CHarkBLAS (quantized.c): panels of 64 outputs that register-blocked microkernels
/// read front to back, with VNNI or AVX512-BF16 where the CPU has them and AVX2 or portable C
/// elsewhere (same results on every path).
///
/// Thread rules: immutable once packed, so any number of threads may multiply with it at once,
/// each with its own scratch and its own rows (or outputs) of the result.
// @unchecked: it owns a C buffer that is written only in `init` and freed with it.
public final class PackedMatrix: @unchecked Sendable {
    /// How the weights are stored and multiplied.
    public enum Format: Sendable {
        /// int8 weights with a scale per row; activations quantized per row as they come, int32 sums.
        case int8
        /// bfloat16 weights and activations, float32 sums.
        case bfloat16
    }

    /// The storage chosen when packing.
    public let format: Format
    /// Outputs: rows of W, one value of y each.
    public let rows: Int
    /// Inputs: weights per row, the length of each row of x.
    public let columns: Int
    private let buffer: ScratchBuffer
    private var storage: UnsafeMutableRawPointer { buffer.pointer }

    /// int8 weights as CTranslate2 stores them: q = round(w · scale), one scale per row.
    public init(int8 weights: UnsafePointer<Int8>, scales: UnsafePointer<Float>, rows: Int, columns: Int) {
        format = .int8
        self.rows = rows
        self.columns = columns
        buffer = ScratchBuffer(byteCount: hark_int8_packed_size(rows, columns), hugePages: true)
        hark_int8_pack(weights, scales, rows, columns, buffer.pointer)
    }

    /// Float weights quantized to int8 row by row (scale 127 / max |row|, as CTranslate2 does).
    public convenience init(quantizing weights: UnsafePointer<Float>, rows: Int, columns: Int) {
        let q = UnsafeMutablePointer<Int8>.allocate(capacity: rows * columns)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        defer { q.deallocate(); scales.deallocate() }
        hark_quantize_rows(weights, rows, columns, q, scales)
        self.init(int8: q, scales: scales, rows: rows, columns: columns)
    }

    /// Float weights rounded to bfloat16 (to nearest even).
    public init(bfloat16 weights: UnsafePointer<Float>, rows: Int, columns: Int) {
        format = .bfloat16
        self.rows = rows
        self.columns = columns
        buffer = ScratchBuffer(byteCount: hark_bf16_packed_size(rows, columns), hugePages: true)
        hark_bf16_pack(weights, columns, rows, columns, buffer.pointer)
    }

    /// A float16 matrix (a model's weights as stored, any alignment) packed as `format` (int8:
    /// quantized row by row as `init(quantizing:)`), widened a row at a time on up to `threads`
    /// threads. Nil when a value is NaN or infinite.
    public init?(half: UnsafeRawPointer, rows: Int, columns: Int, as format: Format, threads: Int) {
        self.format = format
        self.rows = rows
        self.columns = columns
        let bytes = format == .int8 ? hark_int8_packed_size(rows, columns) : hark_bf16_packed_size(rows, columns)
        buffer = ScratchBuffer(byteCount: bytes, hugePages: true)
        guard hark_pack_half(half, rows, columns, format == .int8 ? 1 : 0, buffer.pointer, threads) == 0 else { return nil }
    }

    /// Memory held, in bytes.
    public var byteCount: Int {
        format == .int8 ? hark_int8_packed_size(rows, columns) : hark_bf16_packed_size(rows, columns)
    }

    /// Scratch one `multiply` of up to `count` input rows needs (bounded: rows go in chunks).
    public func scratchBytes(rows count: Int) -> Int {
        format == .int8 ? hark_int8_scratch_size(count, columns) : hark_bf16_scratch_size(count, columns)
    }

    /// y = x · Wᵀ + bias (or y += … when `accumulate`) for `count` rows of x (`ldx` apart), into y
    /// (`ldy` apart); only outputs `outputs` when given (decoding splits a few rows' products
    /// over threads by outputs; multiples of 64 waste no work). `scratch` holds
    /// `scratchBytes(rows: count)` bytes, 64-byte aligned, used by this call alone.
    public func multiply(_ x: UnsafePointer<Float>, ldx: Int, rows count: Int, bias: UnsafePointer<Float>?,
                         into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool = false,
                         outputs: Range<Int>? = nil, scratch: UnsafeMutableRawPointer) {
        let add: Int32 = accumulate ? 1 : 0
        switch (format, outputs) {
        case (.int8, nil): hark_int8_linear(x, ldx, count, storage, bias, y, ldy, add, scratch)
        case (.int8, let range?):
            hark_int8_linear_columns(x, ldx, count, storage, bias, y, ldy, add, range.lowerBound, range.upperBound, scratch)
        case (.bfloat16, nil): hark_bf16_linear(x, ldx, count, storage, bias, y, ldy, add, scratch)
        case (.bfloat16, let range?):
            hark_bf16_linear_columns(x, ldx, count, storage, bias, y, ldy, add, range.lowerBound, range.upperBound, scratch)
        }
    }

    /// As `multiply`, the outputs split in whole panels over `scratch.count` threads of the
    /// kernels' own pool (nothing allocated: decoding's output projection).
    public func multiply(_ x: UnsafePointer<Float>, ldx: Int, rows count: Int, bias: UnsafePointer<Float>?,
                         into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool = false, split scratch: ThreadScratch) {
        scratch.pointers.withUnsafeBufferPointer { pointers in
            hark_packed_linear_split(storage, format == .int8 ? 1 : 0, rows, x, ldx, count, bias, y, ldy, accumulate ? 1 : 0,
                                     pointers.count, pointers.baseAddress!)
        }
    }

    /// Row `index` (its `columns` weights) as float into `out`.
    public func row(_ index: Int, into out: UnsafeMutablePointer<Float>) {
        hark_packed_row(storage, index, out)
    }

    /// Which implementation runs on this CPU ("avx512-vnni", "avx512-bf16", "avx2", "scalar", …).
    public static func implementation(_ format: Format) -> String {
        String(cString: format == .int8 ? hark_int8_path() : hark_bf16_path())
    }

    /// Whether this CPU multiplies `format` faster than float32 (it has the instructions for it).
    /// Whether int8 products run in SIMD at all here (VNNI, or AVX2's 16-bit multiply-adds).
    public static var hasSIMDInt8: Bool {
        Int(hark_cpu_features()) & (HARK_CPU_AVX2 | HARK_CPU_AVX512VNNI | HARK_CPU_AVXVNNI) != 0
    }

    /// Whether this CPU has the instructions that make `format` faster than float32: VNNI for
    /// int8, AVX512-BF16 for bfloat16.
    public static func isAccelerated(_ format: Format) -> Bool {
        let features = Int(hark_cpu_features())
        switch format {
        case .int8: return features & (HARK_CPU_AVX512VNNI | HARK_CPU_AVXVNNI) != 0
        case .bfloat16: return features & HARK_CPU_AVX512BF16 != 0
        }
    }
}

/// One scratch buffer per thread of a split, and their addresses as the C kernels take them.
// @unchecked: the buffers are C memory; each thread of a split uses its own, never shared.
public final class ThreadScratch: @unchecked Sendable {
    /// One buffer per thread, at least one.
    public let buffers: [ScratchBuffer]
    let pointers: [UnsafeMutableRawPointer?]

    /// `threads` buffers (at least one) of `byteCount` bytes each, 64-byte aligned.
    public init(threads: Int, byteCount: Int) {
        buffers = (0..<max(1, threads)).map { _ in ScratchBuffer(byteCount: byteCount) }
        pointers = buffers.map(\.pointer)
    }

    /// The number of buffers: how many threads a split may use.
    public var count: Int { buffers.count }
    /// Bytes in each buffer.
    public var byteCount: Int { buffers[0].byteCount }
}

/// Aligned scratch memory for one thread's kernel calls, reused from call to call.
// @unchecked: a C buffer; each thread uses its own instance, never shared while in use.
public final class ScratchBuffer: @unchecked Sendable {
    /// The memory, 64-byte aligned.
    public let pointer: UnsafeMutableRawPointer
    /// Bytes usable at `pointer` (at least 64).
    public let byteCount: Int

    private let mapped: Bool

    /// `hugePages`: for buffers written whole (packed weights, a window's activations), on
    /// transparent huge pages where the system has them (CHarkBLAS memory.c): fewer page faults
    /// and TLB misses. Not for buffers only partly touched (caches): all of a 2 MB page is resident.
    public init(byteCount: Int, hugePages: Bool = false) {
        self.byteCount = max(64, byteCount)
        if hugePages, let pointer = hark_huge_alloc(self.byteCount) {
            self.pointer = pointer
            mapped = true
        } else {
            pointer = .allocate(byteCount: self.byteCount, alignment: 64)
            mapped = false
        }
    }

    deinit { mapped ? hark_huge_free(pointer, byteCount) : pointer.deallocate() }

    /// The memory as floats.
    public var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }

    /// A buffer of at least `bytes` for `body`, allocated for this call alone.
    public static func with<R>(bytes: Int, _ body: (UnsafeMutableRawPointer) -> R) -> R {
        let buffer = ScratchBuffer(byteCount: bytes)
        return withExtendedLifetime(buffer) { body(buffer.pointer) }
    }
}
