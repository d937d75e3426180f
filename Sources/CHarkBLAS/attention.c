// Fused attention for one head (see attention.h). Per block of QB query rows:
//   1. S = Q·Kᵀ for the block (QB × keys floats, ~300 KB: stays in L2), K packed in panels of 64
//      keys so that a microkernel holds rows × 64 scores in registers, as in quantized.c;
//   2. each row: m = max(alpha·s), p = 2^(alpha·log2(e)·s − m), written over its own scores
//      (as bfloat16 on the BF16 path), 1/Σp kept;
//   3. O = P·V, V packed so that a step multiplies a pair of keys into 64 output columns, and
//      scaled by 1/Σp while stored.
#include "CHarkAttention.h"
#include "CHarkQuantized.h"
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define INLINE static inline __attribute__((always_inline))
// Microkernel loops over rows and vectors must be unrolled before scalar replacement, or the
// sums stay in a stack array (zeroed by a memset call) instead of registers.
#define UNROLL _Pragma("clang loop unroll(full)")
#if defined(__x86_64__)
#define T_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16")))
#define T_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#define T_AVX2 __attribute__((target("avx2,fma")))
#endif

enum { QB = 48, KPANEL = 64, HEADER_BYTES = 64, FORMAT_BF16 = 1, FORMAT_F32 = 2, MAGIC = 0x4E544B48 };
static const float LOG2E = 1.44269504088896341f;

typedef struct {
    uint32_t magic, format;
    int64_t keys, dh;
    int64_t tp;        // keys padded to whole panels
    int64_t dk;        // K's inner dimension as stored: head_dim padded to pairs (bf16) or as is
    int64_t dv;        // V's row length as stored: head_dim padded to 16
    int64_t v_offset;  // bytes from the start
} kv_header;

