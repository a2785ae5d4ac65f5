/* Model selection for a KerasClassifier on iris, in 2 threads:
 *   - a grid search over the model itself (model__hidden, the size of the hidden layer, filled
 *     into a model config template) and the learning rate, 3-fold, results as JSON;
 *   - a randomized search drawing the learning rate from a log-uniform distribution and the
 *     hidden size from randint;
 *   - cross_validate of the best setting, then the refitted best estimator;
 *   - a Pipeline (StandardScaler, then the classifier) searched with step__param keys, the
 *     scaler fitted inside each fold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "keras.h"
#include "iris_data.h"

/* Epochs of each fit, and of the Pipeline's grid. run_tests.sh builds this file a second time, as
 * test_search_calls, with -DIRIS_EPOCHS=2 -DIRIS_PIPELINE_EPOCHS=2 -DIRIS_MIN_ACCURACY=-1: the same
 * calls in the same order, quick enough to run under valgrind (whose cost is per training step),
 * while the example itself runs natively. */
#ifndef IRIS_EPOCHS
#define IRIS_EPOCHS 40
#endif
#ifndef IRIS_PIPELINE_EPOCHS
#define IRIS_PIPELINE_EPOCHS 30
#endif
#ifndef IRIS_MIN_ACCURACY
#define IRIS_MIN_ACCURACY 0.8
#endif
#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)

#define TRY(call) do { int rc_ = (call); if (rc_ != KERAS_OK) { \
    fprintf(stderr, "%s failed: %s\n", #call, keras_last_error()); return 1; } } while (0)

/* {"$param": "hidden", "default": 12}: filled with the estimator's model__hidden at each fit. */
static const char *model_template =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"iris\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": {\"$param\": \"hidden\", \"default\": 12}, \"activation\": \"relu\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"softmax\"}}]}}";

int main(void) {
    float y[150], labels[150], proba[150 * 3];
    const int64_t x_shape[2] = {150, 4}, y_shape[1] = {150};
    double score = 0;
    char *results = NULL, *params = NULL;
    keras_estimator *clf = NULL, *best = NULL, *copy = NULL, *pipe = NULL, *pipe_best = NULL;
    keras_search *search = NULL, *random_search = NULL, *pipe_search = NULL;
    int i, ndim = 0;
    int64_t shape[KERAS_MAX_RANK];

    for (i = 0; i < 150; i++) y[i] = (float)iris_y[i];
    TRY(keras_estimator_new("KerasClassifier", model_template,
                            "{\"loss\": \"sparse_categorical_crossentropy\", \"optimizer\": \"adam\","
                            " \"epochs\": " TEXT(IRIS_EPOCHS) ", \"batch_size\": 16, \"verbose\": 0, \"random_state\": 0}", &clf));
    TRY(keras_estimator_get_params(clf, &params));
    printf("params: %s\n", params);
    keras_string_free(params);
    TRY(keras_estimator_clone(clf, &copy));

    /* Grid: the hidden layer's size and the learning rate. */
    TRY(keras_grid_search_new(clf, "{\"model__hidden\": [4, 16], \"optimizer__learning_rate\": [0.01, 0.05]}",
                              "{\"cv\": 3, \"n_jobs\": 2, \"scoring\": \"accuracy\"}", &search));
    TRY(keras_search_fit(search, &iris_x[0][0], 2, x_shape, y, 1, y_shape));
    TRY(keras_search_results(search, &results));
    printf("grid results: %s\n", results);
    if (!strstr(results, "\"best_params\": {") || !strstr(results, "\"param_model__hidden\": [4, 4, 16, 16]")) return 1;
    keras_string_free(results);

    /* Randomized: 4 draws from distributions, seeded. */
    TRY(keras_randomized_search_new(clf, "{\"optimizer__learning_rate\": {\"loguniform\": [0.001, 0.1]},"
                                         " \"model__hidden\": {\"randint\": [4, 17]}}",
                                    "{\"n_iter\": 4, \"cv\": 3, \"n_jobs\": 2, \"random_state\": 0}", &random_search));
    TRY(keras_search_fit(random_search, &iris_x[0][0], 2, x_shape, y, 1, y_shape));
    TRY(keras_search_results(random_search, &results));
    if (!strstr(results, "\"params\": [")) return 1;
    printf("randomized search: %s\n", strstr(results, "\"params\": ["));
    keras_string_free(results);

    /* Cross-validation of the grid's best setting. */
    TRY(keras_search_best_estimator(search, &best));
    TRY(keras_estimator_get_params(best, &params));
    TRY(keras_estimator_set_params(copy, params));
    keras_string_free(params);
    TRY(keras_cross_validate(copy, &iris_x[0][0], 2, x_shape, y, 1, y_shape,
                             "{\"cv\": 3, \"n_jobs\": 2, \"scoring\": [\"accuracy\", \"f1_macro\"]}", &results));
    printf("cross_validate: %s\n", results);
    if (!strstr(results, "\"test_accuracy\"") || !strstr(results, "\"test_f1_macro\"")) return 1;
    keras_string_free(results);

    TRY(keras_estimator_score(best, &iris_x[0][0], 2, x_shape, y, 1, y_shape, &score));
    TRY(keras_estimator_predict(best, &iris_x[0][0], 2, x_shape, labels, 150, shape, &ndim));
    TRY(keras_estimator_predict_proba(best, &iris_x[0][0], 2, x_shape, proba, 450, shape, &ndim));
    printf("best estimator accuracy on iris: %.3f; proba shape (%lld, %lld)\n", score, (long long)shape[0], (long long)shape[1]);
    /* What the data told the model builder (SciKeras's meta) and the training history. */
    TRY(keras_estimator_metadata(best, &results));
    printf("metadata: %.160s...\n", results);
    if (!strstr(results, "\"n_classes_\": 3") || !strstr(results, "\"target_type_\": \"multiclass\"")) return 1;
    keras_string_free(results);

    /* A Pipeline on the unscaled measurements, the grid over a scaler parameter. */
    TRY(keras_pipeline_new("[{\"name\": \"scale\", \"class\": \"StandardScaler\"}]", clf, "clf", &pipe));
    TRY(keras_grid_search_new(pipe, "{\"scale__with_std\": [true, false], \"clf__epochs\": [" TEXT(IRIS_PIPELINE_EPOCHS) "]}",
                              "{\"cv\": 3, \"n_jobs\": 2, \"random_state\": 0}", &pipe_search));
    TRY(keras_search_fit(pipe_search, &iris_x[0][0], 2, x_shape, y, 1, y_shape));
    TRY(keras_search_results(pipe_search, &results));
    if (!strstr(results, "\"best_params\"")) return 1;
    printf("pipeline grid: %.200s\n", strstr(results, "\"best_params\""));
    if (!strstr(results, "\"param_scale__with_std\": [true, false]")) return 1;
    keras_string_free(results);
    TRY(keras_search_best_estimator(pipe_search, &pipe_best));
    TRY(keras_estimator_metadata(pipe_best, &results));  /* the pipeline's last step */
    if (!strstr(results, "\"n_classes_\": 3")) return 1;
    keras_string_free(results);
    keras_estimator_free(pipe_best);
    keras_search_free(pipe_search);
    keras_estimator_free(pipe);

    keras_search_free(search);
    keras_search_free(random_search);
    keras_estimator_free(best);
    keras_estimator_free(copy);
    keras_estimator_free(clf);
    return score > IRIS_MIN_ACCURACY && ndim == 2 && shape[0] == 150 && shape[1] == 3 ? 0 : 1;
}
