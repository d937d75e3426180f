// int8 and bfloat16 linear layers (see quantized.h). One packed layout serves every instruction
// set: panels of 64 output columns, each a run of 256-byte steps, a step holding for each of the
// 64 columns 4 bytes of consecutive k (4 int8 weights, or 2 bfloat16). A microkernel keeps a
// block of rows × columns of sums in registers and reads the panel front to back, so weights
// stream sequentially and each loaded vector serves several rows.
#include "CHarkQuantized.h"
#include "CHarkKernels.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define INLINE static inline __attribute__((always_inline))
// Microkernel loops over rows and vectors must be unrolled before scalar replacement, or the
// sums stay in a stack array (zeroed by a memset call) instead of registers.
#define UNROLL _Pragma("clang loop unroll(full)")
#if defined(__x86_64__)
#define T_AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))
#define T_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16")))
#define T_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#define T_AVXVNNI __attribute__((target("avx2,fma,avxvnni")))
#define T_AVX2 __attribute__((target("avx2,fma")))
#endif

enum { PANEL = 64, STEP_BYTES = 256, HEADER_BYTES = 64 };

static long round_up(long value, long multiple) { return (value + multiple - 1) / multiple * multiple; }
static void *align64(void *p) { return (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

// ---------------------------------------------------------------------------------------------
// CPU features, detected once. Racing first calls compute the same value, so a relaxed atomic
// store is all the synchronisation needed.

static _Atomic int detected = -1;
static _Atomic int level_cap = -1;          // from HARK_KERNELS, for the whole process
static _Thread_local int thread_cap = -1;   // hark_kernels_limit's, for its thread alone

static int detect(void) {
    int f = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) f |= HARK_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) f |= HARK_CPU_FMA;
    if ((f & HARK_CPU_AVX2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
        f |= HARK_CPU_AVX512;
        if (__builtin_cpu_supports("avx512vnni")) f |= HARK_CPU_AVX512VNNI;
        if (__builtin_cpu_supports("avx512bf16")) f |= HARK_CPU_AVX512BF16;
    }
    if ((f & HARK_CPU_AVX2) && __builtin_cpu_supports("avxvnni")) f |= HARK_CPU_AVXVNNI;
#endif
    return f;
}

static int read_cap(void) {
    if (thread_cap >= 0) return thread_cap;
    int cap = atomic_load_explicit(&level_cap, memory_order_relaxed);
    if (cap >= 0) return cap;
    static const char *names[] = {"scalar", "avx2", "avxvnni", "avx512f", "avx512"};
    const char *name = getenv("HARK_KERNELS");
    cap = HARK_LEVEL_AVX512;
    for (int i = 0; name != NULL && i < 5; i++)
        if (strcmp(name, names[i]) == 0) cap = i;
    atomic_store_explicit(&level_cap, cap, memory_order_relaxed);
    return cap;
}

// Per thread: a test that tries every level must not slow every other thread's products to
// portable C meanwhile (it did: parallel tests timed out while another suite tested the levels).
int hark_kernels_limit(int level) {
    int previous = read_cap();
    thread_cap = level;
    return previous;
}

// The detected features, less those the CPU class in effect lacks. At the AVX-VNNI class a CPU
// with AVX-512 VNNI keeps that bit: the 256-bit kernel then uses the EVEX form of vpdpbusd
// (which is also how that kernel gets tested on AVX-512 machines).
int hark_cpu_features(void) {
    int f = atomic_load_explicit(&detected, memory_order_relaxed);
    if (f < 0) {
        f = detect();
        atomic_store_explicit(&detected, f, memory_order_relaxed);
    }
    switch (read_cap()) {
    case HARK_LEVEL_AVX512: return f;
    case HARK_LEVEL_AVX512F: return f & ~(HARK_CPU_AVX512VNNI | HARK_CPU_AVX512BF16 | HARK_CPU_AVXVNNI);
    case HARK_LEVEL_AVXVNNI: return f & ~(HARK_CPU_AVX512 | HARK_CPU_AVX512BF16);
    case HARK_LEVEL_AVX2: return f & (HARK_CPU_AVX2 | HARK_CPU_FMA);
    default: return 0;
    }
}

// ---------------------------------------------------------------------------------------------
// Conversions shared by every path.

static uint32_t float_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float bits_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

// Round to nearest even on the upper 16 bits; subnormals become zero as with vcvtne2ps2bf16, so
// that every path rounds activations identically. NaN stays NaN (quiet).
INLINE uint32_t bf16_round_bits(uint32_t u) {
    if ((u & 0x7F800000u) == 0) return u & 0x80000000u;
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (u | 0x00400000u) & 0xFFFF0000u;
    return (u + 0x7FFFu + ((u >> 16) & 1)) & 0xFFFF0000u;
}

uint16_t hark_float_to_bf16(float value) { return (uint16_t)(bf16_round_bits(float_bits(value)) >> 16); }

// Largest |value| of a row, in 16 lanes so that the compiler vectorises it (no -ffast-math).
INLINE float max_abs(const float *row, long k) {
    float lanes[16] = {0};
    const long whole = k - k % 16;
    for (long i = 0; i < whole; i += 16)
        UNROLL
        for (int j = 0; j < 16; j++) {
            const float a = row[i + j] < 0 ? -row[i + j] : row[i + j];
            lanes[j] = a > lanes[j] ? a : lanes[j];
        }
    float m = 0;
    UNROLL
    for (int j = 0; j < 16; j++) m = lanes[j] > m ? lanes[j] : m;
    for (long i = whole; i < k; i++) {
        const float a = row[i] < 0 ? -row[i] : row[i];
        m = a > m ? a : m;
    }
    return m;
}

// round(v) to nearest even for |v| < 2^22 by the 1.5·2^23 trick: plain float arithmetic, so the
// vectorised and scalar builds agree bit for bit whatever the rounding-mode register says.
INLINE int round_even(float v) {
    const float r = v + 12582912.0f;
    return (int)(r - 12582912.0f);
}

enum { XF_U8, XF_I16, XF_I8 };

// Quantizes `rows` rows of x, each filling `kfill` ≥ k entries (q = 0 past k) of a row `xs` bytes
// long: XF_U8 is q + 128 for vpdpbusd's unsigned operand, XF_I16 q widened for vpmaddwd, XF_I8 q.
// Stores 1/scale per row in xinv. (The padding's weights are zero, so its value only has to be
// defined, not zero.)
INLINE void quantize_block(const int format, const float *x, long ldx, long rows, long k, long kfill,
                           void *out, long xs, float *xinv) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * ldx;
        const float amax = max_abs(row, k);
        const float scale = amax > 0 ? 127.0f / amax : 1.0f;
        xinv[r] = 1.0f / scale;
        char *o = (char *)out + r * xs;
        for (long i = 0; i < k; i++) {
            const float v = row[i] * scale;
            int q = round_even(v);
            q = q > 127 ? 127 : (q < -127 ? -127 : q);
            if (format == XF_U8) ((uint8_t *)o)[i] = (uint8_t)(q + 128);
            else if (format == XF_I16) ((int16_t *)o)[i] = (int16_t)q;
            else ((int8_t *)o)[i] = (int8_t)q;
        }
        for (long i = k; i < kfill; i++) {
            if (format == XF_U8) ((uint8_t *)o)[i] = 128;
            else if (format == XF_I16) ((int16_t *)o)[i] = 0;
            else ((int8_t *)o)[i] = 0;
        }
    }
}

