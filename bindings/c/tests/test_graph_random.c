/* The op graph's random ops and map_coordinates from C (keras_layer_builder_op):
 * - a plugin layer y = x * w + 0.1 * random_normal((batch, 3)) whose noise is drawn anew at
 *   every predict call (a seed generator's draw, "advance": true) or the same at every call (an
 *   integer seed, "advance": false), with its batch read from the input at every step; it
 *   trains natively, the gradient flowing around the noise;
 * - in a standalone graph: dropout's rate and its gradient (the mask), map_coordinates' values
 *   and its gradient with respect to the coordinates (order 1);
 * - a random op drawing from a named seed generator (Keras's SeedGenerator held by the layer):
 *   keras_model_seed_generator reads its state [seed, counter], one more per draw (per predict or
 *   training step), and keras_model_set_seed_generator winds it back to draw the same noise again;
 * - bad attributes are clear errors. */
#include "check.h"
#include "traced_layer.h"
#include <math.h>

static const char *input3 = "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}}";
static const char *noise_attrs = "{\"shape\": [-1, 3], \"seed\": 11, \"advance\": true}";

/* y = x * w + 0.1 * noise, noise of the input's shape (its batch known only per step). */
static int build(void *state, keras_layer_builder *b, int ndim, const int64_t *shape) {
    int64_t x, w, xw, noise, c, small, y, width = shape[ndim - 1], out_shape[KERAS_MAX_RANK];
    const float tenth = 0.1f;
    int out_ndim = 0, rc;
    (void)state;
    if ((rc = b->add_weight(b, "w", 1, &width, "ones", 1)) != 0) return rc;
    if ((rc = keras_layer_builder_input(b, &x)) != 0) return rc;
    if ((rc = keras_layer_builder_weight(b, 0, &w)) != 0) return rc;
    {
        int64_t args[2] = {x, w};
        if ((rc = keras_layer_builder_op(b, "multiply", 2, args, NULL, &xw)) != 0) return rc;
    }
    /* The input is the reference the -1 dimension is read from. */
    if ((rc = keras_layer_builder_op(b, "random_normal", 1, &x, noise_attrs, &noise)) != 0) return rc;
    if ((rc = keras_layer_builder_shape(b, noise, &out_ndim, out_shape)) != 0) return rc;
    if (out_ndim != 2 || out_shape[0] != -1 || out_shape[1] != 3) return 42;
    if ((rc = keras_layer_builder_constant(b, &tenth, 0, NULL, &c)) != 0) return rc;
    {
        int64_t args[2] = {noise, c};
        if ((rc = keras_layer_builder_op(b, "multiply", 2, args, NULL, &small)) != 0) return rc;
    }
    {
        int64_t args[2] = {xw, small};
        if ((rc = keras_layer_builder_op(b, "add", 2, args, NULL, &y)) != 0) return rc;
    }
    return keras_layer_builder_output(b, y, -1);
}

/* The layer's seed generator after 3 predict steps and 30 epochs of 2 training steps (one draw
 * each), when the op names one; none otherwise. */
static void check_generator(keras_model *m, int named) {
    int count = -1;
    uint32_t state[2] = {0, 0};
    const uint32_t back[2] = {11, 0};
    char *gname = NULL, *lname = NULL;
    float a[6], b[6], x[6] = {1, 2, 3, 4, 5, 6};
    const int64_t xs[2] = {2, 3};
    CHECK_OK(keras_model_seed_generator_count(m, &count));
    CHECK(count == (named ? 1 : 0));
    if (!named) {
        CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "out of range", keras_model_seed_generator(m, 0, NULL, NULL, state));
        return;
    }
    CHECK_OK(keras_model_seed_generator(m, 0, &gname, &lname, state));
    printf("seed generator %s of layer %s: state [%u, %u]\n", gname, lname, state[0], state[1]);
    CHECK(strcmp(gname, "noise_gen") == 0 && strcmp(lname, "noisy") == 0);
    CHECK(state[0] == 11 && state[1] == 63);
    keras_string_free(gname);
    keras_string_free(lname);
    CHECK_OK(keras_model_set_seed_generator(m, 0, back));
    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, a, 6, NULL, NULL));
    CHECK_OK(keras_model_set_seed_generator(m, 0, back));
    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, b, 6, NULL, NULL));
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK_OK(keras_model_seed_generator(m, 0, NULL, NULL, state));
    CHECK(state[0] == 11 && state[1] == 1);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "has 1", keras_model_seed_generator(m, 1, NULL, NULL, state));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "state", keras_model_seed_generator(m, 0, NULL, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "state", keras_model_set_seed_generator(m, 0, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "count", keras_model_seed_generator_count(m, NULL));
}

