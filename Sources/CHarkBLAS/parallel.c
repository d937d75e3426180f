// A fork-join pool for the kernels' splits of rows, heads or outputs over threads. Written here
// rather than using Dispatch's concurrentPerform: that allocates for every call (its closure and
// continuations), and a decoding step, which splits a few products per token, must allocate
// nothing. Helper threads are started once, on first use, and wait on a condition variable.
//
// One region runs at a time; a caller that finds the pool busy (another transcription in the same
// process) runs its parts itself, one after another, rather than waiting.
#include "CHarkKernels.h"
#include "CHarkQuantized.h"
#include "CHarkAttention.h"
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

enum { MAX_HELPERS = 15 };

static pthread_mutex_t region = PTHREAD_MUTEX_INITIALIZER;   // held by the caller of a region
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, finished = PTHREAD_COND_INITIALIZER;
static long helpers;                      // started so far (under `lock`)
static unsigned long generation;          // bumped per region (under `lock`)
static hark_part_fn work_fn;
static void *work_context;
static long work_parts;
static atomic_long next_part, done_parts;

// Takes parts until none is left; returns how many this thread ran.
static long run_parts(void) {
    long ran = 0;
    for (long part; (part = atomic_fetch_add(&next_part, 1)) < work_parts; ran++) work_fn(work_context, part);
    return ran;
}

static void *helper(void *unused) {
    (void)unused;
    unsigned long seen = 0;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (generation == seen) pthread_cond_wait(&wake, &lock);
        seen = generation;
        pthread_mutex_unlock(&lock);
        const long ran = run_parts();
        pthread_mutex_lock(&lock);
        if (ran > 0 && atomic_fetch_add(&done_parts, ran) + ran == work_parts) pthread_cond_signal(&finished);
    }
    return NULL;
}

void hark_parallel(long parts, hark_part_fn fn, void *context) {
    if (parts <= 1 || pthread_mutex_trylock(&region) != 0) {
        for (long part = 0; part < parts; part++) fn(context, part);
        return;
    }
    pthread_mutex_lock(&lock);
    while (helpers < parts - 1 && helpers < MAX_HELPERS) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, helper, NULL) != 0) break;
        pthread_detach(thread);
        helpers++;
    }
    work_fn = fn;
    work_context = context;
    work_parts = parts;
    atomic_store(&next_part, 0);
    atomic_store(&done_parts, 0);
    generation++;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    const long ran = run_parts();
    pthread_mutex_lock(&lock);
    atomic_fetch_add(&done_parts, ran);
    while (atomic_load(&done_parts) < parts) pthread_cond_wait(&finished, &lock);
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&region);
}

// ---------------------------------------------------------------------------------------------
// Decoding's two split products, whole in C so that a step hands the pool a context on its own
// stack and nothing is allocated.

typedef struct {
    const void *packed;
    int is_int8;
    const float *x, *bias;
    float *y;
    long ldx, m, ldy, n, parts;
    int accumulate;
    void *const *scratch;
} output_split;

static void output_part(void *context, long part) {
    const output_split *s = context;
    const long panels = (s->n + 63) / 64;
    const long begin = panels * part / s->parts * 64, end = panels * (part + 1) / s->parts * 64;
    if (s->is_int8)
        hark_int8_linear_columns(s->x, s->ldx, s->m, s->packed, s->bias, s->y, s->ldy, s->accumulate, begin,
                                 end < s->n ? end : s->n, s->scratch[part]);
    else
        hark_bf16_linear_columns(s->x, s->ldx, s->m, s->packed, s->bias, s->y, s->ldy, s->accumulate, begin,
                                 end < s->n ? end : s->n, s->scratch[part]);
}

void hark_packed_linear_split(const void *packed, int is_int8, long n, const float *x, long ldx, long m,
                              const float *bias, float *y, long ldy, int accumulate, long parts,
                              void *const *scratch) {
    output_split s = {packed, is_int8, x, bias, y, ldx, m, ldy, n, parts, accumulate, scratch};
    hark_parallel(parts, output_part, &s);
}

typedef struct {
    const void *const *kv;
    const float *q;
    float *o;
    long ldq, rows, head_dim, heads, ldo, parts;
    float alpha;
    void *const *scratch;
} head_split;

static void head_part(void *context, long part) {
    const head_split *s = context;
    for (long h = s->heads * part / s->parts; h < s->heads * (part + 1) / s->parts; h++)
        hark_attention_packed(s->q + h * s->head_dim, s->ldq, s->rows, s->kv[h], s->alpha, -1,
                              s->o + h * s->head_dim, s->ldo, s->scratch[part]);
}

void hark_attention_heads(const void *const *packed_kv, long heads, long head_dim, const float *q, long ldq,
                          long rows, float alpha, float *o, long ldo, long parts, void *const *scratch) {
    head_split s = {packed_kv, q, o, ldq, rows, head_dim, heads, ldo, parts, alpha, scratch};
    hark_parallel(parts, head_part, &s);
}
