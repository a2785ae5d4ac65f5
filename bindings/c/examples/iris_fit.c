/* Iris with a Keras model given as JSON config: one-hot-free sparse labels, validation split,
 * EarlyStopping from its Keras config, evaluate, save to .keras and load back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "keras.h"
#include "iris_data.h"

#define TRY(call) do { int rc_ = (call); if (rc_ != KERAS_OK) { \
    fprintf(stderr, "%s failed: %s\n", #call, keras_last_error()); return 1; } } while (0)

static const char *config =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"iris\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 16, \"activation\": \"relu\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"units\": 3, \"activation\": \"softmax\"}}]}}";

int main(void) {
    float y[150], probs[150 * 3], again[150 * 3];
    const int64_t x_shape[2] = {150, 4}, y_shape[1] = {150};
    int i, correct = 0;
    char *history = NULL, *results = NULL;
    keras_model *model = NULL, *loaded = NULL;
    keras_callback *early = NULL;

    for (i = 0; i < 150; i++) y[i] = (float)iris_y[i];
    TRY(keras_model_from_json(config, &model));
    TRY(keras_model_compile(model, "{\"optimizer\": {\"class_name\": \"Adam\", \"config\": {\"learning_rate\": 0.02}},"
                                   " \"loss\": \"sparse_categorical_crossentropy\", \"metrics\": [\"accuracy\"]}"));
    TRY(keras_callback_from_config("EarlyStopping", "{\"monitor\": \"loss\", \"patience\": 5}", &early));
    TRY(keras_model_fit(model, &iris_x[0][0], 2, x_shape, y, 1, y_shape,
                        "{\"epochs\": 150, \"batch_size\": 16, \"verbose\": 0}", &early, 1, &history));
    keras_string_free(history);
    TRY(keras_model_evaluate(model, &iris_x[0][0], 2, x_shape, y, 1, y_shape, "{\"verbose\": 0}", NULL, 0, &results));
    printf("evaluate: %s\n", results);
    keras_string_free(results);

    TRY(keras_model_predict(model, &iris_x[0][0], 2, x_shape, NULL, NULL, 0, probs, 150 * 3, NULL, NULL));
    for (i = 0; i < 150; i++) {
        const float *p = probs + 3 * i;
        int best = p[1] > p[0] ? 1 : 0;
        if (p[2] > p[best]) best = 2;
        correct += best == iris_y[i];
    }
    printf("training accuracy: %d/150\n", correct);

    TRY(keras_model_save(model, "iris_example.keras", 1));
    TRY(keras_model_load("iris_example.keras", 1, &loaded));
    TRY(keras_model_predict(loaded, &iris_x[0][0], 2, x_shape, NULL, NULL, 0, again, 150 * 3, NULL, NULL));
    remove("iris_example.keras");
    if (memcmp(probs, again, sizeof probs) != 0) { fprintf(stderr, "reloaded model predicts differently\n"); return 1; }

    keras_callback_free(early);
    keras_model_free(model);
    keras_model_free(loaded);
    return correct >= 135 ? 0 : 1;
}
