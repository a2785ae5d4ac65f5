#ifndef KERAS_MALLOC_COUNTER_H
#define KERAS_MALLOC_COUNTER_H

/// Heap allocations (malloc, calloc, realloc, memalign, posix_memalign, aligned_alloc, valloc)
/// made by the calling thread since it started. Linked into the test executable only, where its
/// definitions of those functions interpose glibc's for the whole process (see counter.c).
unsigned long long kmc_thread_allocations(void);

/// Heap allocations made by every thread of the process since it started (the partner thread's
/// share of a step included; other threads of the test process count too).
unsigned long long kmc_process_allocations(void);

#endif
