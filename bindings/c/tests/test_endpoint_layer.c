/* keras.io's endpoint layer pattern from C: a plugin layer called on several arguments,
 * endpoint(logits, targets, sample_weight=w, scale=0.5), whose traced call adds a loss
 * (keras_layer_builder_loss) and returns the logits; the model is compiled without a loss and
 * trained and evaluated without targets (ny = 0), its loss the add_loss term's. The builder gives
 * the call's arguments (keras_layer_builder_call_arguments), the config writes the node as Keras
 * does (args and kwargs), and a saved .keras file loads with them. Without any loss, fit fails
 * with Keras's message. */
#include "check.h"
#include "traced_layer.h"
#include <math.h>

#define N 8

/* x (batch, 2), t (batch, 1), w (batch, 1); dense (kernel ones, no bias) gives the logits. */
static const char *model_json(char *buf, size_t size, int with_endpoint) {
    snprintf(buf, size,
        "{\"class_name\": \"Functional\", \"config\": {\"name\": \"endpoint_model\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2], \"name\": \"x\"}, \"name\": \"x\", \"inbound_nodes\": []},"
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 1], \"name\": \"t\"}, \"name\": \"t\", \"inbound_nodes\": []},"
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 1], \"name\": \"w\"}, \"name\": \"w\", \"inbound_nodes\": []},"
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 1, \"use_bias\": false, \"kernel_initializer\": \"ones\"},"
        " \"name\": \"dense\", \"inbound_nodes\": [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 2], \"keras_history\": [\"x\", 0, 0]}}], \"kwargs\": {}}]}%s],"
        "\"input_layers\": %s, \"output_layers\": [\"%s\", 0, 0]}}",
        with_endpoint ?
        ",{\"class_name\": \"Endpoint\", \"config\": {\"name\": \"endpoint\"}, \"name\": \"endpoint\", \"inbound_nodes\": [{\"args\": ["
        "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 1], \"keras_history\": [\"dense\", 0, 0]}},"
        "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 1], \"keras_history\": [\"t\", 0, 0]}}],"
        " \"kwargs\": {\"sample_weight\": {\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 1], \"keras_history\": [\"w\", 0, 0]}},"
        " \"scale\": 0.5}}]}" : "",
        with_endpoint ? "[[\"x\", 0, 0], [\"t\", 0, 0], [\"w\", 0, 0]]" : "[[\"x\", 0, 0]]",
        with_endpoint ? "endpoint" : "dense");
    return buf;
}

static int count_seen = 0, arguments_seen = 0;

/* loss = mean(sample_weight * (logits - targets)^2); output: the logits. */
static int build(void *state, keras_layer_builder *bl, int ndim, const int64_t *shape) {
    int64_t logits, targets, weights, d, d2, wd2, loss, y;
    char *arguments = NULL;
    int rc;
    (void)state; (void)ndim; (void)shape;
    if ((rc = keras_layer_builder_input_count(bl, &count_seen)) != 0) return rc;
    if ((rc = keras_layer_builder_call_arguments(bl, &arguments)) != 0) return rc;
    /* Two positional tensors, then the keyword tensor and the plain keyword argument. */
    arguments_seen = strstr(arguments, "\"args\": [{\"class_name\": \"__keras_tensor__\"") != NULL &&
                     strstr(arguments, "\"sample_weight\": {\"class_name\": \"__keras_tensor__\"") != NULL &&
                     strstr(arguments, "\"scale\": 0.5") != NULL;
    keras_string_free(arguments);
    if ((rc = keras_layer_builder_input_at(bl, 0, &logits)) != 0) return rc;
    if ((rc = keras_layer_builder_input_at(bl, 1, &targets)) != 0) return rc;
    if ((rc = keras_layer_builder_input_at(bl, 2, &weights)) != 0) return rc;
    {
        int64_t args[2] = {logits, targets};
        if ((rc = keras_layer_builder_op(bl, "subtract", 2, args, NULL, &d)) != 0) return rc;
    }
    if ((rc = keras_layer_builder_op(bl, "square", 1, &d, NULL, &d2)) != 0) return rc;
    {
        int64_t args[2] = {weights, d2};
        if ((rc = keras_layer_builder_op(bl, "multiply", 2, args, NULL, &wd2)) != 0) return rc;
    }
    if ((rc = keras_layer_builder_op(bl, "mean", 1, &wd2, NULL, &loss)) != 0) return rc;
    if ((rc = keras_layer_builder_loss(bl, loss, -1)) != 0) return rc;
    if ((rc = keras_layer_builder_op(bl, "linear", 1, &logits, NULL, &y)) != 0) return rc;
    return keras_layer_builder_output(bl, y, -1);
}

