/* A C plugin layer written as a composition of built-in ops (keras_layer_builder_op): traced in
 * build, it trains with the library's autodiff although it has no backward function and its
 * forward callback is never called; bad ops are clear errors. A traced loss
 * (keras_layer_builder_loss, Keras's add_loss) joins the training loss with its gradient; a weight
 * made by add_weight_ex has its regularizer's penalty and its constraint. A traced call may call a
 * built-in layer (keras_layer_builder_layer): its weights are the plugin layer's, trained natively;
 * a plugin layer may subclass a built-in one (keras_layer_builder_base), its weights its own. */
#include "check.h"
#include <math.h>

static const char *input3 = "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}}";
static int forward_calls = 0;
static int bad_op_rc = 0;
static char bad_op_message[512];

static int create(void *ud, const char *cfg, void **state) { (void)ud; (void)cfg; *state = NULL; return 0; }

/* y = tanh(x) * w over the last axis; w starts at ones. */
static int build(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, w, t, y, width = shape[ndim - 1], out_shape[KERAS_MAX_RANK];
    int out_ndim = 0, rc;
    (void)state;
    if ((rc = b->add_weight(b, "w", 1, &width, "ones", 1)) != 0) return rc;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    if ((rc = keras_layer_builder_weight(b, 0, &w)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "tanh", 1, &x, NULL, &t)) != 0) return rc;
    {
        int64_t args[2] = {t, w};
        if ((rc = keras_layer_builder_op(b, "multiply", 2, args, NULL, &y)) != 0) return rc;
    }
    if ((rc = keras_layer_builder_shape(b, y, &out_ndim, out_shape)) != 0) return rc;
    if (out_ndim != 2 || out_shape[0] != -1 || out_shape[1] != 3) return 42;
    bad_op_rc = keras_layer_builder_op(b, "no_such_op", 1, &x, NULL, &t);
    snprintf(bad_op_message, sizeof bad_op_message, "%s", keras_last_error());
    return keras_layer_builder_output(b, y, -1);
}

/* y = x * w with the penalty 0.1 * sum(w^2) added to the loss (Keras: add_loss). */
static int build_penalized(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, w, y, sq, total, c, scaled, width = shape[ndim - 1];
    const float tenth = 0.1f;
    int rc;
    (void)state;
    if ((rc = b->add_weight(b, "w", 1, &width, "ones", 1)) != 0) return rc;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    if ((rc = keras_layer_builder_weight(b, 0, &w)) != 0) return rc;
    {
        int64_t args[2] = {x, w};
        if ((rc = keras_layer_builder_op(b, "multiply", 2, args, NULL, &y)) != 0) return rc;
    }
    if ((rc = keras_layer_builder_op(b, "square", 1, &w, NULL, &sq)) != 0) return rc;
    if ((rc = keras_layer_builder_op(b, "sum", 1, &sq, NULL, &total)) != 0) return rc;
    if ((rc = keras_layer_builder_constant(b, &tenth, 0, NULL, &c)) != 0) return rc;
    {
        int64_t args[2] = {total, c};
        if ((rc = keras_layer_builder_op(b, "multiply", 2, args, NULL, &scaled)) != 0) return rc;
    }
    if ((rc = keras_layer_builder_loss(b, scaled, -1)) != 0) return rc;
    return keras_layer_builder_output(b, y, -1);
}

/* y = tanh(dense(x)): a built-in Dense(1) held at attribute "dense", called in the traced call. */
static int unknown_layer_rc = 0;
static char unknown_layer_message[512];
static int missing_weight_rc = 0, kernel_ndim = 0;
static int64_t kernel_shape[8];
static char missing_weight_message[512];
static int build_with_dense(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, d, y, again, k, held_shape[2] = {-1, 3};
    int rc;
    (void)state; (void)ndim; (void)shape;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    if ((rc = keras_layer_builder_layer(b, "dense", 0, -1,
                                        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"inner\", \"units\": 1}}",
                                        1, &x, -1, &d)) != 0) return rc;
    /* The same attribute again is the same layer (no second set of weights). */
    if ((rc = keras_layer_builder_layer(b, "dense", 0, -1, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}",
                                        1, &x, -1, &again)) != 0) return rc;
    unknown_layer_rc = keras_layer_builder_layer(b, "other", 1, -1, "{\"class_name\": \"NoSuchLayer\", \"config\": {}}",
                                                 1, &x, -1, &again);
    snprintf(unknown_layer_message, sizeof unknown_layer_message, "%s", keras_last_error());
    /* Its kernel read as a node (Keras: `self.dense.kernel` in the call): (3, 1); a weight it
     * lacks is refused, naming the ones it has. */
    if ((rc = keras_layer_builder_layer_weight(b, "dense", 0, -1, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}",
                                               2, held_shape, "kernel", &k)) != 0) return rc;
    if ((rc = keras_layer_builder_shape(b, k, &kernel_ndim, kernel_shape)) != 0) return rc;
    missing_weight_rc = keras_layer_builder_layer_weight(b, "dense", 0, -1, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}",
                                                         2, held_shape, "gamma", &k);
    snprintf(missing_weight_message, sizeof missing_weight_message, "%s", keras_last_error());
    if ((rc = keras_layer_builder_op(b, "tanh", 1, &d, NULL, &y)) != 0) return rc;
    return keras_layer_builder_output(b, y, -1);
}

