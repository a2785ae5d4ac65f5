/* Plugins: a layer from a shared library loaded at run time (trained, saved, reloaded), C losses,
 * metrics and activations, scoped registration, a layer without backward, failing plugins. */
#include "check.h"
#include <math.h>

static const char *input3 = "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}}";

/* Mean squared error per sample, with its gradient. */
static int my_mse(void *ud, const float *t, int tn, const int64_t *ts, const float *p, int pn,
                  const int64_t *ps, float *per, float *grad) {
    int64_t b, j, cols = pn > 1 ? ps[1] : 1;
    (void)ud; (void)tn; (void)ts;
    for (b = 0; b < ps[0]; b++) {
        float s = 0;
        for (j = 0; j < cols; j++) {
            float d = p[b * cols + j] - t[b * cols + j];
            s += d * d;
            if (grad) grad[b * cols + j] = 2 * d / (float)cols;
        }
        per[b] = s / (float)cols;
    }
    return 0;
}
static int failing_loss(void *ud, const float *t, int tn, const int64_t *ts, const float *p, int pn,
                        const int64_t *ps, float *per, float *grad) {
    (void)ud; (void)t; (void)tn; (void)ts; (void)p; (void)pn; (void)ps; (void)per; (void)grad;
    keras_callback_error("loss exploded");
    return 3;
}
/* 2 tanh(x): an activation that a saved model names and loading must find again. */
static int scaled_tanh(void *ud, const float *x, int64_t n, float *y, float *dydx) {
    int64_t i;
    (void)ud;
    for (i = 0; i < n; i++) { float t = tanhf(x[i]); y[i] = 2 * t; dydx[i] = 2 * (1 - t * t); }
    return 0;
}
static int frees = 0;
static void count_free(void *p) { (void)p; frees++; }

/* A layer with no backward: doubles its input. */
static int twice_create(void *ud, const char *cfg, void **state) { (void)ud; (void)cfg; *state = NULL; return 0; }
static int twice_forward(void *state, const float *x, int ndim, const int64_t *shape,
                         const float *const *w, int nw, float *y, int training) {
    int64_t n = 1, i; int d;
    (void)state; (void)w; (void)nw; (void)training;
    for (d = 0; d < ndim; d++) n *= shape[d];
    for (i = 0; i < n; i++) y[i] = 2 * x[i];
    return 0;
}
/* y = x + 1, a layer that says it supports masking (Keras's `supports_masking = True`). */
static int passing_build(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    (void)state; (void)ndim; (void)shape;
    return keras_layer_builder_set_supports_masking(b, 1);
}
static int passing_forward(void *state, const float *x, int ndim, const int64_t *shape,
                           const float *const *w, int nw, float *y, int training) {
    int64_t n = 1, i; int d;
    (void)state; (void)w; (void)nw; (void)training;
    for (d = 0; d < ndim; d++) n *= shape[d];
    for (i = 0; i < n; i++) y[i] = x[i] + 1;
    return 0;
}
static int broken_forward(void *state, const float *x, int ndim, const int64_t *shape,
                          const float *const *w, int nw, float *y, int training) {
    (void)state; (void)x; (void)ndim; (void)shape; (void)w; (void)nw; (void)y; (void)training;
    keras_callback_error("forward is broken");
    return 5;
}

