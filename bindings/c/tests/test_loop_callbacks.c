/* keras_model_callbacks_begin / keras_callback_run_event: the library's callbacks driven by the
 * caller's own loop, with the logs it computed (EarlyStopping with restore_best_weights,
 * ReduceLROnPlateau adding learning_rate, CSVLogger's file, BackupAndRestore's resume epoch),
 * keras_model_finalize_variable_values with use_ema, and bad input. */
#include "check.h"
#include <math.h>
#include <unistd.h>

static const char *model_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"loop\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}]}}";

/* The value of "key" in a flat JSON object (first occurrence); NAN when absent. */
static double json_number(const char *json, const char *key) {
    char pattern[64];
    const char *p;
    snprintf(pattern, sizeof pattern, "\"%s\": ", key);
    p = json ? strstr(json, pattern) : NULL;
    return p ? atof(p + strlen(pattern)) : NAN;
}

/* Fires one event; returns the result JSON (caller frees). */
static char *fire(keras_callback_run *run, int event, int64_t index, const char *logs) {
    char *result = NULL;
    CHECK_OK(keras_callback_run_event(run, event, index, logs, &result));
    return result;
}

static float first_weight(keras_model *m) {
    static float kernel[6];
    CHECK_OK(keras_model_get_weight(m, 0, kernel, 6));
    return kernel[0];
}

