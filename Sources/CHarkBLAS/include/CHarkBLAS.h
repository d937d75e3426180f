#ifndef CHARKBLAS_H
#define CHARKBLAS_H
#include <stddef.h>
#include "CHarkKernels.h"
#include "CHarkQuantized.h"
#include "CHarkAttention.h"

// BLAS, loaded at run time rather than linked (see blas.c for why). Row-major only.

/// Loads the library once; returns 0, or -1 with a message in `error`.
int hark_blas_load(char *error, size_t error_size);
/// OpenBLAS's name for the kernels in use ("SkylakeX", "Haswell", ...), or "unknown".
const char *hark_blas_core_name(void);

/// C = alpha · op(A) · op(B) + beta · C, where op transposes when the flag is non-zero.
void hark_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
/// y = alpha · op(A) · x + beta · y.
void hark_sgemv(int transpose, int m, int n, float alpha, const float *a, int lda,
                const float *x, float beta, float *y);
#endif
