/* Issue 17 from C: ordinary mistakes return an error code and a message naming the path,
 * argument or value, and leave the process, the model and the files intact (docs/RELIABILITY.md). */
#define _XOPEN_SOURCE 700
#include "check.h"
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *input4 = "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}}";
static const char *dense1 = "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}";

static keras_model *make_model(void) {
    keras_model *m = NULL;
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, input4));
    CHECK_OK(keras_sequential_add_json(m, dense1));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
    return m;
}

/* A callback that tries to add a layer to the model it is fitting; records the status. */
typedef struct { keras_model *model; int status; int named; } adder;
static int add_layer(void *user_data, int event, int64_t index, const char *logs_json) {
    adder *a = (adder *)user_data;
    (void)index; (void)logs_json;
    if (event == KERAS_ON_EPOCH_END && a->status == -1) {
        a->status = keras_sequential_add_json(a->model, dense1);
        a->named = check_contains(keras_last_error(), "while the model is being fit");
    }
    return 0;
}

int main(void) {
    char dir[] = "/tmp/keras-reliability-XXXXXX", path[256], link_path[256];
    float x[160], y[40];
    const int64_t xs[2] = {40, 4}, ys[2] = {40, 1}, xs0[2] = {0, 4}, ys0[2] = {0, 1};
    char *text = NULL;
    keras_model *m, *m2 = NULL;
    keras_callback *cb = NULL;
    adder a;
    int i, count = 0;

    /* A small budget for this process: read once, on first use. */
    setenv("SWIFTKERAS_MEMORY_BUDGET", "262144", 1);
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    for (i = 0; i < 160; i++) x[i] = (float)(i % 7) / 7.0f;
    for (i = 0; i < 40; i++) y[i] = (float)(i % 3);
    m = make_model();

    /* Directories and symlinks to them: refused, never read (the zip reader used to spin). */
    snprintf(path, sizeof path, "%s/saved_dir", dir);
    CHECK(mkdir(path, 0700) == 0);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "is a directory", keras_model_load(path, 1, &m2));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "is a directory", keras_model_save(m, path, 1));
    snprintf(path, sizeof path, "%s/x.keras", dir);
    CHECK(mkdir(path, 0700) == 0);
    snprintf(link_path, sizeof link_path, "%s/link.keras", dir);
    CHECK(symlink(path, link_path) == 0);
    CHECK_ERR(KERAS_ERR_IO, "is a directory", keras_model_load(path, 1, &m2));
    CHECK_ERR(KERAS_ERR_IO, "is a directory", keras_model_load(link_path, 1, &m2));
    CHECK_ERR(KERAS_ERR_IO, "is a directory", keras_model_load_weights(m, link_path));
    CHECK_ERR(KERAS_ERR_IO, "is a directory", keras_model_save(m, path, 1));
    CHECK(m2 == NULL);

    /* batch_size 0 and near 2^63; steps_per_epoch far beyond the data; 0 rows. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "batch_size must be positive, got 0",
              keras_model_evaluate(m, x, 2, xs, y, 2, ys, "{\"batch_size\": 0, \"verbose\": 0}", NULL, 0, &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "batch_size must be positive, got 0",
              keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"batch_size\": 0, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_evaluate(m, x, 2, xs, y, 2, ys, "{\"batch_size\": 9223372036854775807, \"verbose\": 0}", NULL, 0, &text));
    CHECK(text && strstr(text, "\"loss\""));
    keras_string_free(text);
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"batch_size\": 9223372036854775807, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys,
                             "{\"batch_size\": 8, \"epochs\": 2, \"steps_per_epoch\": 9223372036854775807, \"verbose\": 0}",
                             NULL, 0, &text));
    CHECK(text && strstr(text, "\"loss\": ["));
    keras_string_free(text);
    CHECK_ERR(KERAS_ERR_DATA, "0 samples", keras_model_fit(m, x, 2, xs0, y, 2, ys0, "{\"verbose\": 0}", NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_DATA, "0 samples", keras_model_evaluate(m, x, 2, xs0, y, 2, ys0, "{\"verbose\": 0}", NULL, 0, &text));

    /* A callback adding a layer to the model it fits is refused; the fit itself finishes. */
    a.model = m;
    a.status = -1;
    CHECK_OK(keras_callback_new("adder", add_layer, &a, NULL, &cb));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"verbose\": 0}", &cb, 1, NULL));
    CHECK(a.status == KERAS_ERR_STATE);
    CHECK(a.named);
    keras_callback_free(cb);
    CHECK_OK(keras_model_weight_count(m, &count));
    CHECK(count == 2);

    /* The memory budget: weights that together exceed it are refused before allocating (each
     * Dense(200) of 200 inputs takes 160800 bytes: the second is refused). */
    {
        char json[2048];
        int n = snprintf(json, sizeof json, "{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
                         "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 200]}}");
        for (i = 0; i < 8; i++) n += snprintf(json + n, sizeof json - (size_t)n, ", {\"class_name\": \"Dense\", \"config\": {\"units\": 200}}");
        snprintf(json + n, sizeof json - (size_t)n, "]}}");
        CHECK(keras_model_from_json(json, &m2) != KERAS_OK);
        CHECK(check_contains(keras_last_error(), "memory budget of 262144 bytes"));
        CHECK(m2 == NULL);
    }

    /* The activations of a batch are checked against the budget before allocating: a batch of
     * 32 rows of Dense(2500) needs 32 * 2501 * 4 = 320128 bytes, 8 rows fit. */
    {
        keras_model *wide = NULL;
        float wx[400], out[40];
        const int64_t wxs[2] = {40, 10};
        for (i = 0; i < 400; i++) wx[i] = 0.5f;
        CHECK_OK(keras_sequential_new(NULL, &wide));
        CHECK_OK(keras_sequential_add_json(wide, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 10]}}"));
        CHECK_OK(keras_sequential_add_json(wide, "{\"class_name\": \"Dense\", \"config\": {\"units\": 2500, \"activation\": \"relu\"}}"));
        CHECK_OK(keras_sequential_add_json(wide, dense1));
        CHECK_OK(keras_model_compile(wide, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
        CHECK_ERR(KERAS_ERR_MEMORY, "needs 320128 bytes, more than the memory budget of 262144 bytes",
                  keras_model_predict(wide, wx, 2, wxs, "{\"verbose\": 0}", NULL, 0, out, 40, NULL, NULL));
        CHECK_ERR(KERAS_ERR_MEMORY, "needs 640256 bytes",
                  keras_model_fit(wide, wx, 2, wxs, y, 2, ys, "{\"verbose\": 0}", NULL, 0, NULL));
        CHECK(strcmp(keras_status_name(KERAS_ERR_MEMORY), "KERAS_ERR_MEMORY") == 0);
        CHECK_OK(keras_model_predict(wide, wx, 2, wxs, "{\"batch_size\": 8, \"verbose\": 0}", NULL, 0, out, 40, NULL, NULL));
        CHECK_OK(keras_model_fit(wide, wx, 2, wxs, y, 2, ys, "{\"batch_size\": 8, \"verbose\": 0}", NULL, 0, NULL));
        keras_model_free(wide);
    }

    /* NaN weights in a file are refused on load, as keras_model_set_weight refuses them. */
    {
        keras_model *nan_model = NULL;
        CHECK_OK(keras_model_from_json("{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
                                       "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
                                       "{\"class_name\": \"Dense\", \"config\": {\"units\": 1, \"kernel_initializer\":"
                                       " {\"class_name\": \"Constant\", \"config\": {\"value\": NaN}}}}]}}", &nan_model));
        snprintf(path, sizeof path, "%s/nan.weights.h5", dir);
        CHECK_OK(keras_model_save_weights(nan_model, path, 1));
        CHECK_ERR(KERAS_ERR_DATA, "NaN or infinite", keras_model_load_weights(m, path));
        keras_model_free(nan_model);
    }

    /* overwrite=0 never replaces an existing file. */
    snprintf(path, sizeof path, "%s/m.keras", dir);
    CHECK_OK(keras_model_save(m, path, 0));
    CHECK_ERR(KERAS_ERR_IO, "exists and overwrite is false", keras_model_save(m, path, 0));
    CHECK_OK(keras_model_load(path, 1, &m2));
    keras_model_free(m2);

    keras_model_free(m);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    CHECK(system(path) == 0);
    if (check_failures) { fprintf(stderr, "test_reliability: %d failures\n", check_failures); return 1; }
    printf("test_reliability: all checks passed\n");
    return 0;
}
