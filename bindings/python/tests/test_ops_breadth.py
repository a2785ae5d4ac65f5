"""swiftkeras.ops beyond arithmetic, as Keras tutorials' custom layers use it: indexing
(`x[:, 1:3]`, `x[..., 0]`, `x[:, -1]`), take / take_along_axis, einsum, stack / concatenate /
split / expand_dims / squeeze / transpose / reshape / tile / repeat / where / clip / maximum /
minimum, norm, logsumexp, cond. Each is checked eagerly against keras.ops (jax), traced into a
layer that trains to the same weights as real Keras 3 (so forward values and gradients agree
with jax's autodiff), and by central differences on the traced layer's weights."""

import textwrap

import numpy as np
import pytest

from conftest import (CORE, assert_sgd_step_matches_central_differences,
                      assert_traced_and_trains_like_keras, exec_layers, needs, real_keras)

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import ops  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")

RS = np.random.RandomState(4)
A = RS.normal(size=(3, 4, 5)).astype(np.float32)
B = RS.normal(size=(5, 2)).astype(np.float32)
IDX = np.array([[0, 3], [2, 2]])

EAGER = {
    "take": lambda o: o.take(A, IDX, axis=1),
    "take_flat": lambda o: o.take(A, [7, -1]),
    "take_along_axis": lambda o: o.take_along_axis(A, np.argsort(A, axis=-1)[..., :2], axis=-1),
    "einsum": lambda o: o.einsum("ijk,kl->ijl", A, B),
    "einsum_ellipsis": lambda o: o.einsum("...k,kl", A, B),
    "stack": lambda o: o.stack([A[0], A[1]], axis=1),
    "concatenate": lambda o: o.concatenate([A, A * 2], axis=-1),
    "split": lambda o: o.split(A, [1, 3], axis=1)[1],
    "expand_dims": lambda o: o.expand_dims(A, -1),
    "squeeze": lambda o: o.squeeze(A[:, :1], axis=1),
    "transpose": lambda o: o.transpose(A, (2, 0, 1)),
    "reshape": lambda o: o.reshape(A, (-1, 10)),
    "tile": lambda o: o.tile(A[0], [2, 1, 3]),
    "repeat": lambda o: o.repeat(A, 2, axis=1),
    "where": lambda o: o.where(A > 0, A, A * 0.1),
    "clip": lambda o: o.clip(A, -0.5, 0.5),
    "maximum": lambda o: o.maximum(A, 0.2),
    "minimum": lambda o: o.minimum(A, A[:, :1]),
    "norm": lambda o: o.norm(A, axis=-1),
    "norm_1": lambda o: o.norm(A, ord=1, axis=1, keepdims=True),
    "norm_fro": lambda o: o.norm(A[0]),
    "logsumexp": lambda o: o.logsumexp(A, axis=1),
    "swapaxes": lambda o: o.swapaxes(A, 0, 2),
    "flip": lambda o: o.flip(A, axis=1),
    "cond": lambda o: o.cond(A.sum() > 0, lambda: A * 2, lambda: A - 1),
    "matmul_stack": lambda o: o.matmul(A, np.transpose(A, (0, 2, 1))),
}


@pytest.mark.parametrize("name", sorted(EAGER))
def test_eager_ops_equal_keras_ops(name):
    ours = np.asarray(EAGER[name](ops))
    ref = np.asarray(EAGER[name](keras.ops))
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)


