/* keras_last_error_kind: what kind of bad argument a KERAS_ERR_INVALID_ARGUMENT refused, set
 * with the message of each failed call, so that a host raises Keras's exception (ValueError,
 * TypeError, OverflowError, NotImplementedError, AttributeError) while the status keeps its meaning for C callers. Keras keeps a
 * layer's seed as a uint32 (OverflowError outside it, ValueError for a seed that is not an
 * integer), checked only where the layer draws (Dropout(0.0) takes any seed). */
#include "check.h"

static int validate(const char *json) {
    return keras_layer_validate_config(json, NULL);
}

int main(void) {
    int type_error = -1;
    keras_model *m = NULL;

    CHECK(keras_last_error_kind() == KERAS_ERROR_KIND_VALUE);

    /* OverflowError: a seed outside uint32, for a layer that draws */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "Python integer -3 out of bounds for uint32",
              validate("{\"class_name\": \"Dropout\", \"config\": {\"rate\": 0.5, \"seed\": -3}}"));
    CHECK(keras_last_error_kind() == KERAS_ERROR_KIND_OVERFLOW);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "4294967296 out of bounds",
              validate("{\"class_name\": \"RandomFlip\", \"config\": {\"seed\": 4294967296}}"));
    CHECK(keras_last_error_kind() == KERAS_ERROR_KIND_OVERFLOW);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out of bounds for uint32",
              validate("{\"class_name\": \"LSTM\", \"config\": {\"units\": 2, \"seed\": -1}}"));
    CHECK(keras_last_error_kind() == KERAS_ERROR_KIND_OVERFLOW);
    CHECK_OK(validate("{\"class_name\": \"Dropout\", \"config\": {\"rate\": 0.5, \"seed\": 4294967295}}"));
    CHECK_OK(validate("{\"class_name\": \"Dropout\", \"config\": {\"rate\": 0.0, \"seed\": -3}}"));
    CHECK_OK(validate("{\"class_name\": \"MultiHeadAttention\", \"config\": {\"num_heads\": 2, \"key_dim\": 2, \"seed\": -3}}"));

    /* ValueError: a seed that is not an integer */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "Argument `seed` must be an integer. Received: seed=5.0",
              validate("{\"class_name\": \"GaussianNoise\", \"config\": {\"stddev\": 0.1, \"seed\": 5.0}}"));
    CHECK(keras_last_error_kind() == KERAS_ERROR_KIND_VALUE);

    /* TypeError: keras_layer_validate_config's type_error says the same */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'n' must be an integer",
              keras_layer_validate_config("{\"class_name\": \"RepeatVector\", \"config\": {\"n\": \"a\"}}", &type_error));
    CHECK(type_error == 1 && keras_last_error_kind() == KERAS_ERROR_KIND_TYPE);

    /* NotImplementedError: a value Keras's augmentation names as not implemented */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "Unknown `interpolation` BILINEAR. Expected of one ('nearest', 'bilinear').",
              validate("{\"class_name\": \"RandomRotation\", \"config\": {\"factor\": 0.2, \"interpolation\": \"BILINEAR\"}}"));
    CHECK(keras_last_error_kind() == KERAS_ERROR_KIND_NOT_IMPLEMENTED);

    /* AttributeError: a convolution's padding.lower() of a value that is not a string */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'NoneType' object has no attribute 'lower'",
              validate("{\"class_name\": \"Conv1D\", \"config\": {\"filters\": 2, \"kernel_size\": 3, \"padding\": null}}"));
    CHECK(keras_last_error_kind() == KERAS_ERROR_KIND_ATTRIBUTE);

    /* the kind goes with the message: the next failure, of whatever status, sets its own */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not valid JSON", keras_model_from_json("{", &m));
    CHECK(keras_last_error_kind() == KERAS_ERROR_KIND_VALUE);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out of bounds",
              validate("{\"class_name\": \"Dropout\", \"config\": {\"rate\": 0.5, \"seed\": -3}}"));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "NoSuchLayer",
              validate("{\"class_name\": \"NoSuchLayer\", \"config\": {}}"));
    CHECK(keras_last_error_kind() == KERAS_ERROR_KIND_VALUE);

    /* a model whose config holds such a seed is refused with the same kind */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out of bounds for uint32",
              keras_model_from_json("{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
                                    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}},"
                                    "{\"class_name\": \"Dropout\", \"config\": {\"rate\": 0.5, \"seed\": -3}}]}}", &m));
    CHECK(m == NULL && keras_last_error_kind() == KERAS_ERROR_KIND_OVERFLOW);
    CHECK_DONE("test_error_kind");
}
