/* A function of arrays as a standalone op graph (keras_graph_*): f(a, b) = sum over the last axis
 * of tanh(a) * b + a @ m, with m a constant; its values, the vector-Jacobian product
 * (keras_graph_vjp: input gradients) and the Jacobian-vector product (keras_graph_jvp) against
 * the analytic derivatives and central differences; bad input gets clear errors. Then
 * keras_model_call / keras_model_weight_losses: Keras's model(x) and model.losses (activity and
 * weight penalties) against the formulas. */
#include "check.h"
#include <math.h>

#define N 2
#define K 3

static const float a0[N * K] = {0.1f, -0.4f, 0.7f, 1.2f, -0.3f, 0.05f};
static const float b0[N * K] = {0.5f, 2.0f, -1.0f, 0.25f, 1.5f, -0.75f};
static const float m0[K * K] = {0.2f, -0.1f, 0.3f, 0.0f, 0.4f, -0.5f, 0.6f, 0.1f, -0.2f};

/* f(a, b)[i] = sum_j tanh(a_ij) b_ij + sum_j (a m)_ij, in double. */
static void f_ref(const float *a, const float *b, double *out) {
    for (int i = 0; i < N; i++) {
        double s = 0;
        for (int j = 0; j < K; j++) {
            s += tanh((double)a[i * K + j]) * b[i * K + j];
            for (int l = 0; l < K; l++) s += (double)a[i * K + l] * m0[l * K + j];
        }
        out[i] = s;
    }
}

/* Builds f on a new graph; returns the output node. */
static int build_f(keras_layer_builder *g, const float *a, const float *b, int64_t *out) {
    int64_t shape[2] = {N, K}, mshape[2] = {K, K}, na, nb, nm, t, p, mm, s, y;
    int rc;
    if ((rc = keras_graph_argument(g, a, 2, shape, &na)) != 0) return rc;
    if ((rc = keras_graph_argument(g, b, 2, shape, &nb)) != 0) return rc;
    if ((rc = keras_layer_builder_constant(g, m0, 2, mshape, &nm)) != 0) return rc;
    if ((rc = keras_layer_builder_op(g, "tanh", 1, &na, NULL, &t)) != 0) return rc;
    {
        int64_t args[2] = {t, nb};
        if ((rc = keras_layer_builder_op(g, "multiply", 2, args, NULL, &p)) != 0) return rc;
    }
    {
        int64_t args[2] = {na, nm};
        if ((rc = keras_layer_builder_op(g, "matmul", 2, args, NULL, &mm)) != 0) return rc;
    }
    {
        int64_t args[2] = {p, mm};
        if ((rc = keras_layer_builder_op(g, "add", 2, args, NULL, &s)) != 0) return rc;
    }
    if ((rc = keras_layer_builder_op(g, "sum", 1, &s, "{\"axis\": -1}", &y)) != 0) return rc;
    *out = y;
    return 0;
}