// Rounds x to bfloat16 values kept as float (the fallback paths multiply in float).
INLINE void bf16_round_block(const float *x, long ldx, long rows, long k, long kfill, void *out,
                             long xs, float *unused) {
    (void)unused;
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * ldx;
        float *o = (float *)((char *)out + r * xs);
        for (long i = 0; i < k; i++) o[i] = bits_float(bf16_round_bits(float_bits(row[i])));
        for (long i = k; i < kfill; i++) o[i] = 0.0f;
    }
}

// ---------------------------------------------------------------------------------------------
// Packing.

typedef struct {
    uint32_t magic, kind;
    int64_t n, k, kp, np;     // kp: K padded to whole steps; np: N padded to whole panels
    int64_t comp_offset;      // int8: int32 128·Σk q[n][k] per column (vpdpbusd's +128 shift)
    int64_t winv_offset;      // int8: float 1/scale per column
} pack_header;

enum { MAGIC_INT8 = 0x38494B48, MAGIC_BF16 = 0x46424B48 };  // "HKI8", "HKBF"

void hark_quantize_rows(const float *w, long n, long k, int8_t *q, float *scales) {
    for (long r = 0; r < n; r++) {
        const float amax = max_abs(w + r * k, k);
        const float scale = amax > 0 ? 127.0f / amax : 1.0f;
        scales[r] = scale;
        for (long i = 0; i < k; i++) {
            int v = round_even(w[r * k + i] * scale);
            q[r * k + i] = (int8_t)(v > 127 ? 127 : (v < -127 ? -127 : v));
        }
    }
}

size_t hark_int8_packed_size(long n, long k) {
    const long np = round_up(n, PANEL), kp = round_up(k, 4);
    return HEADER_BYTES + (size_t)np * kp + (size_t)np * 8;
}

static pack_header int8_header(long n, long k) {
    const long np = round_up(n, PANEL), kp = round_up(k, 4);
    pack_header h = {MAGIC_INT8, 0, n, k, kp, np, HEADER_BYTES + np * kp, HEADER_BYTES + np * kp + np * 4};
    return h;
}

// Column c of the panels: row c of q (k values) and its scale.
static void int8_put_row(const pack_header *h, void *packed, long c, const int8_t *q, float scale) {
    int8_t *panel = (int8_t *)packed + HEADER_BYTES + (c / PANEL) * PANEL * h->kp;
    int32_t sum = 0;
    for (long i = 0; i < h->k; i++) {
        panel[(i / 4) * STEP_BYTES + (c % PANEL) * 4 + i % 4] = q[i];
        sum += q[i];
    }
    ((int32_t *)((char *)packed + h->comp_offset))[c] = 128 * sum;
    ((float *)((char *)packed + h->winv_offset))[c] = 1.0f / scale;
}

void hark_int8_pack(const int8_t *q, const float *scales, long n, long k, void *packed) {
    const pack_header h = int8_header(n, k);
    memset(packed, 0, hark_int8_packed_size(n, k));
    memcpy(packed, &h, sizeof h);
    for (long c = 0; c < n; c++) int8_put_row(&h, packed, c, q + c * k, scales[c]);
}

size_t hark_bf16_packed_size(long n, long k) {
    return HEADER_BYTES + (size_t)round_up(n, PANEL) * round_up(k, 2) * 2;
}

static pack_header bf16_header(long n, long k) {
    pack_header h = {MAGIC_BF16, 0, n, k, round_up(k, 2), round_up(n, PANEL), 0, 0};
    return h;
}

