"""swiftkeras.ops's statistics (var, std, moments), loops (fori_loop, while_loop, scan) and
linear algebra (ops.linalg, also at ops.<name>): each checked eagerly against keras.ops (jax);
the statistics and the loops traced into a layer that trains to the same weights as real Keras 3
(so values and gradients agree with jax's autodiff); a decomposition the library does not trace
(eigh) on a traced tensor is a clear error (inv, det, solve, cholesky are traced:
test_ops_unknown_sizes_traced.py)."""

import textwrap

import numpy as np
import pytest

from conftest import CORE, assert_ops_layer_trains_like_keras, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import ops  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")

RS = np.random.RandomState(7)
X = RS.normal(size=(3, 4, 5)).astype(np.float32)
A = RS.normal(size=(4, 4)).astype(np.float32)
SPD = (A @ A.T + 4 * np.eye(4)).astype(np.float32)
B = RS.normal(size=(4, 2)).astype(np.float32)

EAGER = {
    "var": lambda o: o.var(X, axis=1),
    "var_all": lambda o: o.var(X),
    "std_keepdims": lambda o: o.std(X, axis=(0, 2), keepdims=True),
    "moments": lambda o: o.moments(X, axes=[0, 1]),
    "moments_keepdims": lambda o: o.moments(X, axes=-1, keepdims=True),
    "fori_loop": lambda o: o.fori_loop(0, 4, lambda i, v: v * 2 + i, np.float32(1)),
    "while_loop": lambda o: o.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2),
                                         (0, np.ones(2, np.float32))),
    "scan": lambda o: o.scan(lambda c, x: (c + x, c * x), np.zeros(5, np.float32), X[0]),
    "scan_reverse": lambda o: o.scan(lambda c, x: (c + x, c * x), np.zeros(5, np.float32), X[0], reverse=True),
    "inv": lambda o: o.inv(SPD),
    "det": lambda o: o.det(SPD),
    "solve": lambda o: o.solve(SPD, B),
    "solve_triangular": lambda o: o.solve_triangular(SPD, B, lower=True),
    "cholesky": lambda o: o.cholesky(SPD),
    "cholesky_upper": lambda o: o.cholesky(SPD, upper=True),
    "cholesky_inverse": lambda o: o.cholesky_inverse(np.linalg.cholesky(SPD)),
    "slogdet": lambda o: o.slogdet(SPD),
    "logdet": lambda o: o.logdet(SPD),
    "lstsq": lambda o: o.lstsq(A[:, :3], B),
    "pinv": lambda o: o.pinv(A),
    "matrix_rank": lambda o: o.matrix_rank(A),
    "singular_values": lambda o: o.svd(A, compute_uv=False),
    "eigenvalues": lambda o: o.eigh(SPD)[0],
    "linalg_inv": lambda o: o.linalg.inv(SPD),
    "linalg_norm": lambda o: o.linalg.norm(A, axis=-1),
}


@pytest.mark.parametrize("name", sorted(EAGER))
def test_eager_ops_equal_keras_ops(name):
    ours, ref = EAGER[name](ops), EAGER[name](keras.ops)
    ours = ours if isinstance(ours, (tuple, list)) else (ours,)
    ref = ref if isinstance(ref, (tuple, list)) else (ref,)
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_decompositions_reconstruct_their_matrix():
    """Signs of singular and eigen vectors are not unique, so these compare by reconstruction."""
    u, s, vh = ops.svd(A)
    np.testing.assert_allclose(u @ np.diag(s) @ vh, A, atol=1e-5)
    q, r = ops.qr(A)
    np.testing.assert_allclose(q @ r, A, atol=1e-5)
    assert np.allclose(r, np.triu(r))
    w, v = ops.eigh(SPD)
    np.testing.assert_allclose(v @ np.diag(w) @ v.T, SPD, atol=1e-4)


LAYERS = textwrap.dedent('''
    class Whitened(keras.layers.Layer):
        """Normalizes its input by the batch's moments and std, then mixes it through a
        fori_loop and a scan over the features (both unrolled at trace time)."""

        def build(self, input_shape):
            d = input_shape[-1]
            self.w = self.add_weight(shape=(d, d), initializer="glorot_uniform", name="w")
            self.gain = self.add_weight(shape=(d,), initializer="ones", name="gain")

        def call(self, x):
            mean, variance = ops.moments(x, axes=[-1], keepdims=True)
            z = (x - mean) / ops.sqrt(variance + 1e-3)
            z = z * self.gain + ops.std(x, axis=0) * 0.1 + ops.var(x) * 0.01
            z = ops.fori_loop(0, 2, lambda i, h: ops.tanh(ops.matmul(h, self.w)) + h * 0.5, z)
            carry, ys = ops.scan(lambda c, col: (c * 0.5 + col, c + col),
                                 ops.zeros_like(z[:, 0]), ops.transpose(z))
            return ops.concatenate([z, ops.expand_dims(carry, -1), ops.transpose(ys)], axis=-1)
''')


def test_a_layer_with_moments_and_loops_trains_to_keras_weights():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 4)).astype(np.float32)
    y = np.stack([x[:, 0] * x[:, 1], np.sin(x[:, 2])], 1).astype(np.float32)
    assert_ops_layer_trains_like_keras(sk, keras, LAYERS, "Whitened", x, y, init_seed=8, learning_rate=0.05)


def test_linalg_and_value_loops_on_a_traced_tensor_are_clear_errors():
    class Rotating(sk.layers.Layer):
        def call(self, x):
            return ops.matmul(x, ops.eigh(ops.eye(4) + ops.matmul(ops.transpose(x), x))[1])

    model = sk.Sequential([sk.Input((4,)), Rotating(), sk.layers.Dense(1)])
    with pytest.raises(NotImplementedError, match=r"ops.eigh runs on values only"):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((4, 4), np.float32), np.ones((4, 1), np.float32), verbose=0)

    class Looping(sk.layers.Layer):
        def call(self, x):
            return ops.while_loop(lambda h: ops.sum(h) < 10.0, lambda h: h * 2, x)

    model = sk.Sequential([sk.Input((4,)), Looping(), sk.layers.Dense(1)])
    with pytest.raises(NotImplementedError, match=r"while_loop: a condition on a traced tensor"):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((4, 4), np.float32), np.ones((4, 1), np.float32), verbose=0)
