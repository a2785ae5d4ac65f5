/* Models made through the C ABI after keras_set_random_seed get Keras's initial weights and
 * dropout draws after keras.utils.set_random_seed with the same seed: a Sequential made with
 * keras_sequential_add_json (Embedding, LSTM, Dropout, Dense), a functional model from Keras's
 * to_json (Conv2D, Flatten, Dropout, Dense) and a Sequential of SimpleRNN and GRU with dropout
 * (Dense after them), each fit 2 epochs with SGD without shuffling; then a Dense model fit
 * twice with shuffling, whose batches are Keras's (numpy's np.random.permutation after the
 * seed), the same fits with shuffle "batch", and the attention model of the fixture made from
 * Keras's JSON (MultiHeadAttention, normalizations and PReLU with random initializers,
 * EinsumDense, GroupQueryAttention). Expected values: Tests/KerasTests/Fixtures/random/keras_seeded_models.json and the
 * functional model's JSON beside it, written by scripts/make_keras_seed_fixtures.py from real
 * Keras. The fixtures are found under $KERAS_FIXTURES (the Fixtures folder), else from the
 * build folder the tests run in (.build/c) or the checkout's root. */
#include "check.h"
#include <stdint.h>

/* Whether the model's weights are the fixture's `key` list to atol + rtol·|expected|. */
static void check_weights(keras_model *model, const char *fixture, const char *key, double atol, double rtol) {
    static float got[4096];
    static double want[4096];
    long n = all_weights(model, got, 4096), m = numbers_at(fixture, key, 0, want, 4096), i;
    if (n != m || n <= 0) {
        fprintf(stderr, "%s: %ld weights, the fixture has %ld\n", key, n, m);
        check_failures++;
        return;
    }
    for (i = 0; i < n; i++) {
        if (!(fabs((double)got[i] - want[i]) <= atol + rtol * fabs(want[i]))) {
            fprintf(stderr, "%s: weight value %ld is %.8g, Keras's %.8g\n", key, i, got[i], want[i]);
            check_failures++;
            return;
        }
    }
}

/* The fixture's array `<name>_<what>` into out (4096 floats) and its shape (`<name>_<what>_shape`)
 * into shape; its rank. */
static int fixture_array(const char *fixture, const char *name, const char *what, float *out, int64_t *shape) {
    static double values[4096];
    double dims[KERAS_MAX_RANK];
    char key[64];
    long n, i;
    int ndim, d;
    snprintf(key, sizeof key, "%s_%s", name, what);
    n = numbers_at(fixture, key, 0, values, 4096);
    CHECK(n > 0 && n <= 4096);
    for (i = 0; i < n && i < 4096; i++) out[i] = (float)values[i];
    snprintf(key, sizeof key, "%s_%s_shape", name, what);
    ndim = (int)numbers_at(fixture, key, 0, dims, KERAS_MAX_RANK);
    CHECK(ndim > 0 && ndim <= KERAS_MAX_RANK);
    for (d = 0; d < ndim && d < KERAS_MAX_RANK; d++) shape[d] = (int64_t)dims[d];
    return ndim;
}

/* Fits `model` on the fixture's `<name>_x`, `<name>_y` with fit's `options` (JSON), compiled
 * first (SGD(0.1), mse) when `compile`. */
static void fit(keras_model *model, const char *fixture, const char *name, int compile, const char *options) {
    static float x[4096], y[4096];
    int64_t x_shape[KERAS_MAX_RANK], y_shape[KERAS_MAX_RANK];
    int x_ndim = fixture_array(fixture, name, "x", x, x_shape);
    int y_ndim = fixture_array(fixture, name, "y", y, y_shape);
    if (compile)
        CHECK_OK(keras_model_compile(model, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1}}, "
                                            "\"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(model, x, x_ndim, x_shape, y, y_ndim, y_shape, options, NULL, 0, NULL));
}

/* A Sequential of `layers` made after the seed, fit twice with `shuffle` (a JSON value: true or
 * "batch"), once with a validation split, as the fixture's `<name>` model was in Keras: checks its
 * initial and trained weights and where numpy's generator stands after the fits (the fixture's
 * `<name>_numpy_state`, [position, the first 4 words of the key]). Returns the model (NULL if it
 * could not be made); the caller frees it. */