static void bf16_put_row(const pack_header *h, void *packed, long c, const float *w) {
    uint16_t *panel = (uint16_t *)((char *)packed + HEADER_BYTES) + (c / PANEL) * PANEL * h->kp;
    for (long i = 0; i < h->k; i++) panel[(i / 2) * (STEP_BYTES / 2) + (c % PANEL) * 2 + i % 2] = hark_float_to_bf16(w[i]);
}

void hark_bf16_pack(const float *w, long ldw, long n, long k, void *packed) {
    const pack_header h = bf16_header(n, k);
    memset(packed, 0, hark_bf16_packed_size(n, k));
    memcpy(packed, &h, sizeof h);
    for (long c = 0; c < n; c++) bf16_put_row(&h, packed, c, w + c * ldw);
}

// ---- packing straight from a model's float16 values, on the pool's threads ----
// A float16 model's weights go into panels row by row, widened one row at a time: no float copy
// of the whole matrix (80 MB for the token embeddings of tiny.en) and half the load on each of
// two threads. Each part owns whole panels, so it zeroes and writes memory no other part touches.

typedef struct {
    const uint16_t *half;
    void *packed;
    pack_header h;
    int as_int8;
    long parts;
    _Atomic long non_finite;
} half_pack;

// A panel at a time: its 64 rows widened, checked and converted (or quantized) into a row-major
// block, then written out as the panel's steps of 64 words — sequential stores, where writing a
// row straight into its panel column strides 256 bytes per word (half of the load's time).
static void half_pack_part(void *context, long part) {
    half_pack *job = context;
    const pack_header *h = &job->h;
    const long panels = h->np / PANEL, first = panels * part / job->parts, end = panels * (part + 1) / job->parts;
    const long k = h->k, row_bytes = job->as_int8 ? h->kp : 2 * h->kp, words = row_bytes / 4;
    float *row = malloc((size_t)k * 4);
    uint8_t *block = malloc((size_t)PANEL * row_bytes);
    int32_t *comp = (int32_t *)((char *)job->packed + h->comp_offset);
    float *winv = (float *)((char *)job->packed + h->winv_offset);
    long bad = 0;
    for (long panel = first; panel < end; panel++) {
        memset(block, 0, (size_t)PANEL * row_bytes);
        for (long r = 0; r < PANEL; r++) {
            const long c = panel * PANEL + r;
            if (c >= h->n) {
                if (job->as_int8) comp[c] = 0, winv[c] = 0;
                continue;
            }
            hark_half_to_float(job->half + c * k, row, k);
            for (long i = 0; i < k; i++) bad += !(row[i] - row[i] == 0.0f);   // NaN or infinite
            if (job->as_int8) {
                int8_t *q = (int8_t *)block + r * row_bytes;
                float scale;
                hark_quantize_rows(row, 1, k, q, &scale);
                int32_t sum = 0;
                for (long i = 0; i < k; i++) sum += q[i];
                comp[c] = 128 * sum;
                winv[c] = 1.0f / scale;
            } else {
                uint16_t *out = (uint16_t *)(block + r * row_bytes);
                for (long i = 0; i < k; i++) out[i] = (uint16_t)(bf16_round_bits(float_bits(row[i])) >> 16);
            }
        }
        uint32_t *dst = (uint32_t *)((char *)job->packed + HEADER_BYTES + panel * PANEL * row_bytes);
        for (long w = 0; w < words; w++)
            for (long r = 0; r < PANEL; r++) memcpy(dst + w * PANEL + r, block + r * row_bytes + 4 * w, 4);
    }
    free(row);
    free(block);
    atomic_fetch_add(&job->non_finite, bad);
}

long hark_pack_half(const void *half, long n, long k, int as_int8, void *packed, long parts) {
    half_pack job = {half, packed, as_int8 ? int8_header(n, k) : bf16_header(n, k), as_int8, 0, 0};
    const long panels = job.h.np / PANEL;
    job.parts = parts < 1 ? 1 : (parts > panels ? panels : parts);
    memset(packed, 0, HEADER_BYTES);
    memcpy(packed, &job.h, sizeof job.h);
    hark_parallel(job.parts, half_pack_part, &job);
    return atomic_load(&job.non_finite);
}

// A packed matrix's row (column n of the panels) back as float: the token embeddings are the
// output projection's weights, and a decoding step looks one token's row up.
void hark_packed_row(const void *packed, long n, float *out) {
    pack_header h;
    memcpy(&h, packed, sizeof h);
    const long panel = n / PANEL, c = n % PANEL;
    if (h.magic == MAGIC_INT8) {
        const int8_t *p = (const int8_t *)packed + HEADER_BYTES + panel * PANEL * h.kp;
        float winv;
        memcpy(&winv, (const char *)packed + h.winv_offset + n * 4, 4);
        for (long i = 0; i < h.k; i++) out[i] = (float)p[(i / 4) * STEP_BYTES + c * 4 + i % 4] * winv;
    } else {
        const uint16_t *p = (const uint16_t *)((const char *)packed + HEADER_BYTES) + panel * PANEL * h.kp;
        for (long i = 0; i < h.k; i++) out[i] = bits_float((uint32_t)p[(i / 2) * (STEP_BYTES / 2) + c * 2 + i % 2] << 16);
    }
}

// ---------------------------------------------------------------------------------------------
// Microkernels. Each computes `mr` rows × `cols` columns over the whole of K and stores through
// a tile_out: sums (minus comp for the u8 paths) · xinv[row] · winv[col] + bias[col] (+ y).

typedef struct {
    const float *xinv;    // per row (int8)
    const int32_t *comp;  // per column (int8, unsigned-activation paths)
    const float *winv;    // per column (int8)
    const float *bias;    // per column, never NULL (zeros)
    float *y;             // row 0, column 0 of the tile
    long ldy;
    int accumulate;
    uint64_t mask;        // bit c set: column c of the tile is stored
} tile_out;

