/* keras_layer_validate_config: a layer's constructor arguments checked as Keras's constructor
 * checks them (ValueError: INVALID_ARGUMENT; TypeError: INVALID_ARGUMENT with *type_error = 1),
 * arguments Keras checks only at build left to then, and nothing used up: the layer made after
 * the checks gets the default name and seeds it would have had without them. */
#include "check.h"

int main(void) {
    int type_error = -1;
    keras_model *a = NULL, *b = NULL;
    char *json_a = NULL, *json_b = NULL;
    float wa[12], wb[12];

    CHECK_OK(keras_layer_validate_config("{\"class_name\": \"Dense\", \"config\": {\"units\": 4}}", &type_error));
    CHECK(type_error == 0);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "Received: units=-1",
              keras_layer_validate_config("{\"class_name\": \"Dense\", \"config\": {\"units\": -1}}", &type_error));
    CHECK(type_error == 0);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "rate",
              keras_layer_validate_config("{\"class_name\": \"Dropout\", \"config\": {\"rate\": 1.5}}", &type_error));
    CHECK(type_error == 0);
    /* Keras's TypeError: a dropout rate that is not a number, RepeatVector(n="a") */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'rate' must be a number",
              keras_layer_validate_config("{\"class_name\": \"Dropout\", \"config\": {\"rate\": \"a\"}}", &type_error));
    CHECK(type_error == 1);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'n' must be an integer",
              keras_layer_validate_config("{\"class_name\": \"RepeatVector\", \"config\": {\"n\": \"a\"}}", &type_error));
    CHECK(type_error == 1);
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "nope",
              keras_layer_validate_config("{\"class_name\": \"Dense\", \"config\": {\"units\": 4, \"activation\": \"nope\"}}",
                                          &type_error));
    CHECK(type_error == 0);
    /* Keras's Resizing takes a height of 0 in its constructor (its build refuses it) */
    CHECK_OK(keras_layer_validate_config("{\"class_name\": \"Resizing\", \"config\": {\"height\": 0, \"width\": 4}}", NULL));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "NoSuchLayer",
              keras_layer_validate_config("{\"class_name\": \"NoSuchLayer\", \"config\": {}}", NULL));

    /* bad input */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layer_json", keras_layer_validate_config(NULL, &type_error));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not valid JSON", keras_layer_validate_config("{", &type_error));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "class_name", keras_layer_validate_config("[1, 2]", &type_error));

    /* Nothing used up: after the same seed, a Dense made with no name after checks of layers
     * made with none draws what one made without the checks draws, and takes the next name. */
    keras_set_random_seed(3);
    CHECK_OK(keras_model_from_json("{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
                                   "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}},"
                                   "{\"class_name\": \"Dense\", \"config\": {\"units\": 4}}]}}", &a));
    CHECK_OK(keras_model_to_json(a, &json_a));
    CHECK_OK(keras_model_get_weight(a, 0, wa, 12));
    keras_set_random_seed(3);
    CHECK_OK(keras_layer_validate_config("{\"class_name\": \"Dense\", \"config\": {\"units\": 4}}", NULL));
    CHECK_OK(keras_layer_validate_config("{\"class_name\": \"Dropout\", \"config\": {\"rate\": 0.5}}", NULL));
    CHECK_OK(keras_model_from_json("{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
                                   "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}},"
                                   "{\"class_name\": \"Dense\", \"config\": {\"units\": 4}}]}}", &b));
    CHECK_OK(keras_model_to_json(b, &json_b));
    CHECK_OK(keras_model_get_weight(b, 0, wb, 12));
    /* the second Dense made is dense_1 (the checked ones took no name), seeded as the first */
    CHECK(check_contains(json_a, "\"dense\"") && check_contains(json_b, "\"dense_1\""));
    CHECK(!check_contains(json_b, "dense_2") && !check_contains(json_b, "dropout"));
    CHECK(memcmp(wa, wb, sizeof wa) == 0);
    keras_string_free(json_a);
    keras_string_free(json_b);
    keras_model_free(a);
    keras_model_free(b);
    CHECK_DONE("test_layer_validate_config");
}
