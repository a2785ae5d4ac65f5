/* Stateful recurrent layers: keras_model_reset_states, keras_model_layer_state_count and
 * keras_model_layer_state on a stateful SimpleRNN whose steps are computed here by hand. */
#include <math.h>
#include "check.h"

#define BATCH 2
#define STEPS 3
#define UNITS 2

static const float kernel[UNITS] = {0.5f, -0.3f};                        /* (1, units) */
static const float recurrent[UNITS * UNITS] = {0.2f, 0.4f, -0.6f, 0.1f};  /* (units, units) */
static const float bias[UNITS] = {0.05f, -0.1f};

/* h <- tanh(x_t kernel + h recurrent + bias) over the steps of each sample, from h. */
static void run_by_hand(const float *x, float *h) {
    for (int b = 0; b < BATCH; b++) {
        for (int t = 0; t < STEPS; t++) {
            float next[UNITS];
            for (int j = 0; j < UNITS; j++) {
                float z = x[b * STEPS + t] * kernel[j] + bias[j];
                for (int i = 0; i < UNITS; i++) z += h[b * UNITS + i] * recurrent[i * UNITS + j];
                next[j] = tanhf(z);
            }
            for (int j = 0; j < UNITS; j++) h[b * UNITS + j] = next[j];
        }
    }
}

static int close_to(const float *a, const float *b, int n) {
    for (int i = 0; i < n; i++) if (fabsf(a[i] - b[i]) > 1e-5f) return 0;
    return 1;
}