static long round_up(long value, long multiple) { return (value + multiple - 1) / multiple * multiple; }
static void *align64(void *p) { return (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

static int use_bf16(void) {
#if defined(__x86_64__)
    const int f = hark_cpu_features();
    return (f & HARK_CPU_AVX512) && (f & HARK_CPU_AVX512BF16);
#else
    return 0;
#endif
}

const char *hark_attention_path(void) {
#if defined(__x86_64__)
    const int f = hark_cpu_features();
    if (use_bf16()) return "avx512-bf16";
    if (f & HARK_CPU_AVX512) return "avx512";
    if ((f & HARK_CPU_AVX2) && (f & HARK_CPU_FMA)) return "avx2";
#endif
    return "scalar";
}

static kv_header layout(long keys, long dh, int format) {
    kv_header h = {MAGIC, (uint32_t)format, keys, dh, round_up(keys, KPANEL), 0, round_up(dh, 16), 0};
    h.dk = format == FORMAT_BF16 ? round_up(dh, 2) : dh;
    const long k_bytes = format == FORMAT_BF16 ? h.tp * h.dk * 2 : h.tp * h.dk * 4;
    h.v_offset = HEADER_BYTES + round_up(k_bytes, 64);
    return h;
}

static size_t kv_bytes(const kv_header *h) {
    return (size_t)h->v_offset + (size_t)h->tp * h->dv * (h->format == FORMAT_BF16 ? 2 : 4);
}

size_t hark_attention_kv_size(long keys, long head_dim) {
    const kv_header a = layout(keys, head_dim, FORMAT_BF16), b = layout(keys, head_dim, FORMAT_F32);
    const size_t sa = kv_bytes(&a), sb = kv_bytes(&b);
    return sa > sb ? sa : sb;
}

size_t hark_attention_scratch_size(long keys, long head_dim, int include_kv) {
    const long tp = round_up(keys, KPANEL);
    size_t size = 64 + (size_t)QB * tp * 4 + (size_t)QB * round_up(head_dim, 32) * 2 + QB * 4 + 128;
    if (include_kv) size += round_up((long)hark_attention_kv_size(keys, head_dim), 64);
    return size;
}

// ---------------------------------------------------------------------------------------------
// Float32 path, written with vector extensions: the same body becomes AVX-512F, AVX2 or SSE/NEON
// code depending on the target it is inlined into (MR × NV chosen to fit each register file).

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

static void pack_f32(const kv_header *h, const float *k, long ldk, const float *v, long ldv, void *packed) {
    float *kp = (float *)((char *)packed + HEADER_BYTES), *vp = (float *)((char *)packed + h->v_offset);
    memset(kp, 0, (size_t)h->tp * h->dk * 4);
    memset(vp, 0, (size_t)h->tp * h->dv * 4);
    for (long c = 0; c < h->keys; c++) {
        float *panel = kp + (c / KPANEL) * h->dk * KPANEL + c % KPANEL;
        for (long d = 0; d < h->dh; d++) panel[d * KPANEL] = k[c * ldk + d];
        memcpy(vp + c * h->dv, v + c * ldv, h->dh * 4);
    }
}

// 2^y for y ≤ 0: y = n + f with n = round(y), |f| ≤ ½; 2^f by its Taylor polynomial of degree 6
// (relative error < 2e-7), 2^n through the exponent bits. Below -126.5 the result is 0.
// In place through a pointer: a 64-byte vector passed by value trips -Wpsabi without AVX-512.
INLINE void exp2_v16(v16f *x) {
    const v16f y = __builtin_elementwise_max(*x, (v16f){0} - 127.0f);
    const v16f n = (y + 12582912.0f) - 12582912.0f;
    const v16f f = y - n;
    v16f p = (v16f){0} + 1.5403530e-4f;
    p = p * f + 1.3333558e-3f;
    p = p * f + 9.6181291e-3f;
    p = p * f + 5.5504109e-2f;
    p = p * f + 2.4022651e-1f;
    p = p * f + 6.9314718e-1f;
    p = p * f + 1.0f;
    const v16i bits = (__builtin_convertvector(n, v16i) + 127) << 23;
    *x = p * (v16f)bits;
}

INLINE void s_tile_f32(const int mr, const int nv, const float *q, long ldq, const float *kp, long dh, float *s,
                       long ss) {
    v16f acc[6][4] = {0};
    for (long d = 0; d < dh; d++) {
        UNROLL
        for (int j = 0; j < nv; j++) {
            v16f b;
            memcpy(&b, kp + d * KPANEL + 16 * j, 64);
            UNROLL
            for (int r = 0; r < mr; r++) acc[r][j] += q[r * ldq + d] * b;
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int j = 0; j < nv; j++) memcpy(s + r * ss + 16 * j, &acc[r][j], 64);
}

INLINE void pv_tile_f32(const int mr, const int nv, const float *p, long ps, const float *v, long dv, long steps,
                        const float *rowinv, float *o, long ldo, long cols) {
    v16f acc[6][4] = {0};
    for (long t = 0; t < steps; t++) {
        UNROLL
        for (int j = 0; j < nv; j++) {
            v16f b;
            memcpy(&b, v + t * dv + 16 * j, 64);
            UNROLL
            for (int r = 0; r < mr; r++) acc[r][j] += p[r * ps + t] * b;
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int j = 0; j < nv; j++) {
            const v16f out = acc[r][j] * rowinv[r];
            const long left = cols - 16 * j;
            if (left >= 16) memcpy(o + r * ldo + 16 * j, &out, 64);
            else if (left > 0) memcpy(o + r * ldo + 16 * j, &out, left * 4);
        }
}

// Row i of the block: exponentiates its `visible` scores in place, zeroes the rest up to `end`.
INLINE float softmax_row_f32(float *s, long visible, long end, float c) {
    v16f mv = (v16f){0} - 3.4e38f;
    long j = 0;
    for (; j + 16 <= visible; j += 16) {
        v16f x;
        memcpy(&x, s + j, 64);
        mv = __builtin_elementwise_max(mv, x);
    }
    float m = -3.4e38f;
    for (int l = 0; l < 16; l++) m = mv[l] > m ? mv[l] : m;
    for (; j < visible; j++) m = s[j] > m ? s[j] : m;
    m *= c;
    v16f sum = (v16f){0};
    for (j = 0; j < end; j += 16) {
        v16f x;
        if (j + 16 <= visible) {
            memcpy(&x, s + j, 64);
            x = x * c - m;
            exp2_v16(&x);
        } else {
            float lanes[16];
            for (int l = 0; l < 16; l++) lanes[l] = j + l < visible ? s[j + l] * c - m : -200.0f;
            memcpy(&x, lanes, 64);
            exp2_v16(&x);
        }
        sum += x;
        memcpy(s + j, &x, 64);
    }
    float total = 0;
    for (int l = 0; l < 16; l++) total += sum[l];
    return 1.0f / total;
}

static long visible_keys(long keys, long causal, long row) {
    if (causal < 0) return keys;
    const long v = causal + row + 1;
    return v < keys ? v : keys;
}

// MR rows × NV·16 columns per microkernel; `mr`/`nv` take their few values as constants.
#define F32_ROWS(MR, mr, CALL)                                                 \
    switch (mr) {                                                              \
    case 6: { const int R = MR >= 6 ? 6 : 1; CALL; } break;                    \
    case 5: { const int R = MR >= 5 ? 5 : 1; CALL; } break;                    \
    case 4: { const int R = MR >= 4 ? 4 : 1; CALL; } break;                    \
    case 3: { const int R = MR >= 3 ? 3 : 1; CALL; } break;                    \
    case 2: { const int R = MR >= 2 ? 2 : 1; CALL; } break;                    \
    default: { const int R = 1; CALL; } break;                                 \
    }

INLINE void attention_f32(const int MR, const int NV, const float *q, long ldq, long rows, const void *packed,
                          float alpha, long causal, float *o, long ldo, void *scratch) {
    kv_header h;
    memcpy(&h, packed, sizeof h);
    const float *kp = (const float *)((const char *)packed + HEADER_BYTES);
    const float *vp = (const float *)((const char *)packed + h.v_offset);
    float *s = align64(scratch), *rowinv = s + QB * h.tp;
    const float c = alpha * LOG2E;
    for (long q0 = 0; q0 < rows; q0 += QB) {
        const long bq = rows - q0 < QB ? rows - q0 : QB;
        const long seen = visible_keys(h.keys, causal, q0 + bq - 1);  // most keys any row sees
        for (long panel = 0; panel * KPANEL < seen; panel++)
            for (int sub = 0; sub < KPANEL; sub += 16 * NV)
                for (long r0 = 0; r0 < bq; r0 += MR) {
                    const int mr = bq - r0 < MR ? (int)(bq - r0) : MR;
                    F32_ROWS(MR, mr, s_tile_f32(R, NV, q + (q0 + r0) * ldq, ldq, kp + panel * h.dk * KPANEL + sub,
                                                h.dh, s + r0 * h.tp + panel * KPANEL + sub, h.tp))
                }
        const long end = round_up(seen, 16);
        for (long r = 0; r < bq; r++)
            rowinv[r] = softmax_row_f32(s + r * h.tp, visible_keys(h.keys, causal, q0 + r), end, c);
        for (long c0 = 0; c0 < h.dh; c0 += 16 * NV) {
            const long cols = h.dh - c0 < 16 * NV ? h.dh - c0 : 16 * NV;
            const int nv = (int)((cols + 15) / 16);
            for (long r0 = 0; r0 < bq; r0 += MR) {
                const int mr = bq - r0 < MR ? (int)(bq - r0) : MR;
                const float *p = s + r0 * h.tp;
                float *out = o + (q0 + r0) * ldo + c0;
                if (nv == NV) {
                    F32_ROWS(MR, mr, pv_tile_f32(R, NV, p, h.tp, vp + c0, h.dv, seen, rowinv + r0, out, ldo, cols))
                } else if (nv == 3) {
                    F32_ROWS(MR, mr, pv_tile_f32(R, 3, p, h.tp, vp + c0, h.dv, seen, rowinv + r0, out, ldo, cols))
                } else if (nv == 2) {
                    F32_ROWS(MR, mr, pv_tile_f32(R, 2, p, h.tp, vp + c0, h.dv, seen, rowinv + r0, out, ldo, cols))
                } else {
                    F32_ROWS(MR, mr, pv_tile_f32(R, 1, p, h.tp, vp + c0, h.dv, seen, rowinv + r0, out, ldo, cols))
                }
            }
        }
    }
}

static void attention_f32_scalar(const float *q, long ldq, long rows, const void *packed, float alpha, long causal,
                                 float *o, long ldo, void *scratch) {
    attention_f32(2, 1, q, ldq, rows, packed, alpha, causal, o, ldo, scratch);
}

#if defined(__x86_64__)
static T_AVX2 void attention_f32_avx2(const float *q, long ldq, long rows, const void *packed, float alpha,
                                      long causal, float *o, long ldo, void *scratch) {
    attention_f32(4, 1, q, ldq, rows, packed, alpha, causal, o, ldo, scratch);
}

static T_AVX512 void attention_f32_avx512(const float *q, long ldq, long rows, const void *packed, float alpha,
                                          long causal, float *o, long ldo, void *scratch) {
    attention_f32(6, 4, q, ldq, rows, packed, alpha, causal, o, ldo, scratch);
}

// ---------------------------------------------------------------------------------------------
// AVX-512 BF16 path.

INLINE int32_t load_i32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }

INLINE T_AVX512BF16 __mmask16 lanes_below(long left) {
    return left >= 16 ? (__mmask16)0xFFFF : (left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1));
}

// 32 floats (the first `left` of them; zeros after) as 32 bfloat16, rounded to nearest even.
INLINE T_AVX512BF16 __m512i bf16_32(const float *x, long left) {
    const __m512 lo = _mm512_maskz_loadu_ps(lanes_below(left), x);
    const __m512 hi = _mm512_maskz_loadu_ps(lanes_below(left - 16), x + 16);
    return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
}

// K: panel p, pair d2, key c at 32-bit word (p·dk/2 + d2)·64 + c — a key's row converted to
// bfloat16 is already its run of pairs, written down a panel column. V: keys 2t and 2t+1
// interleaved column by column, so one 32-bit broadcast of two probabilities meets a row.
static T_AVX512BF16 void pack_bf16(const kv_header *h, const float *k, long ldk, const float *v, long ldv,
                                   void *packed) {
    uint32_t *kp = (uint32_t *)((char *)packed + HEADER_BYTES);
    uint16_t *vp = (uint16_t *)((char *)packed + h->v_offset);
    memset(kp, 0, (size_t)h->tp * h->dk * 2);
    memset(vp, 0, (size_t)h->tp * h->dv * 2);
    const long pairs = h->dk / 2;
    for (long c = 0; c < h->keys; c++) {
        uint32_t *column = kp + (c / KPANEL) * pairs * KPANEL + c % KPANEL;
        for (long d = 0; d < h->dh; d += 32) {
            uint32_t words[16];
            _mm512_storeu_si512(words, bf16_32(k + c * ldk + d, h->dh - d));
            for (long i = 0; i < 16 && d / 2 + i < pairs; i++) column[(d / 2 + i) * KPANEL] = words[i];
        }
    }
    const __m512i even = _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9, 40, 8, 39, 7, 38,
                                          6, 37, 5, 36, 4, 35, 3, 34, 2, 33, 1, 32, 0);
    const __m512i odd = _mm512_add_epi16(even, _mm512_set1_epi16(16));
    for (long t = 0; t < h->keys; t += 2) {
        const float *r0 = v + t * ldv, *r1 = r0 + ldv;
        uint16_t *out = vp + t * h->dv;
        for (long d = 0; d < h->dh; d += 32) {
            const __m512i a = bf16_32(r0 + d, h->dh - d);
            const __m512i b = t + 1 < h->keys ? bf16_32(r1 + d, h->dh - d) : _mm512_setzero_si512();
            _mm512_storeu_si512(out + 2 * d, _mm512_permutex2var_epi16(a, even, b));
            if (d + 16 < h->dv) _mm512_storeu_si512(out + 2 * d + 32, _mm512_permutex2var_epi16(a, odd, b));
        }
    }
}

// 6 query rows × 64 keys: 24 zmm sums, one vdpbf16ps per (row, 16 keys, pair of dimensions).
INLINE T_AVX512BF16 void s_tile_bf16(const int mr, const uint16_t *q, long qs, const uint8_t *kp, long steps,
                                     float *s, long ss) {
    __m512 acc[6][4] = {0};
    for (long d = 0; d < steps; d++, kp += 256) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(kp), b1 = (__m512bh)_mm512_loadu_si512(kp + 64);
        const __m512bh b2 = (__m512bh)_mm512_loadu_si512(kp + 128), b3 = (__m512bh)_mm512_loadu_si512(kp + 192);
        UNROLL
        for (int r = 0; r < mr; r++) {
            const __m512bh a = (__m512bh)_mm512_set1_epi32(load_i32(q + r * qs + 2 * d));
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, b1);
            acc[r][2] = _mm512_dpbf16_ps(acc[r][2], a, b2);
            acc[r][3] = _mm512_dpbf16_ps(acc[r][3], a, b3);
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int j = 0; j < 4; j++) _mm512_storeu_ps(s + r * ss + 16 * j, acc[r][j]);
}

