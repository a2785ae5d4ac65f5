/* Keras's application modules' own layers (InceptionResNetV2's CustomScaleLayer, ConvNeXt's
 * LayerScale and StochasticDepth) are built-in layers of the library: a C program loads the
 * InceptionResNetV2-shaped and ConvNeXt-shaped models real Keras 3.15.1 saved
 * (Tests/KerasTests/Fixtures/models/keras_*_shaped.keras, written with their predictions by
 * scripts/make_keras_reference_fixtures.py apps) with keras_model_load, and predicts as Keras
 * did. */
#include "check.h"
#include <stdint.h>

/* The `values` of the fixture entry `what` ("inputs", "outputs") of model `name`, into out. */
static long reference(const char *fixture, const char *name, const char *what, float *out, long capacity) {
    static double values[1024];
    char key[64];
    const char *at;
    long n, i;
    snprintf(key, sizeof key, "\"%s\"", name);
    at = strstr(fixture, key);
    snprintf(key, sizeof key, "\"%s\"", what);
    at = at ? strstr(at, key) : NULL;
    n = at ? numbers_at(at, "values", 0, values, 1024) : -1;
    for (i = 0; i < n && i < capacity && i < 1024; i++) out[i] = (float)values[i];
    return n;
}

static void check_model(const char *fixture, const char *name, const char *file) {
    char path[1024];
    keras_model *m = NULL;
    float x[2 * 8 * 8 * 3], want[16], got[16];
    int64_t xs[4] = {2, 8, 8, 3}, shape[KERAS_MAX_RANK];
    int ndim = 0;
    long i, n;
    CHECK(fixture_path(file, path, sizeof path));
    CHECK(reference(fixture, name, "inputs", x, 2 * 8 * 8 * 3) == 2 * 8 * 8 * 3);
    n = reference(fixture, name, "outputs", want, 16);
    CHECK(n == 6);
    CHECK_OK(keras_model_load(path, 0, &m));
    if (!m) return;
    CHECK_OK(keras_model_predict(m, x, 4, xs, NULL, NULL, 0, got, 16, shape, &ndim));
    CHECK(ndim == 2 && shape[0] == 2 && shape[1] == 3);
    for (i = 0; i < n && i < 16; i++) {
        if (!(fabs((double)got[i] - want[i]) <= 1e-5 + 1e-5 * fabs((double)want[i]))) {
            fprintf(stderr, "%s: prediction %ld is %.8g, Keras's %.8g\n", name, i, got[i], want[i]);
            check_failures++;
            break;
        }
    }
    keras_model_free(m);
}

int main(void) {
    char *fixture = read_fixture("models/keras_application_layers_shaped.json");
    CHECK(fixture != NULL);
    if (fixture) {
        check_model(fixture, "inception_resnet_v2", "models/keras_inception_resnet_shaped.keras");
        check_model(fixture, "convnext", "models/keras_convnext_shaped.keras");
        free(fixture);
    }
    CHECK_DONE("test_application_layers");
}
