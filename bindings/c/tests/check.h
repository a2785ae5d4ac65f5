/* Tiny assertion helpers for the ABI tests: print the failing line and the library's message. */
#ifndef KERAS_TEST_CHECK_H
#define KERAS_TEST_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "keras.h"

/* 1 in a program built with AddressSanitizer or ThreadSanitizer (make sanitize): the resident
 * set measured is then the sanitizer's, so memory budgets are not checked, and the library runs
 * several times slower. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

static int check_failures = 0;

static inline int check_contains(const char *haystack, const char *needle) {
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* A call that must succeed. */
#define CHECK_OK(call) do { \
    int rc_ = (call); \
    if (rc_ != KERAS_OK) { \
        fprintf(stderr, "%s:%d: %s returned %s: %s\n", __FILE__, __LINE__, #call, \
                keras_status_name(rc_), keras_last_error()); \
        check_failures++; \
    } \
} while (0)

/* A call that must fail with `code` and leave a message containing `needle`. */
#define CHECK_ERR(code, needle, call) do { \
    int rc_ = (call); \
    const char *msg_ = keras_last_error(); \
    if (rc_ != (code)) { \
        fprintf(stderr, "%s:%d: %s returned %s, expected %s (message: %s)\n", __FILE__, __LINE__, #call, \
                keras_status_name(rc_), keras_status_name(code), msg_); \
        check_failures++; \
    } else if (!check_contains(msg_, (needle))) { \
        fprintf(stderr, "%s:%d: %s: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, #call, msg_, (needle)); \
        check_failures++; \
    } \
} while (0)

#define CHECK(cond) do { \
    if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); check_failures++; } \
} while (0)

#define CHECK_DONE(name) do { \
    if (check_failures) { fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures); return 1; } \
    printf("%s: all checks passed\n", name); \
    return 0; \
} while (0)

/* The number after `"key": ` in a JSON text (after its '[' for a list: the `index`-th item);
 * NAN where the key is absent or the value is null. */
static inline double number_at(const char *json, const char *key, int index) {
    char quoted[64];
    const char *p;
    char *end;
    double v;
    int i;
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    p = json ? strstr(json, quoted) : NULL;
    if (!p) return NAN;
    p = strchr(p + strlen(quoted), ':');
    if (!p) return NAN;
    p++;
    while (*p == ' ' || *p == '[') p++;
    for (i = 0; i < index; i++) {
        p = strchr(p, ',');
        if (!p) return NAN;
        p++;
        while (*p == ' ') p++;
    }
    if (strncmp(p, "null", 4) == 0) return NAN;
    v = strtod(p, &end);
    return end == p ? NAN : v;
}

/* Every weight of m, concatenated, into out (capacity floats); returns the count. */
static inline long all_weights(keras_model *m, float *out, long capacity) {
    int count = 0, i;
    long at = 0;
    CHECK_OK(keras_model_weight_count(m, &count));
    for (i = 0; i < count; i++) {
        int64_t shape[KERAS_MAX_RANK];
        int ndim = 0, d;
        long n = 1;
        CHECK_OK(keras_model_weight_info(m, i, NULL, shape, KERAS_MAX_RANK, &ndim));
        for (d = 0; d < ndim; d++) n *= (long)shape[d];
        if (at + n > capacity) { CHECK(at + n <= capacity); return at; }
        CHECK_OK(keras_model_get_weight(m, i, out + at, n));
        at += n;
    }
    return at;
}

#endif