int main(void) {
    keras_model *m = NULL;
    keras_callback *cbs[3] = {NULL, NULL, NULL};
    keras_callback_run *run = NULL;
    char *result = NULL, *text = NULL;
    char csv_path[64], backup_dir[64], logs[64];
    const double losses[4] = {1.0, 0.5, 0.6, 0.7};
    float kernel[6];
    double lr = 0;
    int wants = -1, epoch, k;

    snprintf(csv_path, sizeof csv_path, "/tmp/keras_loop_%d.csv", (int)getpid());
    snprintf(backup_dir, sizeof backup_dir, "/tmp/keras_loop_backup_%d", (int)getpid());
    CHECK_OK(keras_set_random_seed(3));
    CHECK_OK(keras_model_from_json(model_json, &m));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1}}, \"loss\": \"mse\"}"));
    CHECK_OK(keras_callback_from_config("EarlyStopping", "{\"monitor\": \"loss\", \"patience\": 1, \"restore_best_weights\": true}", &cbs[0]));
    CHECK_OK(keras_callback_from_config("ReduceLROnPlateau", "{\"monitor\": \"loss\", \"patience\": 1, \"factor\": 0.5}", &cbs[1]));
    {
        char args[128];
        snprintf(args, sizeof args, "{\"filename\": \"%s\"}", csv_path);
        CHECK_OK(keras_callback_from_config("CSVLogger", args, &cbs[2]));
    }
    CHECK_OK(keras_model_callbacks_begin(m, cbs, 3, "{\"epochs\": 4, \"steps\": 1, \"verbose\": 0}", &wants, &run));
    CHECK(wants == 0);   /* none of them uses the batch hooks */

    /* The caller's loop: the losses it "computed" are 1.0, 0.5, 0.6, 0.7. At epoch 2 the loss
     * stops improving: ReduceLROnPlateau halves the rate and EarlyStopping (patience 1) asks to
     * stop; at the end it puts back the weights of the best epoch (1). The kernel's first value
     * is set to 10 + epoch before each epoch's end, to see which epoch's weights come back. */
    result = fire(run, KERAS_ON_TRAIN_BEGIN, -1, NULL);
    CHECK(check_contains(result, "\"stop_training\": false") && !check_contains(result, "initial_epoch"));
    keras_string_free(result);
    for (epoch = 0; epoch < 4; epoch++) {
        keras_string_free(fire(run, KERAS_ON_EPOCH_BEGIN, epoch, "{}"));
        CHECK_OK(keras_model_get_weight(m, 0, kernel, 6));
        kernel[0] = 10.0f + (float)epoch;
        CHECK_OK(keras_model_set_weight(m, 0, kernel, 6));
        snprintf(logs, sizeof logs, "{\"loss\": %g}", losses[epoch]);
        result = fire(run, KERAS_ON_EPOCH_END, epoch, logs);
        printf("epoch %d: %s\n", epoch, result);
        /* ReduceLROnPlateau adds the rate the epoch trained with to the logs */
        CHECK(fabs(json_number(result, "learning_rate") - 0.1) < 1e-7);
        CHECK(fabs(json_number(result, "loss") - losses[epoch]) < 1e-12);
        k = check_contains(result, "\"stop_training\": true");
        keras_string_free(result);
        if (k) break;
    }
    CHECK(epoch == 2);
    CHECK_OK(keras_model_learning_rate(m, &lr));
    CHECK(fabs(lr - 0.05) < 1e-7);
    CHECK_OK(keras_model_finalize_variable_values(m));   /* no use_ema: nothing changes */
    CHECK(first_weight(m) == 12.0f);
    keras_string_free(fire(run, KERAS_ON_TRAIN_END, -1, "{\"loss\": 0.6}"));
    CHECK(first_weight(m) == 11.0f);
    keras_callback_run_free(run);
    run = NULL;
    {   /* CSVLogger's file, closed when the run ends */
        FILE *f = fopen(csv_path, "r");
        char line[256];
        int lines = 0;
        CHECK(f != NULL);
        while (f && fgets(line, sizeof line, f)) {
            if (lines == 0) CHECK(strncmp(line, "epoch,learning_rate,loss", 24) == 0);
            if (lines == 2) CHECK(strncmp(line, "1,0.1", 5) == 0);
            lines++;
        }
        if (f) fclose(f);
        CHECK(lines == 4);
        unlink(csv_path);
    }

    /* Bad input: every call refuses it with a message, nothing traps. */
    CHECK_OK(keras_model_callbacks_begin(m, NULL, 0, NULL, NULL, &run));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "event 14", keras_callback_run_event(run, 14, 0, NULL, &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "index must be", keras_callback_run_event(run, KERAS_ON_EPOCH_END, -1, NULL, &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "JSON object", keras_callback_run_event(run, KERAS_ON_EPOCH_END, 0, "[1]", &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'loss' must be a number", keras_callback_run_event(run, KERAS_ON_EPOCH_END, 0, "{\"loss\": \"x\"}", &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "result_json", keras_callback_run_event(run, KERAS_ON_EPOCH_END, 0, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "keras_callback_run handle is NULL", keras_callback_run_event(NULL, 0, 0, NULL, &text));
    /* null is NaN, and no callback means logs come back as given */
    result = fire(run, KERAS_ON_EPOCH_END, 0, "{\"loss\": null, \"mae\": 2}");
    CHECK(check_contains(result, "\"loss\": null") && fabs(json_number(result, "mae") - 2) < 1e-12);
    keras_string_free(result);
    keras_callback_run_free(run);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a live handle", keras_callback_run_event(run, 0, 0, NULL, &text));
    keras_callback_run_free(NULL);
    run = NULL;
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "epochs_typo", keras_model_callbacks_begin(m, cbs, 1, "{\"epochs_typo\": 1}", NULL, &run));
    CHECK(run == NULL);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_callbacks is negative", keras_model_callbacks_begin(m, cbs, -1, NULL, NULL, &run));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "keras_model handle is NULL", keras_model_callbacks_begin(NULL, cbs, 1, NULL, NULL, &run));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out", keras_model_callbacks_begin(m, cbs, 1, NULL, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "keras_model handle is NULL", keras_model_finalize_variable_values(NULL));
    for (k = 0; k < 3; k++) keras_callback_free(cbs[k]);

    /* BackupAndRestore: a run whose model was backed up at the end of epoch 1 tells the loop to
     * resume at epoch 2, with the backed-up weights. */
    {
        char args[128];
        keras_callback *backup = NULL;
        snprintf(args, sizeof args, "{\"backup_dir\": \"%s\"}", backup_dir);
        CHECK_OK(keras_callback_from_config("BackupAndRestore", args, &backup));
        CHECK_OK(keras_model_callbacks_begin(m, &backup, 1, "{\"epochs\": 5}", NULL, &run));
        keras_string_free(fire(run, KERAS_ON_TRAIN_BEGIN, -1, NULL));
        keras_string_free(fire(run, KERAS_ON_EPOCH_END, 0, "{\"loss\": 1}"));
        CHECK_OK(keras_model_get_weight(m, 0, kernel, 6));
        kernel[0] = 42.0f;
        CHECK_OK(keras_model_set_weight(m, 0, kernel, 6));
        keras_string_free(fire(run, KERAS_ON_EPOCH_END, 1, "{\"loss\": 1}"));
        keras_callback_run_free(run);   /* the loop "crashed": no on_train_end */
        kernel[0] = -1.0f;
        CHECK_OK(keras_model_set_weight(m, 0, kernel, 6));
        CHECK_OK(keras_model_callbacks_begin(m, &backup, 1, "{\"epochs\": 5}", NULL, &run));
        result = fire(run, KERAS_ON_TRAIN_BEGIN, -1, NULL);
        printf("resumed: %s\n", result);
        CHECK(json_number(result, "initial_epoch") == 2);
        CHECK(first_weight(m) == 42.0f);
        keras_string_free(result);
        keras_string_free(fire(run, KERAS_ON_TRAIN_END, -1, NULL));   /* deletes the backup */
        keras_callback_run_free(run);
        keras_callback_free(backup);
        rmdir(backup_dir);
    }

    /* use_ema: finalize puts the moving averages into the weights, as fit does at its end. */
    {
        keras_model *ema = NULL;
        static float x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 0, 1}, y[8] = {1, 0, 0, 1, 1, 1, 0, 0};
        const int64_t xs[2] = {4, 3}, ys[2] = {4, 2};
        keras_array ax, ay;
        float before;
        ax.data = x; ax.ndim = 2; ax.shape = xs;
        ay.data = y; ay.ndim = 2; ay.shape = ys;
        CHECK_OK(keras_model_from_json(model_json, &ema));
        CHECK_OK(keras_model_compile(ema, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.05, "
                                          "\"use_ema\": true, \"ema_momentum\": 0.5}}, \"loss\": \"mse\"}"));
        for (k = 0; k < 3; k++) {
            CHECK_OK(keras_model_train_batch(ema, &ax, 1, &ay, 1, NULL, k == 0, &text));
            keras_string_free(text);
            text = NULL;
        }
        before = first_weight(ema);
        CHECK_OK(keras_model_finalize_variable_values(ema));
        CHECK(fabsf(first_weight(ema) - before) > 1e-6f);
        keras_model_free(ema);
    }
    keras_model_free(m);
    CHECK_DONE("test_loop_callbacks");
}
