/* keras_model_record_forward / keras_model_train_recorded: a gradient-tape train_step's two
 * halves with one forward pass. The recorded forward's outputs are the model's call in training
 * mode; finishing it trains as keras_model_train_batch does (same weights and logs after three
 * steps); a step id that is not the last recorded forward (taken, replaced, never made), an
 * uncompiled model and NULL arguments fail with a message. */
#include "check.h"
#include <math.h>

static const char *model_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"recorded\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 2, \"activation\": \"tanh\"}}]}}";
static const char *compile_json =
    "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1, \"momentum\": 0.5}}, "
    "\"loss\": \"mse\", \"metrics\": [\"mae\"]}";
static const float kernel[6] = {0.5f, -0.25f, 0.75f, 0.1f, -0.4f, 0.3f};
static const float bias[2] = {0.05f, -0.1f};

static keras_model *made(int compiled) {
    keras_model *m = NULL;
    CHECK_OK(keras_model_from_json(model_json, &m));
    CHECK_OK(keras_model_set_weight(m, 0, kernel, 6));
    CHECK_OK(keras_model_set_weight(m, 1, bias, 2));
    if (compiled) CHECK_OK(keras_model_compile(m, compile_json));
    return m;
}

int main(void) {
    static float x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 0, 1}, y[8] = {1, 0, 0, 1, 1, 1, 0, 0};
    const int64_t xs[2] = {4, 3}, ys[2] = {4, 2}, ys_short[2] = {2, 2};
    keras_array ax, ay;
    keras_model *plain = made(1), *tape = made(1), *bare = made(0);
    keras_output out;
    float pred[8], a[6], b[6], bb[2];
    int64_t step = 0, old = 0;
    char *logs_plain = NULL, *logs_tape = NULL, *losses = NULL;
    int k, i;
    ax.data = x; ax.ndim = 2; ax.shape = xs;
    ay.data = y; ay.ndim = 2; ay.shape = ys;
    memset(&out, 0, sizeof out);
    out.data = pred; out.capacity = 8;

    for (k = 0; k < 3; k++) {
        CHECK_OK(keras_model_get_weight(tape, 0, a, 6));
        CHECK_OK(keras_model_get_weight(tape, 1, bb, 2));
        CHECK_OK(keras_model_record_forward(tape, &ax, 1, &out, 1, NULL, NULL, &step, &losses));
        CHECK(step > old);
        old = step;
        CHECK(check_contains(losses, "[]"));
        keras_string_free(losses);
        losses = NULL;
        /* the outputs are tanh(x W + b) at the weights before the step */
        for (i = 0; i < 8; i++) {
            int r = i / 2, c = i % 2;
            float z = x[r * 3] * a[c] + x[r * 3 + 1] * a[2 + c] + x[r * 3 + 2] * a[4 + c] + bb[c];
            CHECK(fabsf(pred[i] - tanhf(z)) < 1e-5f);
        }
        CHECK_OK(keras_model_train_recorded(tape, step, &ay, 1, NULL, k == 0, &logs_tape));
        CHECK_OK(keras_model_train_batch(plain, &ax, 1, &ay, 1, NULL, k == 0, &logs_plain));
        CHECK(logs_tape && logs_plain && strcmp(logs_tape, logs_plain) == 0);
        if (k == 2) printf("logs: %s\n", logs_tape);
        keras_string_free(logs_tape);
        keras_string_free(logs_plain);
        logs_tape = logs_plain = NULL;
    }
    for (k = 0; k < 2; k++) {
        CHECK_OK(keras_model_get_weight(tape, k, a, 6));
        CHECK_OK(keras_model_get_weight(plain, k, b, 6));
        for (i = 0; i < (k == 0 ? 6 : 2); i++) CHECK(fabsf(a[i] - b[i]) < 1e-6f);
    }

    /* A step finishes once; a later forward replaces an earlier one. */
    CHECK_ERR(KERAS_ERR_STATE, "not the model's last training call",
              keras_model_train_recorded(tape, step, &ay, 1, NULL, 0, &logs_tape));
    CHECK_OK(keras_model_record_forward(tape, &ax, 1, &out, 1, NULL, NULL, &old, NULL));
    CHECK_OK(keras_model_record_forward(tape, &ax, 1, &out, 1, NULL, NULL, &step, NULL));
    CHECK_ERR(KERAS_ERR_STATE, "not the model's last training call",
              keras_model_train_recorded(tape, old, &ay, 1, NULL, 0, &logs_tape));
    ay.shape = ys_short;   /* targets for 2 of the 4 rows */
    CHECK_ERR(KERAS_ERR_SHAPE, "target 0 has 2 samples",
              keras_model_train_recorded(tape, step, &ay, 1, NULL, 0, &logs_tape));
    ay.shape = ys;
    CHECK_OK(keras_model_record_forward(tape, &ax, 1, &out, 1, NULL, NULL, &step, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "step_id",
              keras_model_record_forward(tape, &ax, 1, &out, 1, NULL, NULL, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "outputs",
              keras_model_record_forward(tape, &ax, 1, NULL, 1, NULL, NULL, &step, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "has_mask",
              keras_model_record_forward(tape, &ax, 1, &out, 1, &out, NULL, &step, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "logs_json",
              keras_model_train_recorded(tape, step, &ay, 1, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "NULL",
              keras_model_train_recorded(NULL, step, &ay, 1, NULL, 0, &logs_tape));
    CHECK_OK(keras_model_record_forward(bare, &ax, 1, &out, 1, NULL, NULL, &step, NULL));
    CHECK_ERR(KERAS_ERR_STATE, "compile",
              keras_model_train_recorded(bare, step, &ay, 1, NULL, 0, &logs_tape));
    keras_model_free(plain);
    keras_model_free(tape);
    keras_model_free(bare);
    CHECK_DONE("test_recorded_step");
}
