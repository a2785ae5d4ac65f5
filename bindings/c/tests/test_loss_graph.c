/* A C loss as a composition of ops (keras_register_loss_graph): traced once per pair of shapes,
 * then run natively with the library's autodiff. A Sequential model trained with the traced mean
 * squared error follows the one trained with the built-in "mse" (fit and evaluate); a trace that
 * declines hands the loss to its keras_loss_fn; a scalar loss with reduction "sum" is used as it
 * is; a failing trace and bad arguments are errors. */
#include "check.h"
#include <math.h>

static const char *input3 = "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}}";
static const char *dense2 = "{\"class_name\": \"Dense\", \"config\": {\"units\": 2, \"kernel_initializer\": \"ones\"}}";
static int traces = 0, fallback_calls = 0;

/* mean(square(y_pred - y_true), axis=-1): one value per sample. */
static int trace_mse(void *user_data, keras_layer_builder *b, int true_ndim, const int64_t *true_shape,
                     int pred_ndim, const int64_t *pred_shape) {
    int64_t yt, yp, pair[2], d, sq, out;
    int rc;
    (void)user_data;
    traces++;
    if (true_ndim != 2 || pred_ndim != 2 || true_shape[0] != -1 || pred_shape[1] != 2) {
        keras_callback_error("unexpected shapes");
        return 1;
    }
    if ((rc = keras_layer_builder_input_at(b, 0, &yt)) != 0) return rc;
    if ((rc = keras_layer_builder_input_at(b, 1, &yp)) != 0) return rc;
    pair[0] = yp;
    pair[1] = yt;
    if ((rc = keras_layer_builder_op(b, "subtract", 2, pair, NULL, &d)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "square", 1, &d, NULL, &sq)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "mean", 1, &sq, "{\"axis\": -1}", &out)) != 0) return rc;
    return keras_layer_builder_output(b, out, -1);
}

/* sum(square(y_pred - y_true)): a scalar, the batch reduced by the loss itself. */
static int trace_sum(void *user_data, keras_layer_builder *b, int true_ndim, const int64_t *true_shape,
                     int pred_ndim, const int64_t *pred_shape) {
    int64_t pair[2], d, sq, out;
    int rc;
    (void)user_data; (void)true_ndim; (void)true_shape; (void)pred_ndim; (void)pred_shape;
    if ((rc = keras_layer_builder_input_at(b, 1, &pair[0])) != 0) return rc;
    if ((rc = keras_layer_builder_input_at(b, 0, &pair[1])) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "subtract", 2, pair, NULL, &d)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "square", 1, &d, NULL, &sq)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "sum", 1, &sq, NULL, &out)) != 0) return rc;
    return keras_layer_builder_output(b, out, -1);
}

/* Sets no output: the loss is left to its keras_loss_fn. */
static int trace_decline(void *user_data, keras_layer_builder *b, int true_ndim, const int64_t *true_shape,
                         int pred_ndim, const int64_t *pred_shape) {
    (void)user_data; (void)b; (void)true_ndim; (void)true_shape; (void)pred_ndim; (void)pred_shape;
    return 0;
}

static int trace_fail(void *user_data, keras_layer_builder *b, int true_ndim, const int64_t *true_shape,
                      int pred_ndim, const int64_t *pred_shape) {
    (void)user_data; (void)b; (void)true_ndim; (void)true_shape; (void)pred_ndim; (void)pred_shape;
    keras_callback_error("cannot trace this");
    return 3;
}

/* The mean squared error on values, with its gradient. */
static int mse_fn(void *user_data, const float *y_true, int true_ndim, const int64_t *true_shape,
                  const float *y_pred, int pred_ndim, const int64_t *pred_shape, float *per_sample, float *grad) {
    int64_t i, j, n = pred_shape[0], k = pred_shape[1];
    (void)user_data; (void)true_ndim; (void)true_shape; (void)pred_ndim;
    fallback_calls++;
    for (i = 0; i < n; i++) {
        float s = 0;
        for (j = 0; j < k; j++) {
            float d = y_pred[i * k + j] - y_true[i * k + j];
            s += d * d;
            if (grad) grad[i * k + j] = 2 * d / (float)k;
        }
        per_sample[i] = s / (float)k;
    }
    return 0;
}

static keras_model *dense_model(const char *loss) {
    keras_model *m = NULL;
    char spec[256];
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, input3));
    CHECK_OK(keras_sequential_add_json(m, dense2));
    snprintf(spec, sizeof spec, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.05}}, \"loss\": \"%s\"}", loss);
    CHECK_OK(keras_model_compile(m, spec));
    return m;
}

static const char *fit_options = "{\"epochs\": 3, \"batch_size\": 4, \"verbose\": 0, \"shuffle\": false}";