static void test_graph(void) {
    keras_layer_builder *g = NULL;
    int64_t y, x_node, shape[KERAS_MAX_RANK];
    int ndim = 0;
    float values[N], ga[N * K], gb[N * K], ta[N * K], tb[N * K], jvp[N];
    const float cot[N] = {1.0f, -2.0f};
    double ref[N];
    CHECK_OK(keras_graph_new(&g));
    CHECK_OK(build_f(g, a0, b0, &y));
    CHECK_OK(keras_layer_builder_shape(g, y, &ndim, shape));
    CHECK(ndim == 1 && shape[0] == N);
    f_ref(a0, b0, ref);

    /* vjp: d/da sum_i c_i f_i = c_i (1 - tanh^2 a_ij) b_ij + c_i sum_l m_jl; d/db = c_i tanh a_ij. */
    {
        const float *cots[1] = {cot};
        float *vals[1] = {values};
        float *grads[2] = {ga, gb};
        CHECK_OK(keras_graph_vjp(g, 1, &y, cots, vals, grads));
    }
    for (int i = 0; i < N; i++) CHECK(fabs(values[i] - ref[i]) < 1e-5);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < K; j++) {
            double th = tanh((double)a0[i * K + j]), rowm = 0;
            for (int l = 0; l < K; l++) rowm += m0[j * K + l];
            double da = cot[i] * ((1 - th * th) * b0[i * K + j] + rowm), db = cot[i] * th;
            CHECK(fabs(ga[i * K + j] - da) < 1e-5);
            CHECK(fabs(gb[i * K + j] - db) < 1e-5);
        }
    }

    /* jvp along (ta, tb) against central differences of the reference in double. */
    for (int e = 0; e < N * K; e++) { ta[e] = 0.3f * (float)(e % 3) - 0.2f; tb[e] = 0.1f * (float)e - 0.25f; }
    {
        const float *tans[2] = {ta, tb};
        float *vals[1] = {values};
        float *outs[1] = {jvp};
        CHECK_OK(keras_graph_jvp(g, 1, &y, tans, vals, outs));
    }
    {
        float ap[N * K], am[N * K], bp[N * K], bm[N * K];
        double fp[N], fm[N], h = 1e-3;
        for (int e = 0; e < N * K; e++) {
            ap[e] = (float)(a0[e] + h * ta[e]); am[e] = (float)(a0[e] - h * ta[e]);
            bp[e] = (float)(b0[e] + h * tb[e]); bm[e] = (float)(b0[e] - h * tb[e]);
        }
        f_ref(ap, bp, fp);
        f_ref(am, bm, fm);
        for (int i = 0; i < N; i++) {
            double fd = (fp[i] - fm[i]) / (2 * h);
            if (fabs(jvp[i] - fd) > 1e-3) fprintf(stderr, "jvp %d: %g vs %g\n", i, jvp[i], fd);
            CHECK(fabs(jvp[i] - fd) < 1e-3);
        }
        /* a NULL tangent is zero: the jvp along (ta, 0) plus the one along (0, tb) is the whole. */
        {
            float j1[N], j2[N];
            const float *t1[2] = {ta, NULL}, *t2[2] = {NULL, tb};
            float *o1[1] = {j1}, *o2[1] = {j2};
            CHECK_OK(keras_graph_jvp(g, 1, &y, t1, NULL, o1));
            CHECK_OK(keras_graph_jvp(g, 1, &y, t2, NULL, o2));
            for (int i = 0; i < N; i++) CHECK(fabs(j1[i] + j2[i] - jvp[i]) < 1e-5);
        }
    }

    /* Bad input. */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "is not a node", keras_graph_jvp(g, 1, (int64_t[]){999}, NULL, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "cotangents must not be NULL", keras_graph_vjp(g, 1, &y, NULL, NULL, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a layer input", keras_layer_builder_input(g, &x_node));
    CHECK_ERR(KERAS_ERR_STATE, "arguments", g->add_weight(g, "w", 1, (int64_t[]){3}, "ones", 1));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "the graph is NULL", keras_graph_argument(NULL, a0, 1, (int64_t[]){1}, &x_node));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_outputs", keras_graph_jvp(g, 0, &y, NULL, NULL, NULL));
    keras_graph_free(g);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "not a live graph", keras_graph_argument(g, a0, 1, (int64_t[]){1}, &x_node));
    keras_graph_free(g);   /* a second free is ignored */
    keras_graph_free(NULL);
}

/* keras_layer_builder_custom_gradient: y = tanh(a) whose gradient is declared as upstream * a
 * (not tanh's): the vjp gives cot * a, and a gradient of the wrong shape is refused. */
