/* A C callback that watches the epoch loss and ends training early with
 * keras_model_stop_training, and one that aborts training with an error of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "keras.h"

#define TRY(call) do { int rc_ = (call); if (rc_ != KERAS_OK) { \
    fprintf(stderr, "%s failed: %s\n", #call, keras_last_error()); return 1; } } while (0)

typedef struct { keras_model *model; double threshold; int epochs_seen; } watch_state;

/* Stops once the epoch loss falls under the threshold. */
static int watch_loss(void *user_data, int event, int64_t index, const char *logs_json) {
    watch_state *s = (watch_state *)user_data;
    const char *p;
    if (event != KERAS_ON_EPOCH_END) return 0;
    s->epochs_seen = (int)index + 1;
    p = strstr(logs_json, "\"loss\": ");
    if (p && atof(p + 8) < s->threshold) return keras_model_stop_training(s->model);
    return 0;
}

/* Fails at epoch 2, with a message. */
static int give_up(void *user_data, int event, int64_t index, const char *logs_json) {
    (void)user_data; (void)logs_json;
    if (event == KERAS_ON_EPOCH_BEGIN && index == 2) {
        keras_callback_error("budget exhausted");
        return 42;
    }
    return 0;
}

int main(void) {
    float x[64], y[64];
    const int64_t shape[2] = {64, 1};
    int i, rc;
    watch_state state = {NULL, 0.05, 0};
    keras_model *model = NULL;
    keras_callback *watch = NULL, *quit = NULL;

    for (i = 0; i < 64; i++) { x[i] = (float)i / 64.0f; y[i] = 2.0f * x[i] + 1.0f; }
    TRY(keras_sequential_new(NULL, &model));
    TRY(keras_sequential_add_json(model, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 1]}}"));
    TRY(keras_sequential_add_json(model, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}"));
    TRY(keras_model_compile(model, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1}}, \"loss\": \"mse\"}"));

    state.model = model;
    TRY(keras_callback_new("watch_loss", watch_loss, &state, NULL, &watch));
    TRY(keras_model_fit(model, x, 2, shape, y, 2, shape, "{\"epochs\": 500, \"batch_size\": 8, \"verbose\": 0}",
                        &watch, 1, NULL));
    printf("stopped after %d of 500 epochs\n", state.epochs_seen);
    if (state.epochs_seen <= 0 || state.epochs_seen >= 500) { fprintf(stderr, "did not stop early\n"); return 1; }

    TRY(keras_callback_new("give_up", give_up, NULL, NULL, &quit));
    rc = keras_model_fit(model, x, 2, shape, y, 2, shape, "{\"epochs\": 10, \"verbose\": 0}", &quit, 1, NULL);
    printf("fit with give_up: %s: %s\n", keras_status_name(rc), keras_last_error());
    if (rc != KERAS_ERR_CALLBACK || !strstr(keras_last_error(), "budget exhausted")) return 1;

    keras_callback_free(watch);
    keras_callback_free(quit);
    keras_model_free(model);
    return 0;
}