typedef void (*tile_fn)(int mr, const void *x, long xs, const void *b, long steps, const tile_out *o);
typedef void (*prepare_fn)(const float *x, long ldx, long rows, long k, long kfill, void *out, long xs,
                           float *xinv);

// Columns of a partly stored vector of `lanes` floats, through a bounce buffer.
INLINE void store_partial(float *y, const float *v, uint32_t mask, int lanes, int accumulate) {
    for (int c = 0; c < lanes; c++)
        if (mask >> c & 1) y[c] = accumulate ? y[c] + v[c] : v[c];
}

// Portable: one row at a time. Sums are kept per (column, k mod 4), i.e. in the layout of a
// step, so that the inner loop runs over 256 contiguous bytes and vectorises (SSE2, NEON);
// the four partial sums of each column are added at the end.
static void tile_int8_scalar(int mr, const void *xv, long xs, const void *bv, long steps, const tile_out *o) {
    for (int r = 0; r < mr; r++) {
        const int8_t *x = (const int8_t *)xv + r * xs;
        int32_t acc[STEP_BYTES] = {0};
        const int8_t *b = (const int8_t *)bv;
        for (long s = 0; s < steps; s++, b += STEP_BYTES) {
            int16_t pattern[16];
            for (int i = 0; i < 16; i++) pattern[i] = x[4 * s + i % 4];
            for (int i = 0; i < STEP_BYTES; i += 16)
                for (int j = 0; j < 16; j++) acc[i + j] += (int32_t)(int16_t)(pattern[j] * b[i + j]);
        }
        for (int c = 0; c < PANEL; c++) {
            if (!(o->mask >> c & 1)) continue;
            const int32_t sum = acc[4 * c] + acc[4 * c + 1] + acc[4 * c + 2] + acc[4 * c + 3];
            const float v = (float)sum * (o->xinv[r] * o->winv[c]) + o->bias[c];
            float *out = o->y + r * o->ldy + c;
            *out = o->accumulate ? *out + v : v;
        }
    }
}

static void prepare_int8_scalar(const float *x, long ldx, long rows, long k, long kfill, void *out, long xs,
                                float *xinv) {
    quantize_block(XF_I8, x, ldx, rows, k, kfill, out, xs, xinv);
}

// Portable bfloat16: weights widened to float by shifting (a bfloat16 is a float's upper half).
// Vector extensions rather than intrinsics, so the one body becomes AVX-512F, AVX2 or SSE/NEON
// code depending on the target it is inlined into.
typedef float v16f __attribute__((vector_size(64)));
typedef uint32_t v16u __attribute__((vector_size(64)));

INLINE void tile_bf16_generic(const int mr, const int nv, const float *x, long xs, const uint16_t *b,
                              long steps, const tile_out *o) {
    v16f acc[6][4] = {0};
    const long xf = xs / 4;
    for (long s = 0; s < steps; s++, b += STEP_BYTES / 2) {
        UNROLL
        for (int j = 0; j < nv; j++) {
            v16u u;
            memcpy(&u, b + 32 * j, 64);
            const v16f w0 = (v16f)(u << 16), w1 = (v16f)(u & 0xFFFF0000u);
            UNROLL
            for (int r = 0; r < mr; r++) {
                acc[r][j] += x[r * xf + 2 * s] * w0;
                acc[r][j] += x[r * xf + 2 * s + 1] * w1;
            }
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++) {
        float *yr = o->y + r * o->ldy;
        UNROLL
        for (int j = 0; j < nv; j++) {
            v16f bias;
            memcpy(&bias, o->bias + 16 * j, 64);
            v16f v = acc[r][j] + bias;
            const uint32_t m = (uint32_t)(o->mask >> (16 * j)) & 0xFFFF;
            if (m == 0xFFFF) {
                if (o->accumulate) {
                    v16f old;
                    memcpy(&old, yr + 16 * j, 64);
                    v += old;
                }
                memcpy(yr + 16 * j, &v, 64);
            } else if (m != 0) {
                float lanes[16];
                memcpy(lanes, &v, 64);
                store_partial(yr + 16 * j, lanes, m, 16, o->accumulate);
            }
        }
    }
}

static void tile_bf16_scalar(int mr, const void *x, long xs, const void *b, long steps, const tile_out *o) {
    for (int r = 0; r < mr; r++) {
        tile_out row = *o;
        row.y = o->y + r * o->ldy;
        tile_bf16_generic(1, 1, (const float *)x + r * (xs / 4), xs, b, steps, &row);
    }
}

static void prepare_bf16_float(const float *x, long ldx, long rows, long k, long kfill, void *out, long xs,
                               float *xinv) {
    bf16_round_block(x, ldx, rows, k, kfill, out, xs, xinv);
}

#if defined(__x86_64__)

INLINE int32_t load_i32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }
INLINE int64_t load_i64(const void *p) { int64_t v; memcpy(&v, p, 8); return v; }

