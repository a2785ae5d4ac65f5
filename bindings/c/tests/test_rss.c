/* Issue 17: 2,000 fit/predict cycles in one process stay under a fixed resident-memory budget
 * (docs/RELIABILITY.md, "Memory"). After a warm-up the resident set may not grow by more than
 * GROWTH_BUDGET in total (a leak of 0.25 KB per cycle would exceed it) and never exceeds
 * RSS_BUDGET. Not run under valgrind (run_tests.sh): the RSS measured would be valgrind's; under
 * a sanitizer (make sanitize) the cycles run but the RSS, the sanitizer's, is not checked. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include <stdint.h>
#include <unistd.h>

#define CYCLES 2000
#define WARMUP 200
#define GROWTH_BUDGET (384L * 1024)
#define RSS_BUDGET (96L * 1024 * 1024)

/* The resident set size in bytes (/proc/self/statm), -1 when unknown. */
static long resident_bytes(void) {
    long size = 0, resident = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

int main(void) {
    float x[64 * 8], y[64 * 2], out[64 * 2];
    const int64_t xs[2] = {64, 8}, ys[2] = {64, 2};
    keras_model *m = NULL;
    char *history = NULL;
    const char *options = "{\"batch_size\": 16, \"epochs\": 1, \"verbose\": 0, \"shuffle\": true}";
    keras_array xa, ya;
    keras_output oa;
    long warm = 0, peak = 0, now;
    int i;

    for (i = 0; i < 64 * 8; i++) x[i] = (float)((i * 29) % 13) / 13.0f;
    for (i = 0; i < 64 * 2; i++) y[i] = (float)((i * 7) % 3);
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 8]}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 16, \"activation\": \"relu\"}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}"));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"adam\", \"loss\": \"mse\", \"metrics\": [\"mae\"]}"));
    if (check_failures) CHECK_DONE("test_rss");

    xa.data = x; xa.ndim = 2; xa.shape = xs;
    ya.data = y; ya.ndim = 2; ya.shape = ys;
    memset(&oa, 0, sizeof oa);
    oa.data = out; oa.capacity = 64 * 2;
    /* Odd cycles through keras_model_fit / keras_model_predict, even ones through the *_arrays
     * calls (which the Python package uses). */
    for (i = 1; i <= CYCLES && !check_failures; i++) {
        if (i % 2) {
            CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, options, NULL, 0, &history));
            keras_string_free(history);
            history = NULL;
            CHECK_OK(keras_model_predict(m, x, 2, xs, "{\"verbose\": 0}", NULL, 0, out, 64 * 2, NULL, NULL));
        } else {
            CHECK_OK(keras_model_fit_arrays(m, &xa, 1, &ya, 1, NULL, NULL, 0, NULL, 0, NULL, options, NULL, 0, &history));
            keras_string_free(history);
            history = NULL;
            CHECK_OK(keras_model_predict_arrays(m, &xa, 1, "{\"verbose\": 0}", NULL, 0, &oa, 1));
        }
        now = resident_bytes();
        CHECK(now > 0);
        if (now > peak) peak = now;
        if (i == WARMUP) warm = now;
    }
    now = resident_bytes();
    printf("test_rss: %d fit/predict cycles: RSS %ld KB after %d, %ld KB at the end (growth %ld bytes, %.3f KB per cycle), peak %ld KB\n",
           CYCLES, warm / 1024, WARMUP, now / 1024, now - warm, (double)(now - warm) / (CYCLES - WARMUP) / 1024.0, peak / 1024);
    if (!UNDER_SANITIZER) {
        CHECK(now - warm <= GROWTH_BUDGET);
        CHECK(peak <= RSS_BUDGET);
    }
    keras_model_free(m);
    CHECK_DONE("test_rss");
}
