/* keras_model_adapt: a Normalization inside a model adapts to data before fit (its mean and
 * variance become those of the data, so the normalized features have mean 0 and variance 1), a
 * Discretization learns its bin boundaries, and bad calls fail with messages naming the layer. */
#include <math.h>
#include "check.h"

static const char *MODEL =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"prep\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2], \"name\": \"in\"}},"
    "{\"class_name\": \"Normalization\", \"config\": {\"name\": \"norm\", \"axis\": -1}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"out\", \"units\": 1}}]}}";

int main(void) {
    keras_model *m = NULL;
    float x[12], y[6], normed[12];
    int64_t xs[2] = {6, 2}, ys[2] = {6, 1}, shape[2];
    int i, j, ndim = 0;
    for (i = 0; i < 6; i++) {
        x[2 * i] = (float)i;            /* mean 2.5, variance 35/12 */
        x[2 * i + 1] = 10.0f * (float)(i % 2);  /* mean 5, variance 25 */
        y[i] = (float)i;
    }
    CHECK_OK(keras_model_from_json(MODEL, &m));
    CHECK_OK(keras_model_adapt(m, "norm", x, 2, xs));
    CHECK_OK(keras_model_layer_output(m, "norm", x, 2, xs, normed, 12, shape, &ndim));
    for (j = 0; j < 2; j++) {
        float s = 0, s2 = 0;
        for (i = 0; i < 6; i++) { s += normed[2 * i + j]; s2 += normed[2 * i + j] * normed[2 * i + j]; }
        CHECK(fabsf(s / 6) < 1e-5f && fabsf(s2 / 6 - 1) < 1e-4f);
    }
    CHECK(fabsf(normed[0] - (0 - 2.5f) / sqrtf(35.0f / 12)) < 1e-5f && fabsf(normed[1] + 1) < 1e-5f);
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"verbose\": 0}", NULL, 0, NULL));

    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "no adapt()", keras_model_adapt(m, "out", x, 2, xs));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "nope", keras_model_adapt(m, "nope", x, 2, xs));
    {
        int64_t bad[2] = {4, 3};
        CHECK_ERR(KERAS_ERR_SHAPE, "'norm'", keras_model_adapt(m, "norm", x, 2, bad));
    }
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layer_name", keras_model_adapt(m, NULL, x, 2, xs));
    keras_model_free(m);

    /* Discretization(num_bins=2) adapted on 0..5: Keras's quantile summary puts the boundary at 2. */
    {
        const char *json =
            "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"bins\", \"layers\": ["
            "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 1], \"name\": \"in\"}},"
            "{\"class_name\": \"Discretization\", \"config\": {\"name\": \"disc\", \"num_bins\": 2}}]}}";
        float v[6] = {0, 1, 2, 3, 4, 5}, out[6];
        int64_t vs[2] = {6, 1};
        char *text = NULL;
        CHECK_OK(keras_model_from_json(json, &m));
        CHECK_ERR(KERAS_ERR_STATE, "adapt", keras_model_predict(m, v, 2, vs, NULL, NULL, 0, out, 6, shape, &ndim));
        CHECK_OK(keras_model_adapt(m, "disc", v, 2, vs));
        CHECK_OK(keras_model_predict(m, v, 2, vs, NULL, NULL, 0, out, 6, shape, &ndim));
        CHECK(out[0] == 0 && out[1] == 0 && out[2] == 1 && out[5] == 1);
        CHECK_OK(keras_model_to_json(m, &text));
        CHECK(check_contains(text, "\"bin_boundaries\": [2.0]"));
        keras_string_free(text);
        keras_model_free(m);
    }
    /* A StringLookup adapted to UTF-8 strings, then predicting on strings; invert decodes. */
    {
        const char *json =
            "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"words\", \"layers\": ["
            "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 1], \"dtype\": \"string\", \"name\": \"in\"}},"
            "{\"class_name\": \"StringLookup\", \"config\": {\"name\": \"lookup\"}}]}}";
        const char *words[4] = {"caf\xc3\xa9", "tea", "caf\xc3\xa9", "milk"};
        const char *asked[3] = {"tea", "caf\xc3\xa9", "water"};
        float w[4], a[3], out[3];
        int64_t ws[2] = {4, 1}, as[2] = {3, 1};
        char *text = NULL;
        CHECK_OK(keras_strings_encode(words, 4, w));
        CHECK_OK(keras_model_from_json(json, &m));
        CHECK_ERR(KERAS_ERR_STATE, "'lookup'", keras_model_predict(m, w, 2, ws, NULL, NULL, 0, out, 3, shape, &ndim));
        CHECK_OK(keras_model_adapt(m, "lookup", w, 2, ws));
        CHECK_OK(keras_strings_encode(asked, 3, a));
        CHECK_OK(keras_model_predict(m, a, 2, as, NULL, NULL, 0, out, 3, shape, &ndim));
        /* vocabulary [UNK], café (2), tea, milk (ties: larger first) */
        CHECK(out[0] == 2 && out[1] == 1 && out[2] == 0);
        CHECK_OK(keras_strings_decode(a, 3, &text));
        CHECK(check_contains(text, "[\"tea\", \"caf\\u00e9\", \"water\"]"));
        keras_string_free(text);
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "strings[1]", keras_strings_encode((const char *const[]){"a", NULL}, 2, a));
        keras_model_free(m);
    }
    /* TextVectorization from the catalogue: adapted to documents, predicting padded token ids. */
    {
        const char *json =
            "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"text\", \"layers\": ["
            "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 1], \"dtype\": \"string\", \"name\": \"in\"}},"
            "{\"class_name\": \"TextVectorization\", \"config\": {\"name\": \"vec\", \"output_sequence_length\": 3}}]}}";
        const char *docs[3] = {"the cat sat", "the dog", "The cat!"};
        const char *asked[2] = {"a cat and the dog", "Dog."};
        float d[3], a[2], out[6];
        int64_t ds[2] = {3, 1}, as[2] = {2, 1};
        CHECK_OK(keras_strings_encode(docs, 3, d));
        CHECK_OK(keras_model_from_json(json, &m));
        CHECK_OK(keras_model_adapt(m, "vec", d, 2, ds));
        CHECK_OK(keras_strings_encode(asked, 2, a));
        CHECK_OK(keras_model_predict(m, a, 2, as, NULL, NULL, 0, out, 6, shape, &ndim));
        /* vocabulary "", [UNK], the, cat, sat, dog (ties: larger first) */
        CHECK(ndim == 2 && shape[0] == 2 && shape[1] == 3);
        CHECK(out[0] == 1 && out[1] == 3 && out[2] == 1 && out[3] == 5 && out[4] == 0 && out[5] == 0);
        keras_model_free(m);
    }
    CHECK_DONE("test_preprocessing");
}
