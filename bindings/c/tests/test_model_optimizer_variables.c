/* keras_model_optimizer_variables: a compiled model's optimizer variables (Keras's
 * model.optimizer.variables) in Keras's order, each with the weight it belongs to, as a JSON
 * layout and their float values in a caller buffer. One step of
 * SGD with momentum on a Dense(1) from zero weights gives momentums known by hand:
 * m = -lr * gradient, where the mean squared error over n = 2 rows at a zero prediction has the
 * gradient 2 (0 - y) / n = -y per row, so -x^T y for the kernel and -sum(y) for the bias; the
 * weights after the step equal their momentums. */
#include "check.h"

int main(void) {
    const float x[4] = {1, 2, 3, 4}, y[2] = {1, 2};
    const int64_t xs[2] = {2, 2}, ys[2] = {2, 1};
    keras_model *m = NULL, *plain = NULL;
    char *layout = NULL, entry[1024];
    float values[8] = {0}, small[2] = {0};
    float kernel[2] = {0, 0}, bias = 0;
    int64_t count = -1;
    int at;
    int n_weights = 0;

    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 1, "
                                          "\"kernel_initializer\": \"zeros\"}}"));
    CHECK_ERR(KERAS_ERR_STATE, "not compiled", keras_model_optimizer_variables(m, &layout, values, 8, &count));
    CHECK(layout == NULL && count == 0);
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1, "
                                    "\"momentum\": 0.9}}, \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 1, \"batch_size\": 2, \"shuffle\": false, \"verbose\": 0}",
                             NULL, 0, NULL));
    /* The float values are the learning rate (1) and the momentums (2 + 1): 4; a NULL buffer of
     * capacity 0 asks for the count, a buffer too small gets it and nothing else. */
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "4 values", keras_model_optimizer_variables(m, &layout, NULL, 0, &count));
    CHECK(count == 4 && layout == NULL);
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "the buffer 2", keras_model_optimizer_variables(m, &layout, small, 2, &count));
    CHECK(count == 4 && layout == NULL && small[0] == 0 && small[1] == 0);
    CHECK_OK(keras_model_optimizer_variables(m, &layout, values, 8, &count));
    CHECK(layout != NULL && count == 4);
    if (layout != NULL) {
        /* Keras's order: iteration, learning_rate, then each trainable weight's momentum. */
        const char *it = strstr(layout, "/iteration\""), *lr = strstr(layout, "/learning_rate\"");
        const char *mk = strstr(layout, "_dense_kernel_momentum\""), *mb = strstr(layout, "_dense_bias_momentum\"");
        CHECK(it != NULL && lr != NULL && mk != NULL && mb != NULL);
        CHECK(it < lr && lr < mk && mk < mb);
        /* the step count is an exact int32 in the layout, with no place in the buffer */
        CHECK(layout_entry(layout, "/iteration", entry, sizeof entry));
        CHECK(check_contains(entry, "int32") && number_at(entry, "value", 0) == 1);
        CHECK(numbers_at(entry, "offset", 0, NULL, 0) == -1);
        CHECK(isnan(number_at(entry, "owner", 0)));   /* null: the optimizer's own */
        CHECK(layout_entry(layout, "/learning_rate", entry, sizeof entry));
        at = (int)number_at(entry, "offset", 0);
        CHECK(at == 0 && fabsf(values[at] - 0.1f) < 1e-7f);
        CHECK(numbers_at(entry, "value", 0, NULL, 0) == -1);
        /* gradient of the kernel: -(x^T y) = -(1*1 + 3*2, 2*1 + 4*2) = (-7, -10); bias: -3 */
        CHECK(layout_entry(layout, "_dense_kernel_momentum", entry, sizeof entry));
        at = (int)number_at(entry, "offset", 0);
        CHECK(at == 1 && fabsf(values[at] - 0.7f) < 1e-6f && fabsf(values[at + 1] - 1.0f) < 1e-6f);
        CHECK(number_at(entry, "shape", 0) == 2 && number_at(entry, "shape", 1) == 1);
        CHECK(number_at(entry, "owner", 0) == 0);
        CHECK(check_contains(entry, "\"sequential/dense/kernel\"") || check_contains(entry, "/dense/kernel\""));
        CHECK(layout_entry(layout, "_dense_bias_momentum", entry, sizeof entry));
        at = (int)number_at(entry, "offset", 0);
        CHECK(at == 3 && fabsf(values[at] - 0.3f) < 1e-6f);
        CHECK(number_at(entry, "owner", 0) == 1);
        keras_string_free(layout);
        layout = NULL;
    }
    /* the weights moved by their momentums from zero */
    CHECK_OK(keras_model_weight_count(m, &n_weights));
    CHECK(n_weights == 2);
    CHECK_OK(keras_model_get_weight(m, 0, kernel, 2));
    CHECK_OK(keras_model_get_weight(m, 1, &bias, 1));
    CHECK(fabsf(kernel[0] - 0.7f) < 1e-6f && fabsf(kernel[1] - 1.0f) < 1e-6f && fabsf(bias - 0.3f) < 1e-6f);

    /* bad input */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layout_json", keras_model_optimizer_variables(m, NULL, values, 8, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "count", keras_model_optimizer_variables(m, &layout, values, 8, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "capacity is negative", keras_model_optimizer_variables(m, &layout, values, -1, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "values is NULL", keras_model_optimizer_variables(m, &layout, NULL, 8, &count));
    CHECK(layout == NULL);
    CHECK(keras_model_optimizer_variables(NULL, &layout, values, 8, &count) != KERAS_OK);
    CHECK(layout == NULL);
    CHECK_OK(keras_sequential_new(NULL, &plain));
    CHECK_ERR(KERAS_ERR_STATE, "not compiled", keras_model_optimizer_variables(plain, &layout, values, 8, &count));
    keras_model_free(plain);
    keras_model_free(m);
    CHECK_DONE("test_model_optimizer_variables");
}
