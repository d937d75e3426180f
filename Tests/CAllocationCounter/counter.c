#include "CAllocationCounter.h"
#include <stddef.h>

// Sanitizers interpose malloc themselves; under them the counter stands down (reports unsupported).
#if defined(__has_feature)
#  if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#    define HARK_SANITIZED 1
#  endif
#endif

#if defined(__linux__) && defined(__GLIBC__) && !defined(HARK_SANITIZED)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static __thread int armed;
static __thread int64_t count;
static volatile int seen;

static inline void note(void) { seen = 1; if (armed) count++; }

void *malloc(size_t n) { note(); return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { note(); return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { note(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
int posix_memalign(void **out, size_t alignment, size_t n) {
    note();
    void *p = __libc_memalign(alignment, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}
void *aligned_alloc(size_t alignment, size_t n) { note(); return __libc_memalign(alignment, n); }
void *memalign(size_t alignment, size_t n) { note(); return __libc_memalign(alignment, n); }

void hark_allocations_arm(void) { count = 0; armed = 1; }
int64_t hark_allocations_disarm(void) { armed = 0; return count; }
int hark_allocations_supported(void) { return seen; }
#else
void hark_allocations_arm(void) {}
int64_t hark_allocations_disarm(void) { return 0; }
int hark_allocations_supported(void) { return 0; }
#endif
