#ifndef CHARKKERNELS_H
#define CHARKKERNELS_H
#include <stddef.h>

// Element-wise kernels for the models, in C so that the compiler can build AVX-512, AVX2 and
// baseline versions and pick one at load time (target_clones); Swift's SIMD types only get the
// x86-64 baseline (SSE) without a CPU-specific build, which would then crash on older CPUs.

/// One part of a parallel region: `part` of `parts`, with the caller's context.
typedef void (*hark_part_fn)(void *context, long part);
/// Runs fn(context, 0 ..< parts) on the calling thread and helper threads started once (see
/// parallel.c), returning when all parts are done. Allocates nothing after the first call.
void hark_parallel(long parts, hark_part_fn fn, void *context);
/// Y = X · Wᵀ + bias (or Y += …) for m rows, W packed (int8 when is_int8, else bfloat16, n outputs),
/// the outputs split in whole panels over `parts` threads, each with its scratch[part].
void hark_packed_linear_split(const void *packed, int is_int8, long n, const float *x, long ldx, long m,
                              const float *bias, float *y, long ldy, int accumulate, long parts,
                              void *const *scratch);
/// Attention of `rows` queries to every head's packed keys and values (packed_kv[h]), heads split
/// over `parts` threads, each with its scratch[part]; head h reads q + h·head_dim, writes o + h·head_dim.
void hark_attention_heads(const void *const *packed_kv, long heads, long head_dim, const float *q, long ldq,
                          long rows, float alpha, float *o, long ldo, long parts, void *const *scratch);

/// Softmax of each of `rows` rows of `columns` values, in place.
void hark_softmax_rows(float *x, long rows, long columns);
/// log Σ exp(x[i]) over the values above -inf (NaN left out), in double; -inf when there are none.
double hark_log_sum_exp(const float *x, long count);
/// Exact (erf) GELU, in place.
void hark_gelu(float *x, long count);
/// LayerNorm of each of `rows` rows of width d (eps 1e-5), scaled by gamma and shifted by beta.
void hark_layer_norm(const float *x, long rows, long d, const float *gamma, const float *beta, float *y);
/// Adds `bias` (columns values) to each row.
void hark_add_rows(float *y, const float *bias, long rows, long columns);
/// IEEE half-precision values (unaligned is fine) to float.
void hark_half_to_float(const void *half, float *out, long count);
/// Float to IEEE half; returns 1 when every value was exactly representable, else 0.
int hark_float_to_half_exact(const float *in, void *half, long count);
/// y = W · x (+ beta · y), W being `rows` × `columns` half-precision values, row-major.
void hark_gemv_half(const void *weights, long rows, long columns, const float *x, float beta, float *y);
/// y[b][r] = W[r] · x[b] (+ beta · y[b][r]) for `batch` input rows x (batch × columns); y rows `ldy` apart.
void hark_gemm_half(const void *weights, long rows, long columns, const float *x, long batch,
                    float beta, float *y, long ldy);

/// `bytes` of zeroed memory, 2 MB aligned and advised for transparent huge pages (see memory.c);
/// NULL when `bytes` is under 2 MB, the system has no such pages, or mapping fails: the caller
/// then allocates as usual. Free with `hark_huge_free` and the same `bytes`.
void *hark_huge_alloc(size_t bytes);
void hark_huge_free(void *pointer, size_t bytes);
#endif