/* y = 2 * super().call(x): a layer subclassing the built-in Dense(1) (keras_layer_builder_base),
 * whose kernel and bias are its own weights; super().call before the base exists and a second
 * base are refused. */
static int early_base_call_rc = 0, second_base_rc = 0;
static char base_weights[256];
static int build_subclass(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, d, two, y;
    const float value = 2.0f;
    char *weights = NULL;
    int rc;
    (void)state; (void)ndim; (void)shape;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    early_base_call_rc = keras_layer_builder_base_call(b, 1, &x, -1, 0, &d);
    if ((rc = keras_layer_builder_base(b, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}", &weights)) != 0)
        return rc;
    snprintf(base_weights, sizeof base_weights, "%s", weights);
    keras_string_free(weights);
    second_base_rc = keras_layer_builder_base(b, "{\"class_name\": \"Dense\", \"config\": {\"units\": 1}}", NULL);
    if ((rc = keras_layer_builder_base_call(b, 1, &x, -1, 0, &d)) != 0) return rc;
    if ((rc = keras_layer_builder_constant(b, &value, 0, NULL, &two)) != 0) return rc;
    {
        int64_t args[2] = {d, two};
        if ((rc = keras_layer_builder_op(b, "multiply", 2, args, NULL, &y)) != 0) return rc;
    }
    return keras_layer_builder_output(b, y, -1);
}

/* y = attention(x, x) with Keras's call arguments (keras_layer_builder_layer_call): the
 * explicit attention mask, the causal one and the scores as a second output; the masks of the
 * input (keras_layer_builder_mask). Bad arguments are clear errors. Input (batch, 4, 6). */
static int n_attention_outputs = 0, small_capacity_rc = 0, bad_arguments_rc = 0;
static int attention_input_mask = -2, has_mask_range_rc = 0;
static int64_t scores_shape[KERAS_MAX_RANK];
static int scores_ndim = 0;
static char small_capacity_message[512];
static int build_attention(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, m, outs[4], one = 0, args[2];
    const char *config = "{\"class_name\": \"MultiHeadAttention\", \"config\": {\"num_heads\": 2, \"key_dim\": 3}}";
    char arguments[160];
    int rc;
    (void)state; (void)ndim; (void)shape;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    if ((rc = keras_layer_builder_mask(b, 0, &m)) != 0) return rc;   /* (batch, 4): ones here */
    /* (the config's node gives the call no mask: its input carries none) */
    if ((rc = keras_layer_builder_input_has_mask(b, 0, &attention_input_mask)) != 0) return rc;
    has_mask_range_rc = keras_layer_builder_input_has_mask(b, 1, &attention_input_mask);
    {
        const float ones[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        const int64_t square[3] = {1, 4, 4};
        if ((rc = keras_layer_builder_constant(b, ones, 3, square, &one)) != 0) return rc;
    }
    snprintf(arguments, sizeof arguments, "{\"masks\": [%lld, null], \"attention_mask\": %lld, "
             "\"kwargs\": {\"use_causal_mask\": true, \"return_attention_scores\": true}}", (long long)m, (long long)one);
    args[0] = x;
    args[1] = x;
    small_capacity_rc = keras_layer_builder_layer_call(b, "att", 0, -1, config, 2, args, arguments, -1, 1, outs, &n_attention_outputs);
    snprintf(small_capacity_message, sizeof small_capacity_message, "%s", keras_last_error());
    bad_arguments_rc = keras_layer_builder_layer_call(b, "att", 0, -1, config, 2, args, "{\"masks\": 3}", -1, 4, outs, &n_attention_outputs);
    if ((rc = keras_layer_builder_layer_call(b, "att", 0, -1, config, 2, args, arguments, -1, 4, outs, &n_attention_outputs)) != 0) return rc;
    if ((rc = keras_layer_builder_shape(b, outs[1], &scores_ndim, scores_shape)) != 0) return rc;
    return keras_layer_builder_outputs(b, n_attention_outputs, outs, -1);
}

/* y = x * w, w created by add_weight_ex with an L2(0.05) regularizer and a MaxNorm(1) constraint
 * (Keras's add_weight(regularizer=..., constraint=...)); an unknown option is refused. */
static int bad_option_rc = 0;
static char bad_option_message[512];
static int build_constrained(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, w, y, width = shape[ndim - 1];
    int rc;
    (void)state;
    bad_option_rc = b->add_weight_ex(b, "v", 1, &width, "ones", 1, "{\"regularizer\": \"l2\", \"decay\": 1}");
    snprintf(bad_option_message, sizeof bad_option_message, "%s", keras_last_error());
    if ((rc = b->add_weight_ex(b, "w", 1, &width, "ones", 1,
                               "{\"regularizer\": {\"class_name\": \"L2\", \"config\": {\"l2\": 0.05}}, "
                               "\"constraint\": {\"class_name\": \"MaxNorm\", \"config\": {\"max_value\": 1.0, \"axis\": 0}}}")) != 0)
        return rc;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    if ((rc = keras_layer_builder_weight(b, 0, &w)) != 0) return rc;
    {
        int64_t args[2] = {x, w};
        if ((rc = keras_layer_builder_op(b, "multiply", 2, args, NULL, &y)) != 0) return rc;
    }
    return keras_layer_builder_output(b, y, -1);
}

static int forward(void *state, const float *x, int ndim, const int64_t *shape,
                   const float *const *w, int nw, float *y, int training) {
    (void)state; (void)x; (void)ndim; (void)shape; (void)w; (void)nw; (void)y; (void)training;
    forward_calls++;
    keras_callback_error("the forward callback of a traced layer must not run");
    return 1;
}

/* A model of an input of 3 features and one layer of class `name` (registered with `build`)
 * after `epochs` steps of SGD(0.5) on mse over x, y (10 rows); its weights into w. */
static keras_model *trained(keras_layer_class *cls, const char *name,
                            int (*build_fn)(void *, keras_layer_builder *, int, const int64_t *),
                            const float *x, const float *y, int epochs, float *w) {
    const int64_t xs[2] = {10, 3};
    char layer[256], options[128];
    keras_model *m = NULL;
    cls->build = build_fn;
    snprintf(layer, sizeof layer, "{\"class_name\": \"%s\", \"config\": {\"name\": \"probe_%d\"}}", name, epochs);
    snprintf(options, sizeof options, "{\"epochs\": %d, \"batch_size\": 10, \"verbose\": 0}", epochs);
    CHECK_OK(keras_register_layer(name, cls));
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, input3));
    CHECK_OK(keras_sequential_add_json(m, layer));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.5}}, \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, xs, options, NULL, 0, NULL));
    CHECK_OK(keras_model_get_weight(m, 0, w, 3));
    return m;
}