// 6 query rows × 16·nv output columns over `steps` pairs of keys; P rows `ps` bfloat16 apart.
INLINE T_AVX512BF16 void pv_tile_bf16(const int mr, const int nv, const uint16_t *p, long ps, const uint16_t *v,
                                      long dv, long steps, const float *rowinv, float *o, long ldo, long cols) {
    __m512 acc[6][4] = {0};
    for (long t = 0; t < steps; t++, v += 2 * dv) {
        __m512bh b[4];
        UNROLL
        for (int j = 0; j < nv; j++) b[j] = (__m512bh)_mm512_loadu_si512(v + 32 * j);
        UNROLL
        for (int r = 0; r < mr; r++) {
            const __m512bh a = (__m512bh)_mm512_set1_epi32(load_i32(p + r * ps + 2 * t));
            UNROLL
            for (int j = 0; j < nv; j++) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], a, b[j]);
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++) {
        const __m512 inv = _mm512_set1_ps(rowinv[r]);
        UNROLL
        for (int j = 0; j < nv; j++)
            _mm512_mask_storeu_ps(o + r * ldo + 16 * j, lanes_below(cols - 16 * j), _mm512_mul_ps(acc[r][j], inv));
    }
}

// 2^y (y ≤ 0) as exp2_v16 but to degree 4 (relative error < 5e-5, far below the bfloat16
// rounding that follows), with vscalefps applying 2^n; a very negative y gives 0.
INLINE T_AVX512BF16 __m512 exp2_512(__m512 y) {
    const __m512 n = _mm512_roundscale_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 f = _mm512_sub_ps(y, n);
    __m512 p = _mm512_set1_ps(9.6181291e-3f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504109e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022651e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

// Scores of one row to bfloat16 probabilities over the row's own first half; zeros from
// `visible` to `end` (a multiple of 32). Returns 1/Σp. Full chunks go unmasked; the maximum runs
// in four independent chains (one would wait on vmaxps latency every 16 scores).
INLINE T_AVX512BF16 float softmax_row_bf16(float *s, long visible, long end, float c) {
    __m512 m0 = _mm512_set1_ps(-3.4e38f), m1 = m0, m2 = m0, m3 = m0;
    long j = 0;
    for (; j + 64 <= visible; j += 64) {
        m0 = _mm512_max_ps(m0, _mm512_loadu_ps(s + j));
        m1 = _mm512_max_ps(m1, _mm512_loadu_ps(s + j + 16));
        m2 = _mm512_max_ps(m2, _mm512_loadu_ps(s + j + 32));
        m3 = _mm512_max_ps(m3, _mm512_loadu_ps(s + j + 48));
    }
    for (; j < visible; j += 16) m0 = _mm512_max_ps(m0, _mm512_mask_loadu_ps(m0, lanes_below(visible - j), s + j));
    const float top = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
    const __m512 m = _mm512_set1_ps(top * c), cv = _mm512_set1_ps(c);
    __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
    uint16_t *p = (uint16_t *)s;
    // Each store writes bytes [2j, 2j + 64) of the row, all of them already read.
    for (j = 0; j + 32 <= visible; j += 32) {
        const __m512 e0 = exp2_512(_mm512_fmsub_ps(_mm512_loadu_ps(s + j), cv, m));
        const __m512 e1 = exp2_512(_mm512_fmsub_ps(_mm512_loadu_ps(s + j + 16), cv, m));
        sum0 = _mm512_add_ps(sum0, e0);
        sum1 = _mm512_add_ps(sum1, e1);
        _mm512_storeu_si512(p + j, (__m512i)_mm512_cvtne2ps_pbh(e1, e0));
    }
    for (; j < end; j += 32) {
        const __mmask16 k0 = lanes_below(visible - j), k1 = lanes_below(visible - j - 16);
        __m512 e0 = _mm512_setzero_ps(), e1 = _mm512_setzero_ps();
        if (k0) e0 = _mm512_maskz_mov_ps(k0, exp2_512(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(k0, s + j), cv, m)));
        if (k1) e1 = _mm512_maskz_mov_ps(k1, exp2_512(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(k1, s + j + 16), cv, m)));
        sum0 = _mm512_add_ps(sum0, e0);
        sum1 = _mm512_add_ps(sum1, e1);
        _mm512_storeu_si512(p + j, (__m512i)_mm512_cvtne2ps_pbh(e1, e0));
    }
    return 1.0f / _mm512_reduce_add_ps(_mm512_add_ps(sum0, sum1));
}

