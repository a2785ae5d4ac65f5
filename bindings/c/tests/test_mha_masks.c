/* A functional model built from C with keras_model_from_json, its config written without the
 * masks Keras records in its nodes: Embedding(mask_zero=True) -> MultiHeadAttention, pooled. The
 * attention clears the embedding's mask on the tensor, yet the GlobalAveragePooling1D called on
 * the embedding gets it, as Keras records the mask of a call taking one when it builds the graph;
 * the embedding as an output carries no mask, the attention's output carries its query's. Outputs
 * and output masks are Keras's (bindings/c/tests/mha_masks_fixture.h, written by
 * scripts/make_mha_mask_fixtures.py from real Keras). */
#include "check.h"
#include <stdint.h>
#include "mha_masks_fixture.h"

int main(void) {
    keras_model *model = NULL;
    int count = 0, i;
    int64_t offset = 0, token_shape[2] = {3, 5};
    keras_array x;
    keras_output outputs[MHA_OUTPUT_COUNT], masks[MHA_OUTPUT_COUNT];
    int has_mask[MHA_OUTPUT_COUNT];
    float out_data[MHA_OUTPUT_COUNT][64], mask_data[MHA_OUTPUT_COUNT][64];
    const float *want = mha_outputs, *want_mask = mha_output_masks;

    CHECK_OK(keras_model_from_json(mha_config, &model));
    if (!model) CHECK_DONE("test_mha_masks");
    CHECK_OK(keras_model_weight_count(model, &count));
    CHECK(count == MHA_WEIGHT_COUNT);
    for (i = 0; i < MHA_WEIGHT_COUNT && i < count; i++) {
        CHECK_OK(keras_model_set_weight(model, i, mha_weights + offset, mha_weight_sizes[i]));
        offset += mha_weight_sizes[i];
    }
    x.data = mha_tokens;
    x.ndim = 2;
    x.shape = token_shape;
    for (i = 0; i < MHA_OUTPUT_COUNT; i++) {
        outputs[i].data = out_data[i];
        outputs[i].capacity = 64;
        masks[i].data = mask_data[i];
        masks[i].capacity = 64;
    }
    CHECK_OK(keras_model_call_masked(model, &x, 1, 0, outputs, MHA_OUTPUT_COUNT, masks, has_mask, NULL));
    for (i = 0; i < MHA_OUTPUT_COUNT; i++) {
        int64_t j, n = mha_output_sizes[i], m = n;
        float worst = 0;
        for (j = 0; j < n; j++) {
            float d = fabsf(out_data[i][j] - want[j]);
            if (d > worst) worst = d;
        }
        if (worst > 1e-5f) fprintf(stderr, "output %d: largest difference from Keras %g\n", i, worst);
        CHECK(worst <= 1e-5f);
        CHECK(has_mask[i] == mha_output_has_mask[i]);
        if (mha_output_has_mask[i]) {
            m = token_shape[0] * token_shape[1];
            for (j = 0; j < m; j++) CHECK((mask_data[i][j] != 0) == (want_mask[j] != 0));
            want_mask += m;
        }
        want += n;
    }
    keras_model_free(model);
    CHECK_DONE("test_mha_masks");
}
