// Counts heap allocations made by the calling thread between arm and disarm.
//
// Written by hand rather than taken from ordo-one/malloc-interposer: that library counts every
// thread and must be loaded with LD_PRELOAD; a test needs to count one thread's allocations from
// inside `swift test`. Linking this into the test executable interposes malloc & co. for the whole
// process (glibc resolves them from the executable first) and forwards to glibc's own entry points.
#pragma once
#include <stdint.h>

void hark_allocations_arm(void);
/// Stops counting on this thread and returns the allocations seen since arm.
int64_t hark_allocations_disarm(void);
/// 1 when the interposer is active in this process (it is, wherever this file is linked on glibc).
int hark_allocations_supported(void);