# One source for both libraries: `keras` and `ops` are whichever the caller passes.
LAYERS = textwrap.dedent('''
    class Gadgets(keras.layers.Layer):
        """Every indexing and shape op on its input and weights, into 6 features."""

        def build(self, input_shape):
            d = input_shape[-1]
            self.w = self.add_weight(shape=(d, 4), initializer="glorot_uniform", name="w")
            self.table = self.add_weight(shape=(5, 4), initializer="glorot_uniform", name="table")
            self.mix = self.add_weight(shape=(4, 4, 3), initializer="glorot_uniform", name="mix")

        def call(self, x):
            h = ops.matmul(x, self.w)                                    # (N, 4)
            rows = ops.take(self.table, [0, 2, 4, 2], axis=0)            # (4, 4)
            g = ops.matmul(h, ops.transpose(rows))                       # (N, 4)
            picked = ops.take_along_axis(self.table, np.array([[3, 1, 0, 1]] * 5), axis=1)
            g = g + ops.sum(picked, axis=0)
            e = ops.einsum("ni,ijk->njk", h, self.mix)                   # (N, 4, 3)
            e2 = ops.einsum("njk,nj->nk", e, g)                          # (N, 3)
            s = ops.stack([x[..., 0], x[:, -1]], axis=-1)                # (N, 2)
            cat = ops.concatenate([x[:, 1:3], s, e2], axis=-1)           # (N, 7)
            p, q = ops.split(cat, [3], axis=-1)                          # (N, 3), (N, 4)
            t = ops.tile(ops.expand_dims(ops.norm(p, axis=-1), -1), [1, 2])
            r = ops.repeat(ops.squeeze(ops.expand_dims(q, 1), 1), 2, axis=-1)
            r = ops.reshape(r, (-1, 4, 2))[:, :, 1]                      # (N, 4)
            m = ops.where(q > 0, ops.maximum(q, 0.1), ops.minimum(q, -0.1) * 0.5)
            z = ops.clip(m + r, -1.5, 1.5) + ops.logsumexp(e, axis=-1)
            z = ops.cond(ops.mean(x) > 100.0, lambda: z * 0.0, lambda: z * 0.5)
            return ops.concatenate([t, ops.flip(z, axis=-1)], axis=-1)   # (N, 6)


    class TokenMean(keras.layers.Layer):
        """An embedding lookup written with ops: mean of the rows of the input's token ids."""

        def build(self, input_shape):
            self.table = self.add_weight(shape=(6, 3), initializer="glorot_uniform", name="table")

        def call(self, tokens):
            ids = ops.cast(tokens, "int32")
            return ops.mean(ops.take(self.table, ids, axis=0), axis=1)
''')


def _layers(lib):
    return exec_layers(LAYERS, lib)


def _gadget_model(lib):
    return lib.Sequential([lib.Input((6,)), _layers(lib)["Gadgets"](), lib.layers.Dense(2)])


def _token_model(lib):
    return lib.Sequential([lib.Input((5,)), _layers(lib)["TokenMean"](), lib.layers.Dense(1)])


def _data(kind):
    rng = np.random.default_rng(5)
    if kind == "tokens":
        x = rng.integers(0, 6, size=(24, 5)).astype(np.float32)
        return x, (x.mean(1, keepdims=True) / 5).astype(np.float32)
    x = rng.normal(size=(24, 6)).astype(np.float32)
    return x, np.stack([x[:, 0] * x[:, 1], np.cos(x[:, 2])], 1).astype(np.float32)


def _trained(lib, build, kind):
    x, y = _data(kind)
    model = build(lib)
    rng = np.random.default_rng(9)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    return model, history.history["loss"], x


@pytest.mark.parametrize("build,kind", [(_gadget_model, "gadgets"), (_token_model, "tokens")])
def test_layers_written_with_indexing_ops_train_to_keras_weights(build, kind):
    ours, ours_loss, x = _trained(sk, build, kind)
    ref, ref_loss, _ = _trained(keras, build, kind)
    assert_traced_and_trains_like_keras(ours, ref, x, ours_loss, ref_loss)


def test_traced_gradients_match_central_differences():
    # h = 1e-3 (the default) is small: the layer has kinks (clip, where, maximum) a larger step
    # would cross. Weights 0-2: the traced layer's w, table and mix.
    x, y = _data("gadgets")
    assert_sgd_step_matches_central_differences(_gadget_model(sk), x, y, range(3), samples=4)


def test_unsupported_indexing_is_a_clear_error():
    class Fancy(sk.layers.Layer):
        def call(self, x):
            return x[:, [0, 2]]

    model = sk.Sequential([sk.Input((4,)), Fancy(), sk.layers.Dense(1)])
    with pytest.raises(NotImplementedError, match=r"an index must be an integer.*list.*ops.take"):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((4, 4), np.float32), np.ones((4, 1), np.float32), verbose=0)
    sym = []

    class Probe(sk.layers.Layer):
        def call(self, x):
            sym.append(x)
            with pytest.raises(IndexError, match="too many indices"):
                x[0, 1, 2]
            with pytest.raises(IndexError, match="single ellipsis"):
                x[..., ...]
            assert x[:, None, 1:].shape == (None, 1, 3) and x[..., 0].shape == (None,)
            return x

    sk.Sequential([sk.Input((4,)), Probe()]).predict(np.ones((2, 4), np.float32), verbose=0)
    assert sym
