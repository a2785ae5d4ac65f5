/* int32 weights (Keras's add_weight(dtype="int32"): a counter): a plugin layer makes one with
 * add_weight_ex's "dtype" and counts its calls with keras_layer_builder_assign in its traced
 * call; keras_model_weight_dtypes reports it, keras_model_get_weight_int32 and
 * keras_model_set_weight_int32 read and write it exactly past 2^24 (where float32 has no odd
 * numbers), the optimizer leaves it alone and a .weights.h5 file keeps it exactly. */
#include "check.h"

static const char *input3 = "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}}";
static int bad_dtype_rc = 0;
static char bad_dtype_message[512];

static int create(void *ud, const char *cfg, void **state) { (void)ud; (void)cfg; *state = NULL; return 0; }
static int forward(void *state, const float *x, int ndim, const int64_t *shape, const float *const *w,
                   int n_weights, float *y, int training) {
    (void)state; (void)x; (void)ndim; (void)shape; (void)w; (void)n_weights; (void)y; (void)training;
    return 1;   /* never called: the call is traced */
}

/* y = x * w; count += 1 at every call (fit, evaluate and predict steps). */
static int build(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, w, y, one_node, width = shape[ndim - 1];
    const float one = 1;
    int rc;
    (void)state;
    if ((rc = b->add_weight(b, "w", 1, &width, "ones", 1)) != 0) return rc;
    if ((rc = b->add_weight_ex(b, "count", 0, NULL, "zeros", 0, "{\"dtype\": \"int32\"}")) != 0) return rc;
    bad_dtype_rc = b->add_weight_ex(b, "bad", 0, NULL, "zeros", 0, "{\"dtype\": \"int8\"}");
    snprintf(bad_dtype_message, sizeof bad_dtype_message, "%s", keras_last_error());
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    if ((rc = keras_layer_builder_weight(b, 0, &w)) != 0) return rc;
    {
        int64_t args[2] = {x, w};
        if ((rc = keras_layer_builder_op(b, "multiply", 2, args, NULL, &y)) != 0) return rc;
    }
    if ((rc = keras_layer_builder_constant(b, &one, 0, NULL, &one_node)) != 0) return rc;
    if ((rc = keras_layer_builder_assign(b, 1, one_node, 1, -1)) != 0) return rc;
    return keras_layer_builder_output(b, y, -1);
}

int main(void) {
    const int64_t xs[2] = {10, 3};
    const int32_t big = (1 << 30) + 3, wrong[2] = {0, 0};
    float x[30], y[30], pred[30], w[3], as_float = 0;
    int32_t count = 0;
    int64_t steps = 0;
    char *dtypes = NULL;
    keras_model *m = NULL;
    keras_layer_class cls;
    int i;

    for (i = 0; i < 30; i++) { x[i] = (float)(i % 5) / 5.0f; y[i] = 2 * x[i]; }
    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = create;
    cls.forward = forward;
    cls.build = build;
    CHECK_OK(keras_register_layer("Counted", &cls));
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, input3));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Counted\", \"config\": {\"name\": \"counted\"}}"));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"adam\", \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, xs, "{\"epochs\": 3, \"batch_size\": 10, \"verbose\": 0}", NULL, 0, NULL));
    CHECK(bad_dtype_rc == KERAS_ERR_INVALID_ARGUMENT && strstr(bad_dtype_message, "int8"));

    CHECK_OK(keras_model_weight_dtypes(m, &dtypes));
    CHECK(dtypes && strstr(dtypes, "\"float32\"") && strstr(dtypes, "\"int32\"") &&
          strstr(dtypes, "\"float32\"") < strstr(dtypes, "\"int32\""));
    if (dtypes) printf("dtypes: %s\n", dtypes);
    keras_string_free(dtypes);
    CHECK_OK(keras_model_get_weight_int32(m, 1, &count, 1));
    CHECK(count == 3);   /* three steps; the optimizer trained w only */
    CHECK_OK(keras_model_get_weight(m, 0, w, 3));
    CHECK(w[0] != 1.0f);

    /* Past 2^24: exact through set, a predict step's count and a weights file. */
    CHECK_OK(keras_model_set_weight_int32(m, 1, &big, 1));
    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, pred, 30, NULL, NULL));
    CHECK_OK(keras_model_get_weight_int32(m, 1, &count, 1));
    CHECK(count == big + 1);
    CHECK_OK(keras_model_get_weight(m, 1, &as_float, 1));
    CHECK(as_float == (float)(big + 1));
    CHECK_OK(keras_model_save_weights(m, "int32_weights.weights.h5", 1));
    count = 0;
    CHECK_OK(keras_model_set_weight_int32(m, 1, &count, 1));
    CHECK_OK(keras_model_load_weights(m, "int32_weights.weights.h5"));
    CHECK_OK(keras_model_get_weight_int32(m, 1, &count, 1));
    CHECK(count == big + 1);

    /* The optimizer's count past 2^24 (float32 has no odd number there): set, written to a
     * weights file and read back exactly. */
    CHECK_OK(keras_model_optimizer_iterations(m, &steps));
    CHECK(steps == 3);
    CHECK_OK(keras_model_set_optimizer_iterations(m, (1 << 24) + 3));
    CHECK_OK(keras_model_save_weights(m, "int32_weights.weights.h5", 1));
    CHECK_OK(keras_model_set_optimizer_iterations(m, 0));
    CHECK_OK(keras_model_load_weights(m, "int32_weights.weights.h5"));
    CHECK_OK(keras_model_optimizer_iterations(m, &steps));
    CHECK(steps == (1 << 24) + 3);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "negative", keras_model_set_optimizer_iterations(m, -1));
    /* Every optimizer variable at once: another number of values, or no JSON, changes nothing. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "values were given", keras_model_set_optimizer_variables(m, "[]"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "values_json", keras_model_set_optimizer_variables(m, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "values_json", keras_model_set_optimizer_variables(m, "{}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "model", keras_model_set_optimizer_variables(NULL, "[]"));
    CHECK_OK(keras_model_optimizer_iterations(m, &steps));
    CHECK(steps == (1 << 24) + 3);

    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "float32", keras_model_get_weight_int32(m, 0, &count, 1));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "float32", keras_model_set_weight_int32(m, 0, wrong, 3));
    CHECK_ERR(KERAS_ERR_SHAPE, "1 values", keras_model_set_weight_int32(m, 1, wrong, 2));
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "buffer", keras_model_get_weight_int32(m, 1, &count, 0));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out of range", keras_model_get_weight_int32(m, 5, &count, 1));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "json", keras_model_weight_dtypes(m, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL", keras_layer_builder_assign(NULL, 0, 0, 1, -1));
    keras_model_free(m);
    remove("int32_weights.weights.h5");
    CHECK_DONE("test_int32_weights");
}
