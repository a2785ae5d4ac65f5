/* The class tables across header versions (keras.h, "Versions"): a keras_layer_class and a
 * keras_metric_class built with an older header's layout (declared here as that header had them,
 * before `module` and `result_json` were added) register and run with the fields they lack
 * treated as absent: the bytes after them, which the library must not read, hold a trap that
 * would show in the saved config or the logs. A table from a newer header registers when the
 * fields this library does not know are zero; a bad struct_size is refused, naming it. The
 * builder the library passes says its own size. */
#include "check.h"
#include <stddef.h>

/* keras_layer_class as the header had it before `module`. */
typedef struct {
    size_t struct_size;
    void *user_data;
    int (*create)(void *user_data, const char *config_json, void **state);
    int (*build)(void *state, keras_layer_builder *builder, int ndim, const int64_t *input_shape);
    int (*output_shape)(void *state, int ndim, const int64_t *input_shape, int *out_ndim, int64_t *out_shape);
    int (*forward)(void *state, const float *x, int ndim, const int64_t *shape,
                   const float *const *weights, int n_weights, float *y, int training);
    int (*backward)(void *state, const float *x, int ndim, const int64_t *shape,
                    const float *const *weights, int n_weights, const float *dy,
                    float *dx, float *const *dweights);
    int (*get_config)(void *state, char *buf, size_t size);
    void (*destroy)(void *state);
    keras_free_fn free_user_data;
} old_layer_class;

/* keras_metric_class as the header had it before `result_json`. */
typedef struct {
    size_t struct_size;
    void *user_data;
    int (*create)(void *user_data, const char *config_json, void **state);
    int (*update_state)(void *state, const float *y_true, int true_ndim, const int64_t *true_shape,
                        const float *y_pred, int pred_ndim, const int64_t *pred_shape,
                        const float *sample_weight, int weight_ndim, const int64_t *weight_shape);
    int (*result)(void *state, float *value);
    int (*reset_state)(void *state);
    int (*get_config)(void *state, char *buf, size_t size);
    void (*destroy)(void *state);
    keras_free_fn free_user_data;
    const char *module;
} old_metric_class;

/* What follows each old table in memory: the newer field's place, holding a trap. */
typedef struct { old_layer_class table; const char *module; } old_layer_and_trap;
typedef struct { old_metric_class table; int (*result_json)(void *, char *, size_t); } old_metric_and_trap;
/* A table from a header one field newer than this library's. */
typedef struct { keras_layer_class table; void *newer_field; } newer_layer_class;

static const char *trap_module = "trap_read_past_struct_size";
static int trap_calls = 0, builds = 0, builder_ok = 0;

static int halve_create(void *ud, const char *cfg, void **state) { (void)ud; (void)cfg; *state = NULL; return 0; }
static int halve_build(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    (void)state; (void)ndim; (void)shape;
    builds++;
    builder_ok += b->struct_size == sizeof *b && KERAS_HAS_FIELD(b, keras_layer_builder, add_weight_ex);
    return 0;
}
static int halve_forward(void *state, const float *x, int ndim, const int64_t *shape,
                         const float *const *w, int nw, float *y, int training) {
    int64_t n = 1, i; int d;
    (void)state; (void)w; (void)nw; (void)training;
    for (d = 0; d < ndim; d++) n *= shape[d];
    for (i = 0; i < n; i++) y[i] = x[i] / 2;
    return 0;
}

/* A metric: the largest prediction seen. */
static int max_create(void *ud, const char *cfg, void **state) {
    (void)ud; (void)cfg;
    *state = calloc(1, sizeof(float));
    return *state == NULL;
}
static int max_update(void *state, const float *t, int tn, const int64_t *ts, const float *p, int pn,
                      const int64_t *ps, const float *sw, int wn, const int64_t *wsh) {
    int64_t i, n = 1; int d;
    float *m = (float *)state;
    (void)t; (void)tn; (void)ts; (void)sw; (void)wn; (void)wsh;
    for (d = 0; d < pn; d++) n *= ps[d];
    for (i = 0; i < n; i++) if (p[i] > *m) *m = p[i];
    return 0;
}
static int max_result(void *state, float *value) { *value = *(float *)state; return 0; }
static int max_reset(void *state) { *(float *)state = 0; return 0; }
static void max_destroy(void *state) { free(state); }
static int trap_result_json(void *state, char *buf, size_t size) {
    (void)state;
    trap_calls++;
    snprintf(buf, size, "{\"trap\": 1}");
    return 0;
}

static const char *model_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}},"
    "{\"class_name\": \"Halve\", \"config\": {\"name\": \"halve\"}}]}}";

