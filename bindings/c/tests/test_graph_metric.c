/* Metric updates of a traced call (keras_layer_builder_metric; Keras: `self.tracker.update_state(v)`
 * inside a traced compute_loss): every step adds the traced total and count to a running figure
 * that fit and evaluate reset where Keras resets model.metrics (each epoch, each evaluate) and log
 * under the metric's name, replacing a compiled figure of the same name ("loss" here); a running
 * sum has no count; keras_model_traced_metrics reads the state back. Bad arguments are errors. */
#include "check.h"
#include "traced_layer.h"
#include <math.h>

static const char *input3 = "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}}";
static int empty_name_rc = 0, not_scalar_rc = 0, bad_count_rc = 0, bad_training_rc = 0;
static char not_scalar_message[512];

/* The identity, reporting per step: "row_mean" (the mean over rows of each row's mean, Keras's
 * Mean of a batch of values), "rows" (a running sum of the rows seen, Keras's Sum) and "loss"
 * (the mean over rows of each row's mean square, in place of the compiled loss). */
static int build(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, rows_mean, ones, total, count, sq, sq_rows, sq_total;
    const char *last_axis = "{\"axis\": -1}";
    int rc;
    (void)state; (void)ndim; (void)shape;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "mean", 1, &x, last_axis, &rows_mean)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "ones_like", 1, &rows_mean, NULL, &ones)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "sum", 1, &rows_mean, NULL, &total)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "sum", 1, &ones, NULL, &count)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "square", 1, &x, NULL, &sq)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "mean", 1, &sq, last_axis, &sq_rows)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "sum", 1, &sq_rows, NULL, &sq_total)) != 0) return rc;
    if ((rc = keras_layer_builder_metric(b, "row_mean", total, count, -1)) != 0) return rc;
    if ((rc = keras_layer_builder_metric(b, "rows", count, -1, -1)) != 0) return rc;
    if ((rc = keras_layer_builder_metric(b, "loss", sq_total, count, -1)) != 0) return rc;
    empty_name_rc = keras_layer_builder_metric(b, "", total, count, -1);
    not_scalar_rc = keras_layer_builder_metric(b, "m", x, count, -1);
    snprintf(not_scalar_message, sizeof not_scalar_message, "%s", keras_last_error());
    bad_count_rc = keras_layer_builder_metric(b, "m", total, -2, -1);
    bad_training_rc = keras_layer_builder_metric(b, "m", total, count, 2);
    return keras_layer_builder_output(b, x, -1);
}

int main(void) {
    float x[30], y[10];
    const int64_t xs[2] = {10, 3}, ys[2] = {10, 1};
    double mean_x = 0, mean_sq = 0;
    char *history = NULL, *results = NULL, *states = NULL;
    keras_model *m = NULL;
    keras_layer_class cls;
    int i, epoch;

    for (i = 0; i < 30; i++) {
        x[i] = (float)(i % 7) / 7.0f - 0.4f;
        mean_x += x[i] / 30.0;
        mean_sq += (double)x[i] * x[i] / 30.0;
    }
    for (i = 0; i < 10; i++) y[i] = 1.0f;
    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = traced_layer_create;
    cls.forward = traced_layer_forward;
    cls.build = build;
    CHECK_OK(keras_register_layer("MetricReporter", &cls));
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, input3));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"MetricReporter\", \"config\": {\"name\": \"reporter\"}}"));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_traced_metrics(m, &states));
    CHECK(states && strcmp(states, "[]") == 0);   /* before any step */
    keras_string_free(states);
    states = NULL;
    /* Batches of 4, 4 and 2 rows: the running figures weigh rows, and restart each epoch. */
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"batch_size\": 4, \"verbose\": 0, \"shuffle\": false}",
                             NULL, 0, &history));
    printf("history: %s\n", history ? history : "(none)");
    for (epoch = 0; epoch < 2; epoch++) {
        CHECK(fabs(number_at(history, "row_mean", epoch) - mean_x) < 1e-6);
        CHECK(fabs(number_at(history, "rows", epoch) - 10) < 1e-9);
        /* the traced "loss" replaces the compiled mse against ones */
        CHECK(fabs(number_at(history, "loss", epoch) - mean_sq) < 1e-6);
    }
    CHECK_OK(keras_model_evaluate(m, x, 2, xs, y, 2, ys, "{\"batch_size\": 3, \"verbose\": 0}", NULL, 0, &results));
    printf("evaluate: %s\n", results ? results : "(none)");
    CHECK(fabs(number_at(results, "row_mean", 0) - mean_x) < 1e-6);
    CHECK(fabs(number_at(results, "rows", 0) - 10) < 1e-9);
    CHECK(fabs(number_at(results, "loss", 0) - mean_sq) < 1e-6);
    CHECK_OK(keras_model_traced_metrics(m, &states));
    printf("states: %s\n", states ? states : "(none)");
    CHECK(states && strstr(states, "\"row_mean\"") && strstr(states, "\"rows\""));
    CHECK(fabs(number_at(states ? strstr(states, "\"row_mean\"") : NULL, "total", 0) - 10 * mean_x) < 1e-5);
    CHECK(fabs(number_at(states ? strstr(states, "\"row_mean\"") : NULL, "count", 0) - 10) < 1e-9);
    CHECK(states && strstr(strstr(states, "\"rows\""), "\"count\": null") != NULL);

    CHECK(empty_name_rc == KERAS_ERR_INVALID_ARGUMENT);
    CHECK(not_scalar_rc == KERAS_ERR_SHAPE && strstr(not_scalar_message, "scalar"));
    CHECK(bad_count_rc == KERAS_ERR_INVALID_ARGUMENT && bad_training_rc == KERAS_ERR_INVALID_ARGUMENT);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL", keras_layer_builder_metric(NULL, "m", 0, -1, -1));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out", keras_model_traced_metrics(m, NULL));
    keras_string_free(history);
    keras_string_free(results);
    keras_string_free(states);
    keras_model_free(m);
    CHECK_DONE("test_graph_metric");
}