static void test_custom_gradient(void) {
    keras_layer_builder *g = NULL;
    int64_t shape[1] = {3}, na, t, up, grad, y, bad, two;
    const float a[3] = {0.5f, -1.0f, 2.0f}, cot[3] = {1.0f, 2.0f, -1.0f}, twos[2] = {1, 1};
    float values[3], ga[3];
    int64_t shape2[1] = {2};
    CHECK_OK(keras_graph_new(&g));
    CHECK_OK(keras_graph_argument(g, a, 1, shape, &na));
    CHECK_OK(keras_layer_builder_op(g, "tanh", 1, &na, NULL, &t));
    CHECK_OK(keras_layer_builder_op(g, "ones_like", 1, &t, NULL, &up));
    {
        int64_t args[2] = {up, na};
        CHECK_OK(keras_layer_builder_op(g, "multiply", 2, args, NULL, &grad));
    }
    CHECK_OK(keras_layer_builder_custom_gradient(g, 1, &na, t, up, &grad, &y));
    {
        const float *cots[1] = {cot};
        float *vals[1] = {values};
        float *grads[1] = {ga};
        CHECK_OK(keras_graph_vjp(g, 1, &y, cots, vals, grads));
    }
    for (int i = 0; i < 3; i++) {
        CHECK(fabs(values[i] - tanh((double)a[i])) < 1e-6);
        CHECK(fabs(ga[i] - cot[i] * a[i]) < 1e-6);
    }
    CHECK_OK(keras_layer_builder_constant(g, twos, 1, shape2, &two));
    CHECK_ERR(KERAS_ERR_SHAPE, "custom gradient of input 0", keras_layer_builder_custom_gradient(g, 1, &na, t, up, &two, &bad));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "n_inputs", keras_layer_builder_custom_gradient(g, 0, &na, t, up, &grad, &bad));
    keras_graph_free(g);
}

/* Dense(2) with an L2(0.1) kernel regularizer and an L1(0.01) activity regularizer, ones kernel,
 * zero bias: model(x) gives x @ ones; model.losses = [0.01 * sum|y| / batch, 0.1 * sum(w^2)]. */
static void test_model_call(void) {
    const char *config =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3]}},"
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 2,"
        " \"kernel_initializer\": \"ones\", \"kernel_regularizer\": {\"class_name\": \"L2\", \"config\": {\"l2\": 0.1}},"
        " \"activity_regularizer\": {\"class_name\": \"L1\", \"config\": {\"l1\": 0.01}}}}]}}";
    keras_model *model = NULL;
    const float x[2 * 3] = {1, 2, 3, -1, 0.5f, 0.25f};
    const int64_t xshape[2] = {2, 3};
    keras_array in = {x, 2, xshape};
    float y[4] = {0};
    keras_output out = {y, 4, 0, {0}};
    char *losses = NULL, *weights = NULL;
    CHECK_OK(keras_model_from_json(config, &model));
    if (model == NULL) return;
    CHECK_OK(keras_model_call(model, &in, 1, 0, &out, 1, &losses));
    CHECK(out.ndim == 2 && out.shape[0] == 2 && out.shape[1] == 2);
    CHECK(fabsf(y[0] - 6.0f) < 1e-5f && fabsf(y[3] + 0.25f) < 1e-5f);
    /* activity: 0.01 * (6 + 6 + 0.25 + 0.25) / 2 = 0.0625 */
    CHECK(check_contains(losses, "\"layer\": [\"d\"]") || check_contains(losses, "\"layer\":[\"d\"]"));
    CHECK(check_contains(losses, "0.0625"));
    CHECK_OK(keras_model_weight_losses(model, &weights));
    /* kernel: 0.1 * 6 ones = 0.6 (float32: 0.6000000238418579 printed as a double) */
    CHECK(check_contains(weights, "0.6"));
    keras_string_free(losses);
    keras_string_free(weights);
    CHECK_ERR(KERAS_ERR_SHAPE, "n_outputs", keras_model_call(model, &in, 1, 0, &out, 2, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "losses_json", keras_model_weight_losses(model, NULL));
    keras_model_free(model);
}

/* Masking(0) then Dense(1): model(x)'s output carries Keras's mask (a step with a nonzero value
 * counts), written with has_mask 1; a Dense alone carries none (has_mask 0, its buffer left). */
