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

/* The numbers after `"key":` in a JSON text: the value, or the items of a list (nested lists
 * flattened, row-major; a null item NAN), the first `skip` of them passed over; up to `capacity`
 * of the others go into `out` (which may be NULL). Returns how many there are after the skipped
 * ones (also those past `capacity`), or -1 where the key is absent. */
static inline long numbers_at(const char *json, const char *key, long skip, double *out, long capacity) {
    const char *space = " \t\r\n";
    char quoted[64];
    const char *p;
    long n = 0, at = 0;
    int depth = 0;
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    p = json ? strstr(json, quoted) : NULL;
    if (!p) return -1;
    p = strchr(p + strlen(quoted), ':');
    if (!p) return -1;
    p++;
    for (;;) {
        double v;
        while (*p && (strchr(space, *p) || *p == '[')) depth += *p++ == '[';
        if (strncmp(p, "null", 4) == 0) {
            v = NAN;
            p += 4;
        } else {
            char *end;
            v = strtod(p, &end);
            if (end == p) break;
            p = end;
        }
        if (at++ >= skip) {
            if (out && n < capacity) out[n] = v;
            n++;
        }
        while (*p && (strchr(space, *p) || (*p == ']' && depth > 0))) depth -= *p++ == ']';
        if (depth == 0 || *p != ',') break;
        p++;
    }
    return n;
}

/* The `index`-th number after `"key": ` in a JSON text (the value itself at index 0); NAN where
 * the key is absent or the value is null. */
static inline double number_at(const char *json, const char *key, int index) {
    double v = NAN;
    return numbers_at(json, key, index, &v, 1) >= 1 ? v : NAN;
}

/* The entry (one {...} of a JSON layout list such as keras_model_optimizer_variables's) whose
 * "path" ends with `suffix`, copied into `out`; 0 if none. */
static inline int layout_entry(const char *json, const char *suffix, char *out, size_t capacity) {
    char needle[160];
    const char *at;
    snprintf(needle, sizeof needle, "%s\"", suffix);
    at = strstr(json, needle);
    if (at == NULL) return 0;
    {
        const char *open = at, *close = strchr(at, '}');
        size_t n;
        while (open > json && *open != '{') open--;
        if (close == NULL || *open != '{') return 0;
        n = (size_t)(close - open + 1);
        if (n >= capacity) return 0;
        memcpy(out, open, n);
        out[n] = '\0';
    }
    return 1;
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

/* The path of Fixtures/`name` into path (capacity bytes): under $KERAS_FIXTURES (the Fixtures
 * folder), else from the build folder the tests run in (.build/c) or the checkout's root;
 * 0 when no such file can be read. */
static inline int fixture_path(const char *name, char *path, size_t capacity) {
    const char *roots[] = {getenv("KERAS_FIXTURES"), "../../Tests/KerasTests/Fixtures", "Tests/KerasTests/Fixtures"};
    size_t r;
    for (r = 0; r < sizeof roots / sizeof roots[0]; r++) {
        FILE *f;
        if (!roots[r]) continue;
        snprintf(path, capacity, "%s/%s", roots[r], name);
        f = fopen(path, "rb");
        if (f) {
            fclose(f);
            return 1;
        }
    }
    return 0;
}

/* The whole file at Fixtures/`name` (fixture_path; malloc'd, NUL-terminated), or NULL. */
static inline char *read_fixture(const char *name) {
    char path[1024];
    FILE *f;
    long n;
    char *text;
    if (!fixture_path(name, path, sizeof path) || !(f = fopen(path, "rb"))) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = n >= 0 ? (char *)malloc((size_t)n + 1) : NULL;
    if (text && fread(text, 1, (size_t)n, f) == (size_t)n) {
        text[n] = '\0';
        fclose(f);
        return text;
    }
    free(text);
    fclose(f);
    return NULL;
}

#endif
