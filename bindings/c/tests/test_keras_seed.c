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

/* The whole file at Fixtures/`name` (malloc'd, NUL-terminated), or NULL. */
static char *read_fixture(const char *name) {
    const char *roots[] = {getenv("KERAS_FIXTURES"), "../../Tests/KerasTests/Fixtures", "Tests/KerasTests/Fixtures"};
    size_t r;
    for (r = 0; r < sizeof roots / sizeof roots[0]; r++) {
        char path[1024];
        FILE *f;
        long n;
        char *text;
        if (!roots[r]) continue;
        snprintf(path, sizeof path, "%s/%s", roots[r], name);
        f = fopen(path, "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        text = n >= 0 ? malloc((size_t)n + 1) : NULL;
        if (text && fread(text, 1, (size_t)n, f) == (size_t)n) {
            text[n] = '\0';
            fclose(f);
            return text;
        }
        free(text);
        fclose(f);
    }
    return NULL;
}

/* The numbers of the flat list at `"key": [...]` in `json` into out (at most capacity); how many
 * there are, or -1 where the key is absent. */
static int64_t numbers(const char *json, const char *key, float *out, int64_t capacity) {
    char quoted[64];
    const char *p;
    int64_t n = 0;
    snprintf(quoted, sizeof quoted, "\"%s\": [", key);
    p = strstr(json, quoted);
    if (!p) return -1;
    p += strlen(quoted);
    while (*p && *p != ']') {
        char *end;
        double v = strtod(p, &end);
        if (end == p) { p++; continue; }
        if (out && n < capacity) out[n] = (float)v;
        n++;
        p = end;
    }
    return n;
}

/* Whether the model's weights are the fixture's `key` list to atol + rtol·|expected|. */
static void check_weights(keras_model *model, const char *fixture, const char *key, double atol, double rtol) {
    static float got[4096], want[4096];
    int64_t n = all_weights(model, got, 4096), m = numbers(fixture, key, want, 4096), i;
    if (n != m || n <= 0) {
        fprintf(stderr, "%s: %lld weights, the fixture has %lld\n", key, (long long)n, (long long)m);
        check_failures++;
        return;
    }
    for (i = 0; i < n; i++) {
        if (!(fabs((double)got[i] - want[i]) <= atol + rtol * fabs(want[i]))) {
            fprintf(stderr, "%s: weight value %lld is %.8g, Keras's %.8g\n", key, (long long)i, got[i], want[i]);
            check_failures++;
            return;
        }
    }
}

/* Fits `model` on the fixture's `<name>_x`, `<name>_y` with fit's `options` (JSON), compiled
 * first (SGD(0.1), mse) when `compile`. */
static void fit(keras_model *model, const char *fixture, const char *name, int compile, const char *options) {
    static float x[4096], y[4096];
    float shape_values[KERAS_MAX_RANK];
    int64_t x_shape[KERAS_MAX_RANK], y_shape[KERAS_MAX_RANK];
    char key[64];
    int x_ndim, y_ndim, d;
    snprintf(key, sizeof key, "%s_x", name);
    CHECK(numbers(fixture, key, x, 4096) > 0);
    snprintf(key, sizeof key, "%s_x_shape", name);
    x_ndim = (int)numbers(fixture, key, shape_values, KERAS_MAX_RANK);
    for (d = 0; d < x_ndim && d < KERAS_MAX_RANK; d++) x_shape[d] = (int64_t)shape_values[d];
    snprintf(key, sizeof key, "%s_y", name);
    CHECK(numbers(fixture, key, y, 4096) > 0);
    snprintf(key, sizeof key, "%s_y_shape", name);
    y_ndim = (int)numbers(fixture, key, shape_values, KERAS_MAX_RANK);
    for (d = 0; d < y_ndim && d < KERAS_MAX_RANK; d++) y_shape[d] = (int64_t)shape_values[d];
    CHECK(x_ndim > 0 && x_ndim <= KERAS_MAX_RANK && y_ndim > 0 && y_ndim <= KERAS_MAX_RANK);
    if (compile)
        CHECK_OK(keras_model_compile(model, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1}}, "
                                            "\"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(model, x, x_ndim, x_shape, y, y_ndim, y_shape, options, NULL, 0, NULL));
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
    int w;
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
    CHECK_OK(keras_set_random_seed((int64_t)number_at(fixture, "seed", 0)));
    CHECK_OK(keras_sequential_new(NULL, &shf));
    for (i = 0; i < sizeof dense / sizeof dense[0]; i++) CHECK_OK(keras_sequential_add_json(shf, dense[i]));
    if (shf) {
        check_weights(shf, fixture, "shf_initial", 1e-6, 0);
        fit(shf, fixture, "shf", 1, "{\"batch_size\": 3, \"epochs\": 2, \"verbose\": 0, \"shuffle\": true, "
                                    "\"validation_split\": 0.2}");
        fit(shf, fixture, "shf", 0, "{\"batch_size\": 3, \"epochs\": 1, \"verbose\": 0, \"shuffle\": true}");
        check_weights(shf, fixture, "shf_trained", 1e-6, 1e-5);
        /* The library's copy of numpy's generator is where numpy's is after Keras's fits, and
         * can be read and set (a front end with a numpy of its own shares it so). */
        CHECK_OK(keras_get_numpy_random_state(key, &position));
        CHECK(position == (int32_t)number_at(fixture, "shf_numpy_state", 0));
        for (w = 0; w < 4; w++) CHECK(key[w] == (uint32_t)number_at(fixture, "shf_numpy_state", w + 1));
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
    CHECK_OK(keras_set_random_seed((int64_t)number_at(fixture, "seed", 0)));
    CHECK_OK(keras_sequential_new(NULL, &shb));
    for (i = 0; i < sizeof dropping_dense / sizeof dropping_dense[0]; i++)
        CHECK_OK(keras_sequential_add_json(shb, dropping_dense[i]));
    if (shb) {
        check_weights(shb, fixture, "shb_initial", 1e-6, 0);
        fit(shb, fixture, "shb", 1, "{\"batch_size\": 3, \"epochs\": 2, \"verbose\": 0, \"shuffle\": \"batch\", "
                                    "\"validation_split\": 0.2}");
        fit(shb, fixture, "shb", 0, "{\"batch_size\": 3, \"epochs\": 1, \"verbose\": 0, \"shuffle\": \"batch\"}");
        check_weights(shb, fixture, "shb_trained", 1e-6, 1e-5);
        CHECK_OK(keras_get_numpy_random_state(key, &position));
        CHECK(position == (int32_t)number_at(fixture, "shb_numpy_state", 0));
        for (w = 0; w < 4; w++) CHECK(key[w] == (uint32_t)number_at(fixture, "shb_numpy_state", w + 1));
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
