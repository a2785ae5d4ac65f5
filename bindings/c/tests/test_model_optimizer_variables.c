/* keras_model_optimizer_variables: a compiled model's optimizer variables (Keras's
 * model.optimizer.variables) in Keras's order, each with the weight it belongs to. One step of
 * SGD with momentum on a Dense(1) from zero weights gives momentums known by hand:
 * m = -lr * gradient, where the mean squared error over n = 2 rows at a zero prediction has the
 * gradient 2 (0 - y) / n = -y per row, so -x^T y for the kernel and -sum(y) for the bias; the
 * weights after the step equal their momentums. */
#include "check.h"

/* The entry (one {...} of the list) whose "path" ends with `suffix`, copied into `out`; 0 if none. */
static int find_entry(const char *json, const char *suffix, char *out, size_t capacity) {
    char needle[160];
    const char *at;
    snprintf(needle, sizeof needle, "%s\"", suffix);
    at = strstr(json, needle);
    if (at == NULL) return 0;
    {
        const char *open = at, *close = strchr(at, '}');
        size_t n;
        while (open > json && *open != '{') open--;
        if (close == NULL || *open != '{') return 0;
        n = (size_t)(close - open + 1);
        if (n >= capacity) return 0;
        memcpy(out, open, n);
        out[n] = '\0';
    }
    return 1;
}

/* The numbers after `"key":` in an entry (a number or a list of numbers); how many were read. */
static int numbers(const char *entry, const char *key, double *out, int capacity) {
    char needle[64];
    const char *p;
    int n = 0;
    snprintf(needle, sizeof needle, "\"%s\"", key);
    p = strstr(entry, needle);
    if (p == NULL) return 0;
    p = strchr(p + strlen(needle), ':');
    if (p == NULL) return 0;
    p++;
    while (*p == ' ' || *p == '[') p++;
    while (n < capacity) {
        char *end;
        double v = strtod(p, &end);
        if (end == p) break;
        out[n++] = v;
        p = end;
        while (*p == ' ' || *p == ',') p++;
    }
    return n;
}

int main(void) {
    const float x[4] = {1, 2, 3, 4}, y[2] = {1, 2};
    const int64_t xs[2] = {2, 2}, ys[2] = {2, 1};
    keras_model *m = NULL, *plain = NULL;
    char *json = NULL, entry[1024];
    double v[4];
    float kernel[2] = {0, 0}, bias = 0;
    int count = 0;

    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 1, "
                                          "\"kernel_initializer\": \"zeros\"}}"));
    CHECK_ERR(KERAS_ERR_STATE, "not compiled", keras_model_optimizer_variables(m, &json));
    CHECK(json == NULL);
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1, "
                                    "\"momentum\": 0.9}}, \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 1, \"batch_size\": 2, \"shuffle\": false, \"verbose\": 0}",
                             NULL, 0, NULL));
    CHECK_OK(keras_model_optimizer_variables(m, &json));
    CHECK(json != NULL);
    if (json != NULL) {
        /* Keras's order: iteration, learning_rate, then each trainable weight's momentum. */
        const char *it = strstr(json, "/iteration\""), *lr = strstr(json, "/learning_rate\"");
        const char *mk = strstr(json, "_dense_kernel_momentum\""), *mb = strstr(json, "_dense_bias_momentum\"");
        CHECK(it != NULL && lr != NULL && mk != NULL && mb != NULL);
        CHECK(it < lr && lr < mk && mk < mb);
        CHECK(find_entry(json, "/iteration", entry, sizeof entry));
        CHECK(check_contains(entry, "int32") && numbers(entry, "value", v, 4) == 1 && v[0] == 1);
        CHECK(numbers(entry, "owner", v, 4) == 0);   /* null: the optimizer's own */
        CHECK(find_entry(json, "/learning_rate", entry, sizeof entry));
        CHECK(numbers(entry, "value", v, 4) == 1 && fabs(v[0] - 0.1) < 1e-7);
        /* gradient of the kernel: -(x^T y) = -(1*1 + 3*2, 2*1 + 4*2) = (-7, -10); bias: -3 */
        CHECK(find_entry(json, "_dense_kernel_momentum", entry, sizeof entry));
        CHECK(numbers(entry, "value", v, 4) == 2 && fabs(v[0] - 0.7) < 1e-6 && fabs(v[1] - 1.0) < 1e-6);
        CHECK(numbers(entry, "owner", v, 4) == 1 && v[0] == 0);
        CHECK(check_contains(entry, "\"sequential/dense/kernel\"") || check_contains(entry, "/dense/kernel\""));
        CHECK(find_entry(json, "_dense_bias_momentum", entry, sizeof entry));
        CHECK(numbers(entry, "value", v, 4) == 1 && fabs(v[0] - 0.3) < 1e-6);
        CHECK(numbers(entry, "owner", v, 4) == 1 && v[0] == 1);
        keras_string_free(json);
        json = NULL;
    }
    /* the weights moved by their momentums from zero */
    CHECK_OK(keras_model_weight_count(m, &count));
    CHECK(count == 2);
    CHECK_OK(keras_model_get_weight(m, 0, kernel, 2));
    CHECK_OK(keras_model_get_weight(m, 1, &bias, 1));
    CHECK(fabsf(kernel[0] - 0.7f) < 1e-6f && fabsf(kernel[1] - 1.0f) < 1e-6f && fabsf(bias - 0.3f) < 1e-6f);

    /* bad input */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out_json", keras_model_optimizer_variables(m, NULL));
    CHECK(keras_model_optimizer_variables(NULL, &json) != KERAS_OK);
    CHECK(json == NULL);
    CHECK_OK(keras_sequential_new(NULL, &plain));
    CHECK_ERR(KERAS_ERR_STATE, "not compiled", keras_model_optimizer_variables(plain, &json));
    keras_model_free(plain);
    keras_model_free(m);
    CHECK_DONE("test_model_optimizer_variables");
}