// AVX-512 VNNI: 6 rows × 64 columns = 24 zmm sums; per step 4 weight loads and 6 broadcasts
// feed 24 vpdpbusd, each 64 multiply-adds of u8 activations (q + 128) by s8 weights.
INLINE T_AVX512VNNI void tile_vnni512_body(const int mr, const uint8_t *x, long xs, const int8_t *b, long steps,
                                           const tile_out *o) {
    __m512i acc[6][4] = {0};
    for (long s = 0; s < steps; s++, b += STEP_BYTES) {
        const __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64);
        const __m512i b2 = _mm512_loadu_si512(b + 128), b3 = _mm512_loadu_si512(b + 192);
        UNROLL
        for (int r = 0; r < mr; r++) {
            const __m512i a = _mm512_set1_epi32(load_i32(x + r * xs + 4 * s));
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], a, b0);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], a, b1);
            acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], a, b2);
            acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], a, b3);
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++) {
        const __m512 xi = _mm512_set1_ps(o->xinv[r]);
        float *yr = o->y + r * o->ldy;
        UNROLL
        for (int j = 0; j < 4; j++) {
            const __mmask16 m = (__mmask16)(o->mask >> (16 * j));
            const __m512i sum = _mm512_sub_epi32(acc[r][j], _mm512_loadu_si512(o->comp + 16 * j));
            const __m512 scale = _mm512_mul_ps(xi, _mm512_loadu_ps(o->winv + 16 * j));
            __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, _mm512_loadu_ps(o->bias + 16 * j));
            if (o->accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, yr + 16 * j));
            _mm512_mask_storeu_ps(yr + 16 * j, m, v);
        }
    }
}

static T_AVX512VNNI void tile_vnni512(int mr, const void *x, long xs, const void *b, long steps,
                                      const tile_out *o) {
    switch (mr) {
    case 6: tile_vnni512_body(6, x, xs, b, steps, o); break;
    case 5: tile_vnni512_body(5, x, xs, b, steps, o); break;
    case 4: tile_vnni512_body(4, x, xs, b, steps, o); break;
    case 3: tile_vnni512_body(3, x, xs, b, steps, o); break;
    case 2: tile_vnni512_body(2, x, xs, b, steps, o); break;
    default: tile_vnni512_body(1, x, xs, b, steps, o); break;
    }
}

// quantize_block(XF_U8, ...) spelled out: max in four chains, embedded round-to-nearest-even
// (the same result as round_even, whatever MXCSR says), vpmovdb to bytes.
static T_AVX512VNNI void prepare_u8_avx512(const float *x, long ldx, long rows, long k, long kfill, void *out,
                                           long xs, float *xinv) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * ldx;
        __m512 m0 = _mm512_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
        long i = 0;
        for (; i + 64 <= k; i += 64) {
            m0 = _mm512_max_ps(m0, _mm512_abs_ps(_mm512_loadu_ps(row + i)));
            m1 = _mm512_max_ps(m1, _mm512_abs_ps(_mm512_loadu_ps(row + i + 16)));
            m2 = _mm512_max_ps(m2, _mm512_abs_ps(_mm512_loadu_ps(row + i + 32)));
            m3 = _mm512_max_ps(m3, _mm512_abs_ps(_mm512_loadu_ps(row + i + 48)));
        }
        for (; i < k; i += 16) {
            const __mmask16 m = k - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - i)) - 1);
            m0 = _mm512_max_ps(m0, _mm512_abs_ps(_mm512_maskz_loadu_ps(m, row + i)));
        }
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
        const float scale = amax > 0 ? 127.0f / amax : 1.0f;
        xinv[r] = 1.0f / scale;
        const __m512 sv = _mm512_set1_ps(scale);
        const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127), shift = _mm512_set1_epi32(128);
        uint8_t *o = (uint8_t *)out + r * xs;
        for (i = 0; i < k; i += 16) {
            const __mmask16 m = k - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - i)) - 1);
            const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + i), sv);
            __m512i q = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            q = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(q, lo), hi), shift);
            _mm_mask_storeu_epi8(o + i, m, _mm512_cvtepi32_epi8(q));
        }
        memset(o + k, 128, (size_t)(kfill - k));
    }
}

// 256-bit VNNI: 3 rows × 32 columns (12 ymm sums, which fit AVX2's 16 registers). Written once
// as a macro for its two encodings: VEX (AVX-VNNI, Intel client CPUs) and EVEX (AVX-512 VNNI
// CPUs capped at the AVX-VNNI level).
INLINE void epilogue_ymm(__m256i sum, __m256 xi, const tile_out *o, int col, float *y, uint32_t m)
    __attribute__((target("avx2,fma")));
INLINE void epilogue_ymm(__m256i sum, __m256 xi, const tile_out *o, int col, float *y, uint32_t m) {
    if (m == 0) return;
    const __m256 scale = _mm256_mul_ps(xi, _mm256_loadu_ps(o->winv + col));
    __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), scale, _mm256_loadu_ps(o->bias + col));
    if (m == 0xFF) {
        if (o->accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(y + col));
        _mm256_storeu_ps(y + col, v);
    } else {
        float lanes[8];
        _mm256_storeu_ps(lanes, v);
        store_partial(y + col, lanes, m, 8, o->accumulate);
    }
}

