/* The callbacks of a C layer whose build composes the library's ops (keras_layer_builder_*),
 * besides its build: it keeps no state, and its forward never runs (the library runs the graph
 * the build traced; a call reports an error). */
#ifndef KERAS_TEST_TRACED_LAYER_H
#define KERAS_TEST_TRACED_LAYER_H
#include "keras.h"

static inline int traced_layer_create(void *ud, const char *cfg, void **state) {
    (void)ud; (void)cfg;
    *state = NULL;
    return 0;
}

static inline int traced_layer_forward(void *state, const float *x, int ndim, const int64_t *shape,
                                       const float *const *w, int nw, float *y, int training) {
    (void)state; (void)x; (void)ndim; (void)shape; (void)w; (void)nw; (void)y; (void)training;
    keras_callback_error("the forward callback of a traced layer must not run");
    return 1;
}
#endif
