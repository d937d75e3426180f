#include "CHarkKernels.h"
#include <stdint.h>
#include <string.h>

// The AVX2 clone is "arch=haswell": AVX2 with F16C and FMA, as every AVX2 x86 has (plain "avx2"
// converts float16 by a library call per value, which made float32 decoding 4x slower).
// Sanitizer runtimes are not ready when ifunc resolvers run at load time: no clones under them.
#if defined(__has_feature)
#  if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#    define HARK_SANITIZED 1
#  endif
#endif

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__) && !defined(HARK_SANITIZED)
#define HARK_CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#else
#define HARK_CLONES
#endif

// Cephes' single-precision exp: x = n·ln2 + r, a degree-6 polynomial for e^r, 2^n from the
// exponent bits. Adding 1.5·2^23 rounds x·log2(e) to an integer in the low mantissa bits.
static inline float exp_approx(float x) {
    x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    float shifted = x * 1.44269504088896341f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = x - n * 0.693359375f - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, 4);
    bits = (bits - 0x4B400000 + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return y * scale;
}

// log Σ exp(x[i]) over the values above -inf (NaN left out too), as double; -inf when none is.
// Decoding takes it of every step's logits (51 864 of them): glibc's scalar exp was a tenth of a
// greedy step. Blocks of 256 are summed in float lanes, the blocks in double.
HARK_CLONES
double hark_log_sum_exp(const float *x, long count) {
    enum { W = 16, BLOCK = 256 };
    float lanes[W];
    for (int j = 0; j < W; j++) lanes[j] = -__builtin_inff();
    const long whole = count - count % W;
    for (long i = 0; i < whole; i += W)
        for (int j = 0; j < W; j++) lanes[j] = x[i + j] > lanes[j] ? x[i + j] : lanes[j];
    float maximum = -__builtin_inff();
    for (int j = 0; j < W; j++) maximum = lanes[j] > maximum ? lanes[j] : maximum;
    for (long i = whole; i < count; i++) maximum = x[i] > maximum ? x[i] : maximum;
    if (!(maximum > -__builtin_inff())) return -__builtin_inf();
    double total = 0;
    for (long start = 0; start < count; start += BLOCK) {
        const long end = start + BLOCK < count ? start + BLOCK : count;
        for (int j = 0; j < W; j++) lanes[j] = 0;
        long i = start;
        for (; i + W <= end; i += W)
            for (int j = 0; j < W; j++) lanes[j] += x[i + j] > -__builtin_inff() ? exp_approx(x[i + j] - maximum) : 0.0f;
        for (; i < end; i++) total += x[i] > -__builtin_inff() ? exp_approx(x[i] - maximum) : 0.0f;
        for (int j = 0; j < W; j++) total += lanes[j];
    }
    return (double)maximum + __builtin_log(total);
}

// Reductions run in 16 independent lanes: without -ffast-math the compiler may not reorder a
// single float sum or max, and would leave the whole loop scalar.
HARK_CLONES
void hark_softmax_rows(float *x, long rows, long columns) {
    enum { W = 16 };
    const long whole = columns - columns % W;
    for (long r = 0; r < rows; r++) {
        float *row = x + r * columns;
        float lanes[W];
        for (int j = 0; j < W; j++) lanes[j] = -3.4e38f;
        for (long i = 0; i < whole; i += W)
            for (int j = 0; j < W; j++) lanes[j] = row[i + j] > lanes[j] ? row[i + j] : lanes[j];
        float maximum = -3.4e38f;
        for (int j = 0; j < W; j++) maximum = lanes[j] > maximum ? lanes[j] : maximum;
        for (long i = whole; i < columns; i++) maximum = row[i] > maximum ? row[i] : maximum;

        for (long i = 0; i < columns; i++) row[i] = exp_approx(row[i] - maximum);

        for (int j = 0; j < W; j++) lanes[j] = 0;
        for (long i = 0; i < whole; i += W)
            for (int j = 0; j < W; j++) lanes[j] += row[i + j];
        float sum = 0;
        for (int j = 0; j < W; j++) sum += lanes[j];
        for (long i = whole; i < columns; i++) sum += row[i];

        const float inverse = 1.0f / sum;
        for (long i = 0; i < columns; i++) row[i] *= inverse;
    }
}

// erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
HARK_CLONES
void hark_gelu(float *x, long count) {
    for (long i = 0; i < count; i++) {
        float v = x[i];
        float z = v * 0.70710678118654752f;
        float a = z < 0 ? -z : z;
        float t = 1.0f / (1.0f + 0.3275911f * a);
        float p = 1.061405429f;
        p = p * t - 1.453152027f;
        p = p * t + 1.421413741f;
        p = p * t - 0.284496736f;
        p = p * t + 0.254829592f;
        float e = 1.0f - p * t * exp_approx(-a * a);
        float erf = z < 0 ? -e : e;
        x[i] = 0.5f * v * (1.0f + erf);
    }
}

// Mean and variance in 16 lanes each (see hark_softmax_rows on why lanes); two passes over the
// row, as the Swift loop this replaced, so the variance is of centred values.
HARK_CLONES
void hark_layer_norm(const float *x, long rows, long d, const float *gamma, const float *beta, float *y) {
    enum { W = 16 };
    const long whole = d - d % W;
    for (long r = 0; r < rows; r++) {
        const float *in = x + r * d;
        float *out = y + r * d;
        float lanes[W] = {0};
        for (long i = 0; i < whole; i += W)
            for (int j = 0; j < W; j++) lanes[j] += in[i + j];
        float mean = 0;
        for (int j = 0; j < W; j++) mean += lanes[j];
        for (long i = whole; i < d; i++) mean += in[i];
        mean /= (float)d;
        for (int j = 0; j < W; j++) lanes[j] = 0;
        for (long i = 0; i < whole; i += W)
            for (int j = 0; j < W; j++) { const float c = in[i + j] - mean; lanes[j] += c * c; }
        float variance = 0;
        for (int j = 0; j < W; j++) variance += lanes[j];
        for (long i = whole; i < d; i++) { const float c = in[i] - mean; variance += c * c; }
        variance /= (float)d;
        const float scale = 1.0f / __builtin_sqrtf(variance + 1e-5f);
        for (long i = 0; i < d; i++) out[i] = (in[i] - mean) * scale * gamma[i] + beta[i];
    }
}

HARK_CLONES
void hark_add_rows(float *y, const float *bias, long rows, long columns) {
    for (long r = 0; r < rows; r++) {
        float *row = y + r * columns;
        for (long i = 0; i < columns; i++) row[i] += bias[i];
    }
}

HARK_CLONES
void hark_half_to_float(const void *half, float *out, long count) {
    const __fp16 *in = (const __fp16 *)half;
    for (long i = 0; i < count; i++) out[i] = (float)in[i];
}

int hark_float_to_half_exact(const float *in, void *half, long count) {
    __fp16 *out = (__fp16 *)half;
    int exact = 1;
    for (long i = 0; i < count; i++) {
        out[i] = (__fp16)in[i];
        if ((float)out[i] != in[i] && in[i] == in[i]) exact = 0;
    }
    return exact;
}

