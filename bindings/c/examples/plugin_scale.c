/* A plugin shared library: a trainable per-feature Scale layer (y = x * w), built as its own .so
 * and loaded at run time with keras_load_plugin, with a stateful metric class and an activation. It does not link libkeras: everything comes
 * through the registrar. Build: cc -shared -fPIC -Iinclude plugin_scale.c -o plugin_scale.so */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "keras.h"

static void (*report)(const char *message);

typedef struct { int features; } scale_state;

static int scale_create(void *user_data, const char *config_json, void **state) {
    (void)user_data; (void)config_json;
    *state = calloc(1, sizeof(scale_state));
    return *state ? 0 : 1;
}

static int scale_build(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    scale_state *s = (scale_state *)state;
    if (ndim < 2 || shape[ndim - 1] <= 0) { report("Scale needs a known last dimension"); return 1; }
    s->features = (int)shape[ndim - 1];
    return b->add_weight(b, "scale", 1, &shape[ndim - 1], "ones", 1);
}

static int scale_forward(void *state, const float *x, int ndim, const int64_t *shape,
                         const float *const *w, int n_weights, float *y, int training) {
    scale_state *s = (scale_state *)state;
    int64_t n = 1, i;
    int d;
    (void)training;
    if (n_weights != 1) { report("Scale expects one weight"); return 1; }
    for (d = 0; d < ndim; d++) n *= shape[d];
    for (i = 0; i < n; i++) y[i] = x[i] * w[0][i % s->features];
    return 0;
}

static int scale_backward(void *state, const float *x, int ndim, const int64_t *shape,
                          const float *const *w, int n_weights, const float *dy,
                          float *dx, float *const *dw) {
    scale_state *s = (scale_state *)state;
    int64_t n = 1, i;
    int d;
    (void)n_weights;
    for (d = 0; d < ndim; d++) n *= shape[d];
    for (i = 0; i < n; i++) {
        dx[i] = dy[i] * w[0][i % s->features];
        dw[0][i % s->features] += dy[i] * x[i];
    }
    return 0;
}

static int scale_get_config(void *state, char *buf, size_t size) {
    (void)state;
    return snprintf(buf, size, "{\"plugin\": \"plugin_scale\"}") >= (int)size;
}

static void scale_destroy(void *state) { free(state); }

/* An activation: x^3, derivative 3x^2. */
static int cube(void *user_data, const float *x, int64_t n, float *y, float *dydx) {
    int64_t i;
    (void)user_data;
    for (i = 0; i < n; i++) { y[i] = x[i] * x[i] * x[i]; dydx[i] = 3 * x[i] * x[i]; }
    return 0;
}

/* A metric class (registrar version 2): the largest |y_pred - y_true| since the last reset. */
static int peak_create(void *user_data, const char *config_json, void **state) {
    (void)user_data; (void)config_json;
    *state = calloc(1, sizeof(float));
    return *state ? 0 : 1;
}

static int peak_update(void *state, const float *y_true, int true_ndim, const int64_t *true_shape,
                       const float *y_pred, int pred_ndim, const int64_t *pred_shape,
                       const float *sample_weight, int weight_ndim, const int64_t *weight_shape) {
    float *peak = (float *)state;
    int64_t n = 1, i;
    int d;
    (void)sample_weight; (void)weight_ndim; (void)weight_shape;
    if (true_ndim != pred_ndim) { report("PeakError: y_true and y_pred differ in rank"); return 1; }
    for (d = 0; d < pred_ndim; d++) {
        if (true_shape[d] != pred_shape[d]) { report("PeakError: y_true and y_pred differ in shape"); return 1; }
        n *= pred_shape[d];
    }
    for (i = 0; i < n; i++) {
        float e = fabsf(y_pred[i] - y_true[i]);
        if (e > *peak) *peak = e;
    }
    return 0;
}

static int peak_result(void *state, float *value) { *value = *(float *)state; return 0; }
static int peak_reset(void *state) { *(float *)state = 0; return 0; }

int keras_plugin_init(const keras_plugin_registrar *r) {
    keras_layer_class scale;
    keras_metric_class peak;
    /* A library older than this header lacks register_metric_class (struct_size tells). */
    if (!KERAS_HAS_FIELD(r, keras_plugin_registrar, register_metric_class)) return 1;
    report = r->callback_error;
    memset(&scale, 0, sizeof scale);
    scale.struct_size = sizeof scale;
    scale.create = scale_create;
    scale.build = scale_build;
    scale.forward = scale_forward;
    scale.backward = scale_backward;
    scale.get_config = scale_get_config;
    scale.destroy = scale_destroy;
    if (r->register_layer("Demo>Scale", &scale)) return 1;
    memset(&peak, 0, sizeof peak);
    peak.struct_size = sizeof peak;
    peak.create = peak_create;
    peak.update_state = peak_update;
    peak.result = peak_result;
    peak.reset_state = peak_reset;
    peak.destroy = scale_destroy;
    if (r->register_metric_class("Demo>PeakError", &peak)) return 1;
    return r->register_activation("Demo>cube", cube, NULL, NULL);
}
