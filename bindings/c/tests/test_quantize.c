/* keras_model_quantize: a Dense model quantized to int8 (Keras's model.quantize("int8")) holds
 * an int8 kernel (keras_model_weight_dtypes, keras_model_get_weight_int32) and a float32
 * per-unit scale, both non-trainable, and predicts as Keras's _int8_call computes: each input
 * row quantized over its abs-max, an exact integer product, de-scaled (checked against the
 * same arithmetic written out here). A Dropout is reported as skipped; other modes, an unknown
 * mode, quantizing twice and bad arguments are refused with clear errors. */
#include <math.h>
#include "check.h"

static const char *input4 = "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}}";

/* Keras's abs-max quantization of n values: the int8 values (as floats) and the scale. */
static float quantize_line(const float *x, int n, int stride, float *q) {
    float m = 0, scale;
    int i;
    for (i = 0; i < n; i++) if (fabsf(x[i * stride]) > m) m = fabsf(x[i * stride]);
    scale = 127.0f / (m + 1e-7f);
    for (i = 0; i < n; i++) {
        float v = nearbyintf(x[i * stride] * scale);   /* (round half to even, as numpy) */
        q[i] = v > 127 ? 127 : (v < -127 ? -127 : v);
    }
    return scale;
}

int main(void) {
    const int64_t xs[2] = {3, 4};
    float kernel[12], bias[3] = {0.1f, -0.2f, 0.3f}, x[12], out[9], scales[3], column[4], q[4], row_q[4];
    int32_t ints[12];
    char *dtypes = NULL, *skipped = NULL;
    keras_model *m = NULL, *d = NULL;
    int i, j, p, trainable = 1;

    for (i = 0; i < 12; i++) { kernel[i] = sinf((float)i * 1.7f); x[i] = cosf((float)i * 0.9f) * 2.0f; }
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, input4));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"name\": \"d\"}}"));
    CHECK_OK(keras_model_set_weight(m, 0, kernel, 12));
    CHECK_OK(keras_model_set_weight(m, 1, bias, 3));
    CHECK_OK(keras_model_quantize(m, "int8", NULL, &skipped));
    CHECK(skipped && strcmp(skipped, "[]") == 0);
    keras_string_free(skipped);
    skipped = NULL;

    /* Weights in Keras's order: bias (trainable), kernel (int8), kernel_scale. */
    CHECK_OK(keras_model_weight_dtypes(m, &dtypes));
    CHECK(dtypes && strcmp(dtypes, "[\"float32\", \"int8\", \"float32\"]") == 0);
    if (dtypes) printf("dtypes: %s\n", dtypes);
    keras_string_free(dtypes);
    CHECK_OK(keras_model_weight_trainable(m, 1, &trainable));
    CHECK(trainable == 0);
    CHECK_OK(keras_model_get_weight_int32(m, 1, ints, 12));
    CHECK_OK(keras_model_get_weight(m, 2, scales, 3));
    for (j = 0; j < 3; j++) {
        float s = quantize_line(kernel + j, 4, 3, column);
        CHECK(s == scales[j]);
        for (p = 0; p < 4; p++) CHECK((float)ints[p * 3 + j] == column[p]);
    }

    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, out, 9, NULL, NULL));
    for (i = 0; i < 3; i++) {
        float s = quantize_line(x + i * 4, 4, 1, row_q);
        for (j = 0; j < 3; j++) {
            long acc = 0;
            for (p = 0; p < 4; p++) { q[p] = (float)ints[p * 3 + j]; acc += (long)row_q[p] * (long)q[p]; }
            CHECK(fabsf(out[i * 3 + j] - ((float)acc / (scales[j] * s) + bias[j])) <= 1e-6f);
        }
    }

    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "already quantized", keras_model_quantize(m, "int8", NULL, &skipped));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "already quantized", keras_model_quantize(m, "int4", NULL, &skipped));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "already quantized", keras_model_quantize(m, "float8", NULL, &skipped));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "the supported modes are 'int8' and 'int4'", keras_model_quantize(m, "awq", NULL, &skipped));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "Invalid quantization mode", keras_model_quantize(m, "int3", NULL, &skipped));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "mode", keras_model_quantize(m, NULL, NULL, &skipped));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "skipped", keras_model_quantize(m, "int8", NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layers_json", keras_model_quantize(m, "int8", "{\"d\": 1}", &skipped));
    keras_model_free(m);

    /* Only the named layers; a Dropout left as it is, reported. */
    CHECK_OK(keras_sequential_new(NULL, &d));
    CHECK_OK(keras_sequential_add_json(d, input4));
    CHECK_OK(keras_sequential_add_json(d, "{\"class_name\": \"Dropout\", \"config\": {\"rate\": 0.5, \"name\": \"drop\"}}"));
    CHECK_OK(keras_sequential_add_json(d, "{\"class_name\": \"Dense\", \"config\": {\"units\": 2, \"name\": \"a\"}}"));
    CHECK_OK(keras_sequential_add_json(d, "{\"class_name\": \"Dense\", \"config\": {\"units\": 2, \"name\": \"b\"}}"));
    CHECK_OK(keras_model_quantize(d, "int8", "[\"drop\", \"b\"]", &skipped));
    CHECK(skipped && strcmp(skipped, "[\"Dropout\"]") == 0);
    keras_string_free(skipped);
    CHECK_OK(keras_model_weight_dtypes(d, &dtypes));
    CHECK(dtypes && strcmp(dtypes, "[\"float32\", \"float32\", \"float32\", \"int8\", \"float32\"]") == 0);
    keras_string_free(dtypes);
    keras_model_free(d);
    CHECK_DONE("test_quantize");
}
