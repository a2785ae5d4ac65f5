/* A C plugin layer called on two inputs (Keras's layer([a, b])): one node of the functional graph
 * with both inputs. Traced, it reads each input as its own node (keras_layer_builder_input_at)
 * and trains with the library's autodiff; with forward/output_shape callbacks it sees the inputs
 * packed into one array (each flattened to (batch, size), concatenated). The saved config keeps
 * the one node with its list of inbound tensors. (The packed backward is checked from Python,
 * test_multi_input_layers_in_keras.py, against real Keras's weights.) */
#include "check.h"
#include "traced_layer.h"
#include <math.h>

#define N 12

/* a (batch, 3), b (batch, 1, 3), as Keras's to_json writes them; the layer is `custom`. */
static const char *model_json(const char *cls, char *buf, size_t size) {
    snprintf(buf, size,
        "{\"class_name\": \"Functional\", \"config\": {\"name\": \"two\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3], \"name\": \"a\"}, \"name\": \"a\", \"inbound_nodes\": []},"
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 1, 3], \"name\": \"b\"}, \"name\": \"b\", \"inbound_nodes\": []},"
        "{\"class_name\": \"%s\", \"config\": {\"name\": \"custom\"}, \"name\": \"custom\", \"inbound_nodes\": [{\"args\": [["
        "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 3], \"keras_history\": [\"a\", 0, 0]}},"
        "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 1, 3], \"keras_history\": [\"b\", 0, 0]}}]], \"kwargs\": {}}]}],"
        "\"input_layers\": [[\"a\", 0, 0], [\"b\", 0, 0]], \"output_layers\": [\"custom\", 0, 0]}}", cls);
    return buf;
}

static int build_seen_ndim = 0;
static int64_t build_seen[KERAS_MAX_RANK];
static int traced_count = 0, packed_ndim = 0, bad_index_rc = 0;
static int64_t packed_shape[KERAS_MAX_RANK], b_shape[KERAS_MAX_RANK];
static int b_ndim = 0;

/* y = a * w + reshape(b, (-1, 3)), w of width 3 starting at ones. */
static int build_traced(void *state, keras_layer_builder *bl, int ndim, const int64_t *shape) {
    int64_t a, b, packed, w, aw, flat, y, width = 3, node;
    int rc;
    (void)state;
    build_seen_ndim = ndim;
    memcpy(build_seen, shape, sizeof(int64_t) * (size_t)ndim);
    if ((rc = bl->add_weight(bl, "w", 1, &width, "ones", 1)) != 0) return rc;
    if ((rc = keras_layer_builder_input_count(bl, &traced_count)) != 0) return rc;
    if ((rc = keras_layer_builder_input(bl, &packed)) != 0) return rc;
    if ((rc = keras_layer_builder_shape(bl, packed, &packed_ndim, packed_shape)) != 0) return rc;
    if ((rc = keras_layer_builder_input_at(bl, 0, &a)) != 0) return rc;
    if ((rc = keras_layer_builder_input_at(bl, 1, &b)) != 0) return rc;
    if ((rc = keras_layer_builder_shape(bl, b, &b_ndim, b_shape)) != 0) return rc;
    bad_index_rc = keras_layer_builder_input_at(bl, 2, &node);
    if ((rc = keras_layer_builder_weight(bl, 0, &w)) != 0) return rc;
    {
        int64_t args[2] = {a, w};
        if ((rc = keras_layer_builder_op(bl, "multiply", 2, args, NULL, &aw)) != 0) return rc;
    }
    if ((rc = keras_layer_builder_op(bl, "reshape", 1, &b, "{\"newshape\": [-1, 3]}", &flat)) != 0) return rc;
    {
        int64_t args[2] = {aw, flat};
        if ((rc = keras_layer_builder_op(bl, "add", 2, args, NULL, &y)) != 0) return rc;
    }
    return keras_layer_builder_output(bl, y, -1);
}

/* Callbacks: x packed (batch, 6) = [a | b]; y = a * b (batch, 3). */
static int forward_calls = 0;
static int64_t forward_shape[2];

static int output_shape(void *state, int ndim, const int64_t *in, int *out_ndim, int64_t *out) {
    (void)state;
    if (ndim != 2 || in[1] != 6) { keras_callback_error("expected the packed shape (batch, 6)"); return 1; }
    *out_ndim = 2; out[0] = in[0]; out[1] = 3;
    return 0;
}

static int forward_product(void *state, const float *x, int ndim, const int64_t *shape,
                           const float *const *w, int nw, float *y, int training) {
    int64_t i, j;
    (void)state; (void)w; (void)nw; (void)training;
    forward_calls++;
    if (ndim != 2) return 1;
    forward_shape[0] = shape[0]; forward_shape[1] = shape[1];
    for (i = 0; i < shape[0]; i++)
        for (j = 0; j < 3; j++) y[i * 3 + j] = x[i * 6 + j] * x[i * 6 + 3 + j];
    return 0;
}

