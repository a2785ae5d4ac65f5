/* keras_estimator_fit_arrays / _predict_arrays / _score_arrays: an estimator over a model with
 * two inputs, Keras fit's validation data and class weights, partial fits with classes, string
 * labels, and predictions whose options come with the call; bad arguments named. */
#include <math.h>
#include "check.h"

/* Two inputs (3 and 2 features), concatenated, one softmax output of 3 units. */
static const char *two_inputs =
    "{\"class_name\": \"Functional\", \"config\": {\"name\": \"two\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3], \"name\": \"a\"}, \"name\": \"a\", \"inbound_nodes\": []},"
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2], \"name\": \"b\"}, \"name\": \"b\", \"inbound_nodes\": []},"
    "{\"class_name\": \"Concatenate\", \"config\": {\"name\": \"cat\", \"axis\": -1}, \"name\": \"cat\", \"inbound_nodes\": [{\"args\": [["
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 3], \"keras_history\": [\"a\", 0, 0]}},"
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 2], \"keras_history\": [\"b\", 0, 0]}}]], \"kwargs\": {}}]},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"out\", \"units\": 3, \"activation\": \"softmax\"}, \"name\": \"out\", \"inbound_nodes\": [{\"args\": ["
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 5], \"keras_history\": [\"cat\", 0, 0]}}], \"kwargs\": {}}]}],"
    "\"input_layers\": [[\"a\", 0, 0], [\"b\", 0, 0]], \"output_layers\": [[\"out\", 0, 0]]}}";
static const char *one_input =
    "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 5]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"softmax\"}}]}}";
static const char *params = "{\"epochs\": 3, \"optimizer\": \"adam\", \"verbose\": 0, \"random_state\": 0, \"shuffle\": false}";

#define N 30

/* Counts epoch ends and predict batches. */
static int count_events(void *user_data, int event, int64_t index, const char *logs_json) {
    int *seen = (int *)user_data;
    (void)index; (void)logs_json;
    if (event == KERAS_ON_EPOCH_END) seen[0]++;
    if (event == KERAS_ON_PREDICT_BATCH_END) seen[1]++;
    return 0;
}

/* The value of "key"'s list's last entry in a JSON object ("val_loss": [.., v]). */
static int has_key(const char *json, const char *key) { return check_contains(json, key); }

