/* keras_optimizer_variables: a standalone optimizer's variables (Keras's optimizer.variables) in
 * Keras's order, as a JSON layout and their float values in a caller buffer, with
 * keras_model_optimizer_variables's protocol. Two steps of SGD(0.1, momentum=0.9) on w = (1, 2)
 * and b = (3) with the gradients (1, -2) and (4) give momentums known by hand
 * (m <- 0.9 m - 0.1 g): w's (-0.19, 0.38), b's (-0.76), the numbers real Keras gives. */
#include "check.h"

int main(void) {
    keras_optimizer *opt = NULL;
    const int64_t keys[2] = {1, 2}, w_shape[1] = {2}, b_shape[1] = {1};
    float w[2] = {1, 2}, b[1] = {3};
    const float gw[2] = {1, -2}, gb[1] = {4};
    float values[8] = {0}, small[2] = {0};
    char *layout = NULL, entry[1024];
    int64_t count = -1;
    int step, at;

    CHECK_OK(keras_optimizer_new("{\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1, \"momentum\": 0.9}}",
                                 &opt));
    /* Before a step: the step count and the learning rate (Keras's sgd/iteration, sgd/learning_rate). */
    CHECK_OK(keras_optimizer_variables(opt, &layout, values, 8, &count));
    CHECK(layout != NULL && count == 1 && fabsf(values[0] - 0.1f) < 1e-7f);
    CHECK(check_contains(layout, "\"sgd/iteration\"") && check_contains(layout, "\"sgd/learning_rate\""));
    keras_string_free(layout);
    layout = NULL;

    for (step = 0; step < 2; step++) {
        keras_array vs[2], gs[2];
        float *updated[2];
        vs[0].data = w; vs[0].ndim = 1; vs[0].shape = w_shape;
        vs[1].data = b; vs[1].ndim = 1; vs[1].shape = b_shape;
        gs[0].data = gw; gs[0].ndim = 1; gs[0].shape = w_shape;
        gs[1].data = gb; gs[1].ndim = 1; gs[1].shape = b_shape;
        updated[0] = w;
        updated[1] = b;
        CHECK_OK(keras_optimizer_apply(opt, keys, "[\"w\", \"b\"]", vs, gs, 2, updated));
    }
    CHECK(fabsf(w[0] - 0.71f) < 1e-6f && fabsf(w[1] - 2.58f) < 1e-6f && fabsf(b[0] - 1.84f) < 1e-6f);

    /* The float values are the learning rate (1) and the momentums (2 + 1): 4; a NULL buffer of
     * capacity 0 asks for the count, a buffer too small gets it and nothing else. */
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "4 values", keras_optimizer_variables(opt, &layout, NULL, 0, &count));
    CHECK(count == 4 && layout == NULL);
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "the buffer 2", keras_optimizer_variables(opt, &layout, small, 2, &count));
    CHECK(count == 4 && layout == NULL && small[0] == 0 && small[1] == 0);
    CHECK_OK(keras_optimizer_variables(opt, &layout, values, 8, &count));
    CHECK(layout != NULL && count == 4);
    if (layout != NULL) {
        /* Keras's order: iteration, learning_rate, then each variable's momentum. */
        const char *it = strstr(layout, "/iteration\""), *lr = strstr(layout, "/learning_rate\"");
        const char *mw = strstr(layout, "/w_momentum\""), *mb = strstr(layout, "/b_momentum\"");
        CHECK(it != NULL && lr != NULL && mw != NULL && mb != NULL);
        CHECK(it < lr && lr < mw && mw < mb);
        /* the step count is an exact int32 in the layout, with no place in the buffer */
        CHECK(layout_entry(layout, "/iteration", entry, sizeof entry));
        CHECK(check_contains(entry, "int32") && number_at(entry, "value", 0) == 2);
        CHECK(numbers_at(entry, "offset", 0, NULL, 0) == -1);
        CHECK(check_contains(layout, "owner") == 0);   /* (a compiled model's layout names the weights) */
        CHECK(layout_entry(layout, "/learning_rate", entry, sizeof entry));
        at = (int)number_at(entry, "offset", 0);
        CHECK(at == 0 && fabsf(values[at] - 0.1f) < 1e-7f);
        CHECK(numbers_at(entry, "value", 0, NULL, 0) == -1);
        CHECK(layout_entry(layout, "/w_momentum", entry, sizeof entry));
        at = (int)number_at(entry, "offset", 0);
        CHECK(at == 1 && fabsf(values[at] + 0.19f) < 1e-6f && fabsf(values[at + 1] - 0.38f) < 1e-6f);
        CHECK(number_at(entry, "shape", 0) == 2 && check_contains(entry, "float32"));
        CHECK(layout_entry(layout, "/b_momentum", entry, sizeof entry));
        at = (int)number_at(entry, "offset", 0);
        CHECK(at == 3 && fabsf(values[at] + 0.76f) < 1e-6f);
        keras_string_free(layout);
        layout = NULL;
    }

    /* bad input */
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "layout_json", keras_optimizer_variables(opt, NULL, values, 8, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "count", keras_optimizer_variables(opt, &layout, values, 8, NULL));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "capacity is negative", keras_optimizer_variables(opt, &layout, values, -1, &count));
    CHECK_ERR(KERAS_ERR_INVALID_ARGUMENT, "values is NULL", keras_optimizer_variables(opt, &layout, NULL, 8, &count));
    CHECK(layout == NULL);
    CHECK(keras_optimizer_variables(NULL, &layout, values, 8, &count) != KERAS_OK);
    CHECK(layout == NULL);
    keras_optimizer_free(opt);
    CHECK_DONE("test_optimizer_variables");
}