/* A model of an input of 3 features and the layer of class `name` (registered with `build_fn`),
 * whose two weights are a Dense(1)'s kernel and bias, after `epochs` steps of SGD(lr) on mse over
 * x, y (10 rows): they must have learnt x . [0.5, -1, 0.25] + 0.1 (the plugin has no backward). */
static void learns_dense(keras_layer_class *cls, const char *name,
                         int (*build_fn)(void *, keras_layer_builder *, int, const int64_t *),
                         float lr, int epochs, const float *x, const float *y) {
    const int64_t xs[2] = {10, 3}, ys[2] = {10, 1};
    char layer[256], compile[256], options[128];
    keras_model *m = NULL;
    int count = 0;
    float w[3], b = 0;
    cls->build = build_fn;
    snprintf(layer, sizeof layer, "{\"class_name\": \"%s\", \"config\": {\"name\": \"learner\"}}", name);
    snprintf(compile, sizeof compile, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": "
             "{\"learning_rate\": %g}}, \"loss\": \"mse\"}", lr);
    snprintf(options, sizeof options, "{\"epochs\": %d, \"batch_size\": 10, \"verbose\": 0}", epochs);
    CHECK_OK(keras_register_layer(name, cls));
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, input3));
    CHECK_OK(keras_sequential_add_json(m, layer));
    CHECK_OK(keras_model_compile(m, compile));
    CHECK_OK(keras_model_weight_count(m, &count));
    CHECK(count == 2);
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, options, NULL, 0, NULL));
    CHECK_OK(keras_model_get_weight(m, 0, w, 3));
    CHECK_OK(keras_model_get_weight(m, 1, &b, 1));
    printf("%s's Dense after training: %.4f %.4f %.4f + %.4f\n", name, w[0], w[1], w[2], b);
    CHECK(fabsf(w[0] - 0.5f) < 2e-2f && fabsf(w[1] + 1) < 2e-2f && fabsf(w[2] - 0.25f) < 2e-2f && fabsf(b - 0.1f) < 2e-2f);
    CHECK(forward_calls == 0);
    keras_model_free(m);
}

