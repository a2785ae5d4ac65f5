/* The model API end to end: build, compile, fit with a counting callback, evaluate, predict,
 * intermediate outputs, weights, summary, JSON and file round trips. */
#include "check.h"
#include <math.h>
#include <stdint.h>
#include <signal.h>

static const char *input4 = "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}}";

typedef struct { int counts[14]; int last_epoch; } counter;

static int count_events(void *user_data, int event, int64_t index, const char *logs_json) {
    counter *c = (counter *)user_data;
    if (event < 0 || event > 13 || logs_json == NULL) return 1;
    c->counts[event]++;
    if (event == KERAS_ON_EPOCH_END) {
        c->last_epoch = (int)index;
        if (!strstr(logs_json, "\"loss\"")) return 2;
    }
    /* Keras's logs["outputs"]: the batch's predictions, a nested list per output. */
    if (event == KERAS_ON_PREDICT_BATCH_END && strncmp(logs_json, "{\"outputs\": [[[", 15) != 0) return 3;
    return 0;
}

/* Collects what the library prints. */
typedef struct { char text[8192]; size_t used; int calls; } printed;
static void collect(void *user_data, const char *text) {
    printed *p = (printed *)user_data;
    size_t n = strlen(text);
    p->calls++;
    if (p->used + n < sizeof p->text) { memcpy(p->text + p->used, text, n + 1); p->used += n; }
}

/* Halves the learning rate every epoch after the first. */
static int halve(void *user_data, int64_t epoch, double lr, double *new_lr) {
    (void)user_data;
    *new_lr = epoch == 0 ? lr : lr / 2;
    return 0;
}
static int bad_schedule(void *user_data, int64_t epoch, double lr, double *new_lr) {
    (void)user_data; (void)lr; (void)new_lr;
    if (epoch == 1) { keras_callback_error("no rate for epoch 1"); return 3; }
    return 0;
}

/* Ctrl-C during fit: the SIGINT handler asks the library to stop. */
static void on_sigint(int sig) { (void)sig; keras_interrupt(); }
static int press_ctrl_c(void *user_data, int event, int64_t index, const char *logs_json) {
    (void)user_data; (void)logs_json;
    if (event == KERAS_ON_EPOCH_END && index == 1) raise(SIGINT);
    return 0;
}

static int freed = 0;
static void free_counter(void *p) { (void)p; freed++; }

static keras_model *make_model(void) {
    keras_model *m = NULL;
    CHECK_OK(keras_sequential_new("mlp", &m));
    CHECK_OK(keras_sequential_add_json(m, input4));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"name\": \"hidden\", \"units\": 5, \"activation\": \"relu\"}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"name\": \"out\", \"units\": 2}}"));
    return m;
}

