/* Issue 19: the peak resident set of the Otto-shaped fit from C (seeds/004: 61,878 x 93 inputs,
 * 9 one-hot classes, Dense(100) -> Dense(9) -> softmax, SGD, batch 128, one epoch, then a
 * predict of every row) stays within RSS_BUDGET (the issue: 80 MiB). The data are made here
 * (25 MiB of them are the process's own); the library reads them in place. Prints the figure
 * for docs/PERFORMANCE.md. Runs natively in run_tests.sh (under valgrind the RSS is valgrind's);
 * under a sanitizer the fit runs but the RSS, the sanitizer's, is not checked. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include <stdint.h>
#include <sys/resource.h>

#define ROWS 61878
#define FEATURES 93
#define CLASSES 9
#define RSS_BUDGET_KIB (80L * 1024)

int main(void) {
    const int64_t xs[2] = {ROWS, FEATURES}, ys[2] = {ROWS, CLASSES};
    float *x = malloc((size_t)ROWS * FEATURES * sizeof(float));
    float *y = calloc((size_t)ROWS * CLASSES, sizeof(float));
    float *p = malloc((size_t)ROWS * CLASSES * sizeof(float));
    keras_model *m = NULL;
    struct rusage usage;
    uint32_t state = 42;
    long i;

    if (!x || !y || !p) { fprintf(stderr, "test_otto_rss: out of memory\n"); return 1; }
    for (i = 0; i < ROWS; i++) {
        int label = (int)(i % CLASSES), j;
        for (j = 0; j < FEATURES; j++) {
            state = state * 1664525u + 1013904223u;
            /* Counts-like features whose mean depends on the class, roughly standardised. */
            x[i * FEATURES + j] = (float)((state >> 16) % 7) / 3.0f - 1.0f + (j % CLASSES == label ? 0.5f : 0.0f);
        }
        y[i * CLASSES + label] = 1.0f;
    }
    keras_set_random_seed(1);
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 93]}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 100}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 9}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Activation\", \"config\": {\"activation\": \"softmax\"}}"));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"categorical_crossentropy\"}"));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"batch_size\": 128, \"epochs\": 1, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_predict(m, x, 2, xs, "{\"verbose\": 0, \"batch_size\": 1024}", NULL, 0, p,
                                 (int64_t)ROWS * CLASSES, NULL, NULL));
    CHECK(p[0] >= 0.0f && p[0] <= 1.0f);
    getrusage(RUSAGE_SELF, &usage);
    printf("test_otto_rss: peak RSS of the Otto-shaped fit and predict from C: %ld KiB (%.1f MiB; budget %ld MiB; the data: %.1f MiB)\n",
           usage.ru_maxrss, usage.ru_maxrss / 1024.0, RSS_BUDGET_KIB / 1024,
           (double)ROWS * (FEATURES + 2 * CLASSES) * sizeof(float) / (1024.0 * 1024.0));
    if (!UNDER_SANITIZER) CHECK(usage.ru_maxrss <= RSS_BUDGET_KIB);
    keras_model_free(m);
    free(x); free(y); free(p);
    CHECK_DONE("test_otto_rss");
}
