/* keras_model_export_onnx: a Dense model exported to ONNX is a ModelProto whose first field is
 * the IR version of the opset asked for (8 for the default 17, 7 for 13), whose graph holds the
 * kernel's float32 values byte for byte (raw_data), the input named as the model's Input
 * ("features") or as the input signature names it, and the output "output_0". A layer with no
 * ONNX form is refused naming it and its class, and leaves no file; a bad opset, a bad
 * signature and NULL arguments are refused. (onnxruntime runs these files against predict and
 * real Keras in bindings/python/tests/test_export_onnx.py.) */
#include <unistd.h>
#include "check.h"

/* The whole file at `path` (caller frees), its size in *n; NULL if it cannot be read. */
static unsigned char *read_file(const char *path, long *n) {
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = (unsigned char *)malloc((size_t)*n + 1);
    if (data && fread(data, 1, (size_t)*n, f) != (size_t)*n) { free(data); data = NULL; }
    fclose(f);
    return data;
}

static int holds(const unsigned char *data, long n, const void *needle, long k) {
    long i;
    for (i = 0; i + k <= n; i++) if (memcmp(data + i, needle, (size_t)k) == 0) return 1;
    return 0;
}

int main(void) {
    char path[64], path2[64];
    float kernel[12], bias[3] = {0.5f, -0.25f, 0.125f};
    unsigned char *data;
    long n = 0;
    int i;
    keras_model *m = NULL, *t = NULL;

    snprintf(path, sizeof path, "/tmp/keras_c_export_%d.onnx", (int)getpid());
    snprintf(path2, sizeof path2, "/tmp/keras_c_export_refused_%d.onnx", (int)getpid());
    for (i = 0; i < 12; i++) kernel[i] = sinf((float)i * 1.3f);
    CHECK_OK(keras_model_from_json(
        "{\"class_name\": \"Functional\", \"config\": {\"name\": \"f\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"name\": \"features\", \"config\": {\"batch_shape\": [null, 4], \"name\": \"features\"}, \"inbound_nodes\": []},"
        "{\"class_name\": \"Dense\", \"name\": \"d\", \"config\": {\"units\": 3, \"name\": \"d\", \"activation\": \"tanh\"},"
        " \"inbound_nodes\": [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": [\"features\", 0, 0]}}], \"kwargs\": {}}]}],"
        "\"input_layers\": [[\"features\", 0, 0]], \"output_layers\": [[\"d\", 0, 0]]}}", &m));
    CHECK_OK(keras_model_set_weight(m, 0, kernel, 12));
    CHECK_OK(keras_model_set_weight(m, 1, bias, 3));

    CHECK_OK(keras_model_export_onnx(m, path, 0, NULL));
    data = read_file(path, &n);
    CHECK(data != NULL && n > 100);
    if (data) {
        CHECK(data[0] == 0x08 && data[1] == 8);          /* ir_version (field 1, varint) = 8 */
        CHECK(holds(data, n, kernel, (long)sizeof kernel));
        CHECK(holds(data, n, bias, (long)sizeof bias));
        CHECK(holds(data, n, "features", 8));
        CHECK(holds(data, n, "output_0", 8));
        CHECK(holds(data, n, "batch", 5));
        CHECK(holds(data, n, "Tanh", 4));
        free(data);
    }
    CHECK_OK(keras_model_export_onnx(m, path, 13, "[{\"name\": \"x\", \"shape\": [null, 4], \"dtype\": \"float32\"}]"));
    data = read_file(path, &n);
    CHECK(data != NULL);
    if (data) {
        CHECK(data[0] == 0x08 && data[1] == 7);          /* opset 13: IR 7 */
        CHECK(!holds(data, n, "features", 8));
        free(data);
    }
    unlink(path);

    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "opset_version 5", keras_model_export_onnx(m, path, 5, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "input_signature", keras_model_export_onnx(m, path, 0, "{\"a\": 1}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "specs", keras_model_export_onnx(m, path, 0, "[{}, {}]"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "path", keras_model_export_onnx(m, NULL, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "", keras_model_export_onnx(NULL, path, 0, NULL));
    CHECK(access(path, F_OK) != 0);

    CHECK_OK(keras_sequential_new(NULL, &t));
    CHECK_OK(keras_sequential_add_json(t, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 5, 2]}}"));
    CHECK_OK(keras_sequential_add_json(t, "{\"class_name\": \"UnitNormalization\", \"config\": {\"name\": \"up\"}}"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layer 'up' of class UnitNormalization", keras_model_export_onnx(t, path2, 0, NULL));
    CHECK(access(path2, F_OK) != 0);

    keras_model_free(m);
    keras_model_free(t);
    CHECK_DONE("test_export_onnx");
}
