/* Issue 19, "Inputs are borrowed, not copied": fit, evaluate and predict read the caller's float32
 * arrays in place (include/keras.h, "Arrays"). A 32 MiB x trained on with sample weights and a
 * validation split, then evaluated and predicted, raises the process's peak resident set by far
 * less than one copy of it; the arrays are unchanged afterwards; and the validation split (rows
 * of the borrowed x, not copies) trains exactly as the same rows passed as validation data.
 * Runs natively in run_tests.sh: under valgrind the resident set is valgrind's. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include <stdint.h>

#define ROWS 65536
#define COLS 128
#define UNITS 4
#define TRAIN (ROWS - ROWS / 4)
#define X_BYTES ((long)ROWS * COLS * (long)sizeof(float))

/* A field of /proc/self/status in bytes ("VmHWM:", "VmRSS:"), -1 when unknown. */
static long status_bytes(const char *field) {
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, strlen(field)) == 0) { kb = atol(line + strlen(field)); break; }
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

/* Resets the peak resident set (VmHWM) to the current one; 0 when the kernel refused. */
static int reset_peak(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    int ok;
    if (!f) return 0;
    ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

static uint64_t checksum(const float *p, long n) {
    const unsigned char *b = (const unsigned char *)p;
    uint64_t h = 1469598103934665603ULL;
    long i;
    for (i = 0; i < n * (long)sizeof(float); i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static keras_model *new_model(void) {
    keras_model *m = NULL;
    char layer[160];
    keras_set_random_seed(7);
    CHECK_OK(keras_sequential_new(NULL, &m));
    snprintf(layer, sizeof layer, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, %d]}}", COLS);
    CHECK_OK(keras_sequential_add_json(m, layer));
    snprintf(layer, sizeof layer, "{\"class_name\": \"Dense\", \"config\": {\"units\": %d, \"activation\": \"softmax\"}}", UNITS);
    CHECK_OK(keras_sequential_add_json(m, layer));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"categorical_crossentropy\"}"));
    return m;
}

