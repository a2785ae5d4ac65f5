/* keras_model_call on one unbatched image (rank 3, Keras's `(height, width, channels)`) through
 * Resizing: the layer makes the first dimension the new height, so the output has no batch axis.
 * keras_model_io_shape and keras_model_output_shape give that height (not the image's rows taken
 * as a batch), and a buffer of that size holds a result taller than the image. Expected values by
 * hand: nearest-neighbour resizing by 2 repeats each pixel in a 2x2 block (Keras's "nearest":
 * output pixel i reads input (i + 0.5) / 2, rounded down). A batch of images keeps its batch axis. */
#include "check.h"

int main(void) {
    const int64_t image_shape[3] = {3, 4, 1}, batch_shape[4] = {2, 3, 4, 1};
    float image[12], images[24], out[48], small[24];
    int64_t shape[KERAS_MAX_RANK];
    keras_model *m = NULL, *batched = NULL;
    keras_array in;
    keras_output output, too_small;
    int ndim = 0, i, j, failures = 0;

    for (i = 0; i < 12; i++) image[i] = (float)(i + 1);
    for (i = 0; i < 24; i++) images[i] = (float)(i % 12 + 1) * (i < 12 ? 1.0f : -1.0f);
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4, 1]}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Resizing\", \"config\": {\"height\": 6, \"width\": 8, "
                                          "\"interpolation\": \"nearest\"}}"));
    /* the output's size: (6, 8, 1) for the 3 rows of the image */
    CHECK_OK(keras_model_io_shape(m, 0, 0, 3, shape, KERAS_MAX_RANK, &ndim));
    CHECK(ndim == 3 && shape[0] == 6 && shape[1] == 8 && shape[2] == 1);
    CHECK_OK(keras_model_output_shape(m, 3, shape, KERAS_MAX_RANK, &ndim));
    CHECK(ndim == 3 && shape[0] == 6 && shape[1] == 8 && shape[2] == 1);
    /* the input's first dimension stays the caller's */
    CHECK_OK(keras_model_io_shape(m, 1, 0, 3, shape, KERAS_MAX_RANK, &ndim));
    CHECK(ndim == 3 && shape[0] == 3 && shape[1] == 4 && shape[2] == 1);

    in.data = image;
    in.ndim = 3;
    in.shape = image_shape;
    output.data = out;
    output.capacity = 48;
    CHECK_OK(keras_model_call(m, &in, 1, 0, &output, 1, NULL));
    CHECK(output.ndim == 3 && output.shape[0] == 6 && output.shape[1] == 8 && output.shape[2] == 1);
    for (i = 0; i < 6; i++)
        for (j = 0; j < 8; j++)
            if (out[i * 8 + j] != image[(i / 2) * 4 + j / 2]) failures++;
    CHECK(failures == 0);
    /* a training call gives the same; a buffer sized by the image's rows (3 x 8) is too small,
     * and the call writes the shape it needs */
    CHECK_OK(keras_model_call(m, &in, 1, 1, &output, 1, NULL));
    CHECK(output.shape[0] == 6 && out[47] == image[11]);
    too_small.data = small;
    too_small.capacity = 24;
    CHECK_ERR(KERAS_ERR_BUFFER_TOO_SMALL, "needs 48 floats", keras_model_call(m, &in, 1, 0, &too_small, 1, NULL));
    CHECK(too_small.ndim == 3 && too_small.shape[0] == 6 && too_small.shape[1] == 8);

    /* images with a batch axis: (2, 6, 8, 1), each image resized alone */
    CHECK_OK(keras_sequential_new(NULL, &batched));
    CHECK_OK(keras_sequential_add_json(batched, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3, 4, 1]}}"));
    CHECK_OK(keras_sequential_add_json(batched, "{\"class_name\": \"Resizing\", \"config\": {\"height\": 6, \"width\": 8, "
                                                "\"interpolation\": \"nearest\"}}"));
    CHECK_OK(keras_model_io_shape(batched, 0, 0, 2, shape, KERAS_MAX_RANK, &ndim));
    CHECK(ndim == 4 && shape[0] == 2 && shape[1] == 6 && shape[2] == 8 && shape[3] == 1);
    {
        float both[96];
        keras_output o2;
        in.data = images;
        in.ndim = 4;
        in.shape = batch_shape;
        o2.data = both;
        o2.capacity = 96;
        CHECK_OK(keras_model_call(batched, &in, 1, 0, &o2, 1, NULL));
        CHECK(o2.ndim == 4 && o2.shape[0] == 2 && o2.shape[1] == 6);
        failures = 0;
        for (i = 0; i < 6; i++)
            for (j = 0; j < 8; j++)
                if (both[i * 8 + j] != images[(i / 2) * 4 + j / 2] ||
                    both[48 + i * 8 + j] != images[12 + (i / 2) * 4 + j / 2]) failures++;
        CHECK(failures == 0);
    }
    keras_model_free(batched);
    keras_model_free(m);
    CHECK_DONE("test_model_call_unbatched");
}
