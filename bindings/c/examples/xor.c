/* XOR with a small MLP: build a Sequential model layer by layer, train, predict.
 * Build: cc -std=c99 -Iinclude xor.c -Lpath/to/lib -lkeras */
#include <stdio.h>
#include <stdlib.h>
#include "keras.h"

#define TRY(call) do { int rc_ = (call); if (rc_ != KERAS_OK) { \
    fprintf(stderr, "%s failed: %s\n", #call, keras_last_error()); return 1; } } while (0)

int main(void) {
    const float x[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const float y[4][1] = {{0}, {1}, {1}, {0}};
    const int64_t x_shape[2] = {4, 2}, y_shape[2] = {4, 1};
    float pred[4];
    int64_t out_shape[KERAS_MAX_RANK];
    int out_ndim = 0, i, wrong = 0;
    char *history = NULL, *summary = NULL;
    keras_model *model = NULL;

    printf("SwiftKeras %s\n", keras_version());
    TRY(keras_sequential_new("xor", &model));
    TRY(keras_sequential_add_json(model, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 2]}}"));
    TRY(keras_sequential_add_json(model, "{\"class_name\": \"Dense\", \"config\": {\"units\": 8, \"activation\": \"tanh\"}}"));
    TRY(keras_sequential_add_json(model, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1, \"activation\": \"sigmoid\"}}"));
    TRY(keras_model_compile(model, "{\"optimizer\": {\"class_name\": \"Adam\", \"config\": {\"learning_rate\": 0.05}},"
                                   " \"loss\": \"binary_crossentropy\", \"metrics\": [\"accuracy\"]}"));
    TRY(keras_model_summary(model, &summary));
    printf("%s\n", summary);
    keras_string_free(summary);

    TRY(keras_model_fit(model, &x[0][0], 2, x_shape, &y[0][0], 2, y_shape,
                        "{\"epochs\": 300, \"batch_size\": 4, \"verbose\": 0}", NULL, 0, &history));
    printf("history: %.120s...\n", history);
    keras_string_free(history);

    TRY(keras_model_predict(model, &x[0][0], 2, x_shape, NULL, NULL, 0, pred, 4, out_shape, &out_ndim));
    for (i = 0; i < 4; i++) {
        int label = pred[i] > 0.5f;
        printf("xor(%g, %g) = %.3f -> %d\n", x[i][0], x[i][1], pred[i], label);
        if (label != (int)y[i][0]) wrong++;
    }
    keras_model_free(model);
    if (wrong) { fprintf(stderr, "xor: %d of 4 wrong\n", wrong); return 1; }
    return 0;
}
