#ifndef KERAS_PREFETCH_H
#define KERAS_PREFETCH_H

// A hint to the CPU to bring the cache lines of `count` bytes at `p` into its caches ahead of
// use, for kernels that read rows in an order the hardware prefetcher cannot guess (a shuffled
// batch gathered from a large array). No effect on results; Swift has no prefetch of its own.
static inline void keras_prefetch(const void *p, long count) {
    const char *c = (const char *)p;
    for (long i = 0; i < count; i += 64) __builtin_prefetch(c + i);
    if (count > 0) __builtin_prefetch(c + count - 1);
}

#endif