int main(void) {
    float x[30], y[30], pred[30], w[3];
    const int64_t xs[2] = {10, 3};
    int64_t node = 0;
    int i;
    keras_model *m = NULL;
    keras_layer_class cls;

    /* x in -1.5 .. 1.5 (tanh well away from 0): 60 steps of SGD(0.5) bring w within 1e-4 of the target. */
    for (i = 0; i < 30; i++) { x[i] = (float)(i % 7 - 3) * 0.5f; y[i] = tanhf(x[i]) * (float)(1 + i % 3); }
    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = create;
    cls.forward = forward;
    m = trained(&cls, "TanhScale", build, x, y, 60, w);
    printf("TanhScale weights after training: %.4f %.4f %.4f\n", w[0], w[1], w[2]);
    CHECK(fabsf(w[0] - 1) < 1e-2f && fabsf(w[1] - 2) < 1e-2f && fabsf(w[2] - 3) < 1e-2f);
    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, pred, 30, NULL, NULL));
    for (i = 0; i < 30; i++) CHECK(fabsf(pred[i] - tanhf(x[i]) * w[i % 3]) < 1e-5f);
    CHECK(forward_calls == 0);
    CHECK(bad_op_rc == KERAS_ERR_INVALID_ARGUMENT && strstr(bad_op_message, "no_such_op"));
    /* Outside build there is no graph to trace into. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL", keras_layer_builder_input(NULL, &node));
    keras_model_free(m);

    /* On zero inputs the data loss has no gradient: only the penalty moves w, by
     * w <- w - 0.5 * 0.2 w = 0.9 w per step, from ones: 0.9^10 after 10 steps. */
    memset(x, 0, sizeof x);
    memset(y, 0, sizeof y);
    m = trained(&cls, "ScalePenalized", build_penalized, x, y, 10, w);
    printf("ScalePenalized weights after 10 steps: %.5f %.5f %.5f (0.9^10 = %.5f)\n", w[0], w[1], w[2], powf(0.9f, 10));
    for (i = 0; i < 3; i++) CHECK(fabsf(w[i] - powf(0.9f, 10)) < 1e-5f);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "training must be", keras_layer_builder_loss(NULL, 0, 2));
    keras_model_free(m);

    /* On zero inputs only the penalty 0.05 * sum(w^2) moves w: w <- 0.95 w per step; after the
     * first, MaxNorm brings its norm (0.95 sqrt(3)) to 1, so 0.95^9 / sqrt(3) after 10 steps. */
    m = trained(&cls, "ScaleConstrained", build_constrained, x, y, 10, w);
    for (i = 0; i < 3; i++) CHECK(fabsf(w[i] - powf(0.95f, 9) / sqrtf(3)) < 1e-5f);
    CHECK(bad_option_rc == KERAS_ERR_INVALID_ARGUMENT && strstr(bad_option_message, "decay"));
    keras_model_free(m);

    /* A built-in Dense inside the traced call: y = tanh(x . [0.5, -1, 0.25] + 0.1) is learnt
     * through it (the plugin has no backward), its kernel and bias the plugin layer's weights.
     * x: the 8 corners of [-1, 1]^3 (orthogonal columns, so plain SGD converges in tens of
     * steps from any Glorot start) and two inner points. */
    for (i = 0; i < 24; i++) x[i] = ((i / 3) >> (2 - i % 3)) & 1 ? 1.0f : -1.0f;
    for (i = 24; i < 30; i++) x[i] = (i == 25 || i == 27) ? -0.5f : 0.5f;
    for (i = 0; i < 10; i++) y[i] = tanhf(0.5f * x[3 * i] - x[3 * i + 1] + 0.25f * x[3 * i + 2] + 0.1f);
    learns_dense(&cls, "DenseTanh", build_with_dense, 1.0f, 80, x, y);
    CHECK(unknown_layer_rc != 0 && strstr(unknown_layer_message, "NoSuchLayer"));
    CHECK(kernel_ndim == 2 && kernel_shape[0] == 3 && kernel_shape[1] == 1);
    CHECK(missing_weight_rc == KERAS_ERR_INVALID_ARGUMENT && strstr(missing_weight_message, "no weight 'gamma'") &&
          strstr(missing_weight_message, "kernel, bias"));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL",
              keras_layer_builder_layer_weight(NULL, "a", 0, -1, "{}", 1, &node, "kernel", &node));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "training must be",
              keras_layer_builder_layer(NULL, "a", 0, -1, "{}", 1, &node, 2, &node));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL",
              keras_layer_builder_layer(NULL, "a", 0, -1, "{}", 1, &node, -1, &node));

    /* A subclass of Dense(1) learning 2 * (x . [0.5, -1, 0.25] + 0.1) as 2 * super().call(x): its
     * own weights are the Dense's kernel and bias, trained natively. */
    for (i = 0; i < 10; i++) y[i] = 2.0f * (0.5f * x[3 * i] - x[3 * i + 1] + 0.25f * x[3 * i + 2] + 0.1f);
    learns_dense(&cls, "TwiceDense", build_subclass, 0.1f, 40, x, y);
    CHECK(strstr(base_weights, "\"kernel\"") && strstr(base_weights, "\"bias\"") && strstr(base_weights, "[3, 1]"));
    CHECK(early_base_call_rc == KERAS_ERR_STATE && second_base_rc == KERAS_ERR_INVALID_ARGUMENT);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL", keras_layer_builder_base(NULL, "{}", NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "training must be", keras_layer_builder_base_call(NULL, 1, &node, 2, 0, &node));

    /* MultiHeadAttention with its call arguments inside a traced call: two outputs, the second
     * the scores (batch, heads, 4, 4); the layer's functional call then gives both. */
    cls.build = build_attention;
    CHECK_OK(keras_register_layer("CausalAttention", &cls));
    CHECK_OK(keras_model_from_json(
        "{\"class_name\": \"Functional\", \"config\": {\"name\": \"att_model\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"name\": \"in\", \"config\": {\"name\": \"in\", \"batch_shape\": [null, 4, 6]}, \"inbound_nodes\": []},"
        "{\"class_name\": \"CausalAttention\", \"name\": \"ca\", \"config\": {\"name\": \"ca\"}, \"inbound_nodes\": ["
        "{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": [\"in\", 0, 0]}}], \"kwargs\": {}}]}],"
        "\"input_layers\": [[\"in\", 0, 0]], \"output_layers\": [[\"ca\", 0, 0], [\"ca\", 0, 1]]}}", &m));
    CHECK(small_capacity_rc == KERAS_ERR_INVALID_ARGUMENT && strstr(small_capacity_message, "capacity"));
    CHECK(bad_arguments_rc == KERAS_ERR_INVALID_ARGUMENT);
    CHECK(attention_input_mask == 0 && has_mask_range_rc == KERAS_ERR_INVALID_ARGUMENT);
    CHECK(n_attention_outputs == 2 && scores_ndim == 4 && scores_shape[1] == 2 && scores_shape[2] == 4 && scores_shape[3] == 4);
    {
        int count = 0;
        CHECK_OK(keras_model_output_count(m, &count));
        CHECK(count == 2);
    }
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL", keras_layer_builder_mask(NULL, 0, &node));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL", keras_layer_builder_input_has_mask(NULL, 0, &i));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL", keras_layer_builder_masks_absent(NULL, &i));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "builder is NULL", keras_layer_builder_reads_sizes(NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n must be", keras_layer_builder_outputs(NULL, 0, &node, -1));
    keras_model_free(m);
    CHECK_DONE("test_graph_layer");
}