int main(void) {
    float x[40], y[20], pred[20], pred2[20], hidden[50], w[10];
    const int64_t xs[2] = {10, 4}, ys[2] = {10, 2};
    int64_t shape[KERAS_MAX_RANK];
    int ndim = 0, count = 0, i;
    char *text = NULL, *name = NULL;
    counter c;
    keras_model *m = make_model(), *m2 = NULL, *m3 = NULL;
    keras_callback *cb = NULL;

    for (i = 0; i < 40; i++) x[i] = (float)((i * 7) % 11) / 11.0f;
    for (i = 0; i < 20; i++) y[i] = (float)(i % 3);
    memset(&c, 0, sizeof c);

    CHECK(strcmp(keras_version(), KERAS_VERSION_STRING) == 0);
    CHECK_OK(keras_model_output_shape(m, 10, shape, KERAS_MAX_RANK, &ndim));
    CHECK(ndim == 2 && shape[0] == 10 && shape[1] == 2);
    /* batch -1: the shape as the model infers it, the unknown batch -1 */
    CHECK_OK(keras_model_output_shape(m, -1, shape, KERAS_MAX_RANK, &ndim));
    CHECK(ndim == 2 && shape[0] == -1 && shape[1] == 2);

    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"adam\", \"loss\": \"mse\", \"metrics\": [\"mae\"]}"));
    CHECK_OK(keras_callback_new("counter", count_events, &c, free_counter, &cb));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 3, \"batch_size\": 4, \"verbose\": 0}", &cb, 1, &text));
    CHECK(text && strstr(text, "\"loss\": [") && strstr(text, "\"mae\": ["));
    keras_string_free(text);
    CHECK(c.counts[KERAS_ON_TRAIN_BEGIN] == 1 && c.counts[KERAS_ON_TRAIN_END] == 1);
    CHECK(c.counts[KERAS_ON_EPOCH_BEGIN] == 3 && c.counts[KERAS_ON_EPOCH_END] == 3 && c.last_epoch == 2);
    CHECK(c.counts[KERAS_ON_TRAIN_BATCH_BEGIN] == 9 && c.counts[KERAS_ON_TRAIN_BATCH_END] == 9);

    CHECK_OK(keras_model_evaluate(m, x, 2, xs, y, 2, ys, "{\"verbose\": 0, \"batch_size\": 5}", &cb, 1, &text));
    CHECK(text && strncmp(text, "{\"loss\": ", 9) == 0 && strstr(text, "\"mae\""));
    keras_string_free(text);
    CHECK(c.counts[KERAS_ON_TEST_BEGIN] == 1 && c.counts[KERAS_ON_TEST_BATCH_END] == 2);

    CHECK_OK(keras_model_predict(m, x, 2, xs, "{\"batch_size\": 3}", &cb, 1, pred, 20, shape, &ndim));
    CHECK(ndim == 2 && shape[0] == 10 && shape[1] == 2);
    CHECK(c.counts[KERAS_ON_PREDICT_BATCH_BEGIN] == 4 && c.counts[KERAS_ON_PREDICT_END] == 1);
    keras_callback_free(cb);
    CHECK(freed == 1);

    /* The hidden layer's output, and the output layer recomputed from it by hand. */
    CHECK_OK(keras_model_layer_output(m, "hidden", x, 2, xs, hidden, 50, shape, &ndim));
    CHECK(ndim == 2 && shape[1] == 5);
    CHECK_OK(keras_model_weight_count(m, &count));
    CHECK(count == 4);
    CHECK_OK(keras_model_weight_info(m, 2, &name, shape, KERAS_MAX_RANK, &ndim));
    CHECK(name && strcmp(name, "mlp/out/kernel") == 0 && ndim == 2 && shape[0] == 5 && shape[1] == 2);
    keras_string_free(name);
    {
        float k[10], b[2];
        int r, j, h;
        CHECK_OK(keras_model_get_weight(m, 2, k, 10));
        CHECK_OK(keras_model_get_weight(m, 3, b, 2));
        for (r = 0; r < 10; r++) for (j = 0; j < 2; j++) {
            float s = b[j];
            for (h = 0; h < 5; h++) s += hidden[r * 5 + h] * k[h * 2 + j];
            CHECK(fabsf(s - pred[r * 2 + j]) < 1e-4f);
        }
    }

    /* set_weight changes predictions: zero kernel gives the bias everywhere. */
    memset(w, 0, sizeof w);
    CHECK_OK(keras_model_set_weight(m, 2, w, 10));
    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, pred2, 20, NULL, NULL));
    {
        float b[2];
        CHECK_OK(keras_model_get_weight(m, 3, b, 2));
        for (i = 0; i < 10; i++) CHECK(pred2[2 * i] == b[0] && pred2[2 * i + 1] == b[1]);
    }

    CHECK_OK(keras_model_summary(m, &text));
    CHECK(text && strstr(text, "hidden (Dense)") && strstr(text, "Total params"));
    keras_string_free(text);
    /* Flags a binding changed since it made the model, counted for this summary only. */
    CHECK_OK(keras_model_summary_ex(m, "{\"trainable_layers\": {\"hidden\": false}}", &text));
    CHECK(text && strstr(text, " Trainable params: 12 ") && strstr(text, " Non-trainable params: 25 "));
    keras_string_free(text);
    CHECK_OK(keras_model_summary(m, &text));
    CHECK(text && strstr(text, " Trainable params: 37 "));
    keras_string_free(text);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "has no layer", keras_model_summary_ex(m, "{\"trainable_layers\": {\"nope\": false}}", &text));

    /* JSON round trip keeps the architecture. */
    CHECK_OK(keras_model_to_json(m, &text));
    CHECK(text && strstr(text, "\"class_name\": \"Sequential\""));
    CHECK_OK(keras_model_from_json(text, &m2));
    keras_string_free(text);
    CHECK_OK(keras_model_weight_count(m2, &count));
    CHECK(count == 4);

    /* Files: .keras and .h5 keep weights; weights files load into the JSON copy. */
    CHECK_OK(keras_model_save(m, "test_model.keras", 1));
    CHECK_OK(keras_model_load("test_model.keras", 1, &m3));
    CHECK_OK(keras_model_predict(m3, x, 2, xs, NULL, NULL, 0, pred, 20, NULL, NULL));
    CHECK(memcmp(pred, pred2, sizeof pred) == 0);
    keras_model_free(m3); m3 = NULL;
    CHECK_OK(keras_model_save(m, "test_model.h5", 1));
    CHECK_OK(keras_model_load("test_model.h5", 0, &m3));
    CHECK_OK(keras_model_predict(m3, x, 2, xs, NULL, NULL, 0, pred, 20, NULL, NULL));
    CHECK(memcmp(pred, pred2, sizeof pred) == 0);
    CHECK_OK(keras_model_save_weights(m, "test_model.weights.h5", 1));
    CHECK_OK(keras_model_load_weights(m2, "test_model.weights.h5"));
    CHECK_OK(keras_model_predict(m2, x, 2, xs, NULL, NULL, 0, pred, 20, NULL, NULL));
    CHECK(memcmp(pred, pred2, sizeof pred) == 0);
    CHECK_ERR(KERAS_ERR_IO, "exists", keras_model_save(m, "test_model.keras", 0));
    remove("test_model.keras"); remove("test_model.h5"); remove("test_model.weights.h5");

    keras_model_free(m);
    keras_model_free(m2);
    keras_model_free(m3);

    /* The same seed gives the same initial weights. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "seed must not be negative", keras_set_random_seed(-1));
    CHECK_OK(keras_set_random_seed(42));
    m = make_model();
    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, pred, 20, NULL, NULL));
    CHECK_OK(keras_set_random_seed(42));
    m2 = make_model();
    CHECK_OK(keras_model_predict(m2, x, 2, xs, NULL, NULL, 0, pred2, 20, NULL, NULL));
    CHECK(memcmp(pred, pred2, sizeof pred) == 0);
    keras_model_free(m);
    keras_model_free(m2);

    /* A callback with an event mask is called for its hooks only. */
    {
        keras_callback *masked = NULL, *silent = NULL, *refused = NULL;
        counter mc;
        memset(&mc, 0, sizeof mc);
        m = make_model();
        CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"mse\"}"));
        CHECK_OK(keras_callback_new_masked("epochs", count_events, &mc, NULL,
                                           KERAS_EVENT_BIT(KERAS_ON_EPOCH_END) | KERAS_EVENT_BIT(KERAS_ON_TRAIN_END), &masked));
        CHECK_OK(keras_callback_new_masked("silent", count_events, &mc, NULL, 0, &silent));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "bits beyond the 14 hooks", keras_callback_new_masked(NULL, count_events, NULL, NULL, 1u << 14, &refused));
        CHECK(refused == NULL);
        {
            keras_callback *both[2];
            both[0] = masked; both[1] = silent;
            CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 3, \"batch_size\": 2, \"verbose\": 0}", both, 2, NULL));
        }
        CHECK(mc.counts[KERAS_ON_EPOCH_END] == 3 && mc.counts[KERAS_ON_TRAIN_END] == 1);
        CHECK(mc.counts[KERAS_ON_TRAIN_BATCH_END] == 0 && mc.counts[KERAS_ON_EPOCH_BEGIN] == 0 && mc.counts[KERAS_ON_TRAIN_BEGIN] == 0);
        keras_callback_free(masked);
        keras_callback_free(silent);

        /* Trainable flags: a frozen layer's weights are not trained. */
        {
            int flag = -1;
            keras_model *frozen = NULL;
            CHECK_OK(keras_sequential_new(NULL, &frozen));
            CHECK_OK(keras_sequential_add_json(frozen, input4));
            CHECK_OK(keras_sequential_add_json(frozen, "{\"class_name\": \"Dense\", \"config\": {\"units\": 2, \"trainable\": false}}"));
            CHECK_OK(keras_sequential_add_json(frozen, "{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}"));
            CHECK_OK(keras_model_weight_trainable(frozen, 0, &flag));
            CHECK(flag == 0);
            CHECK_OK(keras_model_weight_trainable(frozen, 2, &flag));
            CHECK(flag == 1);
            CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "weight index 4 is out of range", keras_model_weight_trainable(frozen, 4, &flag));
            CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "trainable must not be NULL", keras_model_weight_trainable(frozen, 0, NULL));
            keras_model_free(frozen);
        }

        /* The print hook receives the progress bar instead of stdout. */
        {
            printed out;
            memset(&out, 0, sizeof out);
            keras_set_print_hook(collect, &out, 0);
            CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"verbose\": 1}", NULL, 0, NULL));
            CHECK_OK(keras_model_evaluate(m, x, 2, xs, y, 2, ys, "{\"verbose\": 2}", NULL, 0, &text));
            keras_string_free(text); text = NULL;
            keras_set_print_hook(NULL, NULL, 0);
            printf("printed through the hook (%d calls):\n%s", out.calls, out.text);
            CHECK(strstr(out.text, "Epoch 1/2\n") && strstr(out.text, "Epoch 2/2\n") && strstr(out.text, "loss: "));
            CHECK(!strchr(out.text, '\r'));
        }
        keras_model_free(m);
    }

    /* Learning rate: read, set, scheduled by a C function. */
    {
        double lr = 0;
        keras_callback *sched = NULL, *broken = NULL;
        m = make_model();
        CHECK_ERR(KERAS_ERR_STATE, "not compiled", keras_model_learning_rate(m, &lr));
        CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.08}}, \"loss\": \"mse\"}"));
        CHECK_OK(keras_model_learning_rate(m, &lr));
        CHECK(fabs(lr - 0.08) < 1e-7);
        CHECK_OK(keras_model_set_learning_rate(m, 0.04));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "finite number >= 0", keras_model_set_learning_rate(m, -1));
        CHECK_OK(keras_callback_lr_scheduler_new(halve, NULL, NULL, 0, &sched));
        CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 3, \"verbose\": 0}", &sched, 1, &text));
        printf("history with the scheduler: %s\n", text);
        CHECK(text && strstr(text, "\"learning_rate\": [0.0399999") && strstr(text, ", 0.0199999"));
        keras_string_free(text); text = NULL;
        CHECK_OK(keras_model_learning_rate(m, &lr));
        CHECK(fabs(lr - 0.01) < 1e-7);
        CHECK_OK(keras_callback_lr_scheduler_new(bad_schedule, NULL, NULL, 0, &broken));
        CHECK_ERR(KERAS_ERR_CALLBACK, "no rate for epoch 1", keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 3, \"verbose\": 0}", &broken, 1, NULL));
        keras_callback_free(sched);
        keras_callback_free(broken);

        /* Summary options. */
        CHECK_OK(keras_model_summary_ex(m, "{\"line_length\": 70}", &text));
        CHECK(text && strstr(text, "Total params"));
        keras_string_free(text); text = NULL;
        CHECK_OK(keras_model_summary_ex(m, "{\"style\": \"keras2\"}", &text));
        CHECK(text && strstr(text, "Total params: 37"));
        keras_string_free(text); text = NULL;
        CHECK_OK(keras_model_summary_ex(m, "{\"show_trainable\": true, \"positions\": [0.4, 0.8, 1.0], \"line_length\": 90, "
                                           "\"layer_range\": [\"hid\", \"out\"]}", &text));
        CHECK(text && strstr(text, "Train\xe2\x80\xa6") && strstr(text, "hidden (Dense)") && strstr(text, "out (Dense)"));
        keras_string_free(text); text = NULL;
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "needs 3 column ends", keras_model_summary_ex(m, "{\"positions\": [0.5, 1]}", &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "matches no layers", keras_model_summary_ex(m, "{\"layer_range\": [\"x\", \"y\"]}", &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "apply to the keras3 style", keras_model_summary_ex(m, "{\"style\": \"keras2\", \"show_trainable\": true}", &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "increasing fractions", keras_model_summary_ex(m, "{\"positions\": [0.8, 0.4, 1.0]}", &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "line_length must be between", keras_model_summary_ex(m, "{\"line_length\": 3}", &text));

        /* Weights by name from a legacy .h5: another model whose layers share the names. */
        {
            keras_model *other = NULL;
            float w0[20], w1[20];
            CHECK_OK(keras_model_save_weights(m, "by_name.h5", 1));
            other = make_model();
            CHECK_OK(keras_model_load_weights_ex(other, "by_name.h5", 1, 0));
            CHECK_OK(keras_model_get_weight(m, 0, w0, 20));
            CHECK_OK(keras_model_get_weight(other, 0, w1, 20));
            CHECK(memcmp(w0, w1, 20 * sizeof(float)) == 0);
            CHECK_ERR(KERAS_ERR_IO, "", keras_model_load_weights_ex(other, "/nonexistent.h5", 1, 1));
            keras_model_free(other);
            remove("by_name.h5");
        }
        keras_model_free(m);
    }

    /* keras_interrupt from a SIGINT handler stops fit after the current batch. */
    {
        keras_callback *ctrl_c = NULL;
        void (*previous)(int) = signal(SIGINT, on_sigint);
        m = make_model();
        CHECK_OK(keras_model_compile(m, "{\"loss\": \"mse\"}"));
        CHECK_OK(keras_callback_new_masked("ctrl_c", press_ctrl_c, NULL, NULL, KERAS_EVENT_BIT(KERAS_ON_EPOCH_END), &ctrl_c));
        CHECK_ERR(KERAS_ERR_INTERRUPTED, "interrupted", keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 50, \"verbose\": 0}", &ctrl_c, 1, NULL));
        CHECK(strcmp(keras_status_name(KERAS_ERR_INTERRUPTED), "KERAS_ERR_INTERRUPTED") == 0);
        /* A request left over from an earlier call does not stop the next one. */
        keras_interrupt();
        CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"verbose\": 0}", NULL, 0, NULL));
        /* Armed first, a request made before the call starts (a Ctrl-C landing between the
         * handler's installation and the call) stops it after its first batch. */
        keras_interrupt_arm(1);
        keras_interrupt();   /* what the handler does (signal() here is one-shot under -std=c99) */
        CHECK_ERR(KERAS_ERR_INTERRUPTED, "interrupted", keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 50, \"verbose\": 0}", NULL, 0, NULL));
        /* The call consumed the arming: the next one forgets an earlier request again. */
        keras_interrupt();
        CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"verbose\": 0}", NULL, 0, NULL));
        /* Arming forgets what came before it; disarmed, a later request is forgotten too. */
        keras_interrupt();
        keras_interrupt_arm(1);
        CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"verbose\": 0}", NULL, 0, NULL));
        keras_interrupt_arm(1);
        keras_interrupt_arm(0);
        keras_interrupt();
        CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 2, \"verbose\": 0}", NULL, 0, NULL));
        signal(SIGINT, previous);
        keras_callback_free(ctrl_c);
        keras_model_free(m);
    }

    /* The catalogue: constructor arguments in Keras's order with Keras's defaults, and whether
     * the class passes masks on (Keras's supports_masking). */
    {
        char *cat = NULL;
        CHECK_OK(keras_catalog_json(&cat));
        CHECK(cat && strstr(cat, "\"Dense\": {\"module\": \"keras.layers\", \"args\": [{\"name\": \"units\", \"required\": true}, "
                                 "{\"name\": \"activation\", \"default\": \"linear\"}, {\"name\": \"use_bias\", \"default\": true}"));
        CHECK(cat && strstr(cat, "\"Dropout\": {\"module\": \"keras.layers\", \"args\": [{\"name\": \"rate\", \"required\": true}, "
                                 "{\"name\": \"noise_shape\", \"default\": null}, {\"name\": \"seed\", \"default\": null}], "
                                 "\"supports_masking\": true}"));
        CHECK(cat && strstr(cat, "\"LeakyReLU\": {\"module\": \"keras.layers\", \"args\": [{\"name\": \"negative_slope\", \"default\": 0.3}], "
                                 "\"supports_masking\": true}"));
        CHECK(cat && strstr(cat, "\"EarlyStopping\": {\"module\": \"keras.callbacks\", \"args\": [{\"name\": \"monitor\", \"default\": \"val_loss\"}"));
        CHECK(cat && strstr(cat, "\"names\": [\"MSE\", \"mean_squared_error\", \"mse\"]"));
        CHECK(cat && strstr(cat, "\"activations\": [") && strstr(cat, "\"relu\""));
        keras_string_free(cat);
    }
    CHECK_DONE("test_model");
}