int main(void) {
    const float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {0};
    const int64_t xs[2] = {3, 2};
    float pred[6];
    char *text = NULL;
    int i, ok = 1;
    keras_model *m = NULL;
    old_layer_and_trap old_layer;
    old_metric_and_trap old_metric;
    newer_layer_class newer;
    keras_layer_class current, *as_current = (keras_layer_class *)&old_layer;
    struct { void *user_data; void *create; } before_struct_size;

    /* A layer table of the older layout: registered and run; `module` (past its size) is not read. */
    memset(&old_layer, 0, sizeof old_layer);
    old_layer.table.struct_size = sizeof old_layer.table;
    old_layer.table.create = halve_create;
    old_layer.table.build = halve_build;
    old_layer.table.forward = halve_forward;
    old_layer.module = trap_module;
    CHECK(sizeof old_layer.table < sizeof(keras_layer_class));
    CHECK(offsetof(old_layer_and_trap, module) == offsetof(keras_layer_class, module));
    CHECK_OK(keras_register_layer("Old>Halve", as_current));
    CHECK_OK(keras_model_from_json(model_json, &m));
    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, pred, 6, NULL, NULL));
    for (i = 0; i < 6; i++) ok &= pred[i] == x[i] / 2;
    CHECK(ok);
    CHECK(builds == 1 && builder_ok == 1);
    CHECK_OK(keras_model_to_json(m, &text));
    /* No module given: the package of "Old>Halve" is written, as for a NULL module. */
    CHECK(text && !strstr(text, trap_module) && strstr(text, "\"module\": \"Old\""));
    if (text && strstr(text, trap_module)) fprintf(stderr, "read past struct_size: %s\n", text);
    keras_string_free(text); text = NULL;

    /* A metric table of the older layout: result is read, not result_json past its size. */
    memset(&old_metric, 0, sizeof old_metric);
    old_metric.table.struct_size = sizeof old_metric.table;
    old_metric.table.create = max_create;
    old_metric.table.update_state = max_update;
    old_metric.table.result = max_result;
    old_metric.table.reset_state = max_reset;
    old_metric.table.destroy = max_destroy;
    old_metric.result_json = trap_result_json;
    CHECK(offsetof(old_metric_and_trap, result_json) == offsetof(keras_metric_class, result_json));
    CHECK_OK(keras_register_metric_class("Old>LargestPrediction", (const keras_metric_class *)&old_metric));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"mse\", \"metrics\": [\"LargestPrediction\"]}"));
    CHECK_OK(keras_model_evaluate(m, x, 2, xs, y, 2, xs, "{\"verbose\": 0}", NULL, 0, &text));
    CHECK(text && strstr(text, "\"LargestPrediction\": 3") && !strstr(text, "trap"));
    if (text && !strstr(text, "\"LargestPrediction\": 3")) fprintf(stderr, "evaluate: %s\n", text);
    CHECK(trap_calls == 0);
    keras_string_free(text); text = NULL;
    keras_model_free(m); m = NULL;

    /* A table from a newer header: accepted when its unknown field is zero, refused otherwise. */
    memset(&newer, 0, sizeof newer);
    newer.table.struct_size = sizeof newer;
    newer.table.create = halve_create;
    newer.table.forward = halve_forward;
    CHECK_OK(keras_register_layer("Newer>Halve", &newer.table));
    newer.newer_field = &newer;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "sets a field this library does not know", keras_register_layer("Newer>Halve", &newer.table));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "from a newer keras.h", keras_register_layer("Newer>Halve", &newer.table));

    /* Bad sizes, each named. */
    memset(&current, 0, sizeof current);
    current.create = halve_create;
    current.forward = halve_forward;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "keras_layer_class.struct_size is 0", keras_register_layer("Bad", &current));
    CHECK(strstr(keras_last_error(), "sizeof(keras_layer_class)") != NULL);
    CHECK(strstr(keras_last_error(), "before struct_size") != NULL);   /* an old table with NULL user_data */
    current.struct_size = sizeof current - 4;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a whole number of fields", keras_register_layer("Bad", &current));
    current.struct_size = offsetof(keras_layer_class, forward);   /* stops before forward */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "reaching its required functions", keras_register_layer("Bad", &current));
    current.struct_size = offsetof(keras_layer_class, forward) + sizeof current.forward;   /* up to forward: accepted */
    CHECK_OK(keras_register_layer("Short>Halve", &current));
    {
        keras_metric_class metric;
        memset(&metric, 0, sizeof metric);
        metric.create = max_create;
        metric.update_state = max_update;
        metric.result = max_result;
        metric.reset_state = max_reset;
        metric.struct_size = offsetof(keras_metric_class, reset_state);
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "keras_metric_class.struct_size is", keras_register_metric_class("Bad", &metric));
        metric.struct_size = 100000;
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a table's size", keras_register_metric_class("Bad", &metric));
    }
    /* A table built before struct_size existed (user_data first): refused, not read. */
    before_struct_size.user_data = &before_struct_size;
    before_struct_size.create = NULL;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "from before struct_size",
              keras_register_layer("Bad", (const keras_layer_class *)(const void *)&before_struct_size));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "Bad", keras_unregister("layer", "Bad"));

    CHECK_OK(keras_unregister("layer", "Old>Halve"));
    CHECK_OK(keras_unregister("layer", "Newer>Halve"));
    CHECK_OK(keras_unregister("layer", "Short>Halve"));
    CHECK_OK(keras_unregister("metric", "Old>LargestPrediction"));
    CHECK_DONE("test_table_versions");
}