/* The add_loss term for kernel k, in double. */
static double loss_at(const float *a, const float *t, const float *w, const float *k) {
    double s = 0;
    int i;
    for (i = 0; i < N; i++) {
        double d = (double)a[2 * i] * k[0] + (double)a[2 * i + 1] * k[1] - t[i];
        s += w[i] * d * d;
    }
    return s / N;
}

static double history_loss(const char *history) {
    const char *p = strstr(history, "\"loss\": [");
    return p ? atof(p + 9) : NAN;
}

int main(void) {
    float a[N * 2], t[N], w[N], k[2] = {1, 1}, grad[2] = {0, 0}, pred[N], pred2[N];
    const int64_t as[2] = {N, 2}, ts[2] = {N, 1};
    keras_array x[3];
    keras_output out[1];
    keras_layer_class cls;
    keras_model *m = NULL, *loaded = NULL, *plain = NULL;
    char json[8192], *text = NULL, *results = NULL;
    double expected, got;
    const float lr = 0.1f;
    int i;

    for (i = 0; i < N; i++) {
        a[2 * i] = (float)(i % 5) / 5.0f - 0.3f;
        a[2 * i + 1] = (float)(i % 3) / 3.0f - 0.2f;
        t[i] = (float)(i % 4) / 4.0f;
        w[i] = 0.25f + (float)(i % 3) * 0.5f;
    }
    x[0].data = a; x[0].ndim = 2; x[0].shape = as;
    x[1].data = t; x[1].ndim = 2; x[1].shape = ts;
    x[2].data = w; x[2].ndim = 2; x[2].shape = ts;
    out[0].data = pred; out[0].capacity = N;

    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = traced_layer_create;
    cls.build = build;
    cls.forward = traced_layer_forward;
    CHECK_OK(keras_register_layer("Endpoint", &cls));
    CHECK_OK(keras_model_from_json(model_json(json, sizeof json, 1), &m));
    CHECK(count_seen == 3);
    CHECK(arguments_seen);

    /* No loss in compile: fit and evaluate take no targets; the loss is the add_loss term. */
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1}}}"));
    CHECK_OK(keras_model_fit_arrays(m, x, 3, NULL, 0, NULL, NULL, 0, NULL, 0, NULL,
                                    "{\"epochs\": 1, \"batch_size\": 8, \"shuffle\": false, \"verbose\": 0}",
                                    NULL, 0, &text));
    expected = loss_at(a, t, w, k);
    got = history_loss(text);
    printf("endpoint first-epoch loss %.7f, expected %.7f\n", got, expected);
    CHECK(fabs(got - expected) < 1e-5 * (1 + expected));
    keras_string_free(text); text = NULL;
    /* One SGD step: k -= lr * d(loss)/dk. */
    for (i = 0; i < N; i++) {
        float d = a[2 * i] * k[0] + a[2 * i + 1] * k[1] - t[i];
        grad[0] += 2 * w[i] * d * a[2 * i] / N;
        grad[1] += 2 * w[i] * d * a[2 * i + 1] / N;
    }
    k[0] -= lr * grad[0]; k[1] -= lr * grad[1];
    {
        float kernel[2];
        CHECK_OK(keras_model_get_weight(m, 0, kernel, 2));
        CHECK(fabsf(kernel[0] - k[0]) < 1e-6f && fabsf(kernel[1] - k[1]) < 1e-6f);
    }
    CHECK_OK(keras_model_evaluate_arrays(m, x, 3, NULL, 0, NULL, "{\"verbose\": 0}", NULL, 0, &results));
    {
        const char *p = strstr(results, "\"loss\": ");
        got = p ? atof(p + 8) : NAN;
    }
    CHECK(fabs(got - loss_at(a, t, w, k)) < 1e-5 * (1 + got));
    keras_string_free(results); results = NULL;
    CHECK_OK(keras_model_predict_arrays(m, x, 3, NULL, NULL, 0, out, 1));
    for (i = 0; i < N; i++) CHECK(fabsf(pred[i] - (a[2 * i] * k[0] + a[2 * i + 1] * k[1])) < 1e-5f);

    /* The node as Keras writes it: two positional tensors, the keyword tensor and value. */
    CHECK_OK(keras_model_to_json(m, &text));
    CHECK(strstr(text, "\"keras_history\": [\"t\", 0, 0]}}], \"kwargs\": {\"sample_weight\": {\"class_name\": \"__keras_tensor__\"") != NULL);
    CHECK(strstr(text, "\"scale\": 0.5") != NULL);
    keras_string_free(text); text = NULL;

    /* Saved and loaded (compiled, without a loss): the same call, predictions and training. */
    CHECK_OK(keras_model_save(m, "endpoint_model.keras", 1));
    count_seen = 0; arguments_seen = 0;
    CHECK_OK(keras_model_load("endpoint_model.keras", 1, &loaded));
    CHECK(count_seen == 3 && arguments_seen);
    out[0].data = pred2;
    CHECK_OK(keras_model_predict_arrays(loaded, x, 3, NULL, NULL, 0, out, 1));
    for (i = 0; i < N; i++) CHECK(fabsf(pred2[i] - pred[i]) < 1e-6f);
    CHECK_OK(keras_model_fit_arrays(loaded, x, 3, NULL, 0, NULL, NULL, 0, NULL, 0, NULL,
                                    "{\"epochs\": 1, \"batch_size\": 8, \"shuffle\": false, \"verbose\": 0}",
                                    NULL, 0, &text));
    CHECK(fabs(history_loss(text) - loss_at(a, t, w, k)) < 1e-5);
    keras_string_free(text); text = NULL;
    /* Validation data without targets (val_x alone): val_loss is the add_loss term after the
     * epoch; val_y without y is refused. */
    CHECK_OK(keras_model_get_weight(loaded, 0, k, 2));
    CHECK_OK(keras_model_fit_arrays(loaded, x, 3, NULL, 0, NULL, x, 3, NULL, 0, NULL,
                                    "{\"epochs\": 1, \"batch_size\": 8, \"shuffle\": false, \"verbose\": 0}",
                                    NULL, 0, &text));
    {
        const char *p = strstr(text, "\"val_loss\": [");
        float after[2];
        CHECK(p != NULL);
        CHECK_OK(keras_model_get_weight(loaded, 0, after, 2));
        CHECK(p && fabs(atof(p + 13) - loss_at(a, t, w, after)) < 1e-5);
    }
    keras_string_free(text); text = NULL;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "val_y is given, but the fit has no y",
              keras_model_fit_arrays(loaded, x, 3, NULL, 0, NULL, x, 3, x, 1, NULL, "{\"verbose\": 0}", NULL, 0, NULL));
    keras_model_free(loaded);

    /* Targets given to a model compiled with a loss are still required. */
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "0 target array(s)",
              keras_model_fit_arrays(m, x, 3, NULL, 0, NULL, NULL, 0, NULL, 0, NULL, "{\"verbose\": 0}", NULL, 0, NULL));
    keras_model_free(m);

    /* No loss at all: Keras's message. */
    CHECK_OK(keras_model_from_json(model_json(json, sizeof json, 0), &plain));
    CHECK_OK(keras_model_compile(plain, "{\"optimizer\": \"adam\"}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "No loss to compute. Provide a `loss` argument in `compile()`.",
              keras_model_fit_arrays(plain, x, 1, NULL, 0, NULL, NULL, 0, NULL, 0, NULL, "{\"verbose\": 0}", NULL, 0, NULL));
    keras_model_free(plain);
    remove("endpoint_model.keras");
    printf("test_endpoint_layer: ok\n");
    return 0;
}