static int backward_product(void *state, const float *x, int ndim, const int64_t *shape,
                            const float *const *w, int nw, const float *dy, float *dx, float *const *dw) {
    int64_t i, j;
    (void)state; (void)ndim; (void)w; (void)nw; (void)dw;
    for (i = 0; i < shape[0]; i++)
        for (j = 0; j < 3; j++) {
            dx[i * 6 + j] = dy[i * 3 + j] * x[i * 6 + 3 + j];
            dx[i * 6 + 3 + j] = dy[i * 3 + j] * x[i * 6 + j];
        }
    return 0;
}

int main(void) {
    float a[N * 3], b[N * 3], y[N * 3], pred[N * 3], w[3];
    const int64_t as[2] = {N, 3}, bs[3] = {N, 1, 3}, ys[2] = {N, 3};
    keras_array x[2], t[1];
    keras_output out[1];
    keras_layer_class cls;
    keras_model *m = NULL;
    char json[4096], *text = NULL;
    int i;

    for (i = 0; i < N * 3; i++) {
        a[i] = (float)(i % 5) / 5.0f - 0.3f;
        b[i] = (float)(i % 7) / 7.0f - 0.5f;
        y[i] = a[i] * (float)(1 + i % 3) + b[i];
    }
    x[0].data = a; x[0].ndim = 2; x[0].shape = as;
    x[1].data = b; x[1].ndim = 3; x[1].shape = bs;
    t[0].data = y; t[0].ndim = 2; t[0].shape = ys;
    out[0].data = pred; out[0].capacity = N * 3;

    /* Traced: trains w to [1, 2, 3]; the forward callback never runs. */
    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = traced_layer_create;
    cls.build = build_traced;
    cls.forward = traced_layer_forward;
    CHECK_OK(keras_register_layer("WeightedSum2", &cls));
    CHECK_OK(keras_model_from_json(model_json("WeightedSum2", json, sizeof json), &m));
    CHECK(traced_count == 2);
    CHECK(build_seen_ndim == 2 && build_seen[0] == -1 && build_seen[1] == 6);
    CHECK(packed_ndim == 2 && packed_shape[0] == -1 && packed_shape[1] == 6);
    CHECK(b_ndim == 3 && b_shape[0] == -1 && b_shape[1] == 1 && b_shape[2] == 3);
    CHECK(bad_index_rc == KERAS_ERR_INVALID_ARGUMENT && strstr(keras_last_error(), "input 2 does not exist"));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.5}}, \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit_arrays(m, x, 2, t, 1, NULL, NULL, 0, NULL, 0, NULL,
                                    "{\"epochs\": 200, \"batch_size\": 12, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_get_weight(m, 0, w, 3));
    printf("WeightedSum2 weights after training: %.4f %.4f %.4f\n", w[0], w[1], w[2]);
    CHECK(fabsf(w[0] - 1) < 1e-2f && fabsf(w[1] - 2) < 1e-2f && fabsf(w[2] - 3) < 1e-2f);
    CHECK_OK(keras_model_predict_arrays(m, x, 2, NULL, NULL, 0, out, 1));
    for (i = 0; i < N * 3; i++) CHECK(fabsf(pred[i] - (a[i] * w[i % 3] + b[i])) < 1e-5f);
    /* The config keeps one node reading both inputs: no packing layers. */
    CHECK_OK(keras_model_to_json(m, &text));
    CHECK(strstr(text, "\"keras_history\": [\"a\", 0, 0]}}, {\"class_name\": \"__keras_tensor__\"") != NULL);
    CHECK(strstr(text, "Concatenate") == NULL && strstr(text, "Reshape") == NULL);
    keras_string_free(text); text = NULL;
    keras_model_free(m);

    /* Callbacks: output_shape and forward see the packed (batch, 6). */
    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = traced_layer_create;
    cls.output_shape = output_shape;
    cls.forward = forward_product;
    cls.backward = backward_product;
    CHECK_OK(keras_register_layer("Product2", &cls));
    CHECK_OK(keras_model_from_json(model_json("Product2", json, sizeof json), &m));
    CHECK_OK(keras_model_predict_arrays(m, x, 2, NULL, NULL, 0, out, 1));
    CHECK(forward_calls > 0 && forward_shape[0] == N && forward_shape[1] == 6);
    CHECK(out[0].ndim == 2 && out[0].shape[1] == 3);
    for (i = 0; i < N * 3; i++) CHECK(fabsf(pred[i] - a[i] * b[i]) < 1e-6f);
    keras_model_free(m);
    CHECK_DONE("test_multi_input_layer");
}