#define DEFINE_VNNI256(NAME, TARGET, DPBUSD)                                                          \
    INLINE TARGET void NAME##_body(const int mr, const uint8_t *x, long xs, const int8_t *b, long steps, \
                                   const tile_out *o) {                                               \
        __m256i acc[3][4] = {0};                                                                      \
        for (long s = 0; s < steps; s++, b += STEP_BYTES) {                                           \
            const __m256i b0 = _mm256_loadu_si256((const __m256i *)b);                                \
            const __m256i b1 = _mm256_loadu_si256((const __m256i *)(b + 32));                         \
            const __m256i b2 = _mm256_loadu_si256((const __m256i *)(b + 64));                         \
            const __m256i b3 = _mm256_loadu_si256((const __m256i *)(b + 96));                         \
            UNROLL for (int r = 0; r < mr; r++) {                                                     \
                const __m256i a = _mm256_set1_epi32(load_i32(x + r * xs + 4 * s));                    \
                acc[r][0] = DPBUSD(acc[r][0], a, b0);                                                 \
                acc[r][1] = DPBUSD(acc[r][1], a, b1);                                                 \
                acc[r][2] = DPBUSD(acc[r][2], a, b2);                                                 \
                acc[r][3] = DPBUSD(acc[r][3], a, b3);                                                 \
            }                                                                                         \
        }                                                                                             \
        UNROLL for (int r = 0; r < mr; r++) {                                                         \
            const __m256 xi = _mm256_set1_ps(o->xinv[r]);                                             \
            UNROLL for (int j = 0; j < 4; j++) {                                                      \
                const __m256i sum = _mm256_sub_epi32(acc[r][j], _mm256_loadu_si256((const __m256i *)(o->comp + 8 * j))); \
                epilogue_ymm(sum, xi, o, 8 * j, o->y + r * o->ldy, (uint32_t)(o->mask >> (8 * j)) & 0xFF); \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
    static TARGET void NAME(int mr, const void *x, long xs, const void *b, long steps, const tile_out *o) { \
        switch (mr) {                                                                                 \
        case 3: NAME##_body(3, x, xs, b, steps, o); break;                                            \
        case 2: NAME##_body(2, x, xs, b, steps, o); break;                                            \
        default: NAME##_body(1, x, xs, b, steps, o); break;                                           \
        }                                                                                             \
    }

DEFINE_VNNI256(tile_avxvnni, T_AVXVNNI, _mm256_dpbusd_avx_epi32)
DEFINE_VNNI256(tile_vnni256_evex, T_AVX512VNNI, _mm256_dpbusd_epi32)

static T_AVX2 void prepare_u8_avx2(const float *x, long ldx, long rows, long k, long kfill, void *out, long xs,
                                   float *xinv) {
    quantize_block(XF_U8, x, ldx, rows, k, kfill, out, xs, xinv);
}

// AVX2 without VNNI: vpmaddubsw would saturate its int16 pair sums (255·127·2 > 32767), so the
// activations are widened to int16 (kept signed: no +128, no comp) and multiplied with
// vpmaddwd against weights sign-extended on load. A 32-bit lane then holds one column's sum over
// k ≡ 0,1 or k ≡ 2,3 (mod 4); the halves are added at the end. 3 rows × 16 columns.
INLINE T_AVX2 void tile_avx2_body(const int mr, const int16_t *x, long xs, const int8_t *b, long steps,
                                  const tile_out *o) {
    __m256i acc[3][4] = {0};
    const long xe = xs / 2;
    for (long s = 0; s < steps; s++, b += STEP_BYTES) {
        __m256i a[3];
        UNROLL
        for (int r = 0; r < mr; r++) a[r] = _mm256_set1_epi64x(load_i64(x + r * xe + 4 * s));
        UNROLL
        for (int j = 0; j < 4; j++) {
            const __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 16 * j)));
            UNROLL
            for (int r = 0; r < mr; r++) acc[r][j] = _mm256_add_epi32(acc[r][j], _mm256_madd_epi16(a[r], w));
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++) {
        const __m256 xi = _mm256_set1_ps(o->xinv[r]);
        UNROLL
        for (int j = 0; j < 4; j += 2) {
            // hadd pairs lanes within 128-bit halves: columns come out as 0,1,4,5 | 2,3,6,7.
            const __m256i sum = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[r][j], acc[r][j + 1]), 0xD8);
            epilogue_ymm(sum, xi, o, 4 * j, o->y + r * o->ldy, (uint32_t)(o->mask >> (4 * j)) & 0xFF);
        }
    }
}

static T_AVX2 void tile_avx2(int mr, const void *x, long xs, const void *b, long steps, const tile_out *o) {
    switch (mr) {
    case 3: tile_avx2_body(3, x, xs, b, steps, o); break;
    case 2: tile_avx2_body(2, x, xs, b, steps, o); break;
    default: tile_avx2_body(1, x, xs, b, steps, o); break;
    }
}

static T_AVX2 void prepare_i16_avx2(const float *x, long ldx, long rows, long k, long kfill, void *out, long xs,
                                    float *xinv) {
    quantize_block(XF_I16, x, ldx, rows, k, kfill, out, xs, xinv);
}

// AVX-512 BF16: as the VNNI kernel, vdpbf16ps multiplying pairs of bfloat16 into float sums.
INLINE T_AVX512BF16 void tile_bf16_avx512_body(const int mr, const uint8_t *x, long xs, const uint8_t *b,
                                               long steps, const tile_out *o) {
    __m512 acc[6][4] = {0};
    for (long s = 0; s < steps; s++, b += STEP_BYTES) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b), b1 = (__m512bh)_mm512_loadu_si512(b + 64);
        const __m512bh b2 = (__m512bh)_mm512_loadu_si512(b + 128), b3 = (__m512bh)_mm512_loadu_si512(b + 192);
        UNROLL
        for (int r = 0; r < mr; r++) {
            const __m512bh a = (__m512bh)_mm512_set1_epi32(load_i32(x + r * xs + 4 * s));
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, b1);
            acc[r][2] = _mm512_dpbf16_ps(acc[r][2], a, b2);
            acc[r][3] = _mm512_dpbf16_ps(acc[r][3], a, b3);
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++) {
        float *yr = o->y + r * o->ldy;
        UNROLL
        for (int j = 0; j < 4; j++) {
            const __mmask16 m = (__mmask16)(o->mask >> (16 * j));
            __m512 v = _mm512_add_ps(acc[r][j], _mm512_loadu_ps(o->bias + 16 * j));
            if (o->accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, yr + 16 * j));
            _mm512_mask_storeu_ps(yr + 16 * j, m, v);
        }
    }
}

