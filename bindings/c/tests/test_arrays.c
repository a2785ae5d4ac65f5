/* Several inputs and outputs, sample weights and validation data (keras_model_*_arrays), and the
 * estimator's sample weights. */
#include "check.h"
#include <math.h>

/* Two inputs (3 and 2 features), concatenated, two outputs (1 and 2 values): Keras's to_json. */
static const char *two_by_two =
    "{\"class_name\": \"Functional\", \"config\": {\"name\": \"two\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3], \"name\": \"a\"}, \"name\": \"a\", \"inbound_nodes\": []},"
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2], \"name\": \"b\"}, \"name\": \"b\", \"inbound_nodes\": []},"
    "{\"class_name\": \"Concatenate\", \"config\": {\"name\": \"cat\", \"axis\": -1}, \"name\": \"cat\", \"inbound_nodes\": [{\"args\": [["
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 3], \"keras_history\": [\"a\", 0, 0]}},"
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 2], \"keras_history\": [\"b\", 0, 0]}}]], \"kwargs\": {}}]},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"out1\", \"units\": 1}, \"name\": \"out1\", \"inbound_nodes\": [{\"args\": ["
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 5], \"keras_history\": [\"cat\", 0, 0]}}], \"kwargs\": {}}]},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"out2\", \"units\": 2}, \"name\": \"out2\", \"inbound_nodes\": [{\"args\": ["
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 5], \"keras_history\": [\"cat\", 0, 0]}}], \"kwargs\": {}}]}],"
    "\"input_layers\": [[\"a\", 0, 0], [\"b\", 0, 0]], \"output_layers\": [[\"out1\", 0, 0], [\"out2\", 0, 0]]}}";

#define N 40

/* The value of "key" in a flat JSON object of numbers (first occurrence). */
static double json_number(const char *json, const char *key) {
    char pattern[64];
    const char *p;
    snprintf(pattern, sizeof pattern, "\"%s\": ", key);
    p = json ? strstr(json, pattern) : NULL;
    return p ? atof(p + strlen(pattern)) : NAN;
}

