/* Keras 3's training vocabulary through the C ABI: built-in callbacks made from their class
 * name and arguments (TensorBoard writes event files in log_dir/train and log_dir/validation,
 * SwapEMAWeights needs use_ema), the catalogue's arguments with Keras's defaults, F1Score with
 * average=None reported per class, and the CTC loss. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include <dirent.h>
#include <stdint.h>
#include <unistd.h>

/* The first events.out.tfevents.*.v2 file in `dir` (malloc'd path), or NULL. */
static char *event_file(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char *found = NULL;
    if (!d) return NULL;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "events.out.tfevents.", 20) == 0 && n > 3 && strcmp(e->d_name + n - 3, ".v2") == 0) {
            found = malloc(strlen(dir) + n + 2);
            if (found) sprintf(found, "%s/%s", dir, e->d_name);
            break;
        }
    }
    closedir(d);
    return found;
}

/* Whether the file holds `needle` (tags and the version string are stored as plain bytes). */
static int file_holds(const char *path, const char *needle) {
    static char buf[1 << 16];
    size_t n, k = strlen(needle), i;
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) return 0;
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (i = 0; i + k <= n; i++) if (memcmp(buf + i, needle, k) == 0) return 1;
    return 0;
}

int main(void) {
    float x[24], y[12];
    const int64_t xs[2] = {12, 2}, ys[2] = {12, 1};
    char dir[] = "/tmp/keras_tb_XXXXXX", args[256], sub[300], *text = NULL, *path = NULL, *cat = NULL;
    keras_model *m = NULL;
    keras_callback *tb = NULL, *swap = NULL;
    int i;
    for (i = 0; i < 24; i++) x[i] = (float)(i % 5) / 5.0f;
    for (i = 0; i < 12; i++) y[i] = x[2 * i] - x[2 * i + 1];
    CHECK(mkdtemp(dir) != NULL);

    CHECK_OK(keras_sequential_new("tb_model", &m));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 1}}"));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
    snprintf(args, sizeof args, "{\"log_dir\": \"%s\", \"histogram_freq\": 1, \"update_freq\": \"batch\"}", dir);
    CHECK_OK(keras_callback_from_config("TensorBoard", args, &tb));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"batch_size\": 4, \"verbose\": 0, \"validation_split\": 0.25}",
                             &tb, 1, &text));
    keras_string_free(text);
    snprintf(sub, sizeof sub, "%s/train", dir);
    path = event_file(sub);
    CHECK(path != NULL);
    CHECK(file_holds(path, "brain.Event:2") && file_holds(path, "epoch_loss") && file_holds(path, "batch_loss"));
    CHECK(file_holds(path, "epoch_learning_rate") && file_holds(path, "tb_model/d/kernel/histogram"));
    CHECK(file_holds(path, "graph_keras_model"));
    free(path);
    snprintf(sub, sizeof sub, "%s/validation", dir);
    path = event_file(sub);
    CHECK(path != NULL && file_holds(path, "epoch_loss") && file_holds(path, "evaluation_loss_vs_iterations"));
    free(path);
    keras_callback_free(tb);

    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "update_freq", keras_callback_from_config("TensorBoard", "{\"update_freq\": \"often\"}", &tb));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "profile_batch", keras_callback_from_config("TensorBoard", "{\"profile_batch\": [3, 1]}", &tb));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "only http://", keras_callback_from_config("RemoteMonitor", "{\"root\": \"ftp://h\"}", &tb));
    CHECK_OK(keras_callback_from_config("SwapEMAWeights", "{\"swap_on_epoch\": true}", &swap));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "use_ema=True",
              keras_model_evaluate(m, x, 2, xs, y, 2, ys, "{\"verbose\": 0}", &swap, 1, &text));
    keras_callback_free(swap);

    /* F1Score(average=None): one value per class in evaluate's results and in the history. */
    {
        float cx[12], cy[18];
        const int64_t cxs[2] = {6, 2}, cys[2] = {6, 3};
        keras_model *c = NULL;
        for (i = 0; i < 12; i++) cx[i] = (float)((i * 3) % 7) / 7.0f;
        for (i = 0; i < 18; i++) cy[i] = (i % 3 == (i / 3) % 3) ? 1.0f : 0.0f;
        CHECK_OK(keras_sequential_new("f1_model", &c));
        CHECK_OK(keras_sequential_add_json(c, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}}"));
        CHECK_OK(keras_sequential_add_json(c, "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"softmax\"}}"));
        CHECK_OK(keras_model_compile(c, "{\"optimizer\": \"sgd\", \"loss\": \"categorical_crossentropy\", "
                                        "\"metrics\": [{\"class_name\": \"F1Score\", \"config\": {}}]}"));
        CHECK_OK(keras_model_evaluate(c, cx, 2, cxs, cy, 2, cys, "{\"verbose\": 0}", NULL, 0, &text));
        CHECK(text && strstr(text, "\"f1_score\": [") != NULL);
        keras_string_free(text);
        CHECK_OK(keras_model_fit(c, cx, 2, cxs, cy, 2, cys, "{\"epochs\": 2, \"verbose\": 0}", NULL, 0, &text));
        CHECK(text && strstr(text, "\"f1_score\": [[") != NULL);
        keras_string_free(text);
        /* CTC: labels (batch, max_length) zero-padded, logits (batch, time, classes). */
        CHECK_OK(keras_model_compile(c, "{\"optimizer\": \"sgd\", \"loss\": \"ctc\"}"));
        keras_model_free(c);
    }
    keras_model_free(m);

    CHECK_OK(keras_catalog_json(&cat));
    CHECK(cat && strstr(cat, "\"TensorBoard\": {\"module\": \"keras.callbacks\", \"args\": [{\"name\": \"log_dir\", \"default\": \"logs\"}, "
                             "{\"name\": \"histogram_freq\", \"default\": 0}, {\"name\": \"write_graph\", \"default\": true}"));
    CHECK(cat && strstr(cat, "{\"name\": \"update_freq\", \"default\": \"epoch\"}, {\"name\": \"profile_batch\", \"default\": 0}"));
    CHECK(cat && strstr(cat, "\"SwapEMAWeights\": {\"module\": \"keras.callbacks\", \"args\": [{\"name\": \"swap_on_epoch\", \"default\": false}]}"));
    CHECK(cat && strstr(cat, "\"RemoteMonitor\": {\"module\": \"keras.callbacks\", \"args\": [{\"name\": \"root\", \"default\": \"http://localhost:9000\"}"));
    CHECK(cat && strstr(cat, "\"CTC\": {\"module\": \"keras.losses\", \"args\": [{\"name\": \"reduction\", \"default\": \"sum_over_batch_size\"}], \"names\": [\"ctc\"]}"));
    keras_string_free(cat);
    CHECK_DONE("test_keras3_training");
}
