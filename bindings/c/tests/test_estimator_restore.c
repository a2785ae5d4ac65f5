/* keras_estimator_restore: a fitted estimator rebuilt around a trained model from the metadata
 * another estimator's fit left (how a binding unpickles an estimator or takes over a search's
 * refit), which predicts, scores and trains on as that one; bad metadata named field by field.
 * Also the predict__batch_size / predict__verbose parameters of the estimator's predictions. */
#include <math.h>
#include <string.h>
#include "check.h"

#define N 40

static const char *cfg =
    "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"softmax\"}}]}}";
static const char *cfg_regressor =
    "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}]}}";
static const char *cfg_binary =
    "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 1, \"activation\": \"sigmoid\"}}]}}";
static const char *params = "{\"epochs\": 5, \"optimizer\": \"adam\", \"optimizer__learning_rate\": 0.05, \"verbose\": 0, \"random_state\": 0}";

/* Metadata for cfg's model, as keras_estimator_metadata writes it. */
static const char *good =
    "{\"n_features_in_\": 2, \"n_classes_\": 3, \"classes_\": [\"1\", \"3\", \"5\"], \"classes_kind\": \"numbers\", "
    "\"n_outputs_\": 1, \"n_outputs_expected_\": 1, \"output_units\": 3, \"target_type_\": \"multiclass\", "
    "\"target_encoding\": \"ordinal\", \"y_ndim_\": 1, \"sample_shape\": [2], \"output_activation\": \"softmax\", "
    "\"default_loss\": \"sparse_categorical_crossentropy\", \"history_\": {\"accuracy\": [0.5, 0.75], \"loss\": [1.0, 0.5]}}";