#define BF16_ROWS(mr, CALL)                                 \
    switch (mr) {                                           \
    case 6: { const int R = 6; CALL; } break;               \
    case 5: { const int R = 5; CALL; } break;               \
    case 4: { const int R = 4; CALL; } break;               \
    case 3: { const int R = 3; CALL; } break;               \
    case 2: { const int R = 2; CALL; } break;               \
    default: { const int R = 1; CALL; } break;              \
    }

static T_AVX512BF16 void attention_bf16(const float *q, long ldq, long rows, const void *packed, float alpha,
                                        long causal, float *o, long ldo, void *scratch) {
    kv_header h;
    memcpy(&h, packed, sizeof h);
    const uint8_t *kp = (const uint8_t *)packed + HEADER_BYTES;
    const uint16_t *vp = (const uint16_t *)((const char *)packed + h.v_offset);
    const long dq = round_up(h.dk, 32), pairs = h.dk / 2;
    float *s = align64(scratch), *rowinv = s + QB * h.tp;
    uint16_t *qb = align64(rowinv + QB);
    const float c = alpha * LOG2E;
    for (long q0 = 0; q0 < rows; q0 += QB) {
        const long bq = rows - q0 < QB ? rows - q0 : QB;
        const long seen = visible_keys(h.keys, causal, q0 + bq - 1);
        for (long r = 0; r < bq; r++)
            for (long d = 0; d < dq; d += 32) _mm512_storeu_si512(qb + r * dq + d, bf16_32(q + (q0 + r) * ldq + d, h.dh - d));
        for (long panel = 0; panel * KPANEL < seen; panel++)
            for (long r0 = 0; r0 < bq; r0 += 6) {
                const int mr = bq - r0 < 6 ? (int)(bq - r0) : 6;
                BF16_ROWS(mr, s_tile_bf16(R, qb + r0 * dq, dq, kp + panel * pairs * 256, pairs,
                                          s + r0 * h.tp + panel * KPANEL, h.tp))
            }
        const long end = round_up(seen, 32);
        for (long r = 0; r < bq; r++)
            rowinv[r] = softmax_row_bf16(s + r * h.tp, visible_keys(h.keys, causal, q0 + r), end, c);
        const long steps = (seen + 1) / 2;
        for (long c0 = 0; c0 < h.dh; c0 += 64) {
            const long cols = h.dh - c0 < 64 ? h.dh - c0 : 64;
            const int nv = (int)((cols + 15) / 16);
            for (long r0 = 0; r0 < bq; r0 += 6) {
                const int mr = bq - r0 < 6 ? (int)(bq - r0) : 6;
                const uint16_t *p = (const uint16_t *)(s + r0 * h.tp);
                float *out = o + (q0 + r0) * ldo + c0;
                const long ps = 2 * h.tp;
                if (nv == 4) {
                    BF16_ROWS(mr, pv_tile_bf16(R, 4, p, ps, vp + 2 * c0, h.dv, steps, rowinv + r0, out, ldo, cols))
                } else if (nv == 3) {
                    BF16_ROWS(mr, pv_tile_bf16(R, 3, p, ps, vp + 2 * c0, h.dv, steps, rowinv + r0, out, ldo, cols))
                } else if (nv == 2) {
                    BF16_ROWS(mr, pv_tile_bf16(R, 2, p, ps, vp + 2 * c0, h.dv, steps, rowinv + r0, out, ldo, cols))
                } else {
                    BF16_ROWS(mr, pv_tile_bf16(R, 1, p, ps, vp + 2 * c0, h.dv, steps, rowinv + r0, out, ldo, cols))
                }
            }
        }
    }
}
#endif

