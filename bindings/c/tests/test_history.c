/* keras_model_history: a fit's History as numbers, the same figures as its history_json (per-class
 * metric, validation every other epoch), and bad input. */
#include "check.h"
#include <math.h>

static const char *model_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"h\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 8, \"activation\": \"relu\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"softmax\"}}]}}";

static const char *compile_json =
    "{\"optimizer\": \"adam\", \"loss\": \"categorical_crossentropy\","
    " \"metrics\": [\"accuracy\", {\"class_name\": \"F1Score\", \"config\": {\"average\": null}}]}";

#define N 60
#define MAX_VALUES 256

/* The numbers of a history_json in the order they are written (null as NaN). */
static int json_numbers(const char *json, double *out, int capacity) {
    int n = 0;
    const char *p = json;
    while (p && *p && n < capacity) {
        if (*p == '"') {                       /* a key: skip it */
            p = strchr(p + 1, '"');
            if (!p) break;
            p++;
        } else if (strncmp(p, "null", 4) == 0) {
            out[n++] = NAN;
            p += 4;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            char *end;
            out[n++] = strtod(p, &end);
            p = end;
        } else {
            p++;
        }
    }
    return n;
}

int main(void) {
    static float x[N * 4], y[N * 3];
    static double values[MAX_VALUES], expected[MAX_VALUES];
    const int64_t xs[2] = {N, 4}, ys[2] = {N, 3};
    keras_model *m = NULL;
    char *history = NULL, *layout = NULL;
    int64_t count = -1;
    int i, n;

    for (i = 0; i < N; i++) {
        int label = i % 3;
        x[4 * i] = (float)label + 0.1f * (float)(i % 5);
        x[4 * i + 1] = (float)(i % 7) / 7;
        x[4 * i + 2] = (float)(2 - label) * 0.5f;
        x[4 * i + 3] = (float)(i % 2);
        y[3 * i] = label == 0; y[3 * i + 1] = label == 1; y[3 * i + 2] = label == 2;
    }
    CHECK_OK(keras_set_random_seed(3));
    CHECK_OK(keras_model_from_json(model_json, &m));

    /* Before any fit: an empty History. */
    CHECK_OK(keras_model_history(m, &layout, NULL, 0, &count));
    CHECK(layout != NULL && strcmp(layout, "[]") == 0);
    CHECK(count == 0);
    keras_string_free(layout);
    layout = NULL;

    CHECK_OK(keras_model_compile(m, compile_json));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys,
                             "{\"epochs\": 5, \"batch_size\": 16, \"verbose\": 0, "
                             "\"validation_split\": 0.2, \"validation_freq\": 2}",
                             NULL, 0, &history));

    /* Too small: the count needed, nothing else. */
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "holds 35 values", keras_model_history(m, &layout, values, 3, &count));
    CHECK(count == 35);
    CHECK(layout == NULL);

    /* 5 epochs of accuracy, f1_score (3 classes), loss; validation after epochs 2 and 4. */
    CHECK_OK(keras_model_history(m, &layout, values, MAX_VALUES, &count));
    CHECK(count == 35);
    CHECK(layout != NULL && strcmp(layout,
        "[[\"accuracy\", 5, 1], [\"f1_score\", 5, 3], [\"loss\", 5, 1], "
        "[\"val_accuracy\", 2, 1], [\"val_f1_score\", 2, 3], [\"val_loss\", 2, 1]]") == 0);

    /* The same figures as the fit's history_json, to the bit, in the same order. */
    n = json_numbers(history, expected, MAX_VALUES);
    CHECK(n == 35);
    for (i = 0; i < n && i < count; i++) {
        if (!(values[i] == expected[i] || (isnan(values[i]) && isnan(expected[i])))) {
            fprintf(stderr, "value %d: %.17g, history_json has %.17g\n", i, values[i], expected[i]);
            check_failures++;
        }
    }
    CHECK(values[20] > 0 && values[20] < 5);   /* the first epoch's loss (after 5 + 15 values) */
    keras_string_free(layout);
    layout = NULL;

    /* Bad input, each named; nothing written. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layout_json must not be NULL", keras_model_history(m, NULL, values, MAX_VALUES, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "count must not be NULL", keras_model_history(m, &layout, values, MAX_VALUES, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "capacity is negative", keras_model_history(m, &layout, values, -1, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "values is NULL", keras_model_history(m, &layout, NULL, MAX_VALUES, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_model_history(NULL, &layout, values, MAX_VALUES, &count));
    CHECK(layout == NULL);

    keras_string_free(history);
    keras_model_free(m);
    CHECK_DONE("test_history");
}
