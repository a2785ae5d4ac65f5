/* keras_estimator_describe: the estimator's decisions for data before any model exists (the
 * metadata, target encoding, default loss and class weights the Python wrappers take from the
 * library), and clear errors for bad input. */
#include "check.h"

static char *describe(const char *kind, const char *params, int32_t x_ndim, const int64_t *xs,
                      const float *y, int32_t y_ndim, const int64_t *ys, const char *labels,
                      int64_t units) {
    char *out = NULL;
    CHECK_OK(keras_estimator_describe(kind, params, x_ndim, xs, y, y_ndim, ys, labels, units, &out));
    return out;
}

/* `json` holds every needle; then it is freed. */
static void expect(char *json, const char *const *needles) {
    for (; *needles; needles++) {
        if (!check_contains(json, *needles)) {
            fprintf(stderr, "describe: \"%s\" lacks \"%s\"\n", json ? json : "(null)", *needles);
            check_failures++;
        }
    }
    keras_string_free(json);
}

int main(void) {
    int64_t xs4[] = {4, 3}, ys4[] = {4}, img[] = {4, 8, 8, 1};
    float multi[] = {2, 0, 2, 1};
    const char *multiclass[] = {"\"n_features_in_\": 3", "\"sample_shape\": [3]", "\"target_type_\": \"multiclass\"",
                                "\"classes_\": [\"0\", \"1\", \"2\"]", "\"class_first_index\": [1, 3, 0]",
                                "\"n_classes_\": 3", "\"n_outputs_\": 1", "\"output_units\": 3",
                                "\"output_activation\": \"softmax\"", "\"target_encoding\": \"ordinal\"",
                                "\"default_loss\": \"sparse_categorical_crossentropy\"", "\"class_weight\": null", NULL};
    expect(describe("KerasClassifier", NULL, 2, xs4, multi, 1, ys4, NULL, 0), multiclass);
    const char *onehot[] = {"\"target_encoding\": \"onehot\"", "\"sample_shape\": [8, 8, 1]", "\"n_features_in_\": 8", NULL};
    expect(describe("KerasClassifier", "{\"loss\": \"categorical_crossentropy\"}", 4, img, multi, 1, ys4, NULL, 0), onehot);

    float binary[] = {1, 0, 0, 0};
    const char *bin[] = {"\"target_type_\": \"binary\"", "\"output_units\": 1", "\"default_loss\": \"binary_crossentropy\"",
                         "\"class_weight\": [0.6666666", "2.0]", NULL};
    expect(describe("KerasClassifier", "{\"class_weight\": \"balanced\"}", 2, xs4, binary, 1, ys4, NULL, 0), bin);
    const char *two_units[] = {"\"default_loss\": \"sparse_categorical_crossentropy\"", "\"class_weight\": [1.0, 5.0]", NULL};
    expect(describe("KerasClassifier", "{\"class_weight\": {\"1\": 5}}", 2, xs4, binary, 1, ys4, NULL, 2), two_units);

    const char *strings[] = {"\"classes_\": [\"a\", \"b\"]", "\"class_first_index\": [1, 0]", NULL};
    expect(describe("classifier", NULL, 2, xs4, NULL, 0, NULL, "[\"b\", \"a\", \"b\", \"b\"]", 0), strings);

    int64_t ys42[] = {4, 2};
    float hot[] = {1, 0, 0, 1, 0, 1, 1, 0};
    const char *hots[] = {"\"target_type_\": \"multilabel-indicator\"", "\"encoder_target_type\": \"multiclass-onehot\"",
                          "\"default_loss\": \"categorical_crossentropy\"", "\"classes_\": [\"0\", \"1\"]", NULL};
    expect(describe("KerasClassifier", NULL, 2, xs4, hot, 2, ys42, NULL, 0), hots);
    float mcmo[] = {0, 2, 1, 0, 2, 2, 1, 1};
    const char *mcmos[] = {"\"target_type_\": \"multiclass-multioutput\"", "\"classes_\": null", "\"n_classes_\": null",
                           "\"n_outputs_\": 1", "\"output_units\": 2", "\"target_encoding\": \"identity\"", NULL};
    expect(describe("KerasClassifier", NULL, 2, xs4, mcmo, 2, ys42, NULL, 0), mcmos);
    float cont[] = {0.5f, 1.5f, 2.25f, 3, 1, 2, 3, 4};
    const char *reg[] = {"\"target_type_\": \"continuous-multioutput\"", "\"n_outputs_\": 2", "\"output_units\": 2",
                         "\"classes_\": null", "\"default_loss\": \"mean_squared_error\"", NULL};
    expect(describe("KerasRegressor", NULL, 2, xs4, cont, 2, ys42, NULL, 0), reg);

    char *out = NULL;
    int64_t x1[] = {4};
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "Unknown label type: continuous",
              keras_estimator_describe("KerasClassifier", NULL, 2, xs4, cont, 1, ys4, NULL, 0, &out));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "unknown estimator kind 'SVC'", keras_estimator_describe("SVC", NULL, 2, xs4, multi, 1, ys4, NULL, 0, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "kind must not be NULL", keras_estimator_describe(NULL, NULL, 2, xs4, multi, 1, ys4, NULL, 0, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_estimator_describe("KerasClassifier", NULL, 2, xs4, multi, 1, ys4, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_SHAPE, "x_shape must have at least 2 dimensions", keras_estimator_describe("KerasClassifier", NULL, 1, x1, multi, 1, ys4, NULL, 0, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "x_shape: the shape pointer is NULL", keras_estimator_describe("KerasClassifier", NULL, 2, NULL, multi, 1, ys4, NULL, 0, &out));
    CHECK_ERR(KERAS_ERR_SHAPE, "x_shape has 4 samples but y has 3",
              keras_estimator_describe("KerasClassifier", NULL, 2, xs4, NULL, 0, NULL, "[\"a\", \"b\", \"a\"]", 0, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "give y or labels_json, not both",
              keras_estimator_describe("KerasClassifier", NULL, 2, xs4, multi, 1, ys4, "[\"a\"]", 0, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "labels_json[1] is 3, not a string",
              keras_estimator_describe("KerasClassifier", NULL, 2, xs4, NULL, 0, NULL, "[\"a\", 3]", 0, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "labels_json must be a JSON list of strings",
              keras_estimator_describe("KerasClassifier", NULL, 2, xs4, NULL, 0, NULL, "{}", 0, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "y: the data pointer is NULL", keras_estimator_describe("KerasClassifier", NULL, 2, xs4, NULL, 1, ys4, NULL, 0, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "class_weight has key '7', which is not a class",
              keras_estimator_describe("KerasClassifier", "{\"class_weight\": {\"7\": 2}}", 2, xs4, multi, 1, ys4, NULL, 0, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "output_units must be >= 0", keras_estimator_describe("KerasClassifier", NULL, 2, xs4, multi, 1, ys4, NULL, -1, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "invalid parameter 'lossy'",
              keras_estimator_describe("KerasClassifier", "{\"lossy\": 1}", 2, xs4, multi, 1, ys4, NULL, 0, &out));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "y must be numbers", keras_estimator_describe("KerasRegressor", NULL, 2, xs4, NULL, 0, NULL, "[\"a\", \"b\", \"a\", \"b\"]", 0, &out));
    float nan_y[] = {0, 1, 0, 0};
    nan_y[2] = 0.0f / 0.0f;
    CHECK_ERR(KERAS_ERR_DATA, "NaN", keras_estimator_describe("KerasClassifier", NULL, 2, xs4, nan_y, 1, ys4, NULL, 0, &out));
    CHECK(out == NULL);
    CHECK_DONE("test_estimator_describe");
}