int main(void) {
    keras_model *m = NULL;
    CHECK_OK(keras_sequential_new("stateful", &m));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [2, 3, 1]}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"SimpleRNN\", \"config\": {\"name\": \"rnn\", \"units\": 2, \"stateful\": true}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"name\": \"head\", \"units\": 1}}"));
    CHECK_OK(keras_model_set_weight(m, 0, kernel, UNITS));
    CHECK_OK(keras_model_set_weight(m, 1, recurrent, UNITS * UNITS));
    CHECK_OK(keras_model_set_weight(m, 2, bias, UNITS));

    /* Built with a fixed batch size: the states are known (zeros) before any call, as in Keras. */
    int count = -1;
    CHECK_OK(keras_model_layer_state_count(m, "rnn", &count));
    CHECK(count == 1);
    float state[BATCH * UNITS] = {1, 1, 1, 1};
    int64_t shape[KERAS_MAX_RANK] = {0};
    int ndim = 0;
    CHECK_OK(keras_model_layer_state(m, "rnn", 0, state, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    CHECK(ndim == 2 && shape[0] == BATCH && shape[1] == UNITS);
    for (int i = 0; i < BATCH * UNITS; i++) CHECK(state[i] == 0.0f);

    const float x1[BATCH * STEPS] = {0.1f, -0.2f, 0.3f, 0.7f, 0.0f, -0.5f};
    const float x2[BATCH * STEPS] = {-0.4f, 0.9f, 0.2f, 0.3f, 0.3f, -0.8f};
    const int64_t xshape[3] = {BATCH, STEPS, 1};
    float out[BATCH];
    float expected[BATCH * UNITS] = {0};

    /* Two predicts: the second starts from the states the first ended with. */
    CHECK_OK(keras_model_predict(m, x1, 3, xshape, NULL, NULL, 0, out, BATCH, NULL, NULL));
    run_by_hand(x1, expected);
    CHECK_OK(keras_model_layer_state(m, "rnn", 0, state, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    CHECK(close_to(state, expected, BATCH * UNITS));
    CHECK_OK(keras_model_predict(m, x2, 3, xshape, NULL, NULL, 0, out, BATCH, NULL, NULL));
    run_by_hand(x2, expected);
    CHECK_OK(keras_model_layer_state(m, "rnn", 0, state, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    CHECK(close_to(state, expected, BATCH * UNITS));

    /* After a reset the states are zeros and the next predict starts from them. */
    CHECK_OK(keras_model_reset_states(m, "rnn"));
    CHECK_OK(keras_model_layer_state(m, "rnn", 0, state, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    for (int i = 0; i < BATCH * UNITS; i++) CHECK(state[i] == 0.0f);
    CHECK_OK(keras_model_predict(m, x2, 3, xshape, NULL, NULL, 0, out, BATCH, NULL, NULL));
    float fresh[BATCH * UNITS] = {0};
    run_by_hand(x2, fresh);
    CHECK_OK(keras_model_layer_state(m, "rnn", 0, state, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    CHECK(close_to(state, fresh, BATCH * UNITS));

    /* Bad input: clear errors, no trap. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "No such layer", keras_model_reset_states(m, "nope"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "has no states", keras_model_reset_states(m, "head"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layer_name", keras_model_reset_states(m, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "has no states", keras_model_layer_state_count(m, "head", &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "count", keras_model_layer_state_count(m, "rnn", NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out of range",
              keras_model_layer_state(m, "rnn", 1, state, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out of range",
              keras_model_layer_state(m, "rnn", -1, state, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "rank 2",
              keras_model_layer_state(m, "rnn", 0, state, BATCH * UNITS, shape, 1, &ndim));
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "needs 4 floats",
              keras_model_layer_state(m, "rnn", 0, state, 3, shape, KERAS_MAX_RANK, &ndim));
    CHECK(ndim == 2 && shape[0] == BATCH && shape[1] == UNITS);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "keras_model",
              keras_model_reset_states(NULL, "rnn"));
    keras_model_free(m);

    /* A recurrent layer that is not stateful has no states; a reset leaves it as it is. */
    keras_model *plain = NULL;
    CHECK_OK(keras_sequential_new(NULL, &plain));
    CHECK_OK(keras_sequential_add_json(plain, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3, 1]}}"));
    CHECK_OK(keras_sequential_add_json(plain, "{\"class_name\": \"LSTM\", \"config\": {\"name\": \"lstm\", \"units\": 2}}"));
    CHECK_OK(keras_model_reset_states(plain, "lstm"));
    CHECK_OK(keras_model_layer_state_count(plain, "lstm", &count));
    CHECK(count == 0);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out of range",
              keras_model_layer_state(plain, "lstm", 0, state, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    keras_model_free(plain);

    /* Nested layers by their path (Keras's layer.path): a stateful Bidirectional's forward and
     * backward layers, each with its own states, read and reset on their own. */
    keras_model *bm = NULL;
    CHECK_OK(keras_sequential_new("nested", &bm));
    CHECK_OK(keras_sequential_add_json(bm, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [2, 3, 1]}}"));
    CHECK_OK(keras_sequential_add_json(bm, "{\"class_name\": \"Bidirectional\", \"config\": {\"name\": \"bi\", "
                                           "\"layer\": {\"class_name\": \"SimpleRNN\", \"config\": {\"name\": \"rnn\", "
                                           "\"units\": 2, \"stateful\": true}}}}"));
    float both[BATCH * 2 * UNITS];
    CHECK_OK(keras_model_predict(bm, x1, 3, xshape, NULL, NULL, 0, both, BATCH * 2 * UNITS, NULL, NULL));
    CHECK_OK(keras_model_layer_state_count(bm, "bi", &count));
    CHECK(count == 2);
    const char *paths[2] = {"bi/forward_rnn", "nested/bi/backward_rnn"};   /* the model's name may lead */
    float whole[BATCH * UNITS], part[BATCH * UNITS];
    for (int k = 0; k < 2; k++) {
        CHECK_OK(keras_model_layer_state_count(bm, paths[k], &count));
        CHECK(count == 1);
        CHECK_OK(keras_model_layer_state(bm, "bi", k, whole, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
        CHECK_OK(keras_model_layer_state(bm, paths[k], 0, part, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
        CHECK(ndim == 2 && shape[0] == BATCH && shape[1] == UNITS && close_to(whole, part, BATCH * UNITS));
        int nonzero = 0;
        for (int i = 0; i < BATCH * UNITS; i++) nonzero |= part[i] != 0.0f;
        CHECK(nonzero);
    }
    CHECK_OK(keras_model_reset_states(bm, "bi/backward_rnn"));   /* only that direction */
    CHECK_OK(keras_model_layer_state(bm, "bi", 1, whole, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    for (int i = 0; i < BATCH * UNITS; i++) CHECK(whole[i] == 0.0f);
    CHECK_OK(keras_model_layer_state(bm, "bi", 0, whole, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    CHECK_OK(keras_model_layer_state(bm, "bi/forward_rnn", 0, part, BATCH * UNITS, shape, KERAS_MAX_RANK, &ndim));
    CHECK(close_to(whole, part, BATCH * UNITS) && part[0] != 0.0f);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "No such layer: 'nope' in 'bi'", keras_model_reset_states(bm, "bi/nope"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "empty part", keras_model_layer_state_count(bm, "bi//forward_rnn", &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "No such layer", keras_model_reset_states(bm, "other/bi"));
    keras_model_free(bm);
    CHECK_DONE("test_states");
}