int main(void) {
    static float a[N * 3], b[N * 2], y1[N], y2[N * 2], w[N], p1[N], p2[N * 2];
    const int64_t as[2] = {N, 3}, bs[2] = {N, 2}, y1s[2] = {N, 1}, y2s[2] = {N, 2}, ws[1] = {N};
    const int64_t one_as[2] = {1, 3}, one_bs[2] = {1, 2}, one_y1s[2] = {1, 1}, one_y2s[2] = {1, 2};
    const int64_t val_as[2] = {10, 3}, val_bs[2] = {10, 2}, val_y1s[2] = {10, 1}, val_y2s[2] = {10, 2}, val_ws[1] = {10};
    keras_array x[2], y[2], sw, one_x[2], one_y[2], vx[2], vy[2], vw;
    keras_output out[2];
    keras_model *m = NULL;
    keras_estimator *est = NULL;
    char *text = NULL, *weighted = NULL, *single = NULL;
    int i, count = 0, ndim = 0;
    int64_t shape[KERAS_MAX_RANK];
    double s1 = 0, s2 = 0;

    for (i = 0; i < N; i++) {
        a[3 * i] = (float)(i % 5) / 5; a[3 * i + 1] = (float)(i % 3) / 3; a[3 * i + 2] = (float)(i % 7) / 7;
        b[2 * i] = (float)(i % 4) / 4; b[2 * i + 1] = (float)(i % 2);
        y1[i] = a[3 * i] + b[2 * i];
        y2[2 * i] = a[3 * i + 1]; y2[2 * i + 1] = b[2 * i + 1] - a[3 * i + 2];
        w[i] = i == 3 ? 1.0f : 0.0f;
    }
    x[0].data = a; x[0].ndim = 2; x[0].shape = as;
    x[1].data = b; x[1].ndim = 2; x[1].shape = bs;
    y[0].data = y1; y[0].ndim = 2; y[0].shape = y1s;
    y[1].data = y2; y[1].ndim = 2; y[1].shape = y2s;
    sw.data = w; sw.ndim = 1; sw.shape = ws;
    /* Sample 3 alone, to compare with the weights that keep only it. */
    one_x[0].data = a + 9; one_x[0].ndim = 2; one_x[0].shape = one_as;
    one_x[1].data = b + 6; one_x[1].ndim = 2; one_x[1].shape = one_bs;
    one_y[0].data = y1 + 3; one_y[0].ndim = 2; one_y[0].shape = one_y1s;
    one_y[1].data = y2 + 6; one_y[1].ndim = 2; one_y[1].shape = one_y2s;
    /* The last 10 samples as validation data, weighted like the training weights. */
    vx[0].data = a + 30 * 3; vx[0].ndim = 2; vx[0].shape = val_as;
    vx[1].data = b + 30 * 2; vx[1].ndim = 2; vx[1].shape = val_bs;
    vy[0].data = y1 + 30; vy[0].ndim = 2; vy[0].shape = val_y1s;
    vy[1].data = y2 + 30 * 2; vy[1].ndim = 2; vy[1].shape = val_y2s;
    vw.data = w + 30; vw.ndim = 1; vw.shape = val_ws;

    CHECK_OK(keras_set_random_seed(7));
    CHECK_OK(keras_model_from_json(two_by_two, &m));
    CHECK_OK(keras_model_input_count(m, &count));
    CHECK(count == 2);
    CHECK_OK(keras_model_output_count(m, &count));
    CHECK(count == 2);
    CHECK_OK(keras_model_io_shape(m, 1, 1, 5, shape, KERAS_MAX_RANK, &ndim));
    CHECK(ndim == 2 && shape[0] == 5 && shape[1] == 2);
    CHECK_OK(keras_model_io_shape(m, 0, 1, 5, shape, KERAS_MAX_RANK, &ndim));
    CHECK(ndim == 2 && shape[0] == 5 && shape[1] == 2);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "output index 2 is out of range", keras_model_io_shape(m, 0, 2, 5, shape, KERAS_MAX_RANK, &ndim));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"Adam\", \"config\": {\"learning_rate\": 0.05}}, "
                                    "\"loss\": [\"mse\", \"mae\"], \"metrics\": [[\"mae\"], []]}"));

    /* Weights that keep one sample give that sample's loss over all N (Keras's
     * sum_over_batch_size: weighted sum / number of samples). */
    CHECK_OK(keras_model_evaluate_arrays(m, x, 2, y, 2, &sw, "{\"verbose\": 0}", NULL, 0, &weighted));
    CHECK_OK(keras_model_evaluate_arrays(m, one_x, 2, one_y, 2, NULL, "{\"verbose\": 0}", NULL, 0, &single));
    printf("weighted: %s\nsample 3: %s\n", weighted, single);
    CHECK(fabs(json_number(weighted, "loss") * N - json_number(single, "loss")) < 1e-4);
    keras_string_free(weighted); keras_string_free(single);

    /* Training on both outputs with validation data (and its weights) reports val_ figures. */
    CHECK_OK(keras_model_fit_arrays(m, x, 2, y, 2, NULL, vx, 2, vy, 2, &vw,
                                    "{\"epochs\": 60, \"batch_size\": 8, \"verbose\": 0}", NULL, 0, &text));
    CHECK(text && strstr(text, "\"val_loss\": [") && strstr(text, "\"out1_loss\": ["));
    printf("history keys: %.120s...\n", text);
    keras_string_free(text); text = NULL;
    CHECK_OK(keras_model_evaluate_arrays(m, x, 2, y, 2, NULL, "{\"verbose\": 0}", NULL, 0, &text));
    printf("after training: %s\n", text);
    CHECK(json_number(text, "loss") < 0.1);
    keras_string_free(text); text = NULL;
    CHECK_OK(keras_model_fit_arrays(m, x, 2, y, 2, &sw, NULL, 0, NULL, 0, NULL, "{\"epochs\": 1, \"verbose\": 0}", NULL, 0, NULL));

    /* Predictions for both outputs; a small second buffer gets its shape and the error. */
    out[0].data = p1; out[0].capacity = N;
    out[1].data = p2; out[1].capacity = N * 2;
    CHECK_OK(keras_model_predict_arrays(m, x, 2, NULL, NULL, 0, out, 2));
    CHECK(out[0].ndim == 2 && out[0].shape[0] == N && out[0].shape[1] == 1);
    CHECK(out[1].ndim == 2 && out[1].shape[1] == 2);
    CHECK(fabsf(p1[3] - y1[3]) < 0.3f);
    out[1].capacity = 3;
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "predict output 1", keras_model_predict_arrays(m, x, 2, NULL, NULL, 0, out, 2));
    CHECK(out[1].shape[0] == N && out[1].shape[1] == 2);

    /* Mismatches are errors, not crashes. */
    CHECK_ERR(KERAS_ERR_SHAPE, "has 2 input(s), got 1", keras_model_fit_arrays(m, x, 1, y, 2, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_SHAPE, "has 2 output(s), got 1", keras_model_evaluate_arrays(m, x, 2, y, 1, NULL, NULL, NULL, 0, &text));
    CHECK_ERR(KERAS_ERR_SHAPE, "gives 2 output(s), n_outputs is 1", keras_model_predict_arrays(m, x, 2, NULL, NULL, 0, out, 1));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "needs both val_x and val_y",
              keras_model_fit_arrays(m, x, 2, y, 2, NULL, vx, 2, NULL, 0, NULL, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "val_sample_weight is given without",
              keras_model_fit_arrays(m, x, 2, y, 2, NULL, NULL, 0, NULL, 0, &vw, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "x is NULL but nx is 2",
              keras_model_fit_arrays(m, NULL, 2, y, 2, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, 0, NULL));
    keras_model_free(m);

    /* keras_model_train_batch, driven batch by batch, takes fit's steps: two models made alike,
     * one fit for an epoch of 5 unshuffled batches of 8, the other stepped through the same
     * batches, end with the same figures and predictions. */
    {
        keras_model *fitted = NULL, *stepped = NULL;
        keras_array bx[2], by[2], bsw;
        const int64_t b_as[2] = {8, 3}, b_bs[2] = {8, 2}, b_y1s[2] = {8, 1}, b_y2s[2] = {8, 2}, b_ws[1] = {8};
        static float q1[N], q2[N * 2], r1[N], r2[N * 2];
        const char *compile = "{\"optimizer\": {\"class_name\": \"Adam\", \"config\": {\"learning_rate\": 0.05}}, "
                              "\"loss\": [\"mse\", \"mae\"], \"metrics\": [[\"mae\"], []]}";
        char *history = NULL, *logs = NULL;
        int batch;
        for (i = 0; i < N; i++) w[i] = 0.5f + (float)(i % 3) / 2;
        CHECK_OK(keras_set_random_seed(11));
        CHECK_OK(keras_model_from_json(two_by_two, &fitted));
        CHECK_OK(keras_set_random_seed(11));
        CHECK_OK(keras_model_from_json(two_by_two, &stepped));
        CHECK_OK(keras_model_compile(fitted, compile));
        CHECK_OK(keras_model_compile(stepped, compile));
        CHECK_OK(keras_model_fit_arrays(fitted, x, 2, y, 2, &sw, NULL, 0, NULL, 0, NULL,
                                        "{\"epochs\": 1, \"batch_size\": 8, \"shuffle\": false, \"verbose\": 0}",
                                        NULL, 0, &history));
        for (batch = 0; batch < N / 8; batch++) {
            bx[0].data = a + batch * 8 * 3; bx[0].ndim = 2; bx[0].shape = b_as;
            bx[1].data = b + batch * 8 * 2; bx[1].ndim = 2; bx[1].shape = b_bs;
            by[0].data = y1 + batch * 8; by[0].ndim = 2; by[0].shape = b_y1s;
            by[1].data = y2 + batch * 8 * 2; by[1].ndim = 2; by[1].shape = b_y2s;
            bsw.data = w + batch * 8; bsw.ndim = 1; bsw.shape = b_ws;
            keras_string_free(logs); logs = NULL;
            CHECK_OK(keras_model_train_batch(stepped, bx, 2, by, 2, &bsw, batch == 0, &logs));
        }
        printf("fit: %s\nstepped: %s\n", history, logs);
        /* History lists hold one epoch: "loss": [v] reads as v after the bracket. */
        {
            const char *keys[4] = {"loss", "out1_loss", "out2_loss", "out1_mae"};
            for (i = 0; i < 4; i++) {
                char pattern[64];
                const char *p;
                snprintf(pattern, sizeof pattern, "\"%s\": [", keys[i]);
                p = strstr(history, pattern);
                CHECK(p != NULL);
                CHECK(fabs(atof(p + strlen(pattern)) - json_number(logs, keys[i])) < 1e-5);
            }
        }
        out[0].data = q1; out[0].capacity = N; out[1].data = q2; out[1].capacity = N * 2;
        CHECK_OK(keras_model_predict_arrays(fitted, x, 2, NULL, NULL, 0, out, 2));
        out[0].data = r1; out[1].data = r2;
        CHECK_OK(keras_model_predict_arrays(stepped, x, 2, NULL, NULL, 0, out, 2));
        for (i = 0; i < N; i++) CHECK(fabsf(q1[i] - r1[i]) < 1e-5f && fabsf(q2[2 * i + 1] - r2[2 * i + 1]) < 1e-5f);
        /* reset_metrics: the figures are this batch's alone, its loss before the step. */
        for (i = 0; i < N; i++) w[i] = i == 3 ? 1.0f : 0.0f;
        keras_string_free(logs); logs = NULL;
        CHECK_OK(keras_model_evaluate_arrays(stepped, one_x, 2, one_y, 2, NULL, "{\"verbose\": 0}", NULL, 0, &single));
        CHECK_OK(keras_model_train_batch(stepped, one_x, 2, one_y, 2, NULL, 1, &logs));
        CHECK(fabs(json_number(logs, "loss") - json_number(single, "loss")) < 1e-5);
        keras_string_free(single); single = NULL;
        /* keras_model_copy_optimizer_state: a model made again with the same weights and Adam's
         * state takes the same next steps as the model it copies; with fresh moments it does not. */
        {
            keras_model *again = NULL, *fresh = NULL, *bare = NULL;
            static float buf[64];
            int64_t wshape[KERAS_MAX_RANK], size;
            char *next = NULL, *copied = NULL, *restarted = NULL;
            int k, d, wdim = 0, n_weights = 0, step;
            CHECK_OK(keras_model_from_json(two_by_two, &again));
            CHECK_OK(keras_model_from_json(two_by_two, &fresh));
            CHECK_OK(keras_model_from_json(two_by_two, &bare));
            CHECK_OK(keras_model_compile(again, compile));
            CHECK_OK(keras_model_compile(fresh, compile));
            CHECK_OK(keras_model_weight_count(stepped, &n_weights));
            for (k = 0; k < n_weights; k++) {
                CHECK_OK(keras_model_weight_info(stepped, k, NULL, wshape, KERAS_MAX_RANK, &wdim));
                for (size = 1, d = 0; d < wdim; d++) size *= wshape[d];
                CHECK(size <= 64);
                CHECK_OK(keras_model_get_weight(stepped, k, buf, 64));
                CHECK_OK(keras_model_set_weight(again, k, buf, size));
                CHECK_OK(keras_model_set_weight(fresh, k, buf, size));
            }
            CHECK_OK(keras_model_copy_optimizer_state(again, stepped));
            for (step = 0; step < 2; step++) {   /* the second step's loss shows the first update */
                keras_string_free(next); keras_string_free(copied); keras_string_free(restarted);
                CHECK_OK(keras_model_train_batch(stepped, x, 2, y, 2, NULL, 1, &next));
                CHECK_OK(keras_model_train_batch(again, x, 2, y, 2, NULL, 1, &copied));
                CHECK_OK(keras_model_train_batch(fresh, x, 2, y, 2, NULL, 1, &restarted));
            }
            printf("next step: %s\ncopied state: %s\nfresh state: %s\n", next, copied, restarted);
            CHECK(fabs(json_number(next, "loss") - json_number(copied, "loss")) < 1e-6);
            CHECK(fabs(json_number(next, "loss") - json_number(restarted, "loss")) > 1e-5);
            CHECK_ERR(KERAS_ERR_STATE, "not compiled", keras_model_copy_optimizer_state(again, bare));
            CHECK_ERR(KERAS_ERR_STATE, "not compiled", keras_model_copy_optimizer_state(bare, again));
            CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "keras_model handle is NULL", keras_model_copy_optimizer_state(again, NULL));
            keras_string_free(next); keras_string_free(copied); keras_string_free(restarted);
            keras_model_free(again); keras_model_free(fresh); keras_model_free(bare);
        }
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "logs_json", keras_model_train_batch(stepped, x, 2, y, 2, NULL, 0, NULL));
        CHECK_ERR(KERAS_ERR_SHAPE, "has 2 input(s), got 1", keras_model_train_batch(stepped, x, 1, y, 2, NULL, 0, &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "y is NULL but ny is 2", keras_model_train_batch(stepped, x, 2, NULL, 2, NULL, 0, &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "keras_model", keras_model_train_batch(NULL, x, 2, y, 2, NULL, 0, &text));
        keras_string_free(history); keras_string_free(logs);
        keras_model_free(fitted); keras_model_free(stepped);
    }

    /* Estimator sample weights: a weight of zero removes a sample from fit and score. */
    {
        static float ex[N * 2], ey[N], ew[N];
        const int64_t exs[2] = {N, 2}, eys[1] = {N};
        for (i = 0; i < N; i++) {
            ex[2 * i] = (float)(i % 2); ex[2 * i + 1] = (float)(i % 5) / 5;
            ey[i] = (float)(i % 2);
            ew[i] = 1.0f;
        }
        ey[0] = 1; /* one mislabelled sample ... */
        ew[0] = 0; /* ... weighted out */
        CHECK_OK(keras_estimator_new("KerasClassifier",
            "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}},"
            "{\"class_name\": \"Dense\", \"config\": {\"units\": 2, \"activation\": \"softmax\"}}]}}",
            "{\"epochs\": 80, \"loss\": \"sparse_categorical_crossentropy\", \"optimizer\": \"adam\", \"optimizer__learning_rate\": 0.05, \"verbose\": 0, \"random_state\": 0}", &est));
        CHECK_OK(keras_estimator_fit_weighted(est, ex, 2, exs, ey, 1, eys, ew, N));
        CHECK_OK(keras_estimator_score(est, ex, 2, exs, ey, 1, eys, &s1));
        CHECK_OK(keras_estimator_score_weighted(est, ex, 2, exs, ey, 1, eys, ew, N, &s2));
        printf("estimator accuracy: %.3f, weighted %.3f\n", s1, s2);
        CHECK(fabs(s2 - 1.0) < 1e-9 && fabs(s1 - (double)(N - 1) / N) < 1e-9);
        CHECK_ERR(KERAS_ERR_SHAPE, "sample_weight has 3 values for 40 samples", keras_estimator_fit_weighted(est, ex, 2, exs, ey, 1, eys, ew, 3));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "sample_weight is NULL but n_weights is 4", keras_estimator_fit_weighted(est, ex, 2, exs, ey, 1, eys, NULL, 4));
        CHECK_OK(keras_estimator_fit_weighted(est, ex, 2, exs, ey, 1, eys, NULL, 0));
        keras_estimator_free(est);
    }
    CHECK_DONE("test_arrays");
}
