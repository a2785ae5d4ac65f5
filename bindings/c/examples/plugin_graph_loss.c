/* A plugin shared library bringing a loss written as an op graph: mean(|y_pred - y_true|, -1),
 * Keras's mean absolute error, registered as "plugin_mae" through the registrar's
 * register_loss_graph and traced with its builder_* calls (it does not link libkeras). The library
 * runs the traced graph at every step and differentiates it with its own autodiff. A library
 * whose registrar predates those fields is told so (KERAS_HAS_FIELD), not called through them.
 * Build: cc -shared -fPIC -Iinclude plugin_graph_loss.c -o plugin_graph_loss.so */
#include "keras.h"

static const keras_plugin_registrar *lib;

static int trace_mae(void *user_data, keras_layer_builder *b, int true_ndim, const int64_t *true_shape,
                     int pred_ndim, const int64_t *pred_shape) {
    int64_t pair[2], d, a, out;
    int rc;
    (void)user_data; (void)true_ndim; (void)true_shape; (void)pred_ndim; (void)pred_shape;
    if ((rc = lib->builder_input_at(b, 1, &pair[0])) != 0) return rc;   /* y_pred */
    if ((rc = lib->builder_input_at(b, 0, &pair[1])) != 0) return rc;   /* y_true */
    if ((rc = lib->builder_op(b, "subtract", 2, pair, NULL, &d)) != 0) return rc;
    if ((rc = lib->builder_op(b, "abs", 1, &d, NULL, &a)) != 0) return rc;
    if ((rc = lib->builder_op(b, "mean", 1, &a, "{\"axis\": -1}", &out)) != 0) return rc;
    return lib->builder_output(b, out, -1);
}

int keras_plugin_init(const keras_plugin_registrar *registrar) {
    if (!KERAS_HAS_FIELD(registrar, keras_plugin_registrar, builder_output)) {
        registrar->callback_error("plugin_graph_loss needs a library whose registrar has register_loss_graph");
        return 1;
    }
    lib = registrar;
    return registrar->register_loss_graph("plugin_mae", trace_mae, NULL, NULL, NULL, NULL);
}
