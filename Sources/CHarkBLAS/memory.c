// Large dense buffers (packed weights, the encoder's activations) on transparent huge pages where
// Linux offers them ("madvise" mode is the common default): a buffer of tens of megabytes faults
// in 2 MB at a time instead of 4 KB (the encoder's fresh buffers cost ~10 ms of page faults per
// window), and a decoding step that reads 40 MB of output projection needs 20 TLB entries, not
// 10 000. Only for buffers that are written whole: a huge page makes all of its 2 MB resident.
#include "CHarkKernels.h"
#include <stddef.h>
#include <stdint.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

enum { HUGE_PAGE = 2 << 20, PAGE = 4096 };

static size_t round_up(size_t value, size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

void *hark_huge_alloc(size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes < HUGE_PAGE) return NULL;
    const size_t size = round_up(bytes, PAGE), span = size + HUGE_PAGE;
    char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    char *start = (char *)round_up((uintptr_t)raw, HUGE_PAGE);
    if (start > raw) munmap(raw, (size_t)(start - raw));
    const size_t tail = (size_t)(raw + span - (start + size));
    if (tail > 0) munmap(start + size, tail);
    madvise(start, size, MADV_HUGEPAGE);   // advice only: without THP these are 4 KB pages
    return start;
#else
    (void)bytes;
    return NULL;
#endif
}

void hark_huge_free(void *pointer, size_t bytes) {
#if defined(__linux__)
    if (pointer) munmap(pointer, round_up(bytes, PAGE));
#else
    (void)pointer;
    (void)bytes;
#endif
}