/* `good` with its first `from` replaced by `to`. */
static const char *variant(const char *from, const char *to) {
    static char out[2048];
    const char *at = strstr(good, from);
    size_t head;
    if (!at) { fprintf(stderr, "variant: '%s' is not in the metadata\n", from); exit(2); }
    head = (size_t)(at - good);
    memcpy(out, good, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    return out;
}

/* Records the index of each epoch that ends. */
static int record_epochs(void *user_data, int event, int64_t index, const char *logs_json) {
    int64_t *seen = (int64_t *)user_data;
    (void)logs_json;
    if (event == KERAS_ON_EPOCH_END) seen[seen[0]++ + 1] = index;
    return 0;
}

static char *metadata(keras_estimator *est) {
    char *meta = NULL;
    CHECK_OK(keras_estimator_metadata(est, &meta));
    return meta;
}

/* est and its restored copy predict, predict_proba and score alike (same shapes, same values). */
static void same_predictions(keras_estimator *a, keras_estimator *b, const float *x, const int64_t *xs,
                             const float *y, int y_ndim, const int64_t *ys, int proba) {
    static float pa[N * 3], pb[N * 3];
    int64_t sa[KERAS_MAX_RANK], sb[KERAS_MAX_RANK];
    int na = 0, nb = 0, i;
    double score_a = -1, score_b = -2;
    CHECK_OK(keras_estimator_predict(a, x, 2, xs, pa, N * 3, sa, &na));
    CHECK_OK(keras_estimator_predict(b, x, 2, xs, pb, N * 3, sb, &nb));
    CHECK(na == nb && sa[0] == sb[0] && (na == 1 || sa[1] == sb[1]));
    for (i = 0; i < (int)(sa[0] * (na == 1 ? 1 : sa[1])); i++) CHECK(pa[i] == pb[i]);
    if (proba) {
        CHECK_OK(keras_estimator_predict_proba(a, x, 2, xs, pa, N * 3, sa, &na));
        CHECK_OK(keras_estimator_predict_proba(b, x, 2, xs, pb, N * 3, sb, &nb));
        CHECK(na == 2 && nb == 2 && sa[1] == sb[1]);
        for (i = 0; i < (int)(sa[0] * sa[1]); i++) CHECK(pa[i] == pb[i]);
    }
    CHECK_OK(keras_estimator_score(a, x, 2, xs, y, y_ndim, ys, &score_a));
    CHECK_OK(keras_estimator_score(b, x, 2, xs, y, y_ndim, ys, &score_b));
    CHECK(score_a == score_b);
}

int main(void) {
    static float x[N * 2], y[N], yb[N], out[N * 3], out2[N * 3];
    const int64_t xs[2] = {N, 2}, ys[1] = {N}, ys2[2] = {N, 1};
    int64_t shape[KERAS_MAX_RANK], seen[8] = {0};
    int ndim = 0, i;
    char *meta = NULL, *again = NULL, *labels = NULL, *labels2 = NULL;
    keras_estimator *est = NULL, *restored = NULL, *bad = NULL;
    keras_model *model = NULL;
    keras_callback *cb = NULL;
    for (i = 0; i < N; i++) {
        x[2 * i] = (float)(i % 3); x[2 * i + 1] = (float)(i % 4) / 4;
        y[i] = (float)(2 * (i % 3) + 1);   /* classes 1, 3, 5 */
        yb[i] = (float)(i % 3) - 0.5f * x[2 * i + 1];
    }

    /* A classifier fitted on numeric labels, rebuilt around its model: the same metadata (every
     * field, history_ included) and the same predictions, probabilities and score. */
    CHECK_OK(keras_estimator_new("KerasClassifier", cfg, params, &est));
    CHECK_OK(keras_estimator_fit(est, x, 2, xs, y, 1, ys));
    meta = metadata(est);
    CHECK(check_contains(meta, "\"classes_kind\": \"numbers\"") && check_contains(meta, "\"sample_shape\": [2]") &&
          check_contains(meta, "\"target_encoding\": \"ordinal\"") && check_contains(meta, "\"y_ndim_\": 1"));
    CHECK_OK(keras_estimator_model(est, &model));
    CHECK_OK(keras_estimator_restore("KerasClassifier", model, params, meta, &restored));
    again = metadata(restored);
    CHECK(meta && again && strcmp(meta, again) == 0);
    keras_string_free(again);
    same_predictions(est, restored, x, xs, y, 1, ys, 1);
    CHECK_OK(keras_estimator_predict(restored, x, 2, xs, out, N, shape, &ndim));
    CHECK(ndim == 1 && shape[0] == N);
    for (i = 0; i < N; i++) CHECK(out[i] == 1 || out[i] == 3 || out[i] == 5);
    keras_estimator_free(est);

    /* It trains on: a partial fit is epoch 6 (index 5) and extends history_ to 6 epochs. */
    CHECK_OK(keras_callback_new("record_epochs", record_epochs, seen, NULL, &cb));
    CHECK_OK(keras_estimator_partial_fit(restored, x, 2, xs, y, 1, ys, NULL, 0, NULL, 0, &cb, 1));
    CHECK(seen[0] == 1 && seen[1] == 5);
    again = metadata(restored);
    CHECK(check_contains(again, "\"loss\": [") && strchr(strstr(again, "\"loss\": ["), ']') != NULL);
    {
        const char *p = strstr(again, "\"loss\": [");
        int commas = 0;
        for (p = p ? p + 9 : NULL; p && *p && *p != ']'; p++) commas += *p == ',';
        CHECK(commas == 5);
    }
    keras_string_free(again);
    keras_callback_free(cb);

    /* Predictions in other batches and with Keras's progress bar (predict__ parameters), the
     * same values; bad predict__ values named. */
    CHECK_OK(keras_estimator_predict_proba(restored, x, 2, xs, out, N * 3, shape, &ndim));
    CHECK_OK(keras_estimator_set_params(restored, "{\"predict__batch_size\": -1, \"predict__verbose\": 0}"));
    CHECK_OK(keras_estimator_predict_proba(restored, x, 2, xs, out2, N * 3, shape, &ndim));
    for (i = 0; i < N * 3; i++) CHECK(fabsf(out[i] - out2[i]) < 1e-6f);
    CHECK_OK(keras_estimator_set_params(restored, "{\"predict__batch_size\": 7}"));
    CHECK_OK(keras_estimator_predict_proba(restored, x, 2, xs, out2, N * 3, shape, &ndim));
    for (i = 0; i < N * 3; i++) CHECK(fabsf(out[i] - out2[i]) < 1e-6f);
    CHECK_OK(keras_estimator_set_params(restored, "{\"predict__batch_size\": 0}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'predict__batch_size' must be a positive integer, -1 (all rows) or None",
              keras_estimator_predict(restored, x, 2, xs, out2, N, shape, &ndim));
    CHECK_OK(keras_estimator_set_params(restored, "{\"predict__batch_size\": null, \"predict__verbose\": 3}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'predict__verbose' must be 0, 1 or 2",
              keras_estimator_predict(restored, x, 2, xs, out2, N, shape, &ndim));
    keras_estimator_free(restored);

    /* Bad metadata: each field named; nothing is made. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "metadata_json", keras_estimator_restore("KerasClassifier", model, params, "{", &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "must be a JSON object", keras_estimator_restore("KerasClassifier", model, params, "[]", &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "field 'sample_shape' is missing",
              keras_estimator_restore("KerasClassifier", model, params, variant("\"sample_shape\"", "\"shape\""), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "field 'sample_shape' must be a non-empty list of positive integers",
              keras_estimator_restore("KerasClassifier", model, params, variant("[2]", "[0]"), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_features_in_ is 2 but sample_shape starts with 4",
              keras_estimator_restore("KerasClassifier", model, params, variant("[2]", "[4]"), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "field 'target_type_' must be a target type",
              keras_estimator_restore("KerasClassifier", model, params, variant("\"multiclass\"", "\"many\""), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "field 'target_encoding' must be 'ordinal', 'onehot', 'argmax' or 'identity'",
              keras_estimator_restore("KerasClassifier", model, params, variant("\"ordinal\"", "\"codes\""), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "target_encoding 'onehot' does not fit a 'multiclass' target",
              keras_estimator_restore("KerasClassifier", model, params, variant("\"ordinal\"", "\"onehot\""), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "field 'n_outputs_' must be a non-negative integer",
              keras_estimator_restore("KerasClassifier", model, params, variant("\"n_outputs_\": 1", "\"n_outputs_\": \"1\""), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "classes_ must be sorted and distinct",
              keras_estimator_restore("KerasClassifier", model, params, variant("[\"1\", \"3\", \"5\"]", "[\"3\", \"1\", \"5\"]"), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_classes_ their number",
              keras_estimator_restore("KerasClassifier", model, params, variant("\"n_classes_\": 3", "\"n_classes_\": 4"), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "field 'classes_' must be numbers' keys",
              keras_estimator_restore("KerasClassifier", model, params, variant("\"5\"", "\"five\""), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "field 'classes_kind' must be 'numbers', 'strings' or null",
              keras_estimator_restore("KerasClassifier", model, params, variant("\"numbers\"", "\"floats\""), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "history_ lists must have the 2 epochs",
              keras_estimator_restore("KerasClassifier", model, params, variant("[0.5, 0.75]", "[0.5]"), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "field 'history_['loss']' must be a list of numbers",
              keras_estimator_restore("KerasClassifier", model, params, variant("[1.0, 0.5]", "[1.0, \"x\"]"), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "field 'output_activation' must be an activation name",
              keras_estimator_restore("KerasClassifier", model, params, variant("\"softmax\"", "\"nope\""), &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "target_type_ must be 'continuous' or 'continuous-multioutput'",
              keras_estimator_restore("KerasRegressor", model, params, variant("\"target_encoding\": \"ordinal\"", "\"target_encoding\": \"identity\""), &bad));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "unknown estimator kind 'Nope'", keras_estimator_restore("Nope", model, params, good, &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_estimator_restore("KerasClassifier", NULL, params, good, &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_estimator_restore("KerasClassifier", model, params, good, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "invalid parameter 'nope'", keras_estimator_restore("KerasClassifier", model, "{\"nope\": 1}", good, &bad));
    CHECK(bad == NULL);
    /* The hand-written metadata itself restores. */
    CHECK_OK(keras_estimator_restore("KerasClassifier", model, params, good, &bad));
    keras_estimator_free(bad);
    keras_string_free(meta);
    keras_model_free(model);

    /* A regressor whose y was {n, 1}: predictions keep the second axis. */
    CHECK_OK(keras_estimator_new("KerasRegressor", cfg_regressor, params, &est));
    CHECK_OK(keras_estimator_fit(est, x, 2, xs, yb, 2, ys2));
    meta = metadata(est);
    CHECK(check_contains(meta, "\"y_ndim_\": 2") && check_contains(meta, "\"classes_kind\": null"));
    CHECK_OK(keras_estimator_model(est, &model));
    CHECK_OK(keras_estimator_restore("KerasRegressor", model, params, meta, &restored));
    same_predictions(est, restored, x, xs, yb, 2, ys2, 0);
    CHECK_OK(keras_estimator_predict(restored, x, 2, xs, out, N, shape, &ndim));
    CHECK(ndim == 2 && shape[0] == N && shape[1] == 1);
    keras_estimator_free(restored);
    keras_estimator_free(est);
    keras_string_free(meta);
    keras_model_free(model);

    /* String labels on a binary target: the restored estimator predicts the same labels. */
    {
        char text[N * 8 + 4];
        text[0] = '[';
        text[1] = 0;
        for (i = 0; i < N; i++) strcat(text, i ? (x[2 * i] > 0 ? ", \"dog\"" : ", \"cat\"") : "\"cat\"");
        strcat(text, "]");
        CHECK_OK(keras_model_from_json(cfg_binary, &model));
        CHECK_OK(keras_estimator_from_model("KerasClassifier", model, params, &est));
        CHECK_OK(keras_estimator_fit_labels(est, x, 2, xs, text, NULL, 0, 0, NULL, NULL, 0));
        meta = metadata(est);
        CHECK(check_contains(meta, "\"classes_\": [\"cat\", \"dog\"]") && check_contains(meta, "\"classes_kind\": \"strings\""));
        CHECK_OK(keras_estimator_restore("KerasClassifier", model, params, meta, &restored));
        CHECK_OK(keras_estimator_predict_labels(est, x, 2, xs, &labels));
        CHECK_OK(keras_estimator_predict_labels(restored, x, 2, xs, &labels2));
        CHECK(labels && labels2 && strcmp(labels, labels2) == 0 && check_contains(labels, "\"dog\""));
        keras_string_free(labels);
        keras_string_free(labels2);
        keras_estimator_free(restored);
        keras_estimator_free(est);
        keras_string_free(meta);
        keras_model_free(model);
    }
    CHECK_DONE("test_estimator_restore");
}