static keras_model *check_shuffled_fits(const char *fixture, const char *name, const char *const *layers,
                                        size_t n_layers, const char *shuffle) {
    keras_model *model = NULL;
    char key[64], options[160];
    uint32_t words[624];
    int32_t position = -1;
    size_t i;
    int w;
    CHECK_OK(keras_set_random_seed((int64_t)number_at(fixture, "seed", 0)));
    CHECK_OK(keras_sequential_new(NULL, &model));
    if (!model) return NULL;
    for (i = 0; i < n_layers; i++) CHECK_OK(keras_sequential_add_json(model, layers[i]));
    snprintf(key, sizeof key, "%s_initial", name);
    check_weights(model, fixture, key, 1e-6, 0);
    snprintf(options, sizeof options, "{\"batch_size\": 3, \"epochs\": 2, \"verbose\": 0, \"shuffle\": %s, "
                                      "\"validation_split\": 0.2}", shuffle);
    fit(model, fixture, name, 1, options);
    snprintf(options, sizeof options, "{\"batch_size\": 3, \"epochs\": 1, \"verbose\": 0, \"shuffle\": %s}", shuffle);
    fit(model, fixture, name, 0, options);
    snprintf(key, sizeof key, "%s_trained", name);
    check_weights(model, fixture, key, 1e-6, 1e-5);
    snprintf(key, sizeof key, "%s_numpy_state", name);
    CHECK_OK(keras_get_numpy_random_state(words, &position));
    CHECK(position == (int32_t)number_at(fixture, key, 0));
    for (w = 0; w < 4; w++) CHECK(words[w] == (uint32_t)number_at(fixture, key, w + 1));
    return model;
}