int main(void) {
    static float xa[N * 3], xb[N * 2], xab[N * 5], y[N], w[N], probs[N * 3], probs2[N * 3], preds[N];
    const int64_t sa[2] = {N, 3}, sb[2] = {N, 2}, sab[2] = {N, 5}, sy[1] = {N}, sw[1] = {N};
    const int64_t sva[2] = {10, 3}, svb[2] = {10, 2}, svy[2] = {10, 3};
    static float va[10 * 3], vb[10 * 2], vy[10 * 3];
    int i, seen[2] = {0, 0};
    double s1 = -1, s2 = -2;
    char *meta = NULL, *labels = NULL;
    keras_estimator *est = NULL, *one = NULL, *text = NULL;
    keras_model *model = NULL;
    keras_callback *cb = NULL;
    for (i = 0; i < N; i++) {
        int j;
        for (j = 0; j < 3; j++) xa[3 * i + j] = (float)((i * (j + 2)) % 7) / 7.0f;
        for (j = 0; j < 2; j++) xb[2 * i + j] = (float)((i + j) % 5) / 5.0f;
        for (j = 0; j < 3; j++) xab[5 * i + j] = xa[3 * i + j];
        for (j = 0; j < 2; j++) xab[5 * i + 3 + j] = xb[2 * i + j];
        y[i] = (float)(i % 3);
        w[i] = 1.0f + (float)(i % 2);
    }
    for (i = 0; i < 10; i++) {
        int j;
        for (j = 0; j < 3; j++) { va[3 * i + j] = xa[3 * i + j]; vy[3 * i + j] = (j == i % 3) ? 1.0f : 0.0f; }
        for (j = 0; j < 2; j++) vb[2 * i + j] = xb[2 * i + j];
    }
    keras_array x2[2] = {{xa, 2, sa}, {xb, 2, sb}}, x1[1] = {{xab, 2, sab}};
    keras_array ya = {y, 1, sy}, wa = {w, 1, sw};
    /* Validation targets as the model takes them (categorical crossentropy: one-hot rows). */
    keras_array vx[2] = {{va, 2, sva}, {vb, 2, svb}}, vya = {vy, 2, svy};
    keras_output out;

    /* Two inputs, validation data and a class weight: the fit trains, validates each epoch. */
    CHECK_OK(keras_estimator_new("KerasClassifier", two_inputs, params, &est));
    CHECK_OK(keras_estimator_set_params(est, "{\"loss\": \"categorical_crossentropy\"}"));
    CHECK_OK(keras_callback_new("count", count_events, seen, NULL, &cb));
    CHECK_OK(keras_estimator_fit_arrays(est, x2, 2, &ya, NULL, &wa, vx, 2, &vya, 1, NULL,
                                        "{\"class_weight\": {\"0\": 1.0, \"1\": 2.0, \"2\": 0.5}}", &cb, 1));
    CHECK(seen[0] == 3);
    CHECK_OK(keras_estimator_metadata(est, &meta));
    CHECK(has_key(meta, "\"val_loss\"") && check_contains(meta, "\"sample_shape\": [3]"));
    keras_string_free(meta);

    /* Predictions with the call's own options and callbacks; the same values in one batch. */
    out.data = probs; out.capacity = N * 3;
    CHECK_OK(keras_estimator_predict_arrays(est, "predict_proba", x2, 2, "{\"batch_size\": 7}", &cb, 1, &out, NULL));
    CHECK(out.ndim == 2 && out.shape[0] == N && out.shape[1] == 3);
    CHECK(seen[1] == 5);  /* ceil(30 / 7) batches */
    out.data = probs2;
    CHECK_OK(keras_estimator_predict_arrays(est, "predict_proba", x2, 2, "{\"batch_size\": -1}", NULL, 0, &out, NULL));
    for (i = 0; i < N * 3; i++) CHECK(fabsf(probs[i] - probs2[i]) < 1e-6f);
    for (i = 0; i < N; i++) CHECK(fabsf(probs[3 * i] + probs[3 * i + 1] + probs[3 * i + 2] - 1.0f) < 1e-5f);
    out.data = preds; out.capacity = N;
    CHECK_OK(keras_estimator_predict_arrays(est, "predict", x2, 2, NULL, NULL, 0, &out, NULL));
    CHECK(out.ndim == 1 && out.shape[0] == N);
    CHECK_OK(keras_estimator_score_arrays(est, x2, 2, &ya, NULL, "{\"batch_size\": 4}", NULL, 0, &s1));
    CHECK_OK(keras_estimator_score_arrays(est, x2, 2, &ya, &wa, NULL, NULL, 0, &s2));
    CHECK(s1 >= 0 && s1 <= 1 && s2 >= 0 && s2 <= 1);
    {
        int correct = 0;
        for (i = 0; i < N; i++) correct += preds[i] == y[i];
        CHECK(fabs(s1 - (double)correct / N) < 1e-12);
    }

    /* A one-input estimator of the same data predicts through the single-array calls alike. */
    CHECK_OK(keras_estimator_new("KerasClassifier", one_input, params, &one));
    CHECK_OK(keras_estimator_fit_arrays(one, x1, 1, &ya, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, 0));
    {
        static float a[N * 3], b[N * 3];
        int64_t shape[KERAS_MAX_RANK];
        int ndim = 0;
        CHECK_OK(keras_estimator_predict_proba(one, xab, 2, sab, a, N * 3, shape, &ndim));
        out.data = b; out.capacity = N * 3;
        CHECK_OK(keras_estimator_predict_arrays(one, "predict_proba", x1, 1, NULL, NULL, 0, &out, NULL));
        for (i = 0; i < N * 3; i++) CHECK(a[i] == b[i]);
    }

    /* Partial fits: classes count as seen on the first call (y has only 0 and 1 here). */
    {
        keras_estimator *part = NULL;
        const int64_t half[1] = {N / 3 * 2};
        static float y01[N];
        keras_array yh = {y01, 1, half}, xh[1] = {{xab, 2, sab}};
        int64_t sh[2] = {N / 3 * 2, 5};
        int k = 0;
        for (i = 0; i < N && k < N / 3 * 2; i++) if (y[i] != 2) { y01[k] = y[i]; k++; }
        xh[0].shape = sh;
        CHECK_OK(keras_estimator_new("KerasClassifier", one_input, params, &part));
        CHECK_OK(keras_estimator_fit_arrays(part, xh, 1, &yh, NULL, NULL, NULL, 0, NULL, 0, NULL,
                                            "{\"partial\": true, \"classes\": [0, 1, 2]}", NULL, 0));
        CHECK_OK(keras_estimator_metadata(part, &meta));
        CHECK(check_contains(meta, "\"n_classes_\": 3") && check_contains(meta, "\"loss\": [") );
        keras_string_free(meta);
        CHECK_OK(keras_estimator_fit_arrays(part, x1, 1, &ya, NULL, NULL, NULL, 0, NULL, 0, NULL, "{\"partial\": true}", NULL, 0));
        keras_estimator_free(part);
    }

    /* String labels in, string labels out. */
    CHECK_OK(keras_estimator_new("KerasClassifier", one_input, params, &text));
    {
        char json[N * 8 + 8];
        size_t at = 0;
        json[at++] = '[';
        for (i = 0; i < N; i++) at += (size_t)snprintf(json + at, sizeof json - at, "%s\"%c\"", i ? ", " : "", "abc"[i % 3]);
        json[at++] = ']'; json[at] = 0;
        CHECK_OK(keras_estimator_fit_arrays(text, x1, 1, NULL, json, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, 0));
        CHECK_OK(keras_estimator_predict_arrays(text, "predict", x1, 1, NULL, NULL, 0, &out, &labels));
        CHECK(labels != NULL && labels[0] == '[' && check_contains(labels, "\""));
        keras_string_free(labels);
        labels = NULL;
        CHECK_ERR(KERAS_ERR_STATE, "labels_json", keras_estimator_predict_arrays(text, "predict", x1, 1, NULL, NULL, 0, &out, NULL));
    }

    /* Bad arguments, each named; nothing changes. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "give the targets as y or as labels_json",
              keras_estimator_fit_arrays(one, x1, 1, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, 0));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown option 'epochs'",
              keras_estimator_fit_arrays(one, x1, 1, &ya, NULL, NULL, NULL, 0, NULL, 0, NULL, "{\"epochs\": 2}", NULL, 0));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "classes apply to partial fits only",
              keras_estimator_fit_arrays(one, x1, 1, &ya, NULL, NULL, NULL, 0, NULL, 0, NULL, "{\"classes\": [0, 1, 2]}", NULL, 0));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "validation data needs both val_x and val_y",
              keras_estimator_fit_arrays(est, x2, 2, &ya, NULL, NULL, vx, 2, NULL, 0, NULL, NULL, NULL, 0));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "method must be",
              keras_estimator_predict_arrays(one, "transform", x1, 1, NULL, NULL, 0, &out, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "batch_size (of this call)",
              keras_estimator_predict_arrays(one, "predict", x1, 1, "{\"batch_size\": 0}", NULL, 0, &out, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown option 'steps'",
              keras_estimator_predict_arrays(one, "predict", x1, 1, "{\"steps\": 2}", NULL, 0, &out, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "output must not be NULL",
              keras_estimator_predict_arrays(one, "predict", x1, 1, NULL, NULL, 0, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "fitted with 5 features",
              keras_estimator_predict_arrays(one, "predict", x2, 1, NULL, NULL, 0, &out, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "nx",
              keras_estimator_score_arrays(one, x1, 0, &ya, NULL, NULL, NULL, 0, &s1));
    out.capacity = 2;
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "",
              keras_estimator_predict_arrays(one, "predict_proba", x1, 1, NULL, NULL, 0, &out, NULL));
    CHECK(out.ndim == 2 && out.shape[0] == N && out.shape[1] == 3);

    keras_callback_free(cb);
    keras_estimator_free(est);
    keras_estimator_free(one);
    keras_estimator_free(text);
    (void)model;
    CHECK_DONE("test_estimator_arrays");
}