// ---------------------------------------------------------------------------------------------

void hark_attention_pack_kv(const float *k, long ldk, const float *v, long ldv, long keys, long head_dim,
                            void *packed) {
    const kv_header h = layout(keys, head_dim, use_bf16() ? FORMAT_BF16 : FORMAT_F32);
    memcpy(packed, &h, sizeof h);
#if defined(__x86_64__)
    if (h.format == FORMAT_BF16) {
        pack_bf16(&h, k, ldk, v, ldv, packed);
        return;
    }
#endif
    pack_f32(&h, k, ldk, v, ldv, packed);
}

// A bfloat16 K/V was packed on a CPU with AVX-512 BF16, so that path is available here whatever
// the level cap says now; a float32 one follows the current features.
void hark_attention_packed(const float *q, long ldq, long rows, const void *packed, float alpha, long causal,
                           float *o, long ldo, void *scratch) {
    kv_header h;
    memcpy(&h, packed, sizeof h);
    if (rows <= 0 || h.keys <= 0) return;
#if defined(__x86_64__)
    if (h.format == FORMAT_BF16) {
        attention_bf16(q, ldq, rows, packed, alpha, causal, o, ldo, scratch);
        return;
    }
    const int f = hark_cpu_features();
    if (f & HARK_CPU_AVX512) {
        attention_f32_avx512(q, ldq, rows, packed, alpha, causal, o, ldo, scratch);
        return;
    }
    if ((f & HARK_CPU_AVX2) && (f & HARK_CPU_FMA)) {
        attention_f32_avx2(q, ldq, rows, packed, alpha, causal, o, ldo, scratch);
        return;
    }
#endif
    attention_f32_scalar(q, ldq, rows, packed, alpha, causal, o, ldo, scratch);
}

void hark_attention(const float *q, long ldq, long rows, const float *k, long ldk, const float *v, long ldv,
                    long keys, long head_dim, float alpha, long causal, float *o, long ldo, void *scratch) {
    void *packed = align64(scratch);
    hark_attention_pack_kv(k, ldk, v, ldv, keys, head_dim, packed);
    void *rest = (char *)packed + round_up((long)hark_attention_kv_size(keys, head_dim), 64);
    hark_attention_packed(q, ldq, rows, packed, alpha, causal, o, ldo, rest);
}
