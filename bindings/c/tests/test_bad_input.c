/* Every entry point with bad arguments: each must return an error code and a useful message,
 * never crash. */
#include "check.h"

static int failing_callback(void *u, int event, int64_t index, const char *logs) {
    (void)u; (void)index; (void)logs;
    if (event == KERAS_ON_TRAIN_BATCH_END) { keras_callback_error("plugin refused batch"); return 7; }
    return 0;
}
static int same_rate(void *u, int64_t epoch, double lr, double *new_lr) {
    (void)u; (void)epoch;
    *new_lr = lr;
    return 0;
}
static int silent_failure(void *u, int event, int64_t index, const char *logs) {
    (void)u; (void)event; (void)index; (void)logs;
    return -1;
}

int main(void) {
    float x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, y[2] = {0, 1}, out[4], nan_x[8];
    const int64_t xs[2] = {2, 4}, ys[2] = {2, 1}, neg[2] = {-2, 4}, huge[3] = {1 << 20, 1 << 20, 1 << 20};
    const int64_t wrong[2] = {2, 3};
    int64_t shape[KERAS_MAX_RANK];
    int ndim = 0, count = 0;
    char *text = (char *)1;
    keras_model *m = NULL, *empty = NULL, *freed = NULL;
    keras_callback *cb = NULL, *bad_cb = NULL, *quiet_cb = NULL;

    CHECK(strcmp(keras_status_name(KERAS_ERR_SHAPE), "KERAS_ERR_SHAPE") == 0);
    CHECK(strcmp(keras_status_name(1234), "KERAS_ERR_UNKNOWN_STATUS") == 0);
    keras_string_free(NULL);
    keras_model_free(NULL);
    keras_callback_free(NULL);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out_json must not be NULL", keras_catalog_json(NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "kind must not be NULL", keras_unregister(NULL, "x"));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "no layer is registered as 'NoSuchLayer'", keras_unregister("layer", "NoSuchLayer"));

    /* Creation */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_sequential_new(NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "json must not be NULL", keras_model_from_json(NULL, &m));
    CHECK(m == NULL);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not valid JSON", keras_model_from_json("{\"class_name\": ", &m));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "Unknown layer class 'NoSuchLayer'",
              keras_model_from_json("{\"class_name\": \"NoSuchLayer\", \"config\": {}}", &m));
    CHECK_ERR(KERAS_ERR_IO, "not a model",
              keras_model_from_json("{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}", &m));
    CHECK_ERR(KERAS_ERR_IO, "File not found", keras_model_load("/nonexistent/model.keras", 1, &m));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "path must not be NULL", keras_model_load(NULL, 1, &m));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "path must not be NULL", keras_legacy_h5_training_config(NULL, &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_legacy_h5_training_config("m.h5", NULL));
    CHECK_ERR(KERAS_ERR_IO, "", keras_legacy_h5_training_config("/nonexistent/model.h5", &text));

    CHECK_OK(keras_sequential_new(NULL, &empty));
    /* Wrong order: predict, shape, summary before any layer. */
    CHECK_ERR(KERAS_ERR_STATE, "has no layers", keras_model_predict(empty, x, 2, xs, NULL, NULL, 0, out, 4, NULL, NULL));
    CHECK_ERR(KERAS_ERR_STATE, "not built", keras_model_output_shape(empty, 2, shape, KERAS_MAX_RANK, &ndim));
    CHECK_ERR(KERAS_ERR_STATE, "compile", keras_model_fit(empty, x, 2, xs, y, 2, ys, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_STATE, "not built", keras_model_save(empty, "x.keras", 1));

    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layer_json must not be NULL", keras_sequential_add_json(m, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not valid JSON", keras_sequential_add_json(m, "[1, 2"));
    CHECK_ERR(KERAS_ERR_IO, "units", keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": \"many\"}}"));
    CHECK_ERR(KERAS_ERR_IO, "expected a positive integer", keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": -3}}"));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "activation", keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"wiggle\"}}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "ndim", keras_model_build(m, 0, xs));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "shape must not be NULL", keras_model_build(m, 2, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "positive", keras_sequential_record_first_batch(m, 0));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "positive", keras_sequential_record_first_batch(m, -8));
    CHECK_OK(keras_sequential_record_first_batch(m, 8));   /* not built: nothing to record */
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}"));

    /* Compile */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "spec_json must not be NULL", keras_model_compile(m, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not valid JSON", keras_model_compile(m, "{loss: mse}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown option 'lose'", keras_model_compile(m, "{\"lose\": \"mse\"}"));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "Unknown loss", keras_model_compile(m, "{\"loss\": \"not_a_loss\"}"));
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "Unknown optimizer", keras_model_compile(m, "{\"loss\": \"mse\", \"optimizer\": \"sgdd\"}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "must be a JSON object", keras_model_compile(m, "[\"mse\"]"));

    /* Fit before compile, then bad arrays */
    CHECK_ERR(KERAS_ERR_STATE, "compile", keras_model_fit(m, x, 2, xs, y, 2, ys, NULL, NULL, 0, NULL));
    CHECK_OK(keras_model_compile(m, "{\"loss\": \"mse\", \"optimizer\": \"sgd\"}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "x: the data pointer is NULL", keras_model_fit(m, NULL, 2, xs, y, 2, ys, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "y: the shape pointer is NULL", keras_model_fit(m, x, 2, xs, y, 2, NULL, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "dimension 0 is negative", keras_model_fit(m, x, 2, neg, y, 2, ys, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "ndim must be between", keras_model_fit(m, x, -1, xs, y, 2, ys, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "ndim must be between", keras_model_fit(m, x, 99, xs, y, 2, ys, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "too many elements", keras_model_fit(m, x, 3, huge, y, 2, ys, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_SHAPE, "expects shape (None, 4)", keras_model_fit(m, x, 2, wrong, y, 2, ys, "{\"verbose\": 0}", NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown option 'epoch'", keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epoch\": 3}", NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'epochs' must be an integer", keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": \"3\"}", NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "batch_size must be positive", keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"batch_size\": -1}", NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not valid JSON", keras_model_fit(m, x, 2, xs, y, 2, ys, "{", NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "callbacks is NULL", keras_model_fit(m, x, 2, xs, y, 2, ys, NULL, NULL, 2, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_callbacks is negative", keras_model_fit(m, x, 2, xs, y, 2, ys, NULL, NULL, -1, NULL));
    memcpy(nan_x, x, sizeof x);
    nan_x[3] = 0.0f / 0.0f;
    CHECK_ERR(KERAS_ERR_DATA, "NaN", keras_model_fit(m, nan_x, 2, xs, y, 2, ys, "{\"verbose\": 0}", NULL, 0, NULL));

    /* Callbacks */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "fn must not be NULL", keras_callback_new("c", NULL, NULL, NULL, &cb));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_callback_new("c", failing_callback, NULL, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "fn must not be NULL", keras_callback_new_masked("c", NULL, NULL, NULL, KERAS_EVENTS_ALL, &cb));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_callback_new_masked("c", failing_callback, NULL, NULL, KERAS_EVENTS_EPOCH, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "bits beyond", keras_callback_new_masked("c", failing_callback, NULL, NULL, 0xFFFFFFFFu, &cb));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "schedule must not be NULL", keras_callback_lr_scheduler_new(NULL, NULL, NULL, 0, &cb));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "verbose must not be negative", keras_callback_lr_scheduler_new(same_rate, NULL, NULL, -1, &cb));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_callback_lr_scheduler_new(NULL, NULL, NULL, 0, NULL));
    CHECK(cb == NULL);
    keras_set_print_hook(NULL, NULL, 1); /* restoring stdout when no hook is set is harmless */
    CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "Unknown callback 'EarlyStop'", keras_callback_from_config("EarlyStop", NULL, &cb));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unexpected argument 'patients'", keras_callback_from_config("EarlyStopping", "{\"patients\": 3}", &cb));
    CHECK_OK(keras_callback_new("refuser", failing_callback, NULL, NULL, &bad_cb));
    CHECK_ERR(KERAS_ERR_CALLBACK, "callback 'refuser' on_train_batch_end(0) failed with code 7: plugin refused batch",
              keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"verbose\": 0}", &bad_cb, 1, NULL));
    CHECK_OK(keras_callback_new("quiet", silent_failure, NULL, NULL, &quiet_cb));
    CHECK_ERR(KERAS_ERR_CALLBACK, "failed with code -1 (no message", keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"verbose\": 0}", &quiet_cb, 1, NULL));
    CHECK_ERR(KERAS_ERR_CALLBACK, "on_predict_begin", keras_model_predict(m, x, 2, xs, NULL, &quiet_cb, 1, out, 4, NULL, NULL));
    /* A model handle where a callback is expected, and the reverse. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "is a keras_model, not a keras_callback",
              keras_model_fit(m, x, 2, xs, y, 2, ys, NULL, (keras_callback *const *)&m, 1, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "is a keras_callback, not a keras_model", keras_model_stop_training((keras_model *)bad_cb));

    /* Evaluate / predict */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "results_json must not be NULL", keras_model_evaluate(m, x, 2, xs, y, 2, ys, NULL, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_SHAPE, "target 0 has 1 samples", keras_model_evaluate(m, x, 2, xs, y, 1, ys + 1, "{\"verbose\": 0}", NULL, 0, &text));
    CHECK(text == NULL);
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "needs 2 floats, the buffer holds 1", keras_model_predict(m, x, 2, xs, NULL, NULL, 0, out, 1, shape, &ndim));
    CHECK(ndim == 2 && shape[0] == 2 && shape[1] == 1);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "output buffer is NULL", keras_model_predict(m, x, 2, xs, NULL, NULL, 0, NULL, 4, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "capacity is negative", keras_model_predict(m, x, 2, xs, NULL, NULL, 0, out, -4, NULL, NULL));
    CHECK_ERR(KERAS_ERR_SHAPE, "expects shape", keras_model_predict(m, x, 2, wrong, NULL, NULL, 0, out, 4, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown option", keras_model_predict(m, x, 2, xs, "{\"batchsize\": 1}", NULL, 0, out, 4, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "No such layer: nope", keras_model_layer_output(m, "nope", x, 2, xs, out, 4, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layer_name must not be NULL", keras_model_layer_output(m, NULL, x, 2, xs, out, 4, NULL, NULL));
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "rank 2", keras_model_output_shape(m, 2, shape, 1, &ndim));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "batch is negative", keras_model_output_shape(m, -2, shape, KERAS_MAX_RANK, &ndim));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "ndim must not be NULL", keras_model_output_shape(m, 2, shape, KERAS_MAX_RANK, NULL));

    /* Arrays of inputs and outputs */
    {
        keras_array ax[1], ay[1], bad[1], aw;
        keras_output o[1];
        const int64_t ws[1] = {3};
        ax[0].data = x; ax[0].ndim = 2; ax[0].shape = xs;
        ay[0].data = y; ay[0].ndim = 2; ay[0].shape = ys;
        bad[0].data = x; bad[0].ndim = 0; bad[0].shape = xs;
        aw.data = y; aw.ndim = 1; aw.shape = ws;
        o[0].data = out; o[0].capacity = 4;
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_model_fit_arrays(NULL, ax, 1, ay, 1, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, 0, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "nx is negative", keras_model_fit_arrays(m, ax, -1, ay, 1, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, 0, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "at least one array", keras_model_fit_arrays(m, ax, 0, ay, 1, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, 0, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "x[0]: ndim must be between 1 and 8", keras_model_fit_arrays(m, bad, 1, ay, 1, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, 0, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "val_y is NULL but nvy is 1", keras_model_fit_arrays(m, ax, 1, ay, 1, NULL, ax, 1, NULL, 1, NULL, NULL, NULL, 0, NULL));
        CHECK_ERR(KERAS_ERR_SHAPE, "sample", keras_model_fit_arrays(m, ax, 1, ay, 1, &aw, NULL, 0, NULL, 0, NULL, "{\"verbose\": 0}", NULL, 0, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown option", keras_model_fit_arrays(m, ax, 1, ay, 1, NULL, NULL, 0, NULL, 0, NULL, "{\"epoch\": 1}", NULL, 0, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "results_json must not be NULL", keras_model_evaluate_arrays(m, ax, 1, ay, 1, NULL, NULL, NULL, 0, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "y is NULL but ny is 1", keras_model_evaluate_arrays(m, ax, 1, NULL, 1, NULL, NULL, NULL, 0, &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "outputs must not be NULL", keras_model_predict_arrays(m, ax, 1, NULL, NULL, 0, NULL, 1));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_outputs is negative", keras_model_predict_arrays(m, ax, 1, NULL, NULL, 0, o, -1));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "nx is too large", keras_model_predict_arrays(m, ax, 100000, NULL, NULL, 0, o, 1));
        o[0].capacity = -1;
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "capacity is negative", keras_model_predict_arrays(m, ax, 1, NULL, NULL, 0, o, 1));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "count must not be NULL", keras_model_input_count(m, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "count must not be NULL", keras_model_output_count(m, NULL));
        CHECK_ERR(KERAS_ERR_STATE, "not built", keras_model_input_count(empty, &count));
        CHECK_ERR(KERAS_ERR_STATE, "not built", keras_model_output_count(empty, &count));
        CHECK_ERR(KERAS_ERR_STATE, "not built", keras_model_io_shape(empty, 1, 0, 2, shape, KERAS_MAX_RANK, &ndim));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "input index -1 is out of range", keras_model_io_shape(m, 1, -1, 2, shape, KERAS_MAX_RANK, &ndim));
        CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "rank 2", keras_model_io_shape(m, 0, 0, 2, shape, 1, &ndim));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "shape must not be NULL", keras_model_io_shape(m, 0, 0, 2, NULL, 1, &ndim));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "batch is negative", keras_model_io_shape(m, 0, 0, -1, shape, 1, &ndim));
    }

    /* Weights */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "count must not be NULL", keras_model_weight_count(m, NULL));
    CHECK_OK(keras_model_weight_count(m, &count));
    CHECK(count == 2);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "weight index 2 is out of range", keras_model_weight_info(m, 2, NULL, shape, KERAS_MAX_RANK, &ndim));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "weight index -1 is out of range", keras_model_get_weight(m, -1, out, 4));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "weight index -1 is out of range", keras_model_weight_trainable(m, -1, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_model_weight_trainable(NULL, 0, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "learning_rate must not be NULL", keras_model_learning_rate(m, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_model_set_learning_rate(NULL, 0.1));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "finite number", keras_model_set_learning_rate(m, 0.0 / 0.0));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_model_summary_ex(m, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown option 'width'", keras_model_summary_ex(m, "{\"width\": 80}", &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "style must be", keras_model_summary_ex(m, "{\"style\": \"keras1\"}", &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "path must not be NULL", keras_model_load_weights_ex(m, NULL, 0, 0));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_model_load_weights_ex(NULL, "w.h5", 0, 0));
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "needs 4 floats", keras_model_get_weight(m, 0, out, 3));
    CHECK_ERR(KERAS_ERR_SHAPE, "has shape [4, 1] (4 values), got 3 values", keras_model_set_weight(m, 0, x, 3));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "data must not be NULL", keras_model_set_weight(m, 0, NULL, 4));
    CHECK_ERR(KERAS_ERR_DATA, "NaN", keras_model_set_weight(m, 0, nan_x, 4));

    /* Files */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "Invalid filepath extension", keras_model_save(m, "model.txt", 1));
    CHECK_ERR(KERAS_ERR_IO, "does not exist", keras_model_save(m, "/nonexistent/dir/model.keras", 1));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "must end in", keras_model_save_weights(m, "w.bin", 1));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_model_archive_config(m, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_model_save_config(NULL, "given.keras", 1, "{}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "config_json must not be NULL", keras_model_save_config(m, "given.keras", 1, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "config_json is not valid JSON", keras_model_save_config(m, "given.keras", 1, "{"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "must be a Keras entry",
              keras_model_save_config(m, "given.keras", 1, "{\"class_name\": \"Functional\"}"));
    CHECK_ERR(KERAS_ERR_IO, "", keras_model_load_weights(m, "/nonexistent.weights.h5"));

    /* Null and freed handles */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_model_compile(NULL, "{\"loss\": \"mse\"}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_model_summary(NULL, &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_model_summary(m, NULL));
    CHECK_OK(keras_sequential_new(NULL, &freed));
    keras_model_free(freed);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a live handle", keras_model_summary(freed, &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a live handle", keras_sequential_add_json(freed, "{}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a live handle", keras_model_input_count(freed, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a live handle", keras_model_summary_ex(freed, NULL, &text));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a live handle", keras_model_set_learning_rate(freed, 0.1));
    keras_model_free(freed); /* double free is ignored */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a live handle", keras_model_summary((keras_model *)x, &text));

    /* Estimators and search */
    {
        keras_estimator *est = NULL, *none = NULL;
        keras_search *search = NULL;
        double score = 0;
        const char *cfg = "{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
                          "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
                          "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}]}}";
        CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "unknown estimator kind 'SVC'", keras_estimator_new("SVC", cfg, NULL, &est));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "model_json must not be NULL", keras_estimator_new("KerasRegressor", NULL, NULL, &est));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not valid JSON", keras_estimator_new("KerasRegressor", cfg, "{", &est));
        CHECK_OK(keras_estimator_new("KerasRegressor", cfg, "{\"loss\": \"mse\", \"verbose\": 0}", &est));
        CHECK_ERR(KERAS_ERR_STATE, "", keras_estimator_predict(est, x, 2, xs, out, 4, NULL, NULL));
        CHECK_ERR(KERAS_ERR_STATE, "is not fitted", keras_estimator_metadata(est, &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_estimator_metadata(est, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "", keras_estimator_set_params(est, "{\"epochz\": 3}"));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "score must not be NULL", keras_estimator_score(est, x, 2, xs, y, 1, ys, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_estimator_score(NULL, x, 2, xs, y, 1, ys, &score));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "dimension 0 is negative", keras_estimator_fit(est, x, 2, neg, y, 1, ys));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_estimator_fit_weighted(NULL, x, 2, xs, y, 1, ys, y, 2));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_weights must be positive", keras_estimator_fit_weighted(est, x, 2, xs, y, 1, ys, y, -2));
        CHECK_ERR(KERAS_ERR_DATA, "sample_weight contains NaN", keras_estimator_fit_weighted(est, x, 2, xs, y, 1, ys, nan_x + 2, 2));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "score must not be NULL", keras_estimator_score_weighted(est, x, 2, xs, y, 1, ys, y, 2, NULL));
        CHECK_ERR(KERAS_ERR_SHAPE, "sample_weight has 1 values for 2 samples", keras_estimator_score_weighted(est, x, 2, xs, y, 1, ys, y, 1, &score));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "must be a non-empty list", keras_grid_search_new(est, "{\"epochs\": 3}", NULL, &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown option 'folds'", keras_grid_search_new(est, "{\"epochs\": [1]}", "{\"folds\": 3}", &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'cv' must be a number of folds or a non-empty list",
                  keras_grid_search_new(est, "{\"epochs\": [1]}", "{\"cv\": \"five\"}", &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "cv[0] needs a 'test' list",
                  keras_grid_search_new(est, "{\"epochs\": [1]}", "{\"cv\": [{\"train\": [0]}]}", &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "cv[0].train holds -1",
                  keras_grid_search_new(est, "{\"epochs\": [1]}", "{\"cv\": [{\"train\": [-1], \"test\": [0]}]}", &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'nope' is not a valid scoring value", keras_grid_search_new(est, "{\"epochs\": [1]}", "{\"scoring\": [\"nope\"]}", &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "non-empty object of lists (or a list of them)", keras_grid_search_new(est, "[{\"epochs\": [1]}, 3]", NULL, &search));
        /* Randomized search */
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_randomized_search_new(NULL, "{\"epochs\": [1]}", NULL, &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_randomized_search_new(est, "{\"epochs\": [1]}", NULL, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "param_distributions_json must not be NULL", keras_randomized_search_new(est, NULL, NULL, &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "non-empty object of distributions", keras_randomized_search_new(est, "{}", NULL, &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown distribution 'normal'",
                  keras_randomized_search_new(est, "{\"optimizer__learning_rate\": {\"normal\": [0, 1]}}", NULL, &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "needs 0 < low <= high",
                  keras_randomized_search_new(est, "{\"optimizer__learning_rate\": {\"loguniform\": [0, 1]}}", NULL, &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "randint needs integer bounds",
                  keras_randomized_search_new(est, "{\"epochs\": {\"randint\": [1.5, 3]}}", NULL, &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "needs low < high",
                  keras_randomized_search_new(est, "{\"epochs\": {\"randint\": [3, 3]}}", NULL, &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "uniform needs [low, high]",
                  keras_randomized_search_new(est, "{\"epochs\": {\"uniform\": [1]}}", NULL, &search));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_iter must be at least 1",
                  keras_randomized_search_new(est, "{\"epochs\": [1, 2]}", "{\"n_iter\": 0}", &search));
        CHECK(search == NULL);
        CHECK_OK(keras_randomized_search_new(est, "{\"epochs\": {\"randint\": [1, 3]}}", "{\"n_iter\": 2}", &search));
        CHECK_ERR(KERAS_ERR_STATE, "not been fitted", keras_search_results(search, &text));
        keras_search_free(search); search = NULL;
        /* Pipelines */
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "steps_json must not be NULL", keras_pipeline_new(NULL, est, "reg", &none));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "steps_json must be a list", keras_pipeline_new("{}", est, "reg", &none));
        CHECK_ERR(KERAS_ERR_UNKNOWN_NAME, "unknown transformer class 'PCA'",
                  keras_pipeline_new("[{\"name\": \"pca\", \"class\": \"PCA\"}]", est, "reg", &none));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "invalid parameter 'copy'",
                  keras_pipeline_new("[{\"name\": \"s\", \"class\": \"StandardScaler\", \"params\": {\"copy\": true}}]", est, "reg", &none));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "names provided are not unique: 'reg'",
                  keras_pipeline_new("[{\"name\": \"reg\", \"class\": \"MinMaxScaler\"}]", est, "reg", &none));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "must not contain '__'", keras_pipeline_new("[]", est, "a__b", &none));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_pipeline_new("[]", NULL, "reg", &none));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out must not be NULL", keras_pipeline_new("[]", est, "reg", NULL));
        CHECK(none == NULL);
        /* Cross-validation */
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "result_json must not be NULL", keras_cross_validate(est, x, 2, xs, y, 1, ys, NULL, NULL));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_cross_validate(NULL, x, 2, xs, y, 1, ys, NULL, &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown option 'folds'", keras_cross_validate(est, x, 2, xs, y, 1, ys, "{\"folds\": 2}", &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "belong to searches", keras_cross_validate(est, x, 2, xs, y, 1, ys, "{\"refit\": true}", &text));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "", keras_cross_validate(est, x, 2, xs, y, 1, ys, "{\"cv\": 5}", &text));
        CHECK(text == NULL);
        /* Model templates */
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "\"$param\" must be a parameter name", keras_estimator_new("KerasRegressor",
                  "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
                  "{\"class_name\": \"Dense\", \"config\": {\"units\": {\"$param\": 3}}}]}}", NULL, &none));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "unknown key 'defualt'", keras_estimator_new("KerasRegressor",
                  "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
                  "{\"class_name\": \"Dense\", \"config\": {\"units\": {\"$param\": \"u\", \"defualt\": 3}}}]}}", NULL, &none));
        CHECK_ERR(KERAS_ERR_IO, "expected a positive integer", keras_estimator_new("KerasRegressor",
                  "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
                  "{\"class_name\": \"Dense\", \"config\": {\"units\": {\"$param\": \"u\", \"default\": -3}}}]}}", NULL, &none));
        CHECK_OK(keras_estimator_new("KerasRegressor",
                  "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
                  "{\"class_name\": \"Dense\", \"config\": {\"units\": {\"$param\": \"u\"}}}]}}", "{\"loss\": \"mse\", \"verbose\": 0}", &none));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "has no default: set model__u", keras_estimator_fit(none, x, 2, xs, y, 1, ys));
        CHECK_OK(keras_estimator_set_params(none, "{\"model__v\": 1}"));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "model__v is not a parameter of the model template (its parameters: u)", keras_estimator_fit(none, x, 2, xs, y, 1, ys));
        keras_estimator_free(none); none = NULL;
        CHECK_OK(keras_grid_search_new(est, "{\"epochs\": [1]}", NULL, &search));
        CHECK_ERR(KERAS_ERR_STATE, "not been fitted", keras_search_results(search, &text));
        CHECK_ERR(KERAS_ERR_STATE, "fit the search first", keras_search_best_estimator(search, &none));
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "is a keras_estimator, not a keras_search", keras_search_results((keras_search *)est, &text));
        keras_search_free(search);
        keras_estimator_free(est);
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a live handle", keras_estimator_get_params(est, &text));
    }

    keras_callback_free(bad_cb);
    keras_callback_free(quiet_cb);
    keras_model_free(m);
    keras_model_free(empty);
    CHECK_DONE("test_bad_input");
}
