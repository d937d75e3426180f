import CHarkBLAS

/// Scaled dot-product attention for one head, fused (CHarkBLAS/attention.c): a block of query
/// rows at a time has its scores computed, exponentiated and multiplied by V while in cache, so
/// the rows × keys score matrix never exists whole. bfloat16 products with float32 sums on CPUs
/// with AVX512-BF16, float32 elsewhere.
///
/// Thread rules: calls on different heads or query rows run at once, each with its own scratch.
public enum Attention {
    /// Scratch one call over `keys` keys needs; `packing` when `attend` packs K and V itself.
    public static func scratchBytes(keys: Int, headSize: Int, packing: Bool) -> Int {
        hark_attention_scratch_size(keys, headSize, packing ? 1 : 0)
    }

    /// o = softmax(alpha · q · kᵀ) · v for `rows` query rows against `keys` keys (each matrix's
    /// rows its stride apart). `causal` ≥ 0 lets row i see keys 0 ... causal + i only.
    public static func attend(_ q: UnsafePointer<Float>, ldq: Int, rows: Int, keys k: UnsafePointer<Float>, ldk: Int,
                              values v: UnsafePointer<Float>, ldv: Int, count keys: Int, headSize: Int, alpha: Float,
                              causal: Int? = nil, into o: UnsafeMutablePointer<Float>, ldo: Int,
                              scratch: UnsafeMutableRawPointer) {
        hark_attention(q, ldq, rows, k, ldk, v, ldv, keys, headSize, alpha, causal ?? -1, o, ldo, scratch)
    }

    /// Which implementation runs on this CPU ("avx512-bf16", "avx512", "avx2", "scalar").
    public static var implementation: String { String(cString: hark_attention_path()) }
}

/// Every head's packed keys and values of one layer, attended by all heads at once.
public struct PackedHeads: Sendable {
    /// Each head's packed keys and values, in head order.
    public let heads: [PackedKeysValues]
    private let pointers: [PackedKeysValues.Pointer]

    /// All heads must share one `headSize`: `attend` takes it from the first.
    public init(_ heads: [PackedKeysValues]) {
        self.heads = heads
        pointers = heads.map { PackedKeysValues.Pointer(raw: $0.storage) }
    }

    /// o (rows × heads·headSize, `ldo` apart) for `rows` queries (`ldq` apart), heads split over
    /// `scratch.count` threads of the kernels' pool (nothing allocated: a decoding step).
    public func attend(_ q: UnsafePointer<Float>, ldq: Int, rows: Int, alpha: Float, into o: UnsafeMutablePointer<Float>,
                       ldo: Int, scratch: ThreadScratch) {
        let headSize = heads.first?.headSize ?? 0
        pointers.withUnsafeBufferPointer { kv in
            kv.withMemoryRebound(to: UnsafeRawPointer?.self) { kv in
                scratch.pointers.withUnsafeBufferPointer { s in
                    hark_attention_heads(kv.baseAddress!, kv.count, headSize, q, ldq, rows, alpha, o, ldo,
                                         min(scratch.count, kv.count), s.baseAddress!)
                }
            }
        }
    }
}

/// One head's keys and values packed once (the encoder's, which every decoding step attends to).
/// Immutable once packed: shared by threads.
// @unchecked: it owns a C buffer written only in `init`.
public final class PackedKeysValues: @unchecked Sendable {
    /// Keys (and values) packed: the positions a query attends to.
    public let count: Int
    /// Floats per key and per value: one head's width.
    public let headSize: Int
    let storage: UnsafeMutableRawPointer

    /// The packed memory's address, as `PackedHeads` hands it to C.
    // @unchecked: an address of memory that is immutable once packed and kept alive by `heads`.
    struct Pointer: @unchecked Sendable { let raw: UnsafeRawPointer? }

    /// Copies `count` keys and values (rows `ldk` and `ldv` floats apart, `headSize` wide) into
    /// packed memory of its own; `k` and `v` may be freed afterwards.
    public init(keys k: UnsafePointer<Float>, ldk: Int, values v: UnsafePointer<Float>, ldv: Int, count: Int, headSize: Int) {
        self.count = count
        self.headSize = headSize
        storage = .allocate(byteCount: hark_attention_kv_size(count, headSize), alignment: 64)
        hark_attention_pack_kv(k, ldk, v, ldv, count, headSize, storage)
    }

    deinit { storage.deallocate() }

    /// Scratch one `attend` needs.
    public var scratchBytes: Int { hark_attention_scratch_size(count, headSize, 0) }

    /// o = softmax(alpha · q · kᵀ) · v for `rows` query rows.
    public func attend(_ q: UnsafePointer<Float>, ldq: Int, rows: Int, alpha: Float, into o: UnsafeMutablePointer<Float>,
                       ldo: Int, scratch: UnsafeMutableRawPointer) {
        hark_attention_packed(q, ldq, rows, storage, alpha, -1, o, ldo, scratch)
    }
}
