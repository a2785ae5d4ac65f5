/* A stateful metric class written in C (keras_register_metric_class, Keras's keras.metrics.Metric
 * subclass): compiled into a model, updated once per batch by fit and evaluate, reset at each
 * epoch and evaluate, named in history by its config, saved in the compile config and found
 * again when the model is loaded; a failing update_state stops fit with the plugin's message and
 * leaves the model usable. */
#include <math.h>
#include <stdint.h>
#include "check.h"

typedef struct {
    float threshold;
    double count;
} count_state;

static int created = 0, destroyed = 0, freed = 0, weighted_updates = 0;
static int fail_updates = 0;   /* update_state fails while set */

static int cp_create(void *user_data, const char *config_json, void **state) {
    count_state *s = (count_state *)calloc(1, sizeof *s);
    const char *t = strstr(config_json, "\"threshold\":");
    (void)user_data;
    if (!s) return 1;
    s->threshold = t ? strtof(t + strlen("\"threshold\":"), NULL) : 0.5f;
    *state = s;
    created++;
    return 0;
}

static int cp_update(void *state, const float *y_true, int true_ndim, const int64_t *true_shape,
                     const float *y_pred, int pred_ndim, const int64_t *pred_shape,
                     const float *sample_weight, int weight_ndim, const int64_t *weight_shape) {
    count_state *s = (count_state *)state;
    int64_t i, n = pred_shape[0];
    (void)y_true;
    if (fail_updates) {
        keras_callback_error("threshold exceeded its budget");
        return 1;
    }
    if (pred_ndim != 2 || true_ndim != 2 || true_shape[0] != n) return 2;
    if (sample_weight) {
        if (weight_ndim != 1 || weight_shape[0] != n) return 3;
        weighted_updates++;
    }
    for (i = 0; i < n * pred_shape[1]; i++) {
        if (y_pred[i] > s->threshold) s->count += sample_weight ? sample_weight[i / pred_shape[1]] : 1.0;
    }
    return 0;
}

static int cp_result(void *state, float *value) {
    *value = (float)((count_state *)state)->count;
    return 0;
}

static int cp_reset(void *state) {
    ((count_state *)state)->count = 0;
    return 0;
}

static int cp_get_config(void *state, char *buf, size_t size) {
    int n = snprintf(buf, size, "{\"name\": \"count_pos\", \"dtype\": \"float32\", \"threshold\": %g}",
                     (double)((count_state *)state)->threshold);
    return n < 0 || (size_t)n >= size;
}

static void cp_destroy(void *state) {
    free(state);
    destroyed++;
}

/* result_json: the count as a dict of two figures (each logged under its own key, as Keras
 * merges a dict result), or, with `as_list` set, one value per class. */
static int as_list = 0;
static int cp_result_json(void *state, char *buf, size_t size) {
    double c = ((count_state *)state)->count;
    int n = as_list ? snprintf(buf, size, "[%g, %g, %g]", c, 2 * c, 3 * c)
                    : snprintf(buf, size, "{\"positives\": %g, \"twice\": %g}", c, 2 * c);
    return n < 0 || (size_t)n >= size;
}

static void cp_free(void *user_data) {
    (void)user_data;
    freed++;
}

static const char *model_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 1, \"kernel_initializer\": \"ones\"}}]}}";

/* Predictions stay x0 + x1 (SGD with learning rate 0): the count is known. */
static const char *compile_json =
    "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.0}}, \"loss\": \"mse\", "
    "\"metrics\": [{\"module\": null, \"class_name\": \"CountPositives\", \"config\": {\"name\": \"count_pos\", "
    "\"dtype\": \"float32\", \"threshold\": 1.0}, \"registered_name\": \"Test>CountPositives\"}]}";

static double history_value(const char *history, const char *key, int epoch) {
    const char *p = strstr(history, key);
    int i;
    if (!p || !(p = strchr(p, '['))) return -1;
    for (i = 0; i < epoch; i++) {
        if (!(p = strchr(p + 1, ','))) return -1;
    }
    return strtod(p + 1, NULL);
}