int main(void) {
    static float weights_a[COLS * UNITS + UNITS], weights_b[COLS * UNITS + UNITS];
    const int64_t xs[2] = {ROWS, COLS}, ys[2] = {ROWS, UNITS}, ws[1] = {ROWS};
    const int64_t few_xs[2] = {2048, COLS}, few_ys[2] = {2048, UNITS};
    const int64_t txs[2] = {TRAIN, COLS}, tys[2] = {TRAIN, UNITS}, vxs[2] = {ROWS - TRAIN, COLS}, vys[2] = {ROWS - TRAIN, UNITS};
    const char *options = "{\"batch_size\": 512, \"epochs\": 1, \"verbose\": 0, \"validation_split\": 0.25}";
    float *x = malloc((size_t)X_BYTES), *y = malloc((size_t)ROWS * UNITS * sizeof(float));
    float *w = malloc((size_t)ROWS * sizeof(float)), *out = malloc((size_t)ROWS * UNITS * sizeof(float));
    keras_array xa, ya, swa, tx, ty, vx, vy;
    keras_output oa;
    keras_model *m, *split_model, *data_model;
    char *text = NULL, *split_history = NULL, *data_history = NULL;
    uint64_t x_sum, y_sum, w_sum;
    long before, after, i, na, nb;
    int reset;

    if (!x || !y || !w || !out) { fprintf(stderr, "test_borrowed_inputs: out of memory\n"); return 1; }
    for (i = 0; i < (long)ROWS * COLS; i++) x[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    for (i = 0; i < ROWS; i++) {
        int k;
        for (k = 0; k < UNITS; k++) y[i * UNITS + k] = k == (int)(i % UNITS) ? 1.0f : 0.0f;
        w[i] = 0.5f + (float)(i % 3) / 2.0f;
    }
    memset(out, 0, (size_t)ROWS * UNITS * sizeof(float));
    x_sum = checksum(x, (long)ROWS * COLS); y_sum = checksum(y, (long)ROWS * UNITS); w_sum = checksum(w, ROWS);
    xa.data = x; xa.ndim = 2; xa.shape = xs;
    ya.data = y; ya.ndim = 2; ya.shape = ys;
    swa.data = w; swa.ndim = 1; swa.shape = ws;
    memset(&oa, 0, sizeof oa);
    oa.data = out; oa.capacity = (int64_t)ROWS * UNITS;

    /* Warm-up on a few rows: the library's lazily made state (thread pools, OpenBLAS buffers,
     * buffer pools for these batch sizes) is not what is measured. */
    m = new_model();
    CHECK_OK(keras_model_fit(m, x, 2, few_xs, y, 2, few_ys, options, NULL, 0, NULL));
    keras_model_free(m);
    m = new_model();

    reset = reset_peak();
    before = status_bytes(reset ? "VmHWM:" : "VmRSS:");
    CHECK_OK(keras_model_fit_arrays(m, &xa, 1, &ya, 1, &swa, NULL, 0, NULL, 0, NULL, options, NULL, 0, &text));
    keras_string_free(text);
    text = NULL;
    CHECK_OK(keras_model_evaluate_arrays(m, &xa, 1, &ya, 1, &swa, "{\"verbose\": 0, \"batch_size\": 512}", NULL, 0, &text));
    keras_string_free(text);
    text = NULL;
    CHECK_OK(keras_model_predict_arrays(m, &xa, 1, "{\"verbose\": 0, \"batch_size\": 512}", NULL, 0, &oa, 1));
    after = status_bytes("VmHWM:");
    printf("test_borrowed_inputs: x is %ld KiB; peak RSS %ld KiB before fit/evaluate/predict, %ld KiB after (+%ld KiB)%s\n",
           X_BYTES / 1024, before / 1024, after / 1024, (after - before) / 1024,
           reset ? "" : " (peak not resettable: measured from the RSS before)");
    CHECK(before > 0 && after > 0);
    /* One copy of x would add 32 MiB (the validation split used to add two halves of one). */
    CHECK(after - before < X_BYTES / 4);
    CHECK(checksum(x, (long)ROWS * COLS) == x_sum);
    CHECK(checksum(y, (long)ROWS * UNITS) == y_sum);
    CHECK(checksum(w, ROWS) == w_sum);
    CHECK(out[0] > 0.0f && out[0] < 1.0f);
    keras_model_free(m);

    /* validation_split 0.25 holds out the last quarter: the same as passing those rows (pointers
     * into the same buffer, borrowed too) as validation data, to the bit. */
    tx.data = x; tx.ndim = 2; tx.shape = txs;
    ty.data = y; ty.ndim = 2; ty.shape = tys;
    vx.data = x + (long)TRAIN * COLS; vx.ndim = 2; vx.shape = vxs;
    vy.data = y + (long)TRAIN * UNITS; vy.ndim = 2; vy.shape = vys;
    split_model = new_model();
    CHECK_OK(keras_model_fit(split_model, x, 2, xs, y, 2, ys, options, NULL, 0, &split_history));
    data_model = new_model();
    CHECK_OK(keras_model_fit_arrays(data_model, &tx, 1, &ty, 1, NULL, &vx, 1, &vy, 1, NULL,
                                    "{\"batch_size\": 512, \"epochs\": 1, \"verbose\": 0}", NULL, 0, &data_history));
    CHECK(split_history && data_history && strcmp(split_history, data_history) == 0);
    if (split_history && data_history && strcmp(split_history, data_history) != 0)
        fprintf(stderr, "validation_split: %s\nvalidation data:  %s\n", split_history, data_history);
    na = all_weights(split_model, weights_a, (long)(sizeof weights_a / sizeof weights_a[0]));
    nb = all_weights(data_model, weights_b, (long)(sizeof weights_b / sizeof weights_b[0]));
    CHECK(na == COLS * UNITS + UNITS && na == nb && memcmp(weights_a, weights_b, (size_t)na * sizeof(float)) == 0);
    keras_string_free(split_history);
    keras_string_free(data_history);
    keras_model_free(split_model);
    keras_model_free(data_model);
    free(x); free(y); free(w); free(out);
    CHECK_DONE("test_borrowed_inputs");
}
