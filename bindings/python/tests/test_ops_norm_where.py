"""Issue 16's small ops: matrix norms in `ops.norm` (ord 1, -1, inf, -inf, 2, -2, 'nuc' besides
Frobenius) and `ops.where(condition)` with the condition alone, against keras.ops (jax); the
traceable norms also inside a layer that trains to real Keras 3's weights."""

import math
import textwrap

import numpy as np
import pytest

from conftest import CORE, assert_traced_and_trains_like_keras, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import ops  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")

RS = np.random.RandomState(7)
A = RS.normal(size=(3, 4, 5)).astype(np.float32)
M = RS.normal(size=(4, 3)).astype(np.float32)

CASES = [
    (M, None, None, False), (M, "fro", None, False), (M, "nuc", None, False),
    (M, 1, None, False), (M, -1, None, True), (M, math.inf, None, False), (M, -math.inf, None, False),
    (M, 2, None, False), (M, -2, None, True),
    (A, 1, (1, 2), False), (A, -1, (2, 1), True), (A, math.inf, (0, 2), False),
    (A, -math.inf, (-1, -3), True), (A, 2, (1, 2), False), (A, -2, (2, 0), False),
    (A, "nuc", (0, 1), True), (A, "fro", (-2, -1), False),
]


@pytest.mark.parametrize("x,order,axis,keepdims", CASES)
def test_matrix_norms_equal_keras(x, order, axis, keepdims):
    ours = np.asarray(ops.norm(x, ord=order, axis=axis, keepdims=keepdims))
    ref = np.asarray(keras.ops.norm(x, ord=order, axis=axis, keepdims=keepdims))
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)


def test_bad_norm_orders_are_refused_as_keras_does():
    for order, axis in [(0, (1, 2)), (3, (0, 1)), ("nuc", 1), ("max", None)]:
        with pytest.raises(ValueError, match="Invalid `ord` argument"):
            ops.norm(A, ord=order, axis=axis)
        with pytest.raises(ValueError):
            keras.ops.norm(A, ord=order, axis=axis)


def test_where_with_the_condition_alone_returns_indices_as_keras():
    for condition in (A > 0.5, M, np.array([0.0, 2.0, 0.0, -1.0])):
        ours = ops.where(condition)
        ref = keras.ops.where(condition)
        assert isinstance(ours, tuple) and len(ours) == len(ref) == np.ndim(condition)
        for a, b in zip(ours, ref):
            assert a.dtype == np.asarray(b).dtype == np.int32
            np.testing.assert_array_equal(a, np.asarray(b))
    with pytest.raises(ValueError, match="both should be `None`"):
        ops.where(A > 0, A)


LAYER = textwrap.dedent('''
    class MatrixNorms(keras.layers.Layer):
        """Five matrix norms of (N, 2, 3) matrices made from the input."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 6), initializer="glorot_uniform", name="w")

        def call(self, x):
            m = ops.reshape(ops.matmul(x, self.w), (-1, 2, 3))
            return ops.stack([ops.norm(m, ord=1, axis=(1, 2)), ops.norm(m, ord=-1, axis=(1, 2)),
                              ops.norm(m, ord=math.inf, axis=(2, 1)),
                              ops.squeeze(ops.norm(m, ord=-math.inf, axis=(-2, -1), keepdims=True), (1, 2)),
                              ops.norm(m, ord="fro", axis=(1, 2))], axis=-1)
''')


def _model(lib):
    scope = {"keras": lib, "ops": lib.ops, "math": math}
    exec(LAYER, scope)  # noqa: S102 — the test's own source
    return lib.Sequential([lib.Input((4,)), scope["MatrixNorms"](), lib.layers.Dense(1)])


def _trained(lib):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = (x[:, :1] * x[:, 1:2]).astype(np.float32)
    model = _model(lib)
    model.set_weights([rng.normal(scale=0.3, size=w.shape).astype(np.float32) for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.01), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    return model, history.history["loss"], x


def test_traced_matrix_norms_train_to_keras_weights():
    ours, ours_loss, x = _trained(sk)
    ref, ref_loss, _ = _trained(keras)
    assert_traced_and_trains_like_keras(ours, ref, x, ours_loss, ref_loss)


def test_singular_value_norms_in_a_traced_layer_are_a_clear_error():
    class Spectral(sk.layers.Layer):
        def call(self, x):
            return ops.expand_dims(ops.norm(ops.reshape(x, (-1, 2, 2)), ord=2, axis=(1, 2)), -1)

    model = sk.Sequential([sk.Input((4,)), Spectral(), sk.layers.Dense(1)])
    with pytest.raises(NotImplementedError, match="singular values"):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((4, 4), np.float32), np.ones((4, 1), np.float32), verbose=0)
