/* A model made while a traced layer builds (Keras: a layer's __init__ making a Sequential with
 * its Input, built there) names its weights from the root when made inside
 * keras_name_scope_open_root (`rooted/d/kernel`, as Keras), and under the layer being built
 * without it (`held/plain/d/kernel`); keras_name_scope_close restores the scopes that were open,
 * and a depth that is not open is a clear error. */
#include "check.h"
#include "traced_layer.h"

static keras_model *rooted = NULL, *plain = NULL;
static int open_rc = -1, close_rc = -1, null_rc = 0, bad_close_rc = 0, depth = 0, nested_depth = 0;
static char bad_close_message[512];

static const char *seq_json(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf,
             "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"%s\", \"layers\": ["
             "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}},"
             "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 2}}]}}", name);
    return buf;
}

/* y = rooted(x) + plain(x), both made here, while the layer builds. */
static int build(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, a, c, y;
    int n = 0, rc, inner_depth = 0;
    (void)state; (void)ndim; (void)shape;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    null_rc = keras_name_scope_open_root(NULL);
    open_rc = keras_name_scope_open_root(&depth);
    /* A root inside a root, closed with the outer one. */
    if ((rc = keras_name_scope_open_root(&nested_depth)) != 0) return rc;
    (void)inner_depth;
    if ((rc = keras_model_from_json(seq_json("rooted"), &rooted)) != 0) return rc;
    close_rc = keras_name_scope_close(depth);
    bad_close_rc = keras_name_scope_close(depth);
    snprintf(bad_close_message, sizeof bad_close_message, "%s", keras_last_error());
    if ((rc = keras_model_from_json(seq_json("plain"), &plain)) != 0) return rc;
    if ((rc = keras_layer_builder_model_call(b, "rooted", 0, -1, rooted, 1, &x, -1, 1, &a, &n)) != 0) return rc;
    if ((rc = keras_layer_builder_model_call(b, "plain", 1, -1, plain, 1, &x, -1, 1, &c, &n)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "add", 2, (int64_t[]){a, c}, NULL, &y)) != 0) return rc;
    return keras_layer_builder_output(b, y, -1);
}

static const char *outer_json =
    "{\"class_name\": \"Functional\", \"config\": {\"name\": \"outer\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"name\": \"in\", \"config\": {\"name\": \"in\", \"batch_shape\": [null, 3]}, \"inbound_nodes\": []},"
    "{\"class_name\": \"MakesModels\", \"name\": \"held\", \"config\": {\"name\": \"held\"}, \"inbound_nodes\": ["
    "{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": [\"in\", 0, 0]}}], \"kwargs\": {}}]}],"
    "\"input_layers\": [[\"in\", 0, 0]], \"output_layers\": [[\"held\", 0, 0]]}}";

static void check_path(keras_model *model, int index, const char *expected) {
    char *name = NULL;
    int64_t shape[4];
    int ndim = 0;
    CHECK_OK(keras_model_weight_info(model, index, &name, shape, 4, &ndim));
    if (name == NULL || strcmp(name, expected) != 0) {
        fprintf(stderr, "weight %d: path %s, expected %s\n", index, name ? name : "(null)", expected);
        check_failures++;
    }
    keras_string_free(name);
}

int main(void) {
    keras_model *outer = NULL, *alone = NULL;
    keras_layer_class cls;
    int count = 0, d = 0;

    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = traced_layer_create;
    cls.forward = traced_layer_forward;
    cls.build = build;
    CHECK_OK(keras_register_layer("MakesModels", &cls));
    CHECK_OK(keras_model_from_json(outer_json, &outer));
    CHECK(null_rc == KERAS_ERR_INVALID_ARGUMENT);
    CHECK(open_rc == KERAS_OK && close_rc == KERAS_OK && depth >= 1 && nested_depth == depth + 1);
    CHECK(bad_close_rc == KERAS_ERR_INVALID_ARGUMENT && strstr(bad_close_message, "not open"));
    CHECK_OK(keras_model_weight_count(outer, &count));
    CHECK(count == 4);
    /* Made in a root scope: Keras's path of a model built outside the layer's build. */
    check_path(rooted, 0, "rooted/d/kernel");
    check_path(outer, 0, "rooted/d/kernel");
    /* Made after the scope closed: under the layer being built again. */
    check_path(plain, 0, "held/plain/d/kernel");
    check_path(outer, 2, "held/plain/d/kernel");
    /* Outside any build, a root scope changes nothing; closing it twice is an error. */
    CHECK_OK(keras_name_scope_open_root(&d));
    CHECK(d == 1);
    CHECK_OK(keras_model_from_json(seq_json("alone"), &alone));
    check_path(alone, 0, "alone/d/kernel");
    CHECK_OK(keras_name_scope_close(d));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not open", keras_name_scope_close(d));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not open", keras_name_scope_close(0));
    keras_model_free(alone);
    keras_model_free(rooted);
    keras_model_free(plain);
    keras_model_free(outer);
    CHECK_DONE("test_name_scope_root");
}
