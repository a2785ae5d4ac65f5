/* keras_model_set_aug_mix_chooser: a fit asks the chooser for each AugMix layer's chain choices
 * at every training step (Keras chooses them anew each step with Python's random.choice), and
 * the layer draws the transformations of the augmentations chosen from its seed generator; a
 * chooser that fails or chooses out of range fails the fit naming it; NULL gives the choice back
 * to the library, which then stops calling it. */
#include "check.h"

static const char *MODEL =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"mixes\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4, 4, 3], \"name\": \"in\"}},"
    "{\"class_name\": \"AugMix\", \"config\": {\"name\": \"mix\", \"value_range\": [0, 1], \"num_chains\": 2,"
    " \"chain_depth\": 2, \"seed\": 1}},"
    "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flat\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"out\", \"units\": 1}}]}}";

typedef struct {
    int calls, options, count;
    int32_t pick;   /* what every choice is */
    int status;     /* what the chooser returns */
} chooser_log;

static int choose(void *user_data, int options, int count, int32_t *choices) {
    chooser_log *log = (chooser_log *)user_data;
    int i;
    log->calls++;
    log->options = options;
    log->count = count;
    for (i = 0; i < count; i++) choices[i] = log->pick;
    return log->status;
}

/* The counter of the AugMix layer's own generator (the model's first). */
static uint32_t mix_counter(keras_model *m) {
    uint32_t state[2] = {0, 0};
    CHECK_OK(keras_model_seed_generator(m, 0, NULL, NULL, state));
    return state[1];
}

int main(void) {
    keras_model *m = NULL;
    float x[12 * 48], y[12];
    int64_t xs[4] = {12, 4, 4, 3}, ys[2] = {12, 1};
    const char *fit = "{\"epochs\": 1, \"batch_size\": 4, \"shuffle\": false, \"verbose\": 0}";
    chooser_log log = {0, 0, 0, -1, 0};
    int i;
    uint32_t before;
    for (i = 0; i < 12 * 48; i++) x[i] = (float)((i * 37) % 101) / 101.0f;
    for (i = 0; i < 12; i++) y[i] = (float)(i % 3);
    CHECK_OK(keras_model_from_json(MODEL, &m));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_set_aug_mix_chooser(m, choose, &log));

    /* Three steps: three calls of num_chains x chain_depth choices among the 11 augmentations.
     * All None: each step draws only the Dirichlet and Beta weights (2 draws). */
    before = mix_counter(m);
    CHECK_OK(keras_model_fit(m, x, 4, xs, y, 2, ys, fit, NULL, 0, NULL));
    CHECK(log.calls == 3 && log.options == 11 && log.count == 4);
    CHECK(mix_counter(m) - before == 6);

    /* Rotations (index 2) in every chain step: each draws its angles too (4 more draws a step). */
    log.calls = 0;
    log.pick = 2;
    before = mix_counter(m);
    CHECK_OK(keras_model_fit(m, x, 4, xs, y, 2, ys, fit, NULL, 0, NULL));
    CHECK(log.calls == 3 && mix_counter(m) - before == 3 * (2 + 4));

    log.pick = 11;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "choice 11 is not one of its 11 augmentations",
              keras_model_fit(m, x, 4, xs, y, 2, ys, fit, NULL, 0, NULL));
    log.pick = -1;
    log.status = 7;
    CHECK_ERR(KERAS_ERR_CALLBACK, "chooser", keras_model_fit(m, x, 4, xs, y, 2, ys, fit, NULL, 0, NULL));

    /* NULL: the library chooses again; the chooser is not called. */
    log.calls = 0;
    CHECK_OK(keras_model_set_aug_mix_chooser(m, NULL, NULL));
    CHECK_OK(keras_model_fit(m, x, 4, xs, y, 2, ys, fit, NULL, 0, NULL));
    CHECK(log.calls == 0);
    keras_model_free(m);

    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "", keras_model_set_aug_mix_chooser(NULL, choose, &log));
    CHECK_DONE("test_aug_mix_chooser");
}
