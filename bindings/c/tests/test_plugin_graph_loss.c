/* A plugin library (plugin_graph_loss.so, loaded with keras_load_plugin) registers a loss written
 * as an op graph through the registrar's register_loss_graph and builder_* fields: a model
 * trained with it follows one trained with the built-in "mae" (fit losses, evaluate). Its init,
 * given a registrar of the size a library from before those fields passes, declines with its
 * message instead of calling through fields that are not there. */
#include "check.h"
#include <dlfcn.h>
#include <math.h>
#include <stddef.h>

static keras_model *dense_model(const char *loss) {
    keras_model *m = NULL;
    char spec[256];
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 2, \"kernel_initializer\": \"ones\"}}"));
    snprintf(spec, sizeof spec, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.05}}, \"loss\": \"%s\"}", loss);
    CHECK_OK(keras_model_compile(m, spec));
    return m;
}

static char older_message[256];
static void note_error(const char *message) { snprintf(older_message, sizeof older_message, "%s", message); }

int main(int argc, char **argv) {
    const char *plugin = argc > 1 ? argv[1] : "./plugin_graph_loss.so";
    const char *fit_options = "{\"epochs\": 3, \"batch_size\": 4, \"verbose\": 0, \"shuffle\": false}";
    float x[30], y[20];
    const int64_t xs[2] = {10, 3}, ys[2] = {10, 2};
    char *h_ref = NULL, *h_plugin = NULL, *e_ref = NULL, *e_plugin = NULL;
    keras_model *ref, *mine;
    keras_plugin_registrar older;
    keras_plugin_init_fn init;
    void *handle;
    int i, epoch;

    for (i = 0; i < 30; i++) x[i] = (float)(i % 7) / 7.0f - 0.4f;
    for (i = 0; i < 20; i++) y[i] = (float)(i % 5) / 5.0f - 0.3f;
    CHECK_OK(keras_load_plugin(plugin));
    ref = dense_model("mae");
    mine = dense_model("plugin_mae");
    CHECK_OK(keras_model_fit(ref, x, 2, xs, y, 2, ys, fit_options, NULL, 0, &h_ref));
    CHECK_OK(keras_model_fit(mine, x, 2, xs, y, 2, ys, fit_options, NULL, 0, &h_plugin));
    printf("mae: %s\nplugin_mae: %s\n", h_ref, h_plugin);
    for (epoch = 0; epoch < 3; epoch++) {
        double want = number_at(h_ref, "loss", epoch);
        CHECK(fabs(number_at(h_plugin, "loss", epoch) - want) < 1e-6 * (1 + fabs(want)));
    }
    CHECK_OK(keras_model_evaluate(ref, x, 2, xs, y, 2, ys, "{\"verbose\": 0}", NULL, 0, &e_ref));
    CHECK_OK(keras_model_evaluate(mine, x, 2, xs, y, 2, ys, "{\"verbose\": 0}", NULL, 0, &e_plugin));
    CHECK(fabs(number_at(e_plugin, "loss", 0) - number_at(e_ref, "loss", 0)) < 1e-6);

    /* The registrar of a library from before register_loss_graph: the plugin declines. */
    handle = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
    CHECK(handle != NULL);
    *(void **)(&init) = dlsym(handle, KERAS_PLUGIN_INIT_SYMBOL);
    CHECK(init != NULL);
    memset(&older, 0, sizeof older);
    older.struct_size = offsetof(keras_plugin_registrar, register_loss_graph);
    older.callback_error = note_error;
    CHECK(init(&older) != 0);
    CHECK(strstr(older_message, "register_loss_graph") != NULL);
    dlclose(handle);

    keras_string_free(h_ref);
    keras_string_free(h_plugin);
    keras_string_free(e_ref);
    keras_string_free(e_plugin);
    keras_model_free(ref);
    keras_model_free(mine);
    CHECK_DONE("test_plugin_graph_loss");
}
