/* The state Keras keeps in objects a binding mirrors: keras_metric_variables (a fresh metric's
 * variables), keras_metric_stateless_result (a metric's result from given variables),
 * keras_model_metric_variables (the compiled metrics' variables after evaluate and
 * fit) and keras_callback_state (EarlyStopping's attributes before and after the fit that used
 * it), with bad input. */
#include "check.h"

/* The first value of the variable named `name` in a variables JSON (NAN where absent). */
static double variable_value(const char *json, const char *name, int index) {
    char quoted[64];
    const char *p;
    snprintf(quoted, sizeof quoted, "\"%s\"", name);
    p = json ? strstr(json, quoted) : NULL;
    return p ? number_at(p, "value", index) : NAN;
}

#define N 8

int main(void) {
    static const char *model_json =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}},"
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 1, \"activation\": \"sigmoid\","
        " \"kernel_initializer\": \"zeros\", \"bias_initializer\": \"zeros\"}}]}}";
    /* Every prediction is 0.5: above Precision's threshold 0.4, so tp counts the positives and
     * fp the negatives; each sample's squared error is 0.25. */
    static const char *compile_json =
        "{\"optimizer\": \"sgd\", \"loss\": \"mse\", \"metrics\": ["
        "{\"class_name\": \"Precision\", \"config\": {\"thresholds\": 0.4}}]}";
    float x[N * 2], y[N];
    const int64_t xs[2] = {N, 2}, ys[2] = {N, 1};
    keras_model *m = NULL;
    keras_callback *early = NULL;
    char *out = NULL, *results = NULL;
    int i;

    for (i = 0; i < N; i++) {
        x[2 * i] = (float)i / N;
        x[2 * i + 1] = 1.0f - (float)i / N;
        y[i] = i < 3 ? 1.0f : 0.0f;
    }

    /* A fresh metric: Keras's names and shapes, zeros. */
    CHECK_OK(keras_metric_variables("{\"class_name\": \"AUC\", \"config\": {\"num_thresholds\": 3}}", &out));
    CHECK(check_contains(out, "\"true_positives\"") && check_contains(out, "\"false_negatives\""));
    CHECK(check_contains(out, "[3]"));
    CHECK(variable_value(out, "true_negatives", 2) == 0);
    keras_string_free(out);
    out = NULL;
    CHECK_OK(keras_metric_variables("{\"class_name\": \"MeanIoU\", \"config\": {\"num_classes\": 2}}", &out));
    CHECK(check_contains(out, "\"total_confusion_matrix\"") && check_contains(out, "\"int32\""));
    keras_string_free(out);
    out = NULL;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "metric_json", keras_metric_variables("{not json", &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "class_name", keras_metric_variables("{\"config\": {}}", &out));
    CHECK(keras_metric_variables("{\"class_name\": \"NoSuchMetric\"}", &out) != KERAS_OK);
    CHECK(out == NULL);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out", keras_metric_variables("{\"class_name\": \"Mean\"}", NULL));

    /* A metric's result from given variables (Keras's stateless_result): Recall's two thresholds
     * give two values, tp / (tp + fn) each; a variable missing or of the wrong size is refused. */
    CHECK_OK(keras_metric_stateless_result("{\"class_name\": \"Recall\", \"config\": {\"thresholds\": [0.3, 0.6]}}",
                                           "{\"true_positives\": [3, 1], \"false_negatives\": [1, 3]}", &out));
    CHECK(fabs(number_at(out, "result", 0) - 0.75) < 1e-6 && fabs(number_at(out, "result", 1) - 0.25) < 1e-6);
    CHECK(variable_value(out, "false_negatives", 1) == 3);
    keras_string_free(out);
    out = NULL;
    CHECK_OK(keras_metric_stateless_result("{\"class_name\": \"Mean\"}", "{\"total\": [6], \"count\": [4]}", &out));
    CHECK(fabs(number_at(out, "result", 0) - 1.5) < 1e-6);
    keras_string_free(out);
    out = NULL;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "count", keras_metric_stateless_result("{\"class_name\": \"Mean\"}",
                                                                                "{\"total\": [6]}", &out));
    CHECK_ERR(KERAS_ERR_SHAPE, "true_positives", keras_metric_stateless_result(
        "{\"class_name\": \"AUC\", \"config\": {\"num_thresholds\": 3}}", "{\"true_positives\": [1]}", &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "variables_json", keras_metric_stateless_result("{\"class_name\": \"Mean\"}", "[1]", &out));
    CHECK(out == NULL);

    /* A model's compiled metrics after evaluate. */
    CHECK_OK(keras_model_from_json(model_json, &m));
    CHECK_OK(keras_model_metric_variables(m, &out));
    CHECK(out != NULL && strcmp(out, "[]") == 0);   /* not compiled */
    keras_string_free(out);
    out = NULL;
    CHECK_OK(keras_model_compile(m, compile_json));
    CHECK_OK(keras_model_evaluate(m, x, 2, xs, y, 2, ys, "{\"batch_size\": 3, \"verbose\": 0}", NULL, 0, &results));
    CHECK_OK(keras_model_metric_variables(m, &out));
    CHECK(check_contains(out, "\"loss_tracker\": true") && check_contains(out, "\"precision\""));
    CHECK(fabs(variable_value(out, "total", 0) - 0.25 * N) < 1e-5);
    CHECK(variable_value(out, "count", 0) == N);
    CHECK(variable_value(out, "true_positives", 0) == 3);
    CHECK(variable_value(out, "false_positives", 0) == N - 3);
    CHECK(!check_contains(out, "\"true_negatives\""));   /* Precision keeps tp and fp only */
    keras_string_free(out);
    keras_string_free(results);
    out = NULL;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out", keras_model_metric_variables(m, NULL));
    CHECK(keras_model_metric_variables(NULL, &out) != KERAS_OK);

    /* EarlyStopping: a fresh one's state, then the fit's (no epoch improves by 100: it stops
     * after the second epoch, epoch index 1). */
    CHECK_OK(keras_callback_from_config("EarlyStopping",
                                        "{\"monitor\": \"loss\", \"patience\": 0, \"min_delta\": 100}", &early));
    CHECK_OK(keras_callback_state(early, &out));
    CHECK(number_at(out, "stopped_epoch", 0) == 0 && check_contains(out, "\"best\": null"));
    keras_string_free(out);
    out = NULL;
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 5, \"batch_size\": 4, \"verbose\": 0}",
                             &early, 1, &results));
    keras_string_free(results);
    CHECK_OK(keras_callback_state(early, &out));
    CHECK(number_at(out, "stopped_epoch", 0) == 1);
    CHECK(number_at(out, "wait", 0) == 1);
    CHECK(number_at(out, "best_epoch", 0) == 0);
    CHECK(number_at(out, "best", 0) > 0);
    CHECK(check_contains(out, "\"has_best_weights\": false"));
    keras_string_free(out);
    out = NULL;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out", keras_callback_state(early, NULL));
    CHECK(keras_callback_state(NULL, &out) != KERAS_OK);

    keras_callback_free(early);
    keras_model_free(m);
    CHECK_DONE("test_object_state");
}