static void test_layer(const char *name, const char *attrs, int advances) {
    float x[60], y[60], p1[60], p2[60], w[3];
    const int64_t xs[2] = {20, 3}, xs5[2] = {5, 3};
    char config[160];
    keras_model *m = NULL;
    keras_layer_class cls;
    int i, differ = 0;
    double mean = 0, var = 0;

    noise_attrs = attrs;
    for (i = 0; i < 60; i++) { x[i] = (float)(i % 11) / 5.0f - 1.0f; y[i] = 2 * x[i]; }
    memset(&cls, 0, sizeof cls);
    cls.struct_size = sizeof cls;
    cls.create = traced_layer_create;
    cls.build = build;
    cls.forward = traced_layer_forward;
    CHECK_OK(keras_register_layer(name, &cls));
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, input3));
    snprintf(config, sizeof config, "{\"class_name\": \"%s\", \"config\": {\"name\": \"noisy\"}}", name);
    CHECK_OK(keras_sequential_add_json(m, config));
    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, p1, 60, NULL, NULL));
    CHECK_OK(keras_model_predict(m, x, 2, xs, NULL, NULL, 0, p2, 60, NULL, NULL));
    for (i = 0; i < 60; i++) {
        double noise = (p1[i] - x[i]) / 0.1;
        mean += noise / 60;
        var += noise * noise / 60;
        if (p1[i] != p2[i]) differ = 1;
    }
    printf("%s: noise mean %.3f, mean square %.3f over 60 draws; second call %s\n", name, mean, var,
           differ ? "differs" : "is the same");
    CHECK(fabs(mean) < 0.4 && var > 0.5 && var < 1.6);
    CHECK(differ == advances);
    /* Another batch size: the noise follows it. */
    CHECK_OK(keras_model_predict(m, x, 2, xs5, NULL, NULL, 0, p1, 15, NULL, NULL));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.5}}, \"loss\": \"mse\"}"));
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, xs, "{\"epochs\": 30, \"batch_size\": 10, \"verbose\": 0}", NULL, 0, NULL));
    CHECK_OK(keras_model_get_weight(m, 0, w, 3));
    printf("%s weights after training towards 2: %.3f %.3f %.3f\n", name, w[0], w[1], w[2]);
    for (i = 0; i < 3; i++) CHECK(fabsf(w[i] - 2) < 0.1f);
    check_generator(m, strstr(attrs, "seed_generator") != NULL);
    keras_model_free(m);
}