int main(void) {
    float x[20], y[10], w[10];
    const int64_t xs[2] = {10, 2}, ys[2] = {10, 1}, ws[1] = {10};
    int i, expected = 0;
    double weighted_expected = 0;
    char *text = NULL;
    keras_model *m = NULL, *loaded = NULL;
    keras_metric_class cls, broken;

    for (i = 0; i < 10; i++) {
        x[2 * i] = (float)i / 10.0f;
        x[2 * i + 1] = (float)(i % 3) / 2.0f;
        y[i] = 1.0f;
        w[i] = (float)(1 + i % 2);
        if (x[2 * i] + x[2 * i + 1] > 1.0f) { expected++; weighted_expected += w[i]; }
    }
    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = cp_create;
    cls.update_state = cp_update;
    cls.result = cp_result;
    cls.reset_state = cp_reset;
    cls.get_config = cp_get_config;
    cls.destroy = cp_destroy;
    cls.free_user_data = cp_free;

    /* Bad registrations name what is wrong. */
    broken = cls;
    broken.update_state = NULL;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "update_state", keras_register_metric_class("Broken", &broken));
    broken = cls;
    broken.reset_state = NULL;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "reset_state", keras_register_metric_class("Broken", &broken));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "cls", keras_register_metric_class("Broken", NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "name", keras_register_metric_class(NULL, &cls));
    CHECK_OK(keras_register_metric_class("Test>CountPositives", &cls));

    /* fit: one figure per epoch, counted from zero at each epoch (reset), named by the config. */
    CHECK_OK(keras_model_from_json(model_json, &m));
    CHECK_OK(keras_model_compile(m, compile_json));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 3, \"batch_size\": 4, \"verbose\": 0}", NULL, 0, &text));
    CHECK(text && strstr(text, "\"count_pos\": ["));
    for (i = 0; i < 3; i++) CHECK(text && history_value(text, "\"count_pos\"", i) == expected);
    keras_string_free(text);
    text = NULL;
    CHECK(expected > 0 && expected < 10);

    /* evaluate starts from zero too. */
    CHECK_OK(keras_model_evaluate(m, x, 2, xs, y, 2, ys, "{\"batch_size\": 3, \"verbose\": 0}", NULL, 0, &text));
    CHECK(text && strstr(text, "\"count_pos\"") && history_value(text, "\"count_pos\"", 0) < 0);
    CHECK(text && strtod(strstr(text, "\"count_pos\":") + strlen("\"count_pos\":"), NULL) == expected);
    keras_string_free(text);
    text = NULL;

    /* Saved with its compile config and loaded: the metric comes back through the registry. */
    CHECK_OK(keras_model_save(m, "metric_class.keras", 1));
    CHECK_OK(keras_model_load("metric_class.keras", 1, &loaded));
    remove("metric_class.keras");
    CHECK_OK(keras_model_evaluate(loaded, x, 2, xs, y, 2, ys, "{\"verbose\": 0}", NULL, 0, &text));
    CHECK(text && strtod(strstr(text, "\"count_pos\":") + strlen("\"count_pos\":"), NULL) == expected);
    keras_string_free(text);
    text = NULL;

    /* weighted_metrics get the sample weights; metrics do not. */
    {
        keras_model *wm = NULL;
        keras_array xa = {x, 2, xs}, ya = {y, 2, ys}, wa = {w, 1, ws};
        const char *weighted_json =
            "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.0}}, \"loss\": \"mse\", "
            "\"weighted_metrics\": [{\"class_name\": \"CountPositives\", \"config\": {\"threshold\": 1.0}, "
            "\"registered_name\": \"Test>CountPositives\"}]}";
        CHECK_OK(keras_model_from_json(model_json, &wm));
        CHECK_OK(keras_model_compile(wm, weighted_json));
        CHECK_OK(keras_model_evaluate_arrays(wm, &xa, 1, &ya, 1, &wa, "{\"verbose\": 0}", NULL, 0, &text));
        CHECK(text && strtod(strstr(text, "\"count_pos\":") + strlen("\"count_pos\":"), NULL) == weighted_expected);
        CHECK(weighted_updates > 0);
        keras_string_free(text);
        text = NULL;
        keras_model_free(wm);
    }

    /* A failing update_state: fit fails naming the metric and the plugin's message, and the
     * model trains and evaluates afterwards. */
    fail_updates = 1;
    CHECK_ERR(KERAS_ERR_CALLBACK, "threshold exceeded its budget",
              keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"verbose\": 0}", NULL, 0, NULL));
    CHECK(check_contains(keras_last_error(), "count_pos") && check_contains(keras_last_error(), "update_state"));
    fail_updates = 0;
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 1, \"batch_size\": 5, \"verbose\": 0}", NULL, 0, &text));
    CHECK(text && history_value(text, "\"count_pos\"", 0) == expected);
    keras_string_free(text);
    text = NULL;

    /* A class whose figure is a dict or one value per class (result_json, result NULL); named
     * count_pos by its get_config. */
    {
        keras_model *dm = NULL;
        keras_metric_class dict_cls = cls;
        dict_cls.result = NULL;
        dict_cls.result_json = cp_result_json;
        dict_cls.free_user_data = NULL;
        CHECK_OK(keras_register_metric_class("Test>CountDict", &dict_cls));
        CHECK_OK(keras_model_from_json(model_json, &dm));
        CHECK_OK(keras_model_compile(dm, "{\"optimizer\": \"sgd\", \"loss\": \"mse\", \"metrics\": [{\"class_name\": "
                                         "\"CountDict\", \"config\": {\"threshold\": 1.0}}]}"));
        CHECK_OK(keras_model_evaluate(dm, x, 2, xs, y, 2, ys, "{\"verbose\": 0}", NULL, 0, &text));
        CHECK(text && !strstr(text, "count_pos") && strstr(text, "\"positives\":") && strstr(text, "\"twice\":"));
        CHECK(text && strtod(strstr(text, "\"positives\":") + strlen("\"positives\":"), NULL) == expected);
        CHECK(text && strtod(strstr(text, "\"twice\":") + strlen("\"twice\":"), NULL) == 2 * expected);
        keras_string_free(text);
        text = NULL;
        as_list = 1;
        CHECK_OK(keras_model_evaluate(dm, x, 2, xs, y, 2, ys, "{\"verbose\": 0}", NULL, 0, &text));
        CHECK(text && strstr(text, "\"count_pos\": [") && history_value(text, "\"count_pos\"", 2) == 3 * expected);
        keras_string_free(text);
        text = NULL;
        as_list = 0;
        keras_model_free(dm);
        dict_cls.result_json = NULL;
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "no result function", keras_register_metric_class("Broken", &dict_cls));
        CHECK_OK(keras_unregister("metric", "Test>CountDict"));
    }

    keras_model_free(m);
    keras_model_free(loaded);
    CHECK(created > 0 && created == destroyed);
    CHECK(freed == 0);
    CHECK_OK(keras_unregister("metric", "Test>CountPositives"));
    CHECK(freed == 1);
    CHECK_DONE("test_metric_class");
}
