/* Concurrency stress test (issue 17, `make sanitize`): 8 threads at once fit, predict, save,
 * load and register/unregister plugin activations, for a fixed number of iterations, under
 * AddressSanitizer+UndefinedBehaviorSanitizer or ThreadSanitizer. Two of them also drive the
 * library's own threads (threaded_work). Every call must succeed and every prediction be
 * finite; the sanitizers report any race or memory error. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#define THREADS 8
#define ITERATIONS 6

static char dir[] = "/tmp/keras-stress-XXXXXX";

static int square(void *user_data, const float *x, int64_t n, float *y, float *dydx) {
    int64_t i;
    (void)user_data;
    for (i = 0; i < n; i++) { y[i] = x[i] * x[i]; if (dydx) dydx[i] = 2 * x[i]; }
    return 0;
}

/* The library's own threads, from two callers at once: a product in the two-core range shared
 * with the GemmPartner thread (32x64 by 64x128), an LSTM whose batch of 16 runs as two halves
 * concurrently (20 steps: over the split's 2^20 multiply-adds), a Bidirectional LSTM whose two
 * directions run as one op on the caller and the partner, and a grid search on two workers. */
static int threaded_work(int id) {
    enum { rows = 32, features = 64, steps = 20, seq = 8 };
    static const char *dense =
        "{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 64]}},"
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 128, \"activation\": \"relu\"}},"
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}]}}";
    static const char *lstm =
        "{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 20, 8]}},"
        "{\"class_name\": \"LSTM\", \"config\": {\"units\": 32}},"
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}]}}";
    static const char *bilstm =
        "{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 20, 8]}},"
        "{\"class_name\": \"Bidirectional\", \"config\": {\"layer\": "
        "{\"class_name\": \"LSTM\", \"config\": {\"units\": 32, \"return_sequences\": true}}}},"
        "{\"class_name\": \"GlobalAveragePooling1D\", \"config\": {}},"
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}]}}";
    float x[rows * features], s[rows * steps * seq], y[rows];
    const int64_t xs[2] = {rows, features}, ss[3] = {rows, steps, seq}, ys[2] = {rows, 1}, yv[1] = {rows};
    keras_model *m = NULL, *r = NULL, *b = NULL;
    keras_estimator *est = NULL;
    keras_search *search = NULL;
    int i, failures = 0;
    for (i = 0; i < rows * features; i++) x[i] = (float)((i * 13) % 17) / 17.0f;
    for (i = 0; i < rows * steps * seq; i++) s[i] = (float)((i * 7) % 19) / 19.0f;
    for (i = 0; i < rows; i++) y[i] = (float)(i % 3);
    if (keras_model_from_json(dense, &m) != KERAS_OK || keras_model_compile(m, "{\"optimizer\": \"adam\", \"loss\": \"mse\"}") != KERAS_OK ||
        keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 3, \"batch_size\": 32, \"verbose\": 0}", NULL, 0, NULL) != KERAS_OK ||
        keras_model_from_json(lstm, &r) != KERAS_OK || keras_model_compile(r, "{\"optimizer\": \"adam\", \"loss\": \"mse\"}") != KERAS_OK ||
        keras_model_fit(r, s, 3, ss, y, 2, ys, "{\"epochs\": 1, \"batch_size\": 16, \"verbose\": 0}", NULL, 0, NULL) != KERAS_OK ||
        keras_model_from_json(bilstm, &b) != KERAS_OK || keras_model_compile(b, "{\"optimizer\": \"adam\", \"loss\": \"mse\"}") != KERAS_OK ||
        keras_model_fit(b, s, 3, ss, y, 2, ys, "{\"epochs\": 1, \"batch_size\": 16, \"verbose\": 0}", NULL, 0, NULL) != KERAS_OK ||
        keras_estimator_new("KerasRegressor", dense, "{\"loss\": \"mse\", \"epochs\": 1, \"verbose\": 0}", &est) != KERAS_OK ||
        keras_grid_search_new(est, "{\"batch_size\": [8, 16]}", "{\"cv\": 2, \"n_jobs\": 2}", &search) != KERAS_OK ||
        keras_search_fit(search, x, 2, xs, y, 1, yv) != KERAS_OK) {
        fprintf(stderr, "thread %d (threaded work): %s\n", id, keras_last_error());
        failures++;
    }
    keras_search_free(search);
    keras_estimator_free(est);
    keras_model_free(b);
    keras_model_free(r);
    keras_model_free(m);
    return failures;
}

typedef struct { int id; int failures; } job;

static void *work(void *arg) {
    job *j = (job *)arg;
    float x[64], y[16], out[16];
    const int64_t xs[2] = {16, 4}, ys[2] = {16, 1};
    char path[256], name[64], layer[256];
    int it, i;
    for (i = 0; i < 64; i++) x[i] = (float)((i * 7 + j->id) % 11) / 11.0f;
    for (i = 0; i < 16; i++) y[i] = (float)(i % 2);
    for (it = 0; it < ITERATIONS; it++) {
        keras_model *m = NULL, *m2 = NULL;
        snprintf(name, sizeof name, "stress_square_%d_%d", j->id, it);
        if (keras_register_activation(name, square, NULL, NULL) != KERAS_OK) j->failures++;
        snprintf(layer, sizeof layer, "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"%s\"}}", name);
        if (keras_sequential_new(NULL, &m) != KERAS_OK) { j->failures++; continue; }
        if (keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}}") != KERAS_OK ||
            keras_sequential_add_json(m, layer) != KERAS_OK ||
            keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}") != KERAS_OK ||
            keras_model_compile(m, "{\"optimizer\": \"adam\", \"loss\": \"mse\"}") != KERAS_OK ||
            keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"batch_size\": 4, \"verbose\": 0}", NULL, 0, NULL) != KERAS_OK ||
            keras_model_predict(m, x, 2, xs, NULL, NULL, 0, out, 16, NULL, NULL) != KERAS_OK) {
            fprintf(stderr, "thread %d: %s\n", j->id, keras_last_error());
            j->failures++;
        }
        snprintf(path, sizeof path, "%s/t%d.keras", dir, j->id);
        if (keras_model_save(m, path, 1) != KERAS_OK || keras_model_load(path, 0, &m2) != KERAS_OK) {
            fprintf(stderr, "thread %d: %s\n", j->id, keras_last_error());
            j->failures++;
        }
        for (i = 0; i < 16; i++) if (!(out[i] == out[i]) || out[i] > 1e30f || out[i] < -1e30f) j->failures++;
        keras_model_free(m2);
        keras_model_free(m);
        keras_unregister("activation", name);
    }
    if (j->id < 2) j->failures += threaded_work(j->id);
    return NULL;
}

int main(void) {
    pthread_t t[THREADS];
    job jobs[THREADS];
    char cmd[300];
    int i, failures = 0;
    (void)check_contains;
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    for (i = 0; i < THREADS; i++) {
        jobs[i].id = i;
        jobs[i].failures = 0;
        CHECK(pthread_create(&t[i], NULL, work, &jobs[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        failures += jobs[i].failures;
    }
    CHECK(failures == 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    if (check_failures) { fprintf(stderr, "stress: %d failures\n", check_failures); return 1; }
    printf("stress: %d threads x %d iterations passed\n", THREADS, ITERATIONS);
    return 0;
}