static void test_function_graph(void) {
    keras_layer_builder *g = NULL;
    enum { ROWS = 100, COLS = 40 };
    static float ones[ROWS * COLS], out[ROWS * COLS], grad[ROWS * COLS];
    const int64_t shape[2] = {ROWS, COLS};
    int64_t xn, d;
    int i, zeros = 0;
    const float *cot[1];
    float *vals[1], *grads[1];

    for (i = 0; i < ROWS * COLS; i++) ones[i] = 1.0f;
    CHECK_OK(keras_graph_new(&g));
    CHECK_OK(keras_graph_argument(g, ones, 2, shape, &xn));
    CHECK_OK(keras_layer_builder_op(g, "dropout", 1, &xn, "{\"rate\": 0.25, \"seed\": 5}", &d));
    cot[0] = ones;
    vals[0] = out;
    grads[0] = grad;
    CHECK_OK(keras_graph_vjp(g, 1, &d, cot, vals, grads));
    for (i = 0; i < ROWS * COLS; i++) {
        if (out[i] == 0) zeros++;
        else CHECK(fabsf(out[i] - 1 / 0.75f) < 1e-6f);
        CHECK(grad[i] == out[i]);   /* d out / d x is the mask */
    }
    printf("dropout(rate 0.25): %.4f of %d entries dropped\n", (double)zeros / (ROWS * COLS), ROWS * COLS);
    CHECK(fabs((double)zeros / (ROWS * COLS) - 0.25) < 0.02);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "'rate'", keras_layer_builder_op(g, "dropout", 1, &xn, "{\"rate\": 2}", &d));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "no reference input",
              keras_layer_builder_op(g, "random_uniform", 0, NULL, "{\"shape\": [-1, 2]}", &d));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "fill_mode",
              keras_layer_builder_op(g, "map_coordinates", 2, (int64_t[]){xn, xn}, "{\"order\": 1, \"fill_mode\": \"edge\"}", &d));
    keras_graph_free(g);

    /* map_coordinates of a 2x3 image at two points, linear, constant fill 0: values and
     * d value / d coordinates (the slopes between neighbours). */
    {
        const float image[6] = {0, 1, 2, 10, 11, 12};
        const float coords[4] = {0.5f, 0.25f, 1.5f, 1.0f}; /* rows (0.5, 0.25), cols (1.5, 1.0) */
        const int64_t ishape[2] = {2, 3}, cshape[2] = {2, 2};
        const float up[2] = {1, 1};
        float value[2], gimage[6], gcoords[4];
        int64_t in, cn, mc;
        float *gs[2];
        CHECK_OK(keras_graph_new(&g));
        CHECK_OK(keras_graph_argument(g, image, 2, ishape, &in));
        CHECK_OK(keras_graph_argument(g, coords, 2, cshape, &cn));
        CHECK_OK(keras_layer_builder_op(g, "map_coordinates", 2, (int64_t[]){in, cn}, "{\"order\": 1}", &mc));
        cot[0] = up;
        vals[0] = value;
        gs[0] = gimage;
        gs[1] = gcoords;
        CHECK_OK(keras_graph_vjp(g, 1, &mc, cot, vals, gs));
        printf("map_coordinates: %.3f %.3f, d/d rows %.3f %.3f, d/d cols %.3f %.3f\n", value[0], value[1],
               gcoords[0], gcoords[1], gcoords[2], gcoords[3]);
        /* (0.5, 1.5): mean of 1, 2, 11, 12 = 6.5; (0.25, 1): 1 + 0.25 * 10 = 3.5. */
        CHECK(fabsf(value[0] - 6.5f) < 1e-5f && fabsf(value[1] - 3.5f) < 1e-5f);
        CHECK(fabsf(gcoords[0] - 10) < 1e-5f && fabsf(gcoords[1] - 10) < 1e-5f);
        CHECK(fabsf(gcoords[2] - 1) < 1e-5f && fabsf(gcoords[3] - 1) < 1e-5f);
        keras_graph_free(g);
    }
}

int main(void) {
    test_layer("NoisyScale", "{\"shape\": [-1, 3], \"seed\": 11, \"advance\": true}", 1);
    test_layer("FixedNoiseScale", "{\"shape\": [null, 3], \"seed\": 11, \"advance\": false}", 0);
    test_layer("GeneratorNoiseScale", "{\"shape\": [-1, 3], \"seed\": 11, \"seed_generator\": \"noise_gen\"}", 1);
    test_function_graph();
    CHECK_DONE("test_graph_random");
}
