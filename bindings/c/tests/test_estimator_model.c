/* keras_estimator_model: the model a fitted estimator trained, as a model handle (how a binding
 * takes over a search's refit instead of training the best candidate again), and
 * keras_estimator_from_model, the reverse (an estimator training a binding's model), with clear
 * errors for bad input. */
#include <math.h>
#include <string.h>
#include "check.h"

#define N 40

static const char *cfg =
    "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"softmax\"}}]}}";

/* One input (2 features) and two outputs: 3 softmax units ("kind") and 1 sigmoid unit ("big"). */
static const char *two_heads =
    "{\"class_name\": \"Functional\", \"config\": {\"name\": \"heads\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2], \"name\": \"in\"}, \"name\": \"in\", \"inbound_nodes\": []},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"kind\", \"units\": 3, \"activation\": \"softmax\"}, \"name\": \"kind\", \"inbound_nodes\": [{\"args\": ["
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 2], \"keras_history\": [\"in\", 0, 0]}}], \"kwargs\": {}}]},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"big\", \"units\": 1, \"activation\": \"sigmoid\"}, \"name\": \"big\", \"inbound_nodes\": [{\"args\": ["
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 2], \"keras_history\": [\"in\", 0, 0]}}], \"kwargs\": {}}]}],"
    "\"input_layers\": [[\"in\", 0, 0]], \"output_layers\": [[\"kind\", 0, 0], [\"big\", 0, 0]]}}";

typedef struct { keras_model *model; int epochs_seen; } stop_state;

/* Ends the fit after its third epoch through the trained model's own handle. */
static int stop_at_three(void *user_data, int event, int64_t index, const char *logs_json) {
    stop_state *s = (stop_state *)user_data;
    (void)logs_json;
    if (event != KERAS_ON_EPOCH_END) return 0;
    s->epochs_seen = (int)index + 1;
    return index == 2 ? keras_model_stop_training(s->model) : 0;
}

static int fail_at_second_epoch(void *user_data, int event, int64_t index, const char *logs_json) {
    (void)user_data; (void)logs_json;
    if (event == KERAS_ON_EPOCH_BEGIN && index == 1) {
        keras_callback_error("no second epoch");
        return 7;
    }
    return 0;
}

/* Records the index of each epoch that ends. */
static int record_epochs(void *user_data, int event, int64_t index, const char *logs_json) {
    int64_t *seen = (int64_t *)user_data;
    (void)logs_json;
    if (event == KERAS_ON_EPOCH_END) seen[seen[0]++ + 1] = index;
    return 0;
}

/* A JSON list of N labels: names[i % k]. */
static void label_list(char *out, const char *const *names, int k) {
    int i;
    out[0] = '[';
    out[1] = 0;
    for (i = 0; i < N; i++) {
        strcat(out, i ? ", \"" : "\"");
        strcat(out, names[i % k]);
        strcat(out, "\"");
    }
    strcat(out, "]");
}

/* The number of values in the "loss" list of a history_ JSON object. */
static int losses(const char *meta) {
    const char *p = strstr(meta, "\"loss\"");
    int n = 1;
    if (!p || !(p = strchr(p, '['))) return -1;
    for (p++; *p && *p != ']'; p++) n += *p == ',';
    return n;
}

