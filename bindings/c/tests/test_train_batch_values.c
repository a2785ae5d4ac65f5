/* keras_model_train_batch_values: the step keras_model_train_batch takes, its figures written as
 * numbers in logs_json's key order (a per-class metric's class values in a row), the layout
 * [name, width] when asked. Two models made alike, one stepped with each call through the same
 * batches, give the same figures at every batch and the same weights after; a buffer too small
 * gets the count, the layout and BUFFER_TOO_SMALL (the step taken); bad arguments are refused. */
#include "check.h"

#define ROWS 32
#define BATCH 8
#define FEATURES 4
#define CLASSES 3

static const char *model_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"softmax\"}}]}}";
static const char *compile_json =
    "{\"optimizer\": {\"class_name\": \"Adam\", \"config\": {\"learning_rate\": 0.05}}, "
    "\"loss\": \"categorical_crossentropy\", "
    "\"metrics\": [\"accuracy\", {\"class_name\": \"F1Score\", \"config\": {\"average\": null}}]}";

int main(void) {
    static float x[ROWS * FEATURES], y[ROWS * CLASSES], w[ROWS];
    static float wa[64], wb[64];
    const char *keys[3] = {"accuracy", "f1_score", "loss"};
    const long widths[3] = {1, CLASSES, 1};
    const int64_t xs[2] = {BATCH, FEATURES}, ys[2] = {BATCH, CLASSES}, ws[1] = {BATCH};
    keras_model *json_model = NULL, *values_model = NULL;
    keras_array bx, by, bw;
    char *logs = NULL, *layout = NULL;
    double values[16];
    int64_t count = -1;
    long offsets[3], i, batch, na, nb;

    for (i = 0; i < ROWS * FEATURES; i++) x[i] = (float)((i * 7) % 11) / 11.0f - 0.4f;
    for (i = 0; i < ROWS; i++) {
        y[i * CLASSES + i % CLASSES] = 1.0f;
        w[i] = 0.5f + (float)(i % 4) / 4.0f;
    }
    CHECK_OK(keras_set_random_seed(5));
    CHECK_OK(keras_model_from_json(model_json, &json_model));
    CHECK_OK(keras_set_random_seed(5));
    CHECK_OK(keras_model_from_json(model_json, &values_model));
    CHECK_OK(keras_model_compile(json_model, compile_json));
    CHECK_OK(keras_model_compile(values_model, compile_json));

    for (batch = 0; batch < ROWS / BATCH; batch++) {
        bx.data = x + batch * BATCH * FEATURES; bx.ndim = 2; bx.shape = xs;
        by.data = y + batch * BATCH * CLASSES; by.ndim = 2; by.shape = ys;
        bw.data = w + batch * BATCH; bw.ndim = 1; bw.shape = ws;
        keras_string_free(logs); logs = NULL;
        CHECK_OK(keras_model_train_batch(json_model, &bx, 1, &by, 1, &bw, batch == 0, &logs));
        CHECK_OK(keras_model_train_batch_values(values_model, &bx, 1, &by, 1, &bw, batch == 0,
                                                batch == 0 ? &layout : NULL, values, 16, &count));
        CHECK(count == 1 + CLASSES + 1);
        if (batch == 0) {
            /* the layout: one [name, width] per key, in logs_json's order */
            printf("layout: %s\nlogs: %s\n", layout, logs);
            CHECK(check_contains(layout, "[\"accuracy\", 1]") && check_contains(layout, "[\"f1_score\", 3]") &&
                  check_contains(layout, "[\"loss\", 1]"));
            for (i = 0; i < 3; i++) {
                long j, at = 0;
                const char *p = strstr(layout, keys[i]);
                for (j = 0; j < 3; j++) if (strstr(layout, keys[j]) < p) at += widths[j];
                offsets[i] = at;
            }
        }
        for (i = 0; i < 3; i++) {
            double expected[CLASSES];
            long k, n = numbers_at(logs, keys[i], 0, expected, CLASSES);
            CHECK(n == widths[i]);
            for (k = 0; k < n && k < CLASSES; k++) CHECK(fabs(values[offsets[i] + k] - expected[k]) < 1e-6);
        }
    }
    /* the same steps: the same weights */
    na = all_weights(json_model, wa, 64);
    nb = all_weights(values_model, wb, 64);
    CHECK(na == nb && na == FEATURES * CLASSES + CLASSES);
    for (i = 0; i < na; i++) CHECK(fabsf(wa[i] - wb[i]) < 1e-6f);

    /* a buffer too small: the count and the layout, the step taken, nothing written */
    keras_string_free(layout); layout = NULL;
    values[0] = -7.0;
    count = -1;
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "holds 5 values, the buffer 2",
              keras_model_train_batch_values(values_model, &bx, 1, &by, 1, &bw, 0, &layout, values, 2, &count));
    CHECK(count == 5 && values[0] == -7.0 && check_contains(layout, "f1_score"));
    all_weights(values_model, wb, 64);
    CHECK(memcmp(wa, wb, sizeof(float) * (size_t)na) != 0);
    keras_string_free(layout); layout = NULL;

    /* bad arguments */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "count must not be NULL",
              keras_model_train_batch_values(values_model, &bx, 1, &by, 1, NULL, 0, NULL, values, 16, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "capacity is negative",
              keras_model_train_batch_values(values_model, &bx, 1, &by, 1, NULL, 0, NULL, values, -1, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "values is NULL",
              keras_model_train_batch_values(values_model, &bx, 1, &by, 1, NULL, 0, NULL, NULL, 16, &count));
    CHECK_ERR(KERAS_ERR_SHAPE, "",
              keras_model_train_batch_values(values_model, &bx, 1, &bx, 1, NULL, 0, NULL, values, 16, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "",
              keras_model_train_batch_values(NULL, &bx, 1, &by, 1, NULL, 0, NULL, values, 16, &count));
    {
        keras_model *uncompiled = NULL;
        CHECK_OK(keras_model_from_json(model_json, &uncompiled));
        CHECK_ERR(KERAS_ERR_STATE, "compile",
                  keras_model_train_batch_values(uncompiled, &bx, 1, &by, 1, NULL, 0, NULL, values, 16, &count));
        keras_model_free(uncompiled);
    }

    keras_string_free(logs);
    keras_model_free(json_model);
    keras_model_free(values_model);
    CHECK_DONE("test_train_batch_values");
}