int main(int argc, char **argv) {
    const char *plugin = argc > 1 ? argv[1] : "./plugin_scale.so";
    float x[30], y[30], pred[30], again[30], w[3];
    const int64_t xs[2] = {10, 3};
    int i, count = 0;
    char *text = NULL;
    keras_model *m = NULL, *loaded = NULL, *m2 = NULL, *loaded2 = NULL;
    keras_layer_class twice, broken;

    for (i = 0; i < 30; i++) { x[i] = (float)(i % 7) / 7.0f; y[i] = x[i] * (float)(1 + i % 3); }

    CHECK_ERR(KERAS_ERR_IO, "cannot load plugin", keras_load_plugin("/nonexistent/plugin.so"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "path must not be NULL", keras_load_plugin(NULL));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "Scale", keras_model_from_json(
        "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"Scale\", \"config\": {}}]}}", &m));
    /* The advice names the C calls, not the library's Swift API (issue 16). */
    CHECK(strstr(keras_last_error(), "register it with keras_register_layer(\"Scale\", ...)")
          && strstr(keras_last_error(), "keras_scope_push()") && !strstr(keras_last_error(), "registerKerasSerializable"));
    CHECK_OK(keras_load_plugin(plugin));

    /* The plugin layer trains: its weight goes from ones toward (1, 2, 3). */
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, input3));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Scale\", \"config\": {\"name\": \"scale\"}}"));
    CHECK_OK(keras_register_loss("Test>my_mse", my_mse, NULL, NULL));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.5}}, \"loss\": \"my_mse\"}"));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, xs, "{\"epochs\": 200, \"batch_size\": 10, \"verbose\": 0}", NULL, 0, &text));
    keras_string_free(text);
    CHECK_OK(keras_model_get_weight(m, 0, w, 3));
    printf("Scale weights after training: %.3f %.3f %.3f\n", w[0], w[1], w[2]);
    CHECK(fabsf(w[0] - 1) < 0.05f && fabsf(w[1] - 2) < 0.05f && fabsf(w[2] - 3) < 0.05f);
    CHECK_OK(keras_model_to_json(m, &text));
    CHECK(strstr(text, "\"class_name\": \"Scale\"") && strstr(text, "\"plugin\": \"plugin_scale\"") && strstr(text, "Demo"));
    keras_string_free(text);

    /* Saved and reloaded: the weight comes back through the registry. */
    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, pred, 30, NULL, NULL));
    CHECK_OK(keras_model_save(m, "plugin_model.keras", 1));
    CHECK_OK(keras_model_load("plugin_model.keras", 0, &loaded));
    CHECK_OK(keras_model_predict(loaded, x, 2, xs, NULL, NULL, 0, again, 30, NULL, NULL));
    CHECK(memcmp(pred, again, sizeof pred) == 0);
    remove("plugin_model.keras");

    /* The plugin's metric class (registered through the registrar): the largest error of the
     * predictions, named by its class in the results. */
    {
        float peak = 0;
        const char *at;
        for (i = 0; i < 30; i++) peak = fmaxf(peak, fabsf(pred[i] - y[i]));
        CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"mse\", \"metrics\": [\"PeakError\"]}"));
        CHECK_OK(keras_model_evaluate(m, x, 2, xs, y, 2, xs, "{\"batch_size\": 4, \"verbose\": 0}", NULL, 0, &text));
        at = text ? strstr(text, "\"PeakError\": ") : NULL;
        CHECK(at && fabs(strtod(at + strlen("\"PeakError\": "), NULL) - peak) < 1e-6);
        keras_string_free(text); text = NULL;
    }

    /* Plugin activation and a C metric. */
    CHECK_OK(keras_register_metric("my_mae_like", my_mse, NULL, count_free));
    CHECK_OK(keras_sequential_new(NULL, &m2));
    CHECK_OK(keras_sequential_add_json(m2, input3));
    CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"cube\"}}"));
    CHECK_OK(keras_model_compile(m2, "{\"optimizer\": \"sgd\", \"loss\": \"mse\", \"metrics\": [\"my_mae_like\"]}"));
    CHECK_OK(keras_model_fit(m2, x, 2, xs, y, 2, xs, "{\"epochs\": 2, \"verbose\": 0}", NULL, 0, &text));
    CHECK(text && strstr(text, "\"my_mae_like\": ["));
    keras_string_free(text);
    keras_model_free(m2); m2 = NULL;

    /* A model naming a registered activation loads back (.keras, .h5, JSON), also when the same
     * name is registered as a loss and a metric too, as Python registers a function it meets in a
     * CustomObjectScope: each family keeps its own entry. */
    CHECK_OK(keras_register_activation("scaled_tanh", scaled_tanh, NULL, NULL));
    CHECK_OK(keras_sequential_new(NULL, &m2));
    CHECK_OK(keras_sequential_add_json(m2, input3));
    CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"scaled_tanh\"}}"));
    CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": "
                                           "{\"module\": \"builtins\", \"class_name\": \"function\", \"config\": \"scaled_tanh\", "
                                           "\"registered_name\": \"function\"}}}"));
    CHECK_OK(keras_model_compile(m2, "{\"optimizer\": \"sgd\", \"loss\": \"mse\", \"metrics\": [\"my_mae_like\"]}"));
    CHECK_OK(keras_model_fit(m2, x, 2, xs, y, 2, xs, "{\"epochs\": 1, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_predict(m2, x, 2, xs, NULL, NULL, 0, pred, 30, NULL, NULL));
    CHECK_OK(keras_register_loss("scaled_tanh", my_mse, NULL, NULL));
    CHECK_OK(keras_register_metric("scaled_tanh", my_mse, NULL, NULL));
    CHECK_OK(keras_model_save(m2, "activation_model.keras", 1));
    CHECK_OK(keras_model_save(m2, "activation_model.h5", 1));
    CHECK_OK(keras_model_load("activation_model.keras", 1, &loaded2));
    CHECK_OK(keras_model_predict(loaded2, x, 2, xs, NULL, NULL, 0, again, 30, NULL, NULL));
    CHECK(memcmp(pred, again, sizeof pred) == 0);
    keras_model_free(loaded2); loaded2 = NULL;
    CHECK_OK(keras_model_load("activation_model.h5", 0, &loaded2));
    CHECK_OK(keras_model_predict(loaded2, x, 2, xs, NULL, NULL, 0, again, 30, NULL, NULL));
    CHECK(memcmp(pred, again, sizeof pred) == 0);
    keras_model_free(loaded2); loaded2 = NULL;
    CHECK_OK(keras_model_to_json(m2, &text));
    CHECK_OK(keras_model_from_json(text, &loaded2));
    keras_string_free(text); text = NULL;
    keras_model_free(loaded2); loaded2 = NULL;
    /* Registered in a scope only (another name): found while the scope is open. */
    CHECK_OK(keras_scope_push());
    CHECK_OK(keras_register_activation("scoped_tanh", scaled_tanh, NULL, NULL));
    CHECK_OK(keras_register_loss("scoped_tanh", my_mse, NULL, NULL));
    CHECK_OK(keras_model_from_json("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [" 
                                   "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}}, "
                                   "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"scoped_tanh\"}}]}}", &loaded2));
    CHECK_OK(keras_model_save(loaded2, "scoped_model.keras", 1));
    keras_model_free(loaded2); loaded2 = NULL;
    CHECK_OK(keras_model_load("scoped_model.keras", 0, &loaded2));
    keras_model_free(loaded2); loaded2 = NULL;
    /* The catalogue lists registered objects next to the built-ins. */
    CHECK_OK(keras_catalog_json(&text));
    CHECK(text && strstr(text, "\"scoped_tanh\"") && strstr(text, "\"Scale\": {\"module\": \"custom\"")
          && strstr(text, "\"registered_name\": \"Demo>Scale\""));
    keras_string_free(text); text = NULL;
    CHECK_OK(keras_scope_pop());
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "scoped_tanh", keras_model_load("scoped_model.keras", 0, &loaded2));
    CHECK_OK(keras_catalog_json(&text));
    CHECK(text && !strstr(text, "\"scoped_tanh\"") && strstr(text, "\"scaled_tanh\""));
    keras_string_free(text); text = NULL;
    /* Unregistering: the scoped one first, then the global one; the name is unknown after. */
    CHECK_OK(keras_scope_push());
    CHECK_OK(keras_register_activation("scaled_tanh", scaled_tanh, NULL, count_free));
    {
        int before = frees;
        CHECK_OK(keras_unregister("activation", "scaled_tanh"));   /* the scope's: its user data is freed */
        CHECK(frees == before + 1);
    }
    CHECK_OK(keras_model_load("activation_model.keras", 0, &loaded2)); /* the global one */
    keras_model_free(loaded2); loaded2 = NULL;
    CHECK_OK(keras_scope_pop());
    CHECK_OK(keras_unregister("activation", "scaled_tanh"));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "scaled_tanh", keras_model_load("activation_model.keras", 0, &loaded2));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "no activation is registered as 'scaled_tanh'", keras_unregister("activation", "scaled_tanh"));
    CHECK_OK(keras_unregister("loss", "scaled_tanh"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown kind 'lossy'", keras_unregister("lossy", "x"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "name must not be NULL", keras_unregister("loss", NULL));
    remove("activation_model.keras"); remove("activation_model.h5"); remove("scoped_model.keras");
    keras_model_free(m2); m2 = NULL;

    /* Scoped registration: visible until the scope is popped, on this thread. */
    memset(&twice, 0, sizeof twice);
    twice.struct_size = sizeof twice;
    twice.create = twice_create;
    twice.forward = twice_forward;
    CHECK_OK(keras_scope_push());
    CHECK_OK(keras_register_layer("Twice", &twice));
    CHECK_OK(keras_sequential_new(NULL, &m2));
    CHECK_OK(keras_sequential_add_json(m2, input3));
    CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"Twice\", \"config\": {}}"));
    CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"Dense\", \"config\": {\"units\": 3}}"));
    CHECK_OK(keras_model_compile(m2, "{\"loss\": \"mse\"}"));
    /* First layer without weights: no gradient has to pass, so it trains. */
    CHECK_OK(keras_model_fit(m2, x, 2, xs, y, 2, xs, "{\"epochs\": 1, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_predict(m2, x, 2, xs, NULL, NULL, 0, pred, 30, NULL, NULL));
    CHECK_OK(keras_scope_pop());
    CHECK_ERR(KERAS_ERR_STATE, "no scope is open", keras_scope_pop());
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "Twice", keras_sequential_add_json(m2, "{\"class_name\": \"Twice\", \"config\": {}}"));
    keras_model_free(m2); m2 = NULL;

    /* A layer without backward behind a trainable layer: fit says why it cannot train. */
    CHECK_OK(keras_register_layer("Twice", &twice));
    CHECK_OK(keras_sequential_new(NULL, &m2));
    CHECK_OK(keras_sequential_add_json(m2, input3));
    CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"Dense\", \"config\": {\"units\": 3}}"));
    CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"Twice\", \"config\": {\"name\": \"twice\"}}"));
    CHECK_OK(keras_model_compile(m2, "{\"loss\": \"mse\"}"));
    CHECK_ERR(KERAS_ERR_STATE, "Twice 'twice' has no backward function",
              keras_model_fit(m2, x, 2, xs, y, 2, xs, "{\"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_predict(m2, x, 2, xs, NULL, NULL, 0, pred, 30, NULL, NULL));
    keras_model_free(m2); m2 = NULL;

    /* A plugin layer that supports masking passes Masking's mask on to the LSTM after it: a
     * sequence with a masked first step predicts as the sequence without it (the step Masking
     * zeroed is 1 after the plugin: the LSTM would read it without the mask). */
    {
        keras_layer_class passing;
        const int64_t s3[3] = {1, 3, 2}, s2[3] = {1, 2, 2};
        const float padded[6] = {-1, -1, 0.5f, 0.25f, -0.75f, 1}, tail[4] = {0.5f, 0.25f, -0.75f, 1};
        float with_pad[3], without[3];
        memset(&passing, 0, sizeof passing);
        passing.struct_size = sizeof passing;
        passing.create = twice_create;
        passing.build = passing_build;
        passing.forward = passing_forward;
        CHECK_OK(keras_register_layer("Passing", &passing));
        CHECK_OK(keras_sequential_new(NULL, &m2));
        CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, null, 2]}}"));
        CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"Masking\", \"config\": {\"mask_value\": -1.0}}"));
        CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"Passing\", \"config\": {}}"));
        CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"LSTM\", \"config\": {\"units\": 3}}"));
        CHECK_OK(keras_model_predict(m2, padded, 3, s3, NULL, NULL, 0, with_pad, 3, NULL, NULL));
        CHECK_OK(keras_model_predict(m2, tail, 3, s2, NULL, NULL, 0, without, 3, NULL, NULL));
        for (i = 0; i < 3; i++) CHECK(fabsf(with_pad[i] - without[i]) < 1e-6f);
        CHECK(fabsf(without[0]) + fabsf(without[1]) + fabsf(without[2]) > 1e-4f);
        keras_model_free(m2); m2 = NULL;
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL", keras_layer_builder_set_supports_masking(NULL, 1));
    }

    /* Failing plugins. */
    memset(&broken, 0, sizeof broken);
    broken.struct_size = sizeof broken;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "no create function", keras_register_layer("Broken", &broken));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "cls must not be NULL", keras_register_layer("Broken", NULL));
    broken.create = twice_create;
    broken.forward = broken_forward;
    CHECK_OK(keras_register_layer("Broken", &broken));
    CHECK_OK(keras_sequential_new(NULL, &m2));
    CHECK_OK(keras_sequential_add_json(m2, input3));
    CHECK_OK(keras_sequential_add_json(m2, "{\"class_name\": \"Broken\", \"config\": {}}"));
    CHECK_ERR(KERAS_ERR_CALLBACK, "layer Broken: forward failed with code 5: forward is broken",
              keras_model_predict(m2, x, 2, xs, NULL, NULL, 0, pred, 30, NULL, NULL));
    keras_model_free(m2); m2 = NULL;
    CHECK_OK(keras_register_loss("exploding", failing_loss, NULL, NULL));
    CHECK_OK(keras_model_compile(m, "{\"loss\": \"exploding\"}"));
    CHECK_ERR(KERAS_ERR_CALLBACK, "loss 'exploding' failed with code 3: loss exploded",
              keras_model_fit(m, x, 2, xs, y, 2, xs, "{\"verbose\": 0}", NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "fn must not be NULL", keras_register_activation("a", NULL, NULL, NULL));

    CHECK_OK(keras_model_weight_count(loaded, &count));
    CHECK(count == 1);
    keras_model_free(m);
    keras_model_free(loaded);
    CHECK_DONE("test_plugins");
}
