#ifndef HARK_ATTENTION_H
#define HARK_ATTENTION_H
#include <stddef.h>

// Scaled dot-product attention for one head: O = softmax(alpha · Q · Kᵀ) · V, Q rows × head_dim,
// K and V keys × head_dim, all float32 with their own row strides (slices of a T × 3d matrix).
// Fused: a block of query rows at a time has its scores computed, exponentiated and multiplied
// by V while in cache; the rows × keys score matrix never exists whole. On CPUs with AVX-512
// BF16 both products take bfloat16 operands (Q, K, V, and the probabilities) with float32 sums;
// elsewhere they run in float32 (AVX-512F, AVX2+FMA or portable C). Any head_dim; multiples of
// 16 waste nothing.
//
// Threads: split query rows (or heads) between calls, each with its own scratch; a packed K/V
// buffer may be shared read-only. `causal` < 0: every row sees every key. causal ≥ 0: row i of
// this call sees keys 0 ... causal + i (so a thread starting at row r0 of a prompt whose first
// row sits at position p passes p + r0). alpha > 0 (1/√head_dim).

/// "avx512-bf16", "avx512", "avx2" or "scalar" (the last three in float32).
const char *hark_attention_path(void);

/// Bytes of a packed K/V for `keys` keys (same for every instruction set).
size_t hark_attention_kv_size(long keys, long head_dim);
/// Packs K and V once (e.g. the encoder output's cross-attention K/V, reused for every decoding
/// step) into `packed`: bfloat16 panels on AVX-512 BF16 CPUs, float32 otherwise (NOTES.md).
void hark_attention_pack_kv(const float *k, long ldk, const float *v, long ldv, long keys, long head_dim,
                            void *packed);
/// Scratch bytes for a call over `keys` keys; include_kv ≠ 0 for `hark_attention`, which packs
/// K/V into its scratch first. Independent of the number of query rows.
size_t hark_attention_scratch_size(long keys, long head_dim, int include_kv);
/// O (rows × head_dim, stride ldo) for `rows` query rows against a packed K/V.
void hark_attention_packed(const float *q, long ldq, long rows, const void *packed_kv, float alpha, long causal,
                           float *o, long ldo, void *scratch);
/// Packs K/V into scratch and runs `hark_attention_packed`: one head, self-attention.
void hark_attention(const float *q, long ldq, long rows, const float *k, long ldk, const float *v, long ldv,
                    long keys, long head_dim, float alpha, long causal, float *o, long ldo, void *scratch);
#endif
