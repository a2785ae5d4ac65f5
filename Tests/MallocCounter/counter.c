// A counting malloc for the tests (docs/PERFORMANCE.md, "Counting allocations").
//
// The test executable defines malloc and friends; the dynamic linker resolves every library's
// malloc (libswiftCore, Foundation, OpenBLAS, libc itself) to the executable's definition
// first, so each heap allocation in the process passes through here. Each one bumps a
// thread-local counter and a process-wide one, and forwards to glibc's real allocator through its exported
// __libc_* entry points (glibc >= 2.34 has no malloc hooks; mallinfo2 deltas show bytes in
// use, not calls, and miss an allocation freed within the step). Thread-local counters make
// the count of one thread exact while XCTest or OpenBLAS threads allocate elsewhere; the
// initial-exec TLS of an executable needs no allocation to reach.
#include <errno.h>
#include <stddef.h>
#include "MallocCounter.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static __thread unsigned long long allocations;
static unsigned long long processAllocations;
static inline void count(void) {
    allocations++;
    __atomic_fetch_add(&processAllocations, 1, __ATOMIC_RELAXED);
}
void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t n) { count(); return __libc_memalign(alignment, n); }
void *aligned_alloc(size_t alignment, size_t n) { count(); return __libc_memalign(alignment, n); }
void *valloc(size_t n) { count(); return __libc_memalign(4096, n); }

int posix_memalign(void **out, size_t alignment, size_t n) {
    count();
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(alignment, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

unsigned long long kmc_thread_allocations(void) { return allocations; }
unsigned long long kmc_process_allocations(void) { return __atomic_load_n(&processAllocations, __ATOMIC_RELAXED); }

