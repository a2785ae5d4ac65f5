/* Nested models through the C ABI: a model made with keras_model_from_json_sharing holds the
 * nested model's own weights (a fit of either changes both), keras_model_nested_model gives a
 * handle on a nested model, keras_model_set_trainable freezes it in place, and bad arguments are
 * refused with a message. */
#include "check.h"
#include <stdint.h>

static const char *base_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"base\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4], \"name\": \"base_in\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"name\": \"d1\"}}]}}";

static int same(const float *a, const float *b, int n) {
    int i;
    for (i = 0; i < n; i++) if (a[i] != b[i]) return 0;
    return 1;
}

int main(void) {
    keras_model *base = NULL, *outer = NULL, *view = NULL, *none = NULL;
    float x[40], y[10], w[12], w2[12], frozen[12];
    const int64_t xs[2] = {10, 4}, ys[2] = {10, 1};
    char *text = NULL, *ids = NULL, *outer_json = NULL;
    int count = 0, trainable = 1, i;
    size_t n;
    for (i = 0; i < 40; i++) x[i] = (float)(i % 7) / 7.0f;
    for (i = 0; i < 10; i++) y[i] = (float)i;

    CHECK_OK(keras_model_from_json(base_json, &base));
    /* The outer model's config holds the base as its nested Sequential entry. */
    CHECK_OK(keras_model_to_json(base, &text));
    n = strlen(text) + 512;
    outer_json = (char *)malloc(n);
    snprintf(outer_json, n,
             "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"outer\", \"layers\": ["
             "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4], \"name\": \"outer_in\"}},"
             "%s, {\"class_name\": \"Dense\", \"config\": {\"units\": 1, \"name\": \"head\"}}]}}", text);
    keras_string_free(text);
    CHECK_OK(keras_model_from_json_sharing(outer_json, &base, 1, &outer));
    CHECK_OK(keras_model_weight_count(outer, &count));
    CHECK(count == 4);
    /* Each weight's layer of the outer model: the base's two, then the head's. */
    CHECK_OK(keras_model_weight_layers(outer, &text));
    CHECK(strcmp(text, "[\"base\", \"base\", \"head\", \"head\"]") == 0);
    keras_string_free(text);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "json", keras_model_weight_layers(outer, NULL));
    /* Each weight's number: the base's two are the outer model's first two (the same variables);
     * a model made from the same config without sharing has variables of its own. */
    CHECK_OK(keras_model_weight_ids(base, &text));
    CHECK_OK(keras_model_weight_ids(outer, &ids));
    CHECK(strlen(text) > 2 && strncmp(ids, text, strlen(text) - 1) == 0 && ids[strlen(text) - 1] == ',');
    keras_string_free(text);
    CHECK_OK(keras_model_from_json(base_json, &none));
    CHECK_OK(keras_model_weight_ids(none, &text));
    CHECK(strstr(ids, text + 1) == NULL);
    keras_string_free(text);
    keras_string_free(ids);
    keras_model_free(none);
    none = NULL;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "json", keras_model_weight_ids(outer, NULL));

    /* Fitting the outer model moves the base's kernel, read through the base's own handle. */
    CHECK_OK(keras_model_get_weight(base, 0, w, 12));
    CHECK_OK(keras_model_compile(outer, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(outer, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_get_weight(base, 0, w2, 12));
    CHECK(!same(w, w2, 12));
    CHECK_OK(keras_model_get_weight(outer, 0, w, 12));
    CHECK(same(w, w2, 12));
    /* A value set through the base is the outer model's at once. */
    for (i = 0; i < 12; i++) w[i] = 0.25f;
    CHECK_OK(keras_model_set_weight(base, 0, w, 12));
    CHECK_OK(keras_model_get_weight(outer, 0, w2, 12));
    CHECK(same(w, w2, 12));

    /* A handle on the nested model, and the base frozen in place. */
    CHECK_OK(keras_model_nested_model(outer, "base", &view));
    CHECK_OK(keras_model_get_weight(view, 0, w2, 12));
    CHECK(same(w, w2, 12));
    CHECK_OK(keras_model_set_trainable(outer, "{\"class_name\": \"Sequential\", \"config\": {\"trainable\": true, "
                                              "\"layers\": [{\"class_name\": \"Sequential\", \"config\": "
                                              "{\"name\": \"base\", \"trainable\": false, \"layers\": []}}]}}"));
    CHECK_OK(keras_model_weight_trainable(base, 0, &trainable));
    CHECK(trainable == 0);
    CHECK_OK(keras_model_compile(outer, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_get_weight(base, 0, frozen, 12));
    CHECK_OK(keras_model_fit(outer, x, 2, xs, y, 2, ys, "{\"epochs\": 1, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_get_weight(view, 0, w2, 12));
    CHECK(same(frozen, w2, 12));

    /* Bad arguments. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_nested", keras_model_from_json_sharing(outer_json, &base, -1, &none));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "nested is NULL", keras_model_from_json_sharing(outer_json, NULL, 1, &none));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "no layer named 'nope'", keras_model_nested_model(outer, "nope", &none));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a model", keras_model_nested_model(outer, "head", &none));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "config_json", keras_model_set_trainable(outer, "[1]"));
    CHECK(none == NULL);

    /* The handles free in any order: the outer model keeps the shared base alive. */
    keras_model_free(base);
    CHECK_OK(keras_model_predict(outer, x, 2, xs, NULL, NULL, 0, y, 10, NULL, NULL));
    keras_model_free(view);
    keras_model_free(outer);
    free(outer_json);
    CHECK_DONE("test_nested_sharing");
}
