"""A self-attention model as mha_epoch's (Input -> MultiHeadAttention(x, x) ->
GlobalAveragePooling1D -> Dense), which fit runs as one step plan (`SelfAttentionStage`: the
fused per-pair attention kernels, and one row per sequence for the products that read the pooling's
gradient), trains to the weights real Keras 3 reaches from the same start, with plain Adam and
with AMSGrad."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

import swiftkeras as sk

keras = real_keras()

pytestmark = [needs(*CORE, "keras_model_fit_arrays")]

# (steps, features, heads, key_dim, value_dim): keys and rows that fill no whole vector of eight
# lanes; then a wider one that fills some and leaves a tail, large enough (44 rows) for the
# one-row-per-sequence products. (Real Keras 3.15 cannot build a value_dim other than key_dim here.)
SHAPES = [(5, 6, 2, 4, None), (11, 7, 3, 5, None)]


def _model(lib, steps, features, heads, key_dim, value_dim):
    x = lib.Input((steps, features))
    h = lib.layers.MultiHeadAttention(num_heads=heads, key_dim=key_dim, value_dim=value_dim, name="mha")(x, x)
    y = lib.layers.Dense(1, name="head")(lib.layers.GlobalAveragePooling1D()(h))
    return lib.Model(x, y)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_self_attention_fit_matches_keras(shape, amsgrad):
    steps, features = shape[:2]
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(12, steps, features)).astype(np.float32)
    y = rng.normal(size=(12, 1)).astype(np.float32)
    keras.utils.set_random_seed(1)
    ref = _model(keras, *shape)
    ours = _model(sk, *shape)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    for model, lib in ((ref, keras), (ours, sk)):
        # epsilon 1e-3: the key bias's gradient is zero but for rounding (a softmax ignores what it
        # adds to a row), which Adam's default epsilon would blow up into full steps.
        model.compile(lib.optimizers.Adam(learning_rate=0.02, beta_2=0.5, epsilon=1e-3, amsgrad=amsgrad), "mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=2e-5)
