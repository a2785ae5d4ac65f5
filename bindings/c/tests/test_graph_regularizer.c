/* A regularizer traced into a function graph (keras_register_regularizer_graph): a C plugin's
 * penalty factor * sum(x^2), its factor read from the regularizer's config, on a Dense's kernel
 * and activity. keras_model_call / keras_model_weight_losses give Keras's model.losses against the
 * formulas; the trace runs once per regularizer and shape; the model's config writes the entry as
 * registered; bad input and a failing trace get clear errors. */
#include "check.h"
#include <math.h>

static int traces = 0;

/* factor * sum(square(x)), the factor parsed from config_json {"factor": f}. */
static int trace_square(void *user_data, const char *config_json, keras_layer_builder *graph,
                        int64_t argument, int64_t *penalty) {
    const char *at = strstr(config_json, "\"factor\"");
    float factor;
    int64_t sq, total, scale, args[2];
    int rc;
    (void)user_data;
    traces++;
    if (at == NULL || (at = strchr(at, ':')) == NULL) {
        keras_callback_error("CSquare: config has no factor");
        return 1;
    }
    factor = (float)atof(at + 1);
    if ((rc = keras_layer_builder_op(graph, "square", 1, &argument, NULL, &sq)) != 0) return rc;
    if ((rc = keras_layer_builder_op(graph, "sum", 1, &sq, NULL, &total)) != 0) return rc;
    if ((rc = keras_layer_builder_constant(graph, &factor, 0, NULL, &scale)) != 0) return rc;
    args[0] = total;
    args[1] = scale;
    return keras_layer_builder_op(graph, "multiply", 2, args, NULL, penalty);
}

static int trace_failing(void *user_data, const char *config_json, keras_layer_builder *graph,
                         int64_t argument, int64_t *penalty) {
    (void)user_data; (void)config_json; (void)graph; (void)argument; (void)penalty;
    keras_callback_error("Broken: no penalty today");
    return 1;
}

static const char *model_json(const char *reg) {
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
             "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}},"
             "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 2, \"kernel_initializer\": \"ones\","
             " \"kernel_regularizer\": %s, \"activity_regularizer\": %s}}]}}", reg, reg);
    return buf;
}

/* Dense(2) of ones on x: y = [[6, 6], [-0.25, -0.25]]; kernel penalty 0.1 * 6 = 0.6, activity
 * 0.1 * 72.125 / 2 (the batch) = 3.60625. */
static void test_penalties(void) {
    const char *reg = "{\"module\": \"c_tests\", \"class_name\": \"CSquare\", \"config\": {\"factor\": 0.1},"
                      " \"registered_name\": \"CTests>CSquare\"}";
    keras_model *model = NULL;
    const float x[2 * 3] = {1, 2, 3, -1, 0.5f, 0.25f};
    const int64_t xshape[2] = {2, 3};
    keras_array in = {x, 2, xshape};
    float y[4] = {0};
    keras_output out = {y, 4, 0, {0}};
    char *losses = NULL, *weights = NULL, *config = NULL;
    CHECK_OK(keras_register_regularizer_graph(
        "{\"module\": \"c_tests\", \"class_name\": \"CSquare\", \"registered_name\": \"CTests>CSquare\"}",
        trace_square, NULL, NULL));
    CHECK_OK(keras_model_from_json(model_json(reg), &model));
    if (model == NULL) return;
    CHECK_OK(keras_model_call(model, &in, 1, 0, &out, 1, &losses));
    CHECK(check_contains(losses, "3.60625"));
    CHECK_OK(keras_model_weight_losses(model, &weights));
    CHECK(check_contains(weights, "0.6"));
    CHECK(traces == 2);   /* the kernel's shape and the activity's */
    keras_string_free(losses);
    keras_string_free(weights);
    CHECK_OK(keras_model_call(model, &in, 1, 0, &out, 1, NULL));
    CHECK(traces == 2);   /* traced once per shape */
    CHECK_OK(keras_model_to_json(model, &config));
    CHECK(check_contains(config, "\"registered_name\": \"CTests>CSquare\"") ||
          check_contains(config, "\"registered_name\":\"CTests>CSquare\""));
    CHECK(check_contains(config, "c_tests"));
    keras_string_free(config);
    keras_model_free(model);
}

static void test_bad_input(void) {
    const char *broken = "{\"class_name\": \"Broken\", \"config\": {}}";
    keras_model *model = NULL;
    const float x[3] = {1, 2, 3};
    const int64_t xshape[2] = {1, 3};
    keras_array in = {x, 2, xshape};
    float y[2] = {0};
    keras_output out = {y, 2, 0, {0}};
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "trace must not be NULL",
              keras_register_regularizer_graph("{\"class_name\": \"X\"}", NULL, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "class_name",
              keras_register_regularizer_graph("{\"module\": null}", trace_square, NULL, NULL));
    CHECK(keras_register_regularizer_graph("not json", trace_square, NULL, NULL) != KERAS_OK);
    CHECK_OK(keras_register_regularizer_graph("{\"class_name\": \"Broken\"}", trace_failing, NULL, NULL));
    CHECK_OK(keras_model_from_json(model_json(broken), &model));
    if (model == NULL) return;
    CHECK(keras_model_call(model, &in, 1, 0, &out, 1, NULL) != KERAS_OK);
    CHECK(check_contains(keras_last_error(), "no penalty today"));
    keras_model_free(model);
}

int main(void) {
    test_penalties();
    test_bad_input();
    CHECK_DONE("test_graph_regularizer");
}
