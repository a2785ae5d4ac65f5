/* Layers shared between models through the C ABI (keras_model_from_json_sharing_layers): a
 * feature extractor made from a model's input and an inner layer holds that layer itself, so a
 * fit of the model moves the extractor's weights and a weight set through either handle is the
 * other's at once; bad arguments are refused with a message. */
#include "check.h"
#include <stdint.h>

static const char *base_json =
    "{\"class_name\": \"Functional\", \"config\": {\"name\": \"base\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"name\": \"base_in\", \"config\": {\"batch_shape\": [null, 4], \"name\": \"base_in\"},"
    " \"inbound_nodes\": []},"
    "{\"class_name\": \"Dense\", \"name\": \"d1\", \"config\": {\"units\": 3, \"name\": \"d1\"}, \"inbound_nodes\": "
    " [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 4], \"keras_history\": [\"base_in\", 0, 0]}}], \"kwargs\": {}}]},"
    "{\"class_name\": \"Dense\", \"name\": \"d2\", \"config\": {\"units\": 1, \"name\": \"d2\"}, \"inbound_nodes\": "
    " [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 3], \"keras_history\": [\"d1\", 0, 0]}}], \"kwargs\": {}}]}],"
    " \"input_layers\": [[\"base_in\", 0, 0]], \"output_layers\": [[\"d2\", 0, 0]]}}";

/* The extractor: the base's input to d1's output, named as the base (Keras's default names
 * collide so): the config is the new model, never the base itself. */
static const char *extractor_json =
    "{\"class_name\": \"Functional\", \"config\": {\"name\": \"base\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"name\": \"base_in\", \"config\": {\"batch_shape\": [null, 4], \"name\": \"base_in\"},"
    " \"inbound_nodes\": []},"
    "{\"class_name\": \"Dense\", \"name\": \"d1\", \"config\": {\"units\": 3, \"name\": \"d1\"}, \"inbound_nodes\": "
    " [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 4], \"keras_history\": [\"base_in\", 0, 0]}}], \"kwargs\": {}}]}],"
    " \"input_layers\": [[\"base_in\", 0, 0]], \"output_layers\": [[\"d1\", 0, 0]]}}";

static int same(const float *a, const float *b, int n) {
    int i;
    for (i = 0; i < n; i++) if (a[i] != b[i]) return 0;
    return 1;
}

int main(void) {
    keras_model *base = NULL, *extractor = NULL, *none = NULL;
    float x[40], y[10], w[12], w2[12], features[30];
    const int64_t xs[2] = {10, 4}, ys[2] = {10, 1};
    int count = 0, i;
    for (i = 0; i < 40; i++) x[i] = (float)(i % 7) / 7.0f;
    for (i = 0; i < 10; i++) y[i] = (float)i;

    CHECK_OK(keras_model_from_json(base_json, &base));
    CHECK_OK(keras_model_from_json_sharing_layers(extractor_json, &base, 1, "[[0, \"d1\"]]", &extractor));
    CHECK_OK(keras_model_weight_count(extractor, &count));
    CHECK(count == 2);

    /* Fitting the base moves the extractor's kernel. */
    CHECK_OK(keras_model_get_weight(extractor, 0, w, 12));
    CHECK_OK(keras_model_compile(base, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(base, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_get_weight(extractor, 0, w2, 12));
    CHECK(!same(w, w2, 12));
    CHECK_OK(keras_model_get_weight(base, 0, w, 12));
    CHECK(same(w, w2, 12));
    /* A value set through the extractor is the base's at once. */
    for (i = 0; i < 12; i++) w[i] = 0.25f;
    CHECK_OK(keras_model_set_weight(extractor, 0, w, 12));
    CHECK_OK(keras_model_get_weight(base, 0, w2, 12));
    CHECK(same(w, w2, 12));

    /* Bad arguments. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_models", keras_model_from_json_sharing_layers(extractor_json, &base, -1, "[]", &none));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "models is NULL", keras_model_from_json_sharing_layers(extractor_json, NULL, 1, "[]", &none));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layers_json", keras_model_from_json_sharing_layers(extractor_json, &base, 1, "{}", &none));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out of range", keras_model_from_json_sharing_layers(extractor_json, &base, 1, "[[1, \"d1\"]]", &none));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "no layer named 'nope'", keras_model_from_json_sharing_layers(extractor_json, &base, 1, "[[0, \"nope\"]]", &none));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "built alone", keras_model_from_json_sharing_layers(extractor_json, &base, 1, "[[0, \"d1\", 3]]", &none));
    CHECK_ERR(KERAS_ERR_IO, "named 'd2'", keras_model_from_json_sharing_layers(extractor_json, &base, 1, "[[0, \"d2\"]]", &none));
    CHECK(none == NULL);

    /* The handles free in any order: the extractor keeps the shared layer alive. */
    keras_model_free(base);
    CHECK_OK(keras_model_predict(extractor, x, 2, xs, NULL, NULL, 0, features, 30, NULL, NULL));
    keras_model_free(extractor);
    CHECK_DONE("test_layer_sharing");
}