// Decoding one token reads every decoder weight once: the products are bound by memory, not
// arithmetic, so reading the model's own float16 values halves their cost. Four rows at a time,
// 16 lanes each (see hark_softmax_rows on why lanes).
HARK_CLONES
void hark_gemv_half(const void *weights, long rows, long columns, const float *x, float beta, float *y) {
    enum { W = 16 };
    const __fp16 *w = (const __fp16 *)weights;
    const long whole = columns - columns % W;
    long r = 0;
    for (; r + 4 <= rows; r += 4) {
        const __fp16 *w0 = w + r * columns, *w1 = w0 + columns, *w2 = w1 + columns, *w3 = w2 + columns;
        float l0[W] = {0}, l1[W] = {0}, l2[W] = {0}, l3[W] = {0};
        for (long i = 0; i < whole; i += W)
            for (int j = 0; j < W; j++) {
                const float v = x[i + j];
                l0[j] += (float)w0[i + j] * v;
                l1[j] += (float)w1[i + j] * v;
                l2[j] += (float)w2[i + j] * v;
                l3[j] += (float)w3[i + j] * v;
            }
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int j = 0; j < W; j++) { s0 += l0[j]; s1 += l1[j]; s2 += l2[j]; s3 += l3[j]; }
        for (long i = whole; i < columns; i++) {
            s0 += (float)w0[i] * x[i]; s1 += (float)w1[i] * x[i];
            s2 += (float)w2[i] * x[i]; s3 += (float)w3[i] * x[i];
        }
        y[r] = beta == 0 ? s0 : beta * y[r] + s0;
        y[r + 1] = beta == 0 ? s1 : beta * y[r + 1] + s1;
        y[r + 2] = beta == 0 ? s2 : beta * y[r + 2] + s2;
        y[r + 3] = beta == 0 ? s3 : beta * y[r + 3] + s3;
    }
    for (; r < rows; r++) {
        const __fp16 *row = w + r * columns;
        float s = 0;
        for (long i = 0; i < columns; i++) s += (float)row[i] * x[i];
        y[r] = beta == 0 ? s : beta * y[r] + s;
    }
}

// Several input rows against one half-precision matrix (beam search's hypotheses): each weight
// row is widened once into a local buffer and reused for every input row, so the matrix is read
// from memory once per step instead of once per hypothesis. Inputs go four at a time, so four
// independent sums are in flight rather than one chain of dependent multiply-adds.
HARK_CLONES
void hark_gemm_half(const void *weights, long rows, long columns, const float *x, long batch,
                    float beta, float *y, long ldy) {
    enum { W = 16, MAXC = 4096 };
    const __fp16 *w = (const __fp16 *)weights;
    float row[MAXC];
    const long whole = columns - columns % W;
    for (long r = 0; r < rows; r++) {
        const __fp16 *source = w + r * columns;
        if (columns > MAXC) {
            for (long b = 0; b < batch; b++) {
                float s = 0;
                for (long i = 0; i < columns; i++) s += (float)source[i] * x[b * columns + i];
                y[b * ldy + r] = beta == 0 ? s : beta * y[b * ldy + r] + s;
            }
            continue;
        }
        for (long i = 0; i < columns; i++) row[i] = (float)source[i];
        for (long b = 0; b < batch; b += 4) {
            const long n = batch - b < 4 ? batch - b : 4;
            // Missing inputs of a last short group repeat the first; their sums are not stored.
            const float *x0 = x + b * columns;
            const float *x1 = n > 1 ? x0 + columns : x0, *x2 = n > 2 ? x0 + 2 * columns : x0;
            const float *x3 = n > 3 ? x0 + 3 * columns : x0;
            float l0[W] = {0}, l1[W] = {0}, l2[W] = {0}, l3[W] = {0};
            for (long i = 0; i < whole; i += W)
                for (int j = 0; j < W; j++) {
                    const float v = row[i + j];
                    l0[j] += v * x0[i + j];
                    l1[j] += v * x1[i + j];
                    l2[j] += v * x2[i + j];
                    l3[j] += v * x3[i + j];
                }
            float sums[4] = {0, 0, 0, 0};
            for (int j = 0; j < W; j++) { sums[0] += l0[j]; sums[1] += l1[j]; sums[2] += l2[j]; sums[3] += l3[j]; }
            for (long i = whole; i < columns; i++) {
                sums[0] += row[i] * x0[i]; sums[1] += row[i] * x1[i];
                sums[2] += row[i] * x2[i]; sums[3] += row[i] * x3[i];
            }
            for (long k = 0; k < n; k++) {
                float *out = y + (b + k) * ldy + r;
                *out = beta == 0 ? sums[k] : beta * *out + sums[k];
            }
        }
    }
}