int main(void) {
    float x[30], y[20];
    const int64_t xs[2] = {10, 3}, ys[2] = {10, 2};
    char *h_ref = NULL, *h_graph = NULL, *h_fallback = NULL, *h_sum = NULL, *e_ref = NULL, *e_graph = NULL;
    char *e_fresh = NULL, *history = NULL;
    keras_model *ref, *graph, *fallback, *fresh, *summed, *failing;
    int i, epoch;

    for (i = 0; i < 30; i++) x[i] = (float)(i % 7) / 7.0f - 0.4f;
    for (i = 0; i < 20; i++) y[i] = (float)(i % 5) / 5.0f - 0.3f;
    CHECK_OK(keras_register_loss_graph("graph_mse", trace_mse, NULL, NULL, NULL, NULL));
    CHECK_OK(keras_register_loss_graph("declined_mse", trace_decline, mse_fn, NULL, NULL, NULL));
    CHECK_OK(keras_register_loss_graph("graph_sum", trace_sum, NULL, "{\"reduction\": \"sum\"}", NULL, NULL));
    CHECK_OK(keras_register_loss_graph("failing", trace_fail, mse_fn, NULL, NULL, NULL));

    ref = dense_model("mse");
    graph = dense_model("graph_mse");
    fallback = dense_model("declined_mse");
    CHECK_OK(keras_model_fit(ref, x, 2, xs, y, 2, ys, fit_options, NULL, 0, &h_ref));
    CHECK_OK(keras_model_fit(graph, x, 2, xs, y, 2, ys, fit_options, NULL, 0, &h_graph));
    CHECK_OK(keras_model_fit(fallback, x, 2, xs, y, 2, ys, fit_options, NULL, 0, &h_fallback));
    printf("mse: %s\ngraph: %s\nfallback: %s\n", h_ref, h_graph, h_fallback);
    for (epoch = 0; epoch < 3; epoch++) {
        double want = number_at(h_ref, "loss", epoch);
        CHECK(fabs(number_at(h_graph, "loss", epoch) - want) < 1e-6 * (1 + fabs(want)));
        CHECK(fabs(number_at(h_fallback, "loss", epoch) - want) < 1e-5 * (1 + fabs(want)));
    }
    CHECK(traces == 1);            /* one trace for the shapes, whatever the batches */
    CHECK(fallback_calls >= 9);    /* the declined loss runs its function at every step */
    CHECK_OK(keras_model_evaluate(ref, x, 2, xs, y, 2, ys, "{\"verbose\": 0}", NULL, 0, &e_ref));
    CHECK_OK(keras_model_evaluate(graph, x, 2, xs, y, 2, ys, "{\"verbose\": 0}", NULL, 0, &e_graph));
    CHECK(fabs(number_at(e_graph, "loss", 0) - number_at(e_ref, "loss", 0)) < 1e-6);
    CHECK(traces == 1);

    /* A scalar with reduction "sum": the batch's sum of squares (20 values), used as it is. */
    fresh = dense_model("mse");
    summed = dense_model("graph_sum");
    CHECK_OK(keras_model_evaluate(fresh, x, 2, xs, y, 2, ys, "{\"batch_size\": 10, \"verbose\": 0}", NULL, 0, &e_fresh));
    CHECK_OK(keras_model_evaluate(summed, x, 2, xs, y, 2, ys, "{\"batch_size\": 10, \"verbose\": 0}", NULL, 0, &h_sum));
    printf("sum: %s, mse: %s\n", h_sum, e_fresh);
    CHECK(fabs(number_at(h_sum, "loss", 0) - 20 * number_at(e_fresh, "loss", 0)) < 1e-4);

    failing = dense_model("failing");
    CHECK_ERR(KERAS_ERR_CALLBACK, "cannot trace this",
              keras_model_fit(failing, x, 2, xs, y, 2, ys, fit_options, NULL, 0, &history));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "trace", keras_register_loss_graph("x", NULL, mse_fn, NULL, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "reduction",
              keras_register_loss_graph("x", trace_mse, NULL, "{\"reduction\": \"median\"}", NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "name", keras_register_loss_graph(NULL, trace_mse, NULL, NULL, NULL, NULL));

    keras_string_free(h_ref);
    keras_string_free(h_graph);
    keras_string_free(h_fallback);
    keras_string_free(h_sum);
    keras_string_free(e_ref);
    keras_string_free(e_graph);
    keras_string_free(e_fresh);
    keras_string_free(history);
    keras_model_free(fresh);
    keras_model_free(ref);
    keras_model_free(graph);
    keras_model_free(fallback);
    keras_model_free(summed);
    keras_model_free(failing);
    CHECK_DONE("test_loss_graph");
}
