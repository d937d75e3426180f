#ifndef HARK_QUANTIZED_H
#define HARK_QUANTIZED_H
#include <stddef.h>
#include <stdint.h>

// Linear layers Y = X · Wᵀ + bias with int8 or bfloat16 weights, for Whisper's products.
// X is M × K float32 (rows `ldx` floats apart), W is N × K (N output features), Y is M × N float32
// (rows `ldy` floats apart). Weights are packed once into a caller buffer; each call quantizes or
// converts its rows of X into caller scratch, so nothing allocates and no call shares mutable
// state: threads may run calls at once on disjoint rows (or columns) of Y with their own scratch
// and the same packed weights. Buffers should be 64-byte aligned (any alignment works, slower).
//
// The instruction set is chosen at the first call from the CPU (AVX-512 VNNI/BF16, AVX-VNNI,
// AVX2, portable C). HARK_KERNELS=scalar|avx2|avxvnni|avx512f|avx512 in the environment (or
// hark_kernels_limit) restricts it to what that class of CPU would use, e.g. for tests:
//   avx2     AVX2 + FMA (Haswell, Zen 2/3);
//   avxvnni  AVX2 + 256-bit VNNI (Alder Lake; an AVX-512 VNNI CPU runs the EVEX form instead);
//   avx512f  AVX-512 without VNNI and BF16 (Skylake-X);
//   avx512   everything the CPU has (the default).

/// CPU classes, for `hark_kernels_limit`.
enum {
    HARK_LEVEL_SCALAR = 0, HARK_LEVEL_AVX2 = 1, HARK_LEVEL_AVXVNNI = 2, HARK_LEVEL_AVX512F = 3,
    HARK_LEVEL_AVX512 = 4,
};

/// Restricts the calling thread's later calls to a CPU class (tests and benchmarks); returns the
/// previous one. Other threads are not affected. The packed layouts do not depend on it.
int hark_kernels_limit(int level);
/// Names of the implementations the next call would use: "avx512-vnni", "avx-vnni",
/// "avx512-vnni-256", "avx2", "scalar"; "avx512-bf16", "avx512", "avx2", "scalar".
const char *hark_int8_path(void);
const char *hark_bf16_path(void);

// ---- int8 (CTranslate2's int8: per-row weight scales, per-row activation scales) ----

/// Quantizes each of the N rows of w (N × K, row-major): scale = 127 / max|row| (1 for a zero
/// row), q = round(w · scale), so w ≈ q / scale. `q` is N × K, `scales` N floats.
void hark_quantize_rows(const float *w, long n, long k, int8_t *q, float *scales);

/// Bytes needed by `hark_int8_pack` for an N × K weight.
size_t hark_int8_packed_size(long n, long k);
/// Packs q (N × K int8, row-major) and its row scales (w ≈ q / scale) for `hark_int8_linear`:
/// panels of 64 output columns, k in groups of 4 (see NOTES.md), plus per-column sums and 1/scale.
void hark_int8_pack(const int8_t *q, const float *scales, long n, long k, void *packed);

/// Scratch bytes one call on up to `m` rows needs (bounded: rows are quantized in chunks).
size_t hark_int8_scratch_size(long m, long k);
/// Y[0..m) = X · Wᵀ + bias (accumulate = 0) or Y += X · Wᵀ + bias (accumulate ≠ 0), with each
/// row of X quantized to int8 (scale 127 / max|row|, round to nearest even), exact int32 sums,
/// then scaled by 1 / (x_scale · w_scale). `bias` may be NULL.
void hark_int8_linear(const float *x, long ldx, long m, const void *packed, const float *bias,
                      float *y, long ldy, int accumulate, void *scratch);
/// As `hark_int8_linear` but writes only columns [n_begin, n_end) of Y (y still points at
/// column 0): splits small-M products (decoding) over threads by columns. Multiples of 64 waste
/// no work.
void hark_int8_linear_columns(const float *x, long ldx, long m, const void *packed,
                              const float *bias, float *y, long ldy, int accumulate,
                              long n_begin, long n_end, void *scratch);

// ---- bfloat16 ----

/// Float to bfloat16, rounding to nearest even (subnormals flush to zero, like vcvtne2ps2bf16).
uint16_t hark_float_to_bf16(float value);

/// Bytes needed by `hark_bf16_pack` for an N × K weight.
size_t hark_bf16_packed_size(long n, long k);
/// Packs w (N × K float32, rows `ldw` floats apart) as bfloat16: panels of 64 columns, k in pairs.
void hark_bf16_pack(const float *w, long ldw, long n, long k, void *packed);
/// Scratch bytes one call on up to `m` rows needs.
size_t hark_bf16_scratch_size(long m, long k);
/// Y = X · Wᵀ + bias (or Y += ...), X rounded to bfloat16, products summed in float32.
void hark_bf16_linear(const float *x, long ldx, long m, const void *packed, const float *bias,
                      float *y, long ldy, int accumulate, void *scratch);
/// Column-range form, as `hark_int8_linear_columns`.
void hark_bf16_linear_columns(const float *x, long ldx, long m, const void *packed,
                              const float *bias, float *y, long ldy, int accumulate,
                              long n_begin, long n_end, void *scratch);

/// Packs an N × K matrix of IEEE float16 values (row-major; any alignment) as int8 (quantized as
/// `hark_quantize_rows` does) or as bfloat16 into `packed` (`hark_int8_packed_size` or
/// `hark_bf16_packed_size` bytes), split over `parts` threads of the kernels' pool. Returns how
/// many values were NaN or infinite (a model that has any is corrupt).
long hark_pack_half(const void *half, long n, long k, int as_int8, void *packed, long parts);

/// Row `n` of a packed int8 or bfloat16 matrix (its K weights) as float into `out`: for int8
/// q / scale, for bfloat16 the stored values.
void hark_packed_row(const void *packed, long n, float *out);

// Internal, shared with attention.c: CPU features (HARK_CPU_* bits) already capped by the limit.
enum {
    HARK_CPU_AVX2 = 1, HARK_CPU_FMA = 2, HARK_CPU_AVX512 = 4, HARK_CPU_AVX512VNNI = 8,
    HARK_CPU_AVX512BF16 = 16, HARK_CPU_AVXVNNI = 32,
};
int hark_cpu_features(void);
#endif