static void test_model_call_masked(void) {
    const char *masked =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"m\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3, 2]}},"
        "{\"class_name\": \"Masking\", \"config\": {\"name\": \"mask\"}},"
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 1, \"kernel_initializer\": \"ones\"}}]}}";
    const char *plain =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"p\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3, 2]}},"
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 1}}]}}";
    const float x[2 * 3 * 2] = {1, 2, 0, 0, 3, 0,   0, 0, 0, 0, 0.5f, 0.5f};
    const int64_t xshape[3] = {2, 3, 2};
    keras_array in = {x, 3, xshape};
    float y[6] = {0}, mask[6] = {7, 7, 7, 7, 7, 7};
    keras_output out = {y, 6, 0, {0}}, masks = {mask, 6, 0, {0}};
    int has_mask = -1;
    keras_model *model = NULL;
    CHECK_OK(keras_model_from_json(masked, &model));
    if (model == NULL) return;
    CHECK_OK(keras_model_call_masked(model, &in, 1, 0, &out, 1, &masks, &has_mask, NULL));
    CHECK(has_mask == 1 && masks.ndim == 2 && masks.shape[0] == 2 && masks.shape[1] == 3);
    CHECK(mask[0] == 1 && mask[1] == 0 && mask[2] == 1 && mask[3] == 0 && mask[4] == 0 && mask[5] == 1);
    CHECK(out.ndim == 3 && fabsf(y[0] - 3.0f) < 1e-6f && fabsf(y[5] - 1.0f) < 1e-6f);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "masks", keras_model_call_masked(model, &in, 1, 0, &out, 1, NULL, &has_mask, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "has_mask", keras_model_call_masked(model, &in, 1, 0, &out, 1, &masks, NULL, NULL));
    keras_model_free(model);
    model = NULL;
    CHECK_OK(keras_model_from_json(plain, &model));
    if (model == NULL) return;
    mask[0] = 7;
    CHECK_OK(keras_model_call_masked(model, &in, 1, 0, &out, 1, &masks, &has_mask, NULL));
    CHECK(has_mask == 0 && mask[0] == 7);
    keras_model_free(model);
}

/* Keras's model(x, mask=m): a mask given with the input goes into the graph (a Dense passes it
 * on, so the output carries it); a NULL entry gives the input none; bad masks are refused. */
static void test_model_call_with_masks(void) {
    const char *json =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"g\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3, 2]}},"
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 1, \"kernel_initializer\": \"ones\"}}]}}";
    const float x[2 * 3 * 2] = {1, 2, 0, 0, 3, 0,   0, 0, 0, 0, 0.5f, 0.5f};
    const int64_t xshape[3] = {2, 3, 2}, mshape[2] = {2, 3}, bad_shape[2] = {2, 4};
    const float given[6] = {1, 0, 1,   0, 1, 1};
    keras_array in = {x, 3, xshape}, m = {given, 2, mshape}, none = {NULL, 0, NULL}, bad = {given, 2, bad_shape};
    float y[6] = {0}, mask[8] = {7, 7, 7, 7, 7, 7, 7, 7};
    keras_output out = {y, 6, 0, {0}}, masks = {mask, 8, 0, {0}};
    int has_mask = -1;
    keras_model *model = NULL;
    CHECK_OK(keras_model_from_json(json, &model));
    if (model == NULL) return;
    CHECK_OK(keras_model_call_with_masks(model, &in, &m, 1, 0, &out, 1, &masks, &has_mask, NULL));
    CHECK(has_mask == 1 && masks.ndim == 2 && masks.shape[0] == 2 && masks.shape[1] == 3);
    for (int i = 0; i < 6; i++) CHECK(mask[i] == given[i]);
    CHECK(out.ndim == 3 && fabsf(y[0] - 3.0f) < 1e-6f && fabsf(y[2] - 3.0f) < 1e-6f);
    has_mask = -1;
    mask[0] = 7;
    CHECK_OK(keras_model_call_with_masks(model, &in, &none, 1, 0, &out, 1, &masks, &has_mask, NULL));
    CHECK(has_mask == 0 && mask[0] == 7);
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "x_masks", keras_model_call_with_masks(model, &in, NULL, 1, 0, &out, 1, &masks, &has_mask, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "masks", keras_model_call_with_masks(model, &in, &m, 1, 0, &out, 1, NULL, &has_mask, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "does not fit", keras_model_call_with_masks(model, &in, &bad, 1, 0, &out, 1, &masks, &has_mask, NULL));
    keras_model_free(model);
}

int main(void) {
    test_graph();
    test_custom_gradient();
    test_model_call();
    test_model_call_masked();
    test_model_call_with_masks();
    CHECK_DONE("test_graph_function");
}
