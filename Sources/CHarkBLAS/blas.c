// Why run-time loading: OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its kernels in a library
// constructor from the CPU id, and on CPUs it does not recognise — virtual machines reporting a
// generic "Intel Xeon Processor" among them — it falls back to Prescott (SSE3) kernels, 4–7 times
// slower than the AVX-512 ones for the products Hark runs. It honours OPENBLAS_CORETYPE, but only
// when it loads. So: a constructor of ours sets OPENBLAS_CORETYPE from the CPU's features (while
// the process is still single-threaded, unless the user set it), and the library is dlopen'ed on
// first use. It also runs single-threaded: Hark's products are small and OpenBLAS's threading
// costs more than it saves and mallocs on every call.
#include "CHarkBLAS.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int,
                         float, float *, int);
typedef void (*sgemv_fn)(int, int, int, int, float, const float *, int, const float *, int, float,
                         float *, int);
typedef void (*set_threads_fn)(int);
typedef char *(*core_name_fn)(void);

static sgemm_fn sgemm;
static sgemv_fn sgemv;
static core_name_fn core_name;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) && defined(__linux__)
__attribute__((constructor)) static void configure_openblas(void) {
    // No worker threads at all: with them, idle workers spin in sched_yield on the other core.
    if (getenv("OPENBLAS_NUM_THREADS") == NULL) setenv("OPENBLAS_NUM_THREADS", "1", 0);
    if (getenv("OPENBLAS_CORETYPE") != NULL) return;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        setenv("OPENBLAS_CORETYPE", "Haswell", 0);
    }
}
#endif

static void load(void) {
    static const char *candidates[] = {
        "libopenblas.so.0", "libopenblas.so",
        "/opt/homebrew/opt/openblas/lib/libopenblas.dylib", "/usr/local/opt/openblas/lib/libopenblas.dylib",
        "/System/Library/Frameworks/Accelerate.framework/Accelerate",
    };
    void *library = NULL;
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates && library == NULL; i++) {
        library = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (library == NULL) {
        snprintf(load_error, sizeof load_error,
                 "OpenBLAS is not installed (libopenblas.so.0 not found). Install it with "
                 "`apt-get install libopenblas0` (or `make deps`).");
        return;
    }
    sgemm = (sgemm_fn)dlsym(library, "cblas_sgemm");
    sgemv = (sgemv_fn)dlsym(library, "cblas_sgemv");
    core_name = (core_name_fn)dlsym(library, "openblas_get_corename");
    set_threads_fn set_threads = (set_threads_fn)dlsym(library, "openblas_set_num_threads");
    if (set_threads != NULL) set_threads(1);
    if (sgemm == NULL || sgemv == NULL) {
        snprintf(load_error, sizeof load_error, "The BLAS library found lacks cblas_sgemm/cblas_sgemv.");
        sgemm = NULL;
    }
}

int hark_blas_load(char *error, size_t error_size) {
    pthread_once(&once, load);
    if (sgemm != NULL) return 0;
    if (error != NULL && error_size > 0) snprintf(error, error_size, "%s", load_error);
    return -1;
}

const char *hark_blas_core_name(void) {
    return core_name != NULL ? core_name() : "unknown";
}

// Callers check `hark_blas_load` first (it reports a missing library as an error); reaching a
// product without a library is a programming error, stopped here with the reason.
static void ensure_loaded(void) {
    pthread_once(&once, load);
    if (sgemm == NULL) {
        fprintf(stderr, "hark: %s\n", load_error);
        abort();
    }
}

void hark_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    ensure_loaded();
    sgemm(ROW_MAJOR, transpose_a ? TRANS : NO_TRANS, transpose_b ? TRANS : NO_TRANS, m, n, k, alpha,
          a, lda, b, ldb, beta, c, ldc);
}

void hark_sgemv(int transpose, int m, int n, float alpha, const float *a, int lda,
                const float *x, float beta, float *y) {
    ensure_loaded();
    sgemv(ROW_MAJOR, transpose ? TRANS : NO_TRANS, m, n, alpha, a, lda, x, 1, beta, y, 1);
}
