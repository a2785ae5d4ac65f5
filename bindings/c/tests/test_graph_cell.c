/* A recurrent cell written in C as a composition of built-in ops: build declares its state
 * (keras_layer_builder_state) and traces one step, h = tanh(x.W + h.U); RNN(cell) runs it over
 * sequences, trains its weights with the library's autodiff and predicts what the step computes.
 * A cell that leaves its state without a new value is a clear error naming it. */
#include "check.h"
#include <math.h>

enum { UNITS = 2, FEATURES = 3, STEPS = 4, BATCH = 6 };
static int forward_calls = 0;

static int create(void *ud, const char *cfg, void **state) {
    (void)ud;
    /* the broken variant forgets the state's new value */
    *state = cfg && strstr(cfg, "forget") ? (void *)&forward_calls : NULL;
    return 0;
}

static int build(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, h, w, u, xw, hu, sum, y, kshape[2] = {shape[ndim - 1], UNITS}, ushape[2] = {UNITS, UNITS};
    int rc;
    if ((rc = b->add_weight(b, "kernel", 2, kshape, "glorot_uniform", 1)) != 0) return rc;
    if ((rc = b->add_weight(b, "recurrent_kernel", 2, ushape, "orthogonal", 1)) != 0) return rc;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    if ((rc = keras_layer_builder_state(b, UNITS, &h)) != 0) return rc;
    if ((rc = keras_layer_builder_weight(b, 0, &w)) != 0) return rc;
    if ((rc = keras_layer_builder_weight(b, 1, &u)) != 0) return rc;
    {
        int64_t a[2] = {x, w}, c[2] = {h, u};
        if ((rc = keras_layer_builder_op(b, "matmul", 2, a, NULL, &xw)) != 0) return rc;
        if ((rc = keras_layer_builder_op(b, "matmul", 2, c, NULL, &hu)) != 0) return rc;
    }
    {
        int64_t a[2] = {xw, hu};
        if ((rc = keras_layer_builder_op(b, "add", 2, a, NULL, &sum)) != 0) return rc;
    }
    if ((rc = keras_layer_builder_op(b, "tanh", 1, &sum, NULL, &y)) != 0) return rc;
    if ((rc = keras_layer_builder_output(b, y, -1)) != 0) return rc;
    return state ? 0 : keras_layer_builder_state_output(b, 0, y, -1);
}

static int forward(void *state, const float *x, int ndim, const int64_t *shape,
                   const float *const *w, int nw, float *y, int training) {
    (void)state; (void)x; (void)ndim; (void)shape; (void)w; (void)nw; (void)y; (void)training;
    forward_calls++;
    keras_callback_error("the forward callback of a traced cell must not run");
    return 1;
}

static const char *model_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"cells\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4, 3]}},"
    "{\"class_name\": \"RNN\", \"config\": {\"name\": \"rnn\", \"cell\": "
    "{\"class_name\": \"CMinimalCell\", \"config\": {\"name\": \"c_cell\"%s}}}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}]}}";

int main(void) {
    float x[BATCH * STEPS * FEATURES], y[BATCH], pred[BATCH], w[FEATURES * UNITS], u[UNITS * UNITS], dense[UNITS + 1];
    float before[FEATURES * UNITS];
    const int64_t xs[3] = {BATCH, STEPS, FEATURES}, ys[2] = {BATCH, 1};
    char text[1024];
    int i, t, j, k, changed = 0;
    keras_model *m = NULL, *broken = NULL;
    keras_layer_class cls;

    for (i = 0; i < BATCH * STEPS * FEATURES; i++) x[i] = (float)((i * 7) % 11) / 11.0f - 0.45f;
    for (i = 0; i < BATCH; i++) y[i] = (float)(i % 3) - 1.0f;
    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = create;
    cls.build = build;
    cls.forward = forward;
    CHECK_OK(keras_register_layer("CMinimalCell", &cls));
    snprintf(text, sizeof text, model_json, "");
    CHECK_OK(keras_model_from_json(text, &m));
    CHECK_OK(keras_model_get_weight(m, 0, before, FEATURES * UNITS));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1}}, \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(m, x, 3, xs, y, 2, ys, "{\"epochs\": 5, \"batch_size\": 3, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_get_weight(m, 0, w, FEATURES * UNITS));
    CHECK_OK(keras_model_get_weight(m, 1, u, UNITS * UNITS));
    CHECK_OK(keras_model_get_weight(m, 2, dense, UNITS));
    CHECK_OK(keras_model_get_weight(m, 3, dense + UNITS, 1));
    for (i = 0; i < FEATURES * UNITS; i++) changed += fabsf(w[i] - before[i]) > 1e-6f;
    CHECK(changed > 0); /* gradients reached the cell's kernel */
    CHECK_OK(keras_model_predict(m, x, 3, xs, NULL, NULL, 0, pred, BATCH, NULL, NULL));
    for (i = 0; i < BATCH; i++) {
        float h[UNITS] = {0, 0}, next[UNITS], out = dense[UNITS];
        for (t = 0; t < STEPS; t++) {
            const float *xt = x + (i * STEPS + t) * FEATURES;
            for (j = 0; j < UNITS; j++) {
                float s = 0;
                for (k = 0; k < FEATURES; k++) s += xt[k] * w[k * UNITS + j];
                for (k = 0; k < UNITS; k++) s += h[k] * u[k * UNITS + j];
                next[j] = tanhf(s);
            }
            memcpy(h, next, sizeof h);
        }
        for (j = 0; j < UNITS; j++) out += h[j] * dense[j];
        CHECK(fabsf(pred[i] - out) < 1e-5f);
    }
    CHECK(forward_calls == 0);
    snprintf(text, sizeof text, model_json, ", \"forget\": true");
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "CMinimalCell 'c_cell': op graph: the cell's call returned no new value for state 0",
              keras_model_from_json(text, &broken));
    if (broken) keras_model_free(broken);
    keras_model_free(m);
    CHECK_DONE("test_graph_cell");
}