static T_AVX512BF16 void tile_bf16_avx512(int mr, const void *x, long xs, const void *b, long steps,
                                          const tile_out *o) {
    switch (mr) {
    case 6: tile_bf16_avx512_body(6, x, xs, b, steps, o); break;
    case 5: tile_bf16_avx512_body(5, x, xs, b, steps, o); break;
    case 4: tile_bf16_avx512_body(4, x, xs, b, steps, o); break;
    case 3: tile_bf16_avx512_body(3, x, xs, b, steps, o); break;
    case 2: tile_bf16_avx512_body(2, x, xs, b, steps, o); break;
    default: tile_bf16_avx512_body(1, x, xs, b, steps, o); break;
    }
}

// Rows to bfloat16 pairs with vcvtne2ps2bf16 (round to nearest even), zero past k.
static T_AVX512BF16 void prepare_bf16_avx512(const float *x, long ldx, long rows, long k, long kfill, void *out,
                                             long xs, float *unused) {
    (void)unused;
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * ldx;
        uint8_t *o = (uint8_t *)out + r * xs;
        for (long i = 0; i < kfill; i += 32) {
            const long left = k - i;
            const __mmask16 m0 = left >= 16 ? 0xFFFF : (left <= 0 ? 0 : (__mmask16)((1u << left) - 1));
            const __mmask16 m1 = left >= 32 ? 0xFFFF : (left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1));
            const __m512 lo = _mm512_maskz_loadu_ps(m0, row + i), hi = _mm512_maskz_loadu_ps(m1, row + i + 16);
            _mm512_storeu_si512(o + 2 * i, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        }
    }
}

// Fallback bfloat16 on AVX-512F (no BF16 instructions) and on AVX2.
static T_AVX512 void tile_bf16_avx512f(int mr, const void *x, long xs, const void *b, long steps,
                                       const tile_out *o) {
    switch (mr) {
    case 4: tile_bf16_generic(4, 4, x, xs, b, steps, o); break;
    case 3: tile_bf16_generic(3, 4, x, xs, b, steps, o); break;
    case 2: tile_bf16_generic(2, 4, x, xs, b, steps, o); break;
    default: tile_bf16_generic(1, 4, x, xs, b, steps, o); break;
    }
}

static T_AVX512 void prepare_bf16_avx512f(const float *x, long ldx, long rows, long k, long kfill, void *out,
                                          long xs, float *xinv) {
    bf16_round_block(x, ldx, rows, k, kfill, out, xs, xinv);
}

static T_AVX2 void tile_bf16_avx2(int mr, const void *x, long xs, const void *b, long steps, const tile_out *o) {
    switch (mr) {
    case 4: tile_bf16_generic(4, 1, x, xs, b, steps, o); break;
    case 3: tile_bf16_generic(3, 1, x, xs, b, steps, o); break;
    case 2: tile_bf16_generic(2, 1, x, xs, b, steps, o); break;
    default: tile_bf16_generic(1, 1, x, xs, b, steps, o); break;
    }
}

static T_AVX2 void prepare_bf16_avx2(const float *x, long ldx, long rows, long k, long kfill, void *out, long xs,
                                     float *xinv) {
    bf16_round_block(x, ldx, rows, k, kfill, out, xs, xinv);
}
#endif

// ---------------------------------------------------------------------------------------------
// Paths and the shared driver.

typedef struct {
    const char *name;
    int xbytes;         // bytes per activation in scratch
    int mr, cols;       // rows and columns per microkernel call
    prepare_fn prepare;
    tile_fn tile;
} path;

static const path int8_scalar = {"scalar", 1, 1, 64, prepare_int8_scalar, tile_int8_scalar};
static const path bf16_scalar = {"scalar", 4, 1, 16, prepare_bf16_float, tile_bf16_scalar};
#if defined(__x86_64__)
static const path int8_avx512 = {"avx512-vnni", 1, 6, 64, prepare_u8_avx512, tile_vnni512};
static const path int8_avxvnni = {"avx-vnni", 1, 3, 32, prepare_u8_avx2, tile_avxvnni};
static const path int8_vnni256 = {"avx512-vnni-256", 1, 3, 32, prepare_u8_avx512, tile_vnni256_evex};
static const path int8_avx2 = {"avx2", 2, 3, 16, prepare_i16_avx2, tile_avx2};
static const path bf16_avx512 = {"avx512-bf16", 2, 6, 64, prepare_bf16_avx512, tile_bf16_avx512};
static const path bf16_avx512f = {"avx512", 4, 4, 64, prepare_bf16_avx512f, tile_bf16_avx512f};
static const path bf16_avx2 = {"avx2", 4, 4, 16, prepare_bf16_avx2, tile_bf16_avx2};
#endif

static const path *int8_path(void) {
#if defined(__x86_64__)
    const int f = hark_cpu_features();
    if ((f & HARK_CPU_AVX512) && (f & HARK_CPU_AVX512VNNI)) return &int8_avx512;
    if (f & HARK_CPU_AVXVNNI) return &int8_avxvnni;
    if (f & HARK_CPU_AVX512VNNI) return &int8_vnni256;
    if ((f & HARK_CPU_AVX2) && (f & HARK_CPU_FMA)) return &int8_avx2;
#endif
    return &int8_scalar;
}