int main(void) {
    char *fixture = read_fixture("random/keras_seeded_models.json");
    char *functional = read_fixture("random/keras_seeded_functional.json");
    char *attention = read_fixture("random/keras_seeded_attention.json");
    keras_model *seq = NULL, *fun = NULL, *rnn = NULL, *shf = NULL, *shb = NULL, *bid = NULL, *attj = NULL;
    const char *unshuffled = "{\"batch_size\": 4, \"epochs\": 2, \"verbose\": 0, \"shuffle\": false}";
    const char *bidirectional[] = {
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4, 3]}}",
        "{\"class_name\": \"Bidirectional\", \"config\": {\"layer\": {\"class_name\": \"LSTM\", "
        "\"config\": {\"units\": 2, \"dropout\": 0.25}}}}",
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}",
    };
    const char *dense[] = {
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}}",
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}",
    };
    const char *dropping_dense[] = {
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}}",
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 4}}",
        "{\"class_name\": \"Dropout\", \"config\": {\"rate\": 0.5}}",
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}",
    };
    const char *layers[] = {
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 5]}}",
        "{\"class_name\": \"Embedding\", \"config\": {\"input_dim\": 10, \"output_dim\": 4}}",
        "{\"class_name\": \"LSTM\", \"config\": {\"units\": 3}}",
        "{\"class_name\": \"Dropout\", \"config\": {\"rate\": 0.5}}",
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}",
    };
    const char *recurrent[] = {
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4, 3]}}",
        "{\"class_name\": \"SimpleRNN\", \"config\": {\"units\": 3, \"return_sequences\": true, \"dropout\": 0.25}}",
        "{\"class_name\": \"GRU\", \"config\": {\"units\": 2, \"recurrent_dropout\": 0.25}}",
        "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}",
    };
    size_t i;
    float row[3] = {0.5f, 0.25f, 0.125f};
    int64_t row_shape[2] = {1, 3}, target_shape[2] = {1, 2};
    uint32_t key[624], again[624];
    int32_t position = -1, position_again = -1;
    if (!fixture || !functional || !attention) {
        fprintf(stderr, "test_keras_seed: the fixtures random/keras_seeded_models.json, "
                        "random/keras_seeded_functional.json and random/keras_seeded_attention.json "
                        "were not found (set KERAS_FIXTURES)\n");
        return 1;
    }
    CHECK_OK(keras_set_random_seed((int64_t)number_at(fixture, "seed", 0)));
    CHECK_OK(keras_sequential_new(NULL, &seq));
    for (i = 0; i < sizeof layers / sizeof layers[0]; i++) CHECK_OK(keras_sequential_add_json(seq, layers[i]));
    CHECK_OK(keras_model_from_json(functional, &fun));
    CHECK_OK(keras_sequential_new(NULL, &rnn));
    for (i = 0; i < sizeof recurrent / sizeof recurrent[0]; i++) CHECK_OK(keras_sequential_add_json(rnn, recurrent[i]));
    if (seq && fun && rnn) {
        check_weights(seq, fixture, "seq_initial", 1e-6, 0);
        check_weights(fun, fixture, "fun_initial", 1e-6, 0);
        check_weights(rnn, fixture, "rnn_initial", 1e-6, 0);
        fit(seq, fixture, "seq", 1, unshuffled);
        fit(fun, fixture, "fun", 1, unshuffled);
        fit(rnn, fixture, "rnn", 1, unshuffled);
        check_weights(seq, fixture, "seq_trained", 1e-5, 1e-4);
        check_weights(fun, fixture, "fun_trained", 1e-5, 1e-4);
        check_weights(rnn, fixture, "rnn_trained", 1e-5, 1e-4);
    }
    /* fit's shuffled batches: numpy's np.random.permutation after the seed, one order more
     * drawn by the first fit after compile (Keras peeks at a batch to build its compiled loss). */
    shf = check_shuffled_fits(fixture, "shf", dense, sizeof dense / sizeof dense[0], "true");
    if (shf) {
        /* The library's copy of numpy's generator is where numpy's is after Keras's fits, and
         * can be read and set (a front end with a numpy of its own shares it so). */
        CHECK_OK(keras_get_numpy_random_state(key, &position));
        CHECK_OK(keras_set_numpy_random_state(key, position));
        CHECK_OK(keras_get_numpy_random_state(again, &position_again));
        CHECK(position_again == position && memcmp(key, again, sizeof key) == 0);
        CHECK(keras_set_numpy_random_state(key, 625) == KERAS_ERR_INVALID_ARGUMENT);
        CHECK(keras_set_numpy_random_state(NULL, 0) == KERAS_ERR_INVALID_ARGUMENT);
        CHECK(keras_get_numpy_random_state(NULL, &position) == KERAS_ERR_INVALID_ARGUMENT);
    }
    /* shuffle "batch": the batches in order, the rows inside each in numpy's order, one more
     * order (the first batch's) drawn by the first fit after compile; a Dropout between two
     * Dense layers makes the order inside a batch matter. */
    shb = check_shuffled_fits(fixture, "shb", dropping_dense, sizeof dropping_dense / sizeof dropping_dense[0],
                              "\"batch\"");
    if (shb) {
        /* Keras's shuffle takes true, false or "batch" */
        CHECK(keras_model_fit(shb, row, 2, row_shape, row, 2, target_shape, "{\"shuffle\": \"rows\"}", NULL, 0, NULL)
              == KERAS_ERR_INVALID_ARGUMENT);
        CHECK(strstr(keras_last_error(), "'shuffle' must be true, false or \"batch\"") != NULL);
    }
    /* The attention model made from Keras's JSON: each layer built from its build_config as
     * soon as it is made (Keras's deserialization), so MultiHeadAttention's build takes its
     * seeds before the next layer's initializers take theirs. */
    CHECK_OK(keras_set_random_seed((int64_t)number_at(fixture, "seed", 0)));
    CHECK_OK(keras_model_from_json(attention, &attj));
    if (attj) {
        check_weights(attj, fixture, "attj_initial", 1e-6, 0);
        fit(attj, fixture, "attj", 1, unshuffled);
        check_weights(attj, fixture, "attj_trained", 1e-5, 1e-4);
    }
    /* Bidirectional's copies of its LSTM take new seeds, as Keras's. */
    CHECK_OK(keras_set_random_seed((int64_t)number_at(fixture, "seed", 0)));
    CHECK_OK(keras_sequential_new(NULL, &bid));
    for (i = 0; i < sizeof bidirectional / sizeof bidirectional[0]; i++)
        CHECK_OK(keras_sequential_add_json(bid, bidirectional[i]));
    if (bid) {
        check_weights(bid, fixture, "bid_initial", 1e-6, 0);
        fit(bid, fixture, "bid", 1, unshuffled);
        check_weights(bid, fixture, "bid_trained", 1e-5, 1e-4);
    }
    keras_model_free(seq);
    keras_model_free(fun);
    keras_model_free(rnn);
    keras_model_free(shf);
    keras_model_free(bid);
    keras_model_free(shb);
    keras_model_free(attj);
    free(fixture);
    free(functional);
    free(attention);
    CHECK_DONE("test_keras_seed");
}
