/* Every model-selection call of examples/iris_grid_search.c, in its order and with its options
 * (2 worker threads, 3 folds), at 2 epochs a fit instead of 40: this program runs under valgrind
 * in run_tests.sh, the example natively. The calls' code paths (the grid over a model template's
 * parameter, the randomized search's distributions, cross_validate with two scorers, the refitted
 * best estimator's predict and metadata, a Pipeline's grid over its scaler) are the same whatever
 * the number of epochs; valgrind's cost is per training step (the example: about a minute of CPU
 * under valgrind, 2 s natively). */
#include "check.h"
#include "iris_data.h"

static const char *model_template =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"iris\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": {\"$param\": \"hidden\", \"default\": 12}, \"activation\": \"relu\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"softmax\"}}]}}";

int main(void) {
    static float y[150], labels[150], proba[150 * 3];
    const int64_t x_shape[2] = {150, 4}, y_shape[1] = {150};
    double score = -1;
    char *results = NULL, *params = NULL;
    keras_estimator *clf = NULL, *best = NULL, *copy = NULL, *pipe = NULL, *pipe_best = NULL;
    keras_search *search = NULL, *random_search = NULL, *pipe_search = NULL;
    int i, ndim = 0;
    int64_t shape[KERAS_MAX_RANK];

    for (i = 0; i < 150; i++) y[i] = (float)iris_y[i];
    CHECK_OK(keras_estimator_new("KerasClassifier", model_template,
                                 "{\"loss\": \"sparse_categorical_crossentropy\", \"optimizer\": \"adam\","
                                 " \"epochs\": 2, \"batch_size\": 16, \"verbose\": 0, \"random_state\": 0}", &clf));
    CHECK_OK(keras_estimator_get_params(clf, &params));
    CHECK(check_contains(params, "\"epochs\": 2"));
    keras_string_free(params);
    CHECK_OK(keras_estimator_clone(clf, &copy));

    /* Grid over the model template's parameter and the learning rate. */
    CHECK_OK(keras_grid_search_new(clf, "{\"model__hidden\": [4, 16], \"optimizer__learning_rate\": [0.01, 0.05]}",
                                   "{\"cv\": 3, \"n_jobs\": 2, \"scoring\": \"accuracy\"}", &search));
    CHECK_OK(keras_search_fit(search, &iris_x[0][0], 2, x_shape, y, 1, y_shape));
    CHECK_OK(keras_search_results(search, &results));
    CHECK(check_contains(results, "\"best_params\": {"));
    CHECK(check_contains(results, "\"param_model__hidden\": [4, 4, 16, 16]"));
    keras_string_free(results);

    /* Randomized: 4 seeded draws from distributions. */
    CHECK_OK(keras_randomized_search_new(clf, "{\"optimizer__learning_rate\": {\"loguniform\": [0.001, 0.1]},"
                                              " \"model__hidden\": {\"randint\": [4, 17]}}",
                                         "{\"n_iter\": 4, \"cv\": 3, \"n_jobs\": 2, \"random_state\": 0}", &random_search));
    CHECK_OK(keras_search_fit(random_search, &iris_x[0][0], 2, x_shape, y, 1, y_shape));
    CHECK_OK(keras_search_results(random_search, &results));
    CHECK(check_contains(results, "\"params\": ["));
    keras_string_free(results);

    /* Cross-validation of the grid's best setting, two scorers. */
    CHECK_OK(keras_search_best_estimator(search, &best));
    CHECK_OK(keras_estimator_get_params(best, &params));
    CHECK_OK(keras_estimator_set_params(copy, params));
    keras_string_free(params);
    CHECK_OK(keras_cross_validate(copy, &iris_x[0][0], 2, x_shape, y, 1, y_shape,
                                  "{\"cv\": 3, \"n_jobs\": 2, \"scoring\": [\"accuracy\", \"f1_macro\"]}", &results));
    CHECK(check_contains(results, "\"test_accuracy\"") && check_contains(results, "\"test_f1_macro\""));
    keras_string_free(results);

    /* The refitted best estimator. */
    CHECK_OK(keras_estimator_score(best, &iris_x[0][0], 2, x_shape, y, 1, y_shape, &score));
    CHECK(score >= 0 && score <= 1);
    CHECK_OK(keras_estimator_predict(best, &iris_x[0][0], 2, x_shape, labels, 150, shape, &ndim));
    CHECK_OK(keras_estimator_predict_proba(best, &iris_x[0][0], 2, x_shape, proba, 450, shape, &ndim));
    CHECK(ndim == 2 && shape[0] == 150 && shape[1] == 3);
    CHECK_OK(keras_estimator_metadata(best, &results));
    CHECK(check_contains(results, "\"n_classes_\": 3") && check_contains(results, "\"target_type_\": \"multiclass\""));
    keras_string_free(results);

    /* A Pipeline on the unscaled measurements, the grid over a scaler parameter. */
    CHECK_OK(keras_pipeline_new("[{\"name\": \"scale\", \"class\": \"StandardScaler\"}]", clf, "clf", &pipe));
    CHECK_OK(keras_grid_search_new(pipe, "{\"scale__with_std\": [true, false], \"clf__epochs\": [2]}",
                                   "{\"cv\": 3, \"n_jobs\": 2, \"random_state\": 0}", &pipe_search));
    CHECK_OK(keras_search_fit(pipe_search, &iris_x[0][0], 2, x_shape, y, 1, y_shape));
    CHECK_OK(keras_search_results(pipe_search, &results));
    CHECK(check_contains(results, "\"param_scale__with_std\": [true, false]"));
    keras_string_free(results);
    CHECK_OK(keras_search_best_estimator(pipe_search, &pipe_best));
    CHECK_OK(keras_estimator_metadata(pipe_best, &results));   /* the pipeline's last step */
    CHECK(check_contains(results, "\"n_classes_\": 3"));
    keras_string_free(results);

    keras_estimator_free(pipe_best);
    keras_search_free(pipe_search);
    keras_estimator_free(pipe);
    keras_search_free(search);
    keras_search_free(random_search);
    keras_estimator_free(best);
    keras_estimator_free(copy);
    keras_estimator_free(clf);
    CHECK_DONE("test_search_calls");
}
