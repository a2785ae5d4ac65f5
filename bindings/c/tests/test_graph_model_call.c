/* A plugin layer whose traced call calls an existing model (keras_layer_builder_model_call;
 * Keras: a custom layer's `call` calling `self.inner(x)`, the model it holds): the model is the
 * layer's nested model itself, not a copy. Training the outer model moves the weights the inner
 * handle predicts with (the same variables: no copy back), a weight set on the inner handle is
 * the outer model's at once, and bad arguments are clear errors. */
#include "check.h"
#include "traced_layer.h"
#include <math.h>

static keras_model *inner = NULL;
static int null_model_rc = 0, other_attribute_rc = 0, n_outputs = 0;
static char null_model_message[512], other_attribute_message[512];

/* y = tanh(inner(x)): the model of the handle `inner`, held at attribute "inner". */
static int build(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, d, again, y, outs[2];
    int rc;
    (void)state; (void)ndim; (void)shape;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    null_model_rc = keras_layer_builder_model_call(b, "inner", 0, -1, NULL, 1, &x, -1, 2, outs, &n_outputs);
    snprintf(null_model_message, sizeof null_model_message, "%s", keras_last_error());
    if ((rc = keras_layer_builder_model_call(b, "inner", 0, -1, inner, 1, &x, -1, 2, outs, &n_outputs)) != 0) return rc;
    d = outs[0];
    /* The same attribute again is the same model (no second set of weights). */
    if ((rc = keras_layer_builder_model_call(b, "inner", 0, -1, inner, 1, &x, -1, 2, outs, &n_outputs)) != 0) return rc;
    again = outs[0];
    (void)again;
    /* An attribute holding a built-in layer holds no model. */
    if ((rc = keras_layer_builder_layer(b, "dense", 1, -1, "{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}",
                                        1, &x, -1, &y)) != 0) return rc;
    other_attribute_rc = keras_layer_builder_model_call(b, "dense", 1, -1, inner, 1, &x, -1, 2, outs, &n_outputs);
    snprintf(other_attribute_message, sizeof other_attribute_message, "%s", keras_last_error());
    if ((rc = keras_layer_builder_op(b, "tanh", 1, &d, NULL, &y)) != 0) return rc;
    return keras_layer_builder_output(b, y, -1);
}

static const char *outer_json =
    "{\"class_name\": \"Functional\", \"config\": {\"name\": \"outer\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"name\": \"in\", \"config\": {\"name\": \"in\", \"batch_shape\": [null, 3]}, \"inbound_nodes\": []},"
    "{\"class_name\": \"HeldCall\", \"name\": \"held\", \"config\": {\"name\": \"held\"}, \"inbound_nodes\": ["
    "{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": [\"in\", 0, 0]}}], \"kwargs\": {}}]}],"
    "\"input_layers\": [[\"in\", 0, 0]], \"output_layers\": [[\"held\", 0, 0]]}}";

static const char *inner_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"inner_seq\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 2}}]}}";

int main(void) {
    float x[30], y[20], kernel[6], kernel_after[6], outer_kernel[6], bias[2], pred[20], inner_pred[20];
    const int64_t xs[2] = {10, 3}, ys[2] = {10, 2};
    int i, count = 0, changed = 0;
    int64_t node = 0;
    keras_model *outer = NULL;
    keras_layer_class cls;

    for (i = 0; i < 30; i++) x[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
    for (i = 0; i < 20; i++) y[i] = 0.5f * sinf((float)i);
    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = traced_layer_create;
    cls.forward = traced_layer_forward;
    cls.build = build;
    CHECK_OK(keras_register_layer("HeldCall", &cls));
    CHECK_OK(keras_model_from_json(inner_json, &inner));
    CHECK_OK(keras_model_get_weight(inner, 0, kernel, 6));

    CHECK_OK(keras_model_from_json(outer_json, &outer));
    CHECK(null_model_rc == KERAS_ERR_INVALID_ARGUMENT);
    CHECK(other_attribute_rc == KERAS_ERR_INVALID_ARGUMENT && strstr(other_attribute_message, "already holds"));
    CHECK(n_outputs == 1);
    /* The outer model's weights: the inner model's kernel and bias, then the Dense's. */
    CHECK_OK(keras_model_weight_count(outer, &count));
    CHECK(count == 4);
    CHECK_OK(keras_model_get_weight(outer, 0, outer_kernel, 6));
    for (i = 0; i < 6; i++) CHECK(outer_kernel[i] == kernel[i]);

    CHECK_OK(keras_model_compile(outer, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.5}}, \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(outer, x, 2, xs, y, 2, ys, "{\"epochs\": 5, \"batch_size\": 10, \"verbose\": 0}", NULL, 0, NULL));
    /* The inner handle's own weights moved with the outer model's: the same variables. */
    CHECK_OK(keras_model_get_weight(inner, 0, kernel_after, 6));
    CHECK_OK(keras_model_get_weight(outer, 0, outer_kernel, 6));
    for (i = 0; i < 6; i++) {
        CHECK(kernel_after[i] == outer_kernel[i]);
        if (fabsf(kernel_after[i] - kernel[i]) > 1e-4f) changed = 1;
    }
    CHECK(changed);
    /* outer(x) = tanh(inner(x)), each through its own handle. */
    CHECK_OK(keras_model_predict(outer, x, 2, xs, NULL, NULL, 0, pred, 20, NULL, NULL));
    CHECK_OK(keras_model_predict(inner, x, 2, xs, NULL, NULL, 0, inner_pred, 20, NULL, NULL));
    for (i = 0; i < 20; i++) CHECK(fabsf(pred[i] - tanhf(inner_pred[i])) < 1e-5f);
    /* A bias set through the inner handle is the outer model's at once. */
    bias[0] = 0.25f;
    bias[1] = -0.5f;
    CHECK_OK(keras_model_set_weight(inner, 1, bias, 2));
    CHECK_OK(keras_model_predict(outer, x, 2, xs, NULL, NULL, 0, pred, 20, NULL, NULL));
    CHECK_OK(keras_model_predict(inner, x, 2, xs, NULL, NULL, 0, inner_pred, 20, NULL, NULL));
    for (i = 0; i < 20; i++) CHECK(fabsf(pred[i] - tanhf(inner_pred[i])) < 1e-5f);

    /* Outside build there is no graph to insert into; bad arguments are named. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL",
              keras_layer_builder_model_call(NULL, "inner", 0, -1, inner, 1, &node, -1, 1, &node, &count));
    CHECK(strstr(null_model_message, "NULL") || strstr(null_model_message, "handle"));
    /* The inner handle may go first: the outer model keeps its nested model. */
    keras_model_free(inner);
    CHECK_OK(keras_model_predict(outer, x, 2, xs, NULL, NULL, 0, pred, 20, NULL, NULL));
    keras_model_free(outer);
    CHECK_DONE("test_graph_model_call");
}