static const path *bf16_path(void) {
#if defined(__x86_64__)
    const int f = hark_cpu_features();
    if ((f & HARK_CPU_AVX512) && (f & HARK_CPU_AVX512BF16)) return &bf16_avx512;
    if (f & HARK_CPU_AVX512) return &bf16_avx512f;
    if ((f & HARK_CPU_AVX2) && (f & HARK_CPU_FMA)) return &bf16_avx2;
#endif
    return &bf16_scalar;
}

const char *hark_int8_path(void) { return int8_path()->name; }
const char *hark_bf16_path(void) { return bf16_path()->name; }

// Rows quantized per chunk: their activations (~128 KB) stay in L2 while every panel passes over
// them; each panel (64 × K weights) stays in L1/L2 while the chunk's row blocks reuse it.
static long chunk_rows(long kp) {
    long rows = 131072 / kp;
    rows = rows > 96 ? 96 : (rows < 12 ? 12 : rows);
    return rows - rows % 12;
}

// Rows per chunk of a call on m rows; also sizes the scratch.
static long chunk_for(long m, long kp) {
    const long rows = chunk_rows(kp);
    return m < rows ? (m < 1 ? 1 : m) : rows;
}

static size_t scratch_size(long m, long kp, int max_xbytes) {
    const long rows = chunk_for(m, kp);
    return 64 + (size_t)round_up(rows * 4, 64) + (size_t)rows * round_up(kp * max_xbytes, 64);
}

size_t hark_int8_scratch_size(long m, long k) { return scratch_size(m, round_up(k, 4), 2); }
size_t hark_bf16_scratch_size(long m, long k) { return scratch_size(m, round_up(k, 2), 4); }

static void run(const path *p, int kgroup, const float *x, long ldx, long m, const void *packed,
                const float *bias, float *y, long ldy, int accumulate, long n_begin, long n_end,
                void *scratch) {
    pack_header h;
    memcpy(&h, packed, sizeof h);
    if (n_begin < 0) n_begin = 0;
    if (n_end > h.n) n_end = h.n;
    if (m <= 0 || n_begin >= n_end) return;
    const long steps = h.kp / kgroup, xs = round_up(h.kp * p->xbytes, 64), chunk = chunk_for(m, h.kp);
    float *xinv = align64(scratch);
    uint8_t *xq = (uint8_t *)xinv + round_up(chunk * 4, 64);
    const uint8_t *panels = (const uint8_t *)packed + HEADER_BYTES;
    const int32_t *comp = h.comp_offset ? (const int32_t *)((const char *)packed + h.comp_offset) : NULL;
    const float *winv = h.winv_offset ? (const float *)((const char *)packed + h.winv_offset) : NULL;
    for (long m0 = 0; m0 < m; m0 += chunk) {
        const long mc = m - m0 < chunk ? m - m0 : chunk;
        p->prepare(x + m0 * ldx, ldx, mc, h.k, xs / p->xbytes, xq, xs, xinv);
        for (long panel = n_begin / PANEL; panel * PANEL < n_end; panel++) {
            const long c0 = panel * PANEL;
            float bias_panel[PANEL];
            uint64_t mask = 0;
            for (int c = 0; c < PANEL; c++) {
                bias_panel[c] = bias != NULL && c0 + c < h.n ? bias[c0 + c] : 0.0f;
                if (c0 + c >= n_begin && c0 + c < n_end) mask |= 1ull << c;
            }
            const uint8_t *b = panels + panel * steps * STEP_BYTES;
            for (int sub = 0; sub < PANEL; sub += p->cols) {
                const uint64_t sub_mask = p->cols == 64 ? mask : (mask >> sub) & ((1ull << p->cols) - 1);
                if (sub_mask == 0) continue;
                tile_out o = {0, comp ? comp + c0 + sub : NULL, winv ? winv + c0 + sub : NULL, bias_panel + sub,
                              0, ldy, accumulate, sub_mask};
                for (long r0 = 0; r0 < mc; r0 += p->mr) {
                    o.xinv = xinv + r0;
                    o.y = y + (m0 + r0) * ldy + c0 + sub;
                    const int mr = mc - r0 < p->mr ? (int)(mc - r0) : p->mr;
                    p->tile(mr, xq + r0 * xs, xs, b + sub * 4, steps, &o);
                }
            }
        }
    }
}

void hark_int8_linear_columns(const float *x, long ldx, long m, const void *packed, const float *bias,
                              float *y, long ldy, int accumulate, long n_begin, long n_end, void *scratch) {
    run(int8_path(), 4, x, ldx, m, packed, bias, y, ldy, accumulate, n_begin, n_end, scratch);
}

void hark_int8_linear(const float *x, long ldx, long m, const void *packed, const float *bias, float *y,
                      long ldy, int accumulate, void *scratch) {
    run(int8_path(), 4, x, ldx, m, packed, bias, y, ldy, accumulate, 0, 1L << 62, scratch);
}

void hark_bf16_linear_columns(const float *x, long ldx, long m, const void *packed, const float *bias,
                              float *y, long ldy, int accumulate, long n_begin, long n_end, void *scratch) {
    run(bf16_path(), 2, x, ldx, m, packed, bias, y, ldy, accumulate, n_begin, n_end, scratch);
}

void hark_bf16_linear(const float *x, long ldx, long m, const void *packed, const float *bias, float *y,
                      long ldy, int accumulate, void *scratch) {
    run(bf16_path(), 2, x, ldx, m, packed, bias, y, ldy, accumulate, 0, 1L << 62, scratch);
}