int main(void) {
    static float x[N * 2], y[N], proba[N * 3], out[N * 3];
    const int64_t xs[2] = {N, 2}, ys[1] = {N};
    int64_t shape[KERAS_MAX_RANK];
    int ndim = 0, i;
    keras_estimator *est = NULL, *best = NULL;
    keras_search *search = NULL;
    keras_model *model = NULL, *again = NULL, *freed = NULL;
    for (i = 0; i < N; i++) {
        x[2 * i] = (float)(i % 3); x[2 * i + 1] = (float)(i % 4) / 4;
        y[i] = (float)(i % 3);
    }
    CHECK_OK(keras_estimator_new("KerasClassifier", cfg,
        "{\"epochs\": 20, \"optimizer\": \"adam\", \"optimizer__learning_rate\": 0.05, \"verbose\": 0, \"random_state\": 0}", &est));

    /* Bad input: no estimator, no out, a handle of another kind, an unfitted estimator. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_estimator_model(NULL, &model));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_estimator_model(est, NULL));
    CHECK_OK(keras_sequential_new(NULL, &freed));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "is a keras_model, not a keras_estimator", keras_estimator_model((keras_estimator *)freed, &model));
    keras_model_free(freed);
    CHECK_ERR(KERAS_ERR_STATE, "is not fitted; call keras_estimator_fit first", keras_estimator_model(est, &model));
    CHECK(model == NULL);

    /* The fitted model predicts what the estimator's predict_proba gives. */
    CHECK_OK(keras_estimator_fit(est, x, 2, xs, y, 1, ys));
    CHECK_OK(keras_estimator_model(est, &model));
    CHECK_OK(keras_estimator_predict_proba(est, x, 2, xs, proba, N * 3, shape, &ndim));
    CHECK_OK(keras_model_predict(model, x, 2, xs, NULL, NULL, 0, out, N * 3, shape, &ndim));
    CHECK(ndim == 2 && shape[0] == N && shape[1] == 3);
    for (i = 0; i < N * 3; i++) CHECK(fabsf(out[i] - proba[i]) < 1e-6f);

    /* The model handle outlives the estimator's; a later fit builds a new model, leaving it as it was. */
    CHECK_OK(keras_estimator_model(est, &again));
    CHECK_OK(keras_estimator_fit(est, x, 2, xs, y, 1, ys));
    keras_estimator_free(est);
    CHECK_OK(keras_model_predict(again, x, 2, xs, NULL, NULL, 0, out, N * 3, shape, &ndim));
    for (i = 0; i < N * 3; i++) CHECK(fabsf(out[i] - proba[i]) < 1e-6f);
    keras_model_free(again);
    keras_model_free(model);

    /* A search's refit: the best estimator's model. */
    CHECK_OK(keras_estimator_new("KerasClassifier", cfg, "{\"optimizer\": \"adam\", \"verbose\": 0, \"random_state\": 0}", &est));
    CHECK_OK(keras_grid_search_new(est, "{\"epochs\": [2, 4]}", "{\"cv\": 2, \"n_jobs\": 2, \"refit\": true}", &search));
    CHECK_OK(keras_search_fit(search, x, 2, xs, y, 1, ys));
    CHECK_OK(keras_search_best_estimator(search, &best));
    keras_search_free(search);
    keras_estimator_free(est);
    CHECK_OK(keras_estimator_model(best, &model));
    CHECK_OK(keras_estimator_predict_proba(best, x, 2, xs, proba, N * 3, shape, &ndim));
    keras_estimator_free(best);
    CHECK_OK(keras_model_predict(model, x, 2, xs, NULL, NULL, 0, out, N * 3, shape, &ndim));
    for (i = 0; i < N * 3; i++) CHECK(fabsf(out[i] - proba[i]) < 1e-6f);
    keras_model_free(model);

    /* keras_estimator_from_model: an estimator training the caller's own model in place (a
     * binding's model function built it), with bad input. */
    CHECK_OK(keras_model_from_json(cfg, &model));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "unknown estimator kind 'Nope'", keras_estimator_from_model("Nope", model, NULL, &est));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_estimator_from_model("KerasClassifier", NULL, NULL, &est));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_estimator_from_model("KerasClassifier", model, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "invalid parameter 'nope'", keras_estimator_from_model("KerasClassifier", model, "{\"nope\": 1}", &est));
    CHECK(est == NULL);
    CHECK_OK(keras_estimator_from_model("KerasClassifier", model,
        "{\"epochs\": 20, \"optimizer\": \"adam\", \"optimizer__learning_rate\": 0.05, \"verbose\": 0}", &est));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "is a keras_estimator, not a keras_model", keras_estimator_from_model("KerasClassifier", (keras_model *)est, NULL, &best));
    CHECK_OK(keras_estimator_fit(est, x, 2, xs, y, 1, ys));
    /* The caller's model is the trained one: it predicts the estimator's probabilities. */
    CHECK_OK(keras_estimator_predict_proba(est, x, 2, xs, proba, N * 3, shape, &ndim));
    CHECK_OK(keras_model_predict(model, x, 2, xs, NULL, NULL, 0, out, N * 3, shape, &ndim));
    CHECK(ndim == 2 && shape[0] == N && shape[1] == 3);
    for (i = 0; i < N * 3; i++) CHECK(fabsf(out[i] - proba[i]) < 1e-6f);
    CHECK_ERR(KERAS_ERR_STATE, "cannot be cloned", keras_estimator_clone(est, &best));
    CHECK(best == NULL);
    /* The estimator keeps the model alive after the caller frees its handle. */
    keras_model_free(model);
    CHECK_OK(keras_estimator_predict_proba(est, x, 2, xs, out, N * 3, shape, &ndim));
    for (i = 0; i < N * 3; i++) CHECK(fabsf(out[i] - proba[i]) < 1e-6f);
    keras_estimator_free(est);

    /* keras_estimator_fit_callbacks: the caller's callbacks in the estimator's fit; one ends it
     * through the model's handle (same thread, shared lock), one fails it. */
    {
        stop_state stop = {NULL, 0};
        keras_callback *cb = NULL, *bad = NULL;
        keras_estimator *pipe = NULL;
        char *meta = NULL;
        CHECK_OK(keras_model_from_json(cfg, &model));
        CHECK_OK(keras_estimator_from_model("KerasClassifier", model, "{\"epochs\": 20, \"verbose\": 0}", &est));
        stop.model = model;
        CHECK_OK(keras_callback_new("stop_at_three", stop_at_three, &stop, NULL, &cb));
        CHECK_OK(keras_estimator_fit_callbacks(est, x, 2, xs, y, 1, ys, NULL, 0, &cb, 1));
        CHECK(stop.epochs_seen == 3);
        CHECK_OK(keras_estimator_metadata(est, &meta));
        CHECK(losses(meta) == 3);
        keras_string_free(meta);
        CHECK_OK(keras_callback_new("fail_at_second_epoch", fail_at_second_epoch, NULL, NULL, &bad));
        CHECK_ERR(KERAS_ERR_CALLBACK, "no second epoch", keras_estimator_fit_callbacks(est, x, 2, xs, y, 1, ys, NULL, 0, &bad, 1));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_callbacks is negative", keras_estimator_fit_callbacks(est, x, 2, xs, y, 1, ys, NULL, 0, &cb, -1));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "callbacks is NULL", keras_estimator_fit_callbacks(est, x, 2, xs, y, 1, ys, NULL, 0, NULL, 1));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_estimator_fit_callbacks(NULL, x, 2, xs, y, 1, ys, NULL, 0, &cb, 1));
        /* No callbacks: keras_estimator_fit_weighted. */
        CHECK_OK(keras_estimator_fit_callbacks(est, x, 2, xs, y, 1, ys, NULL, 0, NULL, 0));
        keras_estimator_free(est);
        keras_model_free(model);
        /* A Pipeline transforms x first: refused. */
        CHECK_OK(keras_estimator_new("KerasClassifier", cfg, "{\"verbose\": 0}", &est));
        CHECK_OK(keras_pipeline_new("[]", est, "clf", &pipe));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "is not a KerasClassifier or KerasRegressor",
                  keras_estimator_fit_callbacks(pipe, x, 2, xs, y, 1, ys, NULL, 0, &cb, 1));
        keras_estimator_free(pipe);
        keras_estimator_free(est);
        keras_callback_free(cb);
        keras_callback_free(bad);
    }

    /* A per-class metric (F1Score, average=None) in history_: one list of class values per
     * epoch, validation included, as keras_model_fit's history gives it. */
    {
        char *meta = NULL;
        CHECK_OK(keras_estimator_new("KerasClassifier", cfg,
            "{\"epochs\": 2, \"verbose\": 0, \"loss\": \"categorical_crossentropy\", \"metrics\": [\"f1_score\"], \"validation_split\": 0.25}", &est));
        CHECK_OK(keras_estimator_fit(est, x, 2, xs, y, 1, ys));
        CHECK_OK(keras_estimator_metadata(est, &meta));
        CHECK(meta && strstr(meta, "\"f1_score\": [[") && strstr(meta, "\"val_f1_score\": [[") && losses(meta) == 2);
        keras_string_free(meta);
        keras_estimator_free(est);
    }

    /* keras_estimator_partial_fit: the first call's classes count as seen (its y lacks class 2,
     * which the model's three units need), each call trains one epoch numbered after the last,
     * history_ grows; bad input. */
    {
        static float two[N];
        const float classes[3] = {0, 1, 2};
        int64_t seen[8] = {0};
        keras_callback *cb = NULL;
        keras_estimator *reg = NULL;
        char *meta = NULL;
        for (i = 0; i < N; i++) two[i] = (float)(i % 2);
        CHECK_OK(keras_callback_new("record_epochs", record_epochs, seen, NULL, &cb));
        CHECK_OK(keras_estimator_new("KerasClassifier", cfg, "{\"verbose\": 0, \"random_state\": 0}", &est));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "classes and n_classes must be both given",
                  keras_estimator_partial_fit(est, x, 2, xs, two, 1, ys, NULL, 0, classes, 0, NULL, 0));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "classes and n_classes must be both given",
                  keras_estimator_partial_fit(est, x, 2, xs, two, 1, ys, NULL, 0, NULL, 3, NULL, 0));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL",
                  keras_estimator_partial_fit(NULL, x, 2, xs, two, 1, ys, NULL, 0, NULL, 0, NULL, 0));
        CHECK_OK(keras_estimator_partial_fit(est, x, 2, xs, two, 1, ys, NULL, 0, classes, 3, &cb, 1));
        CHECK_OK(keras_estimator_partial_fit(est, x, 2, xs, y, 1, ys, NULL, 0, NULL, 0, &cb, 1));
        CHECK(seen[0] == 2 && seen[1] == 0 && seen[2] == 1);
        CHECK_OK(keras_estimator_metadata(est, &meta));
        CHECK(meta && strstr(meta, "\"classes_\": [\"0\", \"1\", \"2\"]") && losses(meta) == 2);
        keras_string_free(meta);
        keras_estimator_free(est);
        CHECK_OK(keras_estimator_new("KerasRegressor", cfg, "{\"verbose\": 0}", &reg));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "classes apply to classifiers only",
                  keras_estimator_partial_fit(reg, x, 2, xs, two, 1, ys, NULL, 0, classes, 3, NULL, 0));
        keras_estimator_free(reg);
        keras_callback_free(cb);
    }

    /* keras_estimator_fit_labels / _predict_labels: string labels, and a partial fit whose
     * first labels lack one of its classes; bad input. */
    {
        static const char *const abc[3] = {"a", "b", "c"};
        static char labels[N * 8], two[N * 8];
        char *pred = NULL, *meta = NULL;
        label_list(labels, abc, 3);
        label_list(two, abc, 2);
        CHECK_OK(keras_estimator_new("KerasClassifier", cfg, "{\"verbose\": 0, \"epochs\": 2, \"random_state\": 1}", &est));
        CHECK_ERR(KERAS_ERR_STATE, "is not fitted yet", keras_estimator_predict_labels(est, x, 2, xs, &pred));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "labels_json must be a JSON list of strings",
                  keras_estimator_fit_labels(est, x, 2, xs, "{}", NULL, 0, 0, NULL, NULL, 0));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "labels_json[0] is 1, not a string",
                  keras_estimator_fit_labels(est, x, 2, xs, "[1]", NULL, 0, 0, NULL, NULL, 0));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "classes_json applies to partial fits",
                  keras_estimator_fit_labels(est, x, 2, xs, labels, NULL, 0, 0, "[\"a\"]", NULL, 0));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_estimator_predict_labels(est, x, 2, xs, NULL));
        CHECK_OK(keras_estimator_fit_labels(est, x, 2, xs, labels, NULL, 0, 0, NULL, NULL, 0));
        CHECK_OK(keras_estimator_predict_labels(est, x, 2, xs, &pred));
        CHECK(pred && strncmp(pred, "[\"", 2) == 0);
        keras_string_free(pred);
        CHECK_ERR(KERAS_ERR_STATE, "the predictions are string labels",
                  keras_estimator_predict(est, x, 2, xs, out, N * 3, shape, &ndim));
        keras_estimator_free(est);
        CHECK_OK(keras_estimator_new("KerasClassifier", cfg, "{\"verbose\": 0}", &est));
        CHECK_OK(keras_estimator_fit_labels(est, x, 2, xs, two, NULL, 0, 1, "[\"a\", \"b\", \"c\"]", NULL, 0));
        CHECK_OK(keras_estimator_fit_labels(est, x, 2, xs, labels, NULL, 0, 1, NULL, NULL, 0));
        CHECK_OK(keras_estimator_metadata(est, &meta));
        CHECK(meta && strstr(meta, "\"classes_\": [\"a\", \"b\", \"c\"]") && losses(meta) == 2);
        keras_string_free(meta);
        keras_estimator_free(est);
        /* An estimator fitted on numbers predicts numbers. */
        CHECK_OK(keras_estimator_new("KerasClassifier", cfg, "{\"verbose\": 0}", &est));
        CHECK_OK(keras_estimator_fit(est, x, 2, xs, y, 1, ys));
        CHECK_ERR(KERAS_ERR_STATE, "fitted on numbers", keras_estimator_predict_labels(est, x, 2, xs, &pred));
        keras_estimator_free(est);
    }

    /* target_encoder "passthrough": targets the caller encoded, here for a two-output model: y's
     * columns side by side (3 one-hot columns, then 1), split by output_columns; predict gives
     * the raw outputs side by side; fit__initial_epoch numbers the epochs; bad input. */
    {
        static float enc[N * 4], raw[N * 4];
        const int64_t es[2] = {N, 4};
        int64_t seen[8] = {0};
        keras_callback *cb = NULL;
        double score = 0;
        for (i = 0; i < N; i++) {
            enc[4 * i + i % 3] = 1;
            enc[4 * i + 3] = (float)(i % 2);
        }
        CHECK_OK(keras_callback_new("record_epochs", record_epochs, seen, NULL, &cb));
        CHECK_OK(keras_estimator_new("KerasClassifier", two_heads,
            "{\"verbose\": 0, \"epochs\": 2, \"target_encoder\": \"passthrough\", \"loss\": \"binary_crossentropy\"}", &est));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "the model has 2 outputs; give output_columns",
                  keras_estimator_fit(est, x, 2, xs, enc, 2, es));
        CHECK_OK(keras_estimator_set_params(est, "{\"output_columns\": [3, 2]}"));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "one count per model output (2) summing to y's 4 columns",
                  keras_estimator_fit(est, x, 2, xs, enc, 2, es));
        CHECK_OK(keras_estimator_set_params(est, "{\"output_columns\": [3, 0]}"));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'output_columns' must be a list of positive integers",
                  keras_estimator_fit(est, x, 2, xs, enc, 2, es));
        CHECK_OK(keras_estimator_set_params(est, "{\"target_encoder\": \"mine\"}"));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'target_encoder' must be 'passthrough'",
                  keras_estimator_fit(est, x, 2, xs, enc, 2, es));
        CHECK_OK(keras_estimator_set_params(est,
            "{\"target_encoder\": \"passthrough\", \"output_columns\": [3, 1], \"fit__initial_epoch\": 5}"));
        CHECK_OK(keras_estimator_fit_callbacks(est, x, 2, xs, enc, 2, es, NULL, 0, &cb, 1));
        CHECK(seen[0] == 2 && seen[1] == 5 && seen[2] == 6);
        CHECK_OK(keras_estimator_predict(est, x, 2, xs, raw, N * 4, shape, &ndim));
        CHECK(ndim == 2 && shape[0] == N && shape[1] == 4);
        for (i = 0; i < N; i++)
            CHECK(fabsf(raw[4 * i] + raw[4 * i + 1] + raw[4 * i + 2] - 1) < 1e-5f && raw[4 * i + 3] > 0 && raw[4 * i + 3] < 1);
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "predict gives the model's raw outputs",
                  keras_estimator_score(est, x, 2, xs, enc, 2, es, &score));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "invalid parameter 'fit__nope'",
                  keras_estimator_set_params(est, "{\"fit__nope\": 1}"));
        keras_estimator_free(est);
        keras_callback_free(cb);
    }

    /* label_order "numeric": string labels that are integers beyond float32's (2^24 + 1) sort
     * by value and stay exact; text that is not a number is refused. */
    {
        static const char *const ids[3] = {"16777217", "9", "16777216"};
        static const char *const abc[3] = {"a", "b", "c"};
        static char labels[N * 16];
        char *meta = NULL, *pred = NULL;
        label_list(labels, ids, 3);
        CHECK_OK(keras_estimator_new("KerasClassifier", cfg, "{\"verbose\": 0, \"label_order\": \"numeric\"}", &est));
        CHECK_OK(keras_estimator_fit_labels(est, x, 2, xs, labels, NULL, 0, 0, NULL, NULL, 0));
        CHECK_OK(keras_estimator_metadata(est, &meta));
        CHECK(meta && strstr(meta, "\"classes_\": [\"9\", \"16777216\", \"16777217\"]"));
        keras_string_free(meta);
        CHECK_OK(keras_estimator_predict_labels(est, x, 2, xs, &pred));
        CHECK(pred && (strncmp(pred, "[\"9\"", 4) == 0 || strncmp(pred, "[\"1677721", 9) == 0));
        keras_string_free(pred);
        label_list(labels, abc, 3);
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "label_order 'numeric' needs labels that are numbers, got '",
                  keras_estimator_fit_labels(est, x, 2, xs, labels, NULL, 0, 0, NULL, NULL, 0));
        keras_estimator_free(est);
    }
    CHECK_DONE("test_estimator_model");
}
