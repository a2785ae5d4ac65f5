/* keras_estimator_model: the model a fitted estimator trained, as a model handle (how a binding
 * takes over a search's refit instead of training the best candidate again), and
 * keras_estimator_from_model, the reverse (an estimator training a binding's model), with clear
 * errors for bad input. */
#include <math.h>
#include "check.h"

#define N 40

static const char *cfg =
    "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"softmax\"}}]}}";

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
    CHECK_DONE("test_estimator_model");
}
