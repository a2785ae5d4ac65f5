/* Two models trained at the same time in two threads, then a model shared by two threads
 * (calls on one handle are serialized by its lock). */
#include "check.h"
#include <pthread.h>

typedef struct { int seed; int rc; float loss_first, loss_last; keras_model *shared; } job;

static void *train(void *arg) {
    job *j = (job *)arg;
    float x[256], y[128];
    const int64_t xs[2] = {128, 2}, ys[2] = {128, 1};
    char *history = NULL;
    keras_model *m = NULL;
    int i;
    for (i = 0; i < 128; i++) {
        x[2 * i] = (float)((i * (7 + j->seed)) % 17) / 17.0f;
        x[2 * i + 1] = (float)((i * 5) % 13) / 13.0f;
        y[i] = 3.0f * x[2 * i] - 2.0f * x[2 * i + 1] + 0.5f;
    }
    j->rc = keras_sequential_new(NULL, &m);
    if (!j->rc) j->rc = keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}}");
    if (!j->rc) j->rc = keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 8, \"activation\": \"tanh\"}}");
    if (!j->rc) j->rc = keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}");
    if (!j->rc) j->rc = keras_model_compile(m, "{\"optimizer\": \"adam\", \"loss\": \"mse\"}");
    if (!j->rc) j->rc = keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"epochs\": 40, \"batch_size\": 16, \"verbose\": 0}", NULL, 0, &history);
    if (!j->rc) {
        const char *p = strchr(history, '[');
        const char *q = strrchr(history, ',');
        j->loss_first = p ? (float)atof(p + 1) : -1;
        j->loss_last = q ? (float)atof(q + 1) : -1;
    }
    if (j->rc) fprintf(stderr, "thread %d: %s\n", j->seed, keras_last_error());
    /* Also hammer a shared model: its lock serializes these calls. */
    for (i = 0; i < 20 && !j->rc; i++) {
        float out[128];
        j->rc = keras_model_predict(j->shared, x, 2, xs, NULL, NULL, 0, out, 128, NULL, NULL);
    }
    keras_string_free(history);
    keras_model_free(m);
    return NULL;
}

int main(void) {
    pthread_t t[2];
    job jobs[2];
    keras_model *shared = NULL;
    int i;
    CHECK_OK(keras_sequential_new("shared", &shared));
    CHECK_OK(keras_sequential_add_json(shared, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}}"));
    CHECK_OK(keras_sequential_add_json(shared, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}"));
    for (i = 0; i < 2; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].seed = i;
        jobs[i].shared = shared;
        CHECK(pthread_create(&t[i], NULL, train, &jobs[i]) == 0);
    }
    for (i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK(jobs[i].rc == KERAS_OK);
        printf("thread %d: loss %.4f -> %.4f\n", i, jobs[i].loss_first, jobs[i].loss_last);
        CHECK(jobs[i].loss_last < jobs[i].loss_first);
    }
    /* Errors are per thread: a failure here does not show in another thread's message. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "handle is NULL", keras_model_stop_training(NULL));
    keras_model_free(shared);
    CHECK_DONE("test_threads");
}
