"""Ops that session 9 ran on values only, now traced with the library's gradients (issue 16
point 1): `ops.nn.ctc_loss` (the library's ctc_loss op: the log-space forward recursion per
sample over the label and time-step lengths it reads as it runs, so lengths computed from the
data and labels or steps of unknown number trace, as in keras.io's OCR examples) and `ops.scatter_update` with reduction max/min/mul (masked reductions over a constant
placement). Layers written with them train to real Keras 3's weights and losses, and their
traced gradients match central differences; bad shapes are a clear error. `ctc_decode` stays on
values (integer paths, no gradient in Keras either). `ops.image.elastic_transform` draws its
noise from `swiftkeras.random` seeded as Keras seeds it, never from numpy's global state."""

import textwrap

import numpy as np
import pytest

from conftest import (CORE, assert_sgd_step_matches_central_differences,
                      assert_traced_and_trains_like_keras, exec_layers, fit_from_drawn_weights, needs,
                      real_keras)

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import ops  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")

# One source for both libraries: `keras` and `ops` are whichever the caller passes.
LAYERS = textwrap.dedent('''
    class CTC(keras.layers.Layer):
        """(N, 7, 6): six time steps of features, then a row holding 4 labels (class ids as
        floats), the label count and the number of valid time steps."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(6, 5), initializer="glorot_uniform", name="w")

        def call(self, x):
            logits = ops.matmul(x[:, :6], self.w)                          # (N, 6, 5)
            meta = x[:, 6]
            loss = ops.nn.ctc_loss(meta[:, :4], logits, meta[:, 4], meta[:, 5])
            return ops.stack([loss * 0.1, ops.mean(logits, axis=(1, 2))], axis=-1)


    class Scatters(keras.layers.Layer):
        """scatter_update of (N, 3) updates into a (4, N) table at rows 1, 3, 1 (a duplicate)."""

        reductions = ("max", "min")

        def build(self, input_shape):
            self.w = self.add_weight(shape=(6, 4), initializer="glorot_uniform", name="w")
            self.u = self.add_weight(shape=(6, 3), initializer="glorot_uniform", name="u")

        def call(self, x):
            table = ops.transpose(ops.matmul(x, self.w))                    # (4, N)
            updates = ops.transpose(ops.matmul(x, self.u))                  # (3, N)
            outs = [ops.scatter_update(table, np.array([[1], [3], [1]]), updates, reduction=r)
                    for r in self.reductions]
            return ops.transpose(ops.concatenate(outs, axis=0))
''')


def _ctc_data():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 7, 6)).astype(np.float32)
    x[:, 6, :4] = rng.integers(1, 5, size=(16, 4))        # labels 1..4 (0 is the blank)
    x[:, 6, 4] = rng.integers(1, 4, size=16)              # label counts: alignments exist
    x[:, 6, 5] = rng.integers(5, 7, size=16)              # valid time steps
    return x, rng.normal(size=(16, 2)).astype(np.float32)


def _model(lib, kind, shape, **attrs):
    layer = exec_layers(LAYERS, lib)[kind]()
    for k, v in attrs.items():
        setattr(layer, k, v)
    return lib.Sequential([lib.Input(shape), layer, lib.layers.Dense(2)])


def test_traced_ctc_loss_trains_to_keras_weights():
    x, y = _ctc_data()
    ours, ours_loss = fit_from_drawn_weights(sk, _model(sk, "CTC", (7, 6)), x, y)
    ref, ref_loss = fit_from_drawn_weights(keras, _model(keras, "CTC", (7, 6)), x, y)
    assert_traced_and_trains_like_keras(ours, ref, x, ours_loss, ref_loss)


def test_traced_ctc_loss_equals_keras_ctc_loss_and_the_eager_one():
    x, _ = _ctc_data()
    model = sk.Sequential([sk.Input((7, 6)), exec_layers(LAYERS, sk)["CTC"]()])
    w = model.get_weights()[0]
    logits = np.einsum("ntf,fc->ntc", x[:, :6], w)
    meta = x[:, 6]
    want = keras.ops.nn.ctc_loss(meta[:, :4].astype("int32"), logits, meta[:, 4].astype("int32"),
                                 meta[:, 5].astype("int32"))
    got = model.predict(x, verbose=0)[:, 0] / 0.1
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-4)
    eager = ops.nn.ctc_loss(meta[:, :4].astype("int32"), logits, meta[:, 4].astype("int32"),
                            meta[:, 5].astype("int32"))
    np.testing.assert_allclose(got, eager, rtol=1e-5, atol=1e-4)


def test_traced_ctc_loss_gradients_match_central_differences():
    x, y = _ctc_data()
    assert_sgd_step_matches_central_differences(_model(sk, "CTC", (7, 6)), x, y, [0], samples=10)


# The keras.io OCR examples' CTC layer with its lengths from the data (one source for both
# libraries): labels (N, L) of class ids padded with 0, features (N, T, 6) whose last column is 1
# on the valid time steps; the label count and the number of labels are unknown at trace time.
DATA_LENGTHS = textwrap.dedent('''
    class CTCFromData(keras.layers.Layer):
        def call(self, y_true, y_pred, features):
            label_length = ops.sum(ops.cast(ops.not_equal(y_true, 0), "int32"), axis=-1)
            input_length = ops.cast(ops.sum(features[:, :, -1], axis=-1), "int32")
            loss = ops.ctc_loss(ops.cast(y_true, "int32"), y_pred, label_length, input_length)
            whole = keras.losses.CTC(reduction=None)(y_true, y_pred)   # every step, non-blank labels
            return ops.stack([loss * 0.1, whole * 0.01, ops.mean(y_pred, axis=(1, 2))], axis=-1)
''')


def _data_length_model(lib):
    labels, features = lib.Input((None,)), lib.Input((None, 6))
    logits = lib.layers.Dense(5)(features)
    return lib.Model([labels, features], exec_layers(DATA_LENGTHS, lib)["CTCFromData"]()(labels, logits, features))


def _data_length_batch(seed, count, labels, steps):
    """Labels 1..4 with each sample's own count (0 after it), features whose last column marks
    each sample's own number of valid steps (enough for its labels, repeats included)."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(1, 5, size=(count, labels)).astype(np.float32)
    counts = rng.integers(0, labels + 1, size=count)
    y_true[np.arange(labels)[None, :] >= counts[:, None]] = 0
    x = rng.normal(size=(count, steps, 6)).astype(np.float32)
    valid = rng.integers(2 * labels + 1, steps + 1, size=count)
    x[:, :, -1] = np.arange(steps)[None, :] < valid[:, None]
    return [y_true, x], rng.normal(size=(count, 3)).astype(np.float32)


def test_traced_ctc_loss_reads_label_and_step_lengths_from_the_data():
    """`ops.ctc_loss` (and `losses.CTC`) traced with lengths computed from the tensors, labels
    and time steps of unknown number: one library op that reads each sample's lengths as it
    runs, Keras's values for batches of different sizes, and the same fit."""
    ours, ref = _data_length_model(sk), _data_length_model(keras)
    ref.set_weights(ours.get_weights())
    for seed, labels, steps in ((3, 3, 9), (4, 5, 12)):
        x, _ = _data_length_batch(seed, 6, labels, steps)
        np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-4)
    x, y = _data_length_batch(5, 16, 4, 10)
    ours, ours_loss = fit_from_drawn_weights(sk, ours, x, y)
    ref, ref_loss = fit_from_drawn_weights(keras, ref, x, y)
    np.testing.assert_allclose(ours_loss, ref_loss, rtol=1e-4)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)


def test_traced_ctc_loss_with_data_lengths_gradients_match_central_differences():
    x, y = _data_length_batch(6, 8, 3, 8)
    assert_sgd_step_matches_central_differences(_data_length_model(sk), x, y, [0, 1], samples=5)


def test_traced_scatter_update_max_and_min_train_to_keras_weights():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(16, 6)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)
    ours, ours_loss = fit_from_drawn_weights(sk, _model(sk, "Scatters", (6,)), x, y)
    ref, ref_loss = fit_from_drawn_weights(keras, _model(keras, "Scatters", (6,)), x, y)
    assert_traced_and_trains_like_keras(ours, ref, x, ours_loss, ref_loss)


def test_traced_scatter_update_mul_predicts_as_keras_and_its_gradients_match_central_differences():
    """jax has no gradient of a scatter with reduction mul (Keras raises 'scatter_mul gradients
    are only implemented if unique_indices=True'): the values are Keras's, the gradients are
    checked by central differences, duplicated positions included."""
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(16, 6)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)
    ours, ref = _model(sk, "Scatters", (6,), reductions=("mul",)), _model(keras, "Scatters", (6,), reductions=("mul",))
    ref.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert_sgd_step_matches_central_differences(_model(sk, "Scatters", (6,), reductions=("max", "min", "mul")),
                                                x, y, [0, 1], samples=8)


def test_traced_scatter_update_refuses_updates_that_do_not_match():
    class Bad(sk.layers.Layer):
        def call(self, x):
            return ops.transpose(ops.scatter_update(ops.transpose(x), np.array([[1], [2]]),
                                                    ops.transpose(x)[:2, None], reduction="max"))

    model = sk.Sequential([sk.Input((4,)), Bad(), sk.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"ops.scatter_update: updates of shape"):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((2, 4), np.float32), np.ones((2, 1), np.float32), verbose=0)


def test_elastic_transform_noise_is_seeded_as_keras_seeds_it():
    """An int seed: the same field at every call; a SeedGenerator: a new field per call, the
    same sequence for the same seed; None: the global generator, fixed by set_random_seed and
    untouched by numpy's global state."""
    img = np.random.default_rng(1).uniform(size=(2, 7, 8, 3)).astype(np.float32)
    warp = ops.image.elastic_transform
    np.testing.assert_array_equal(warp(img, alpha=3.0, sigma=2.0, seed=3), warp(img, alpha=3.0, sigma=2.0, seed=3))
    a, b = sk.random.SeedGenerator(5), sk.random.SeedGenerator(5)
    first = warp(img, alpha=3.0, sigma=2.0, seed=a)
    np.testing.assert_array_equal(first, warp(img, alpha=3.0, sigma=2.0, seed=b))
    assert not np.allclose(first, warp(img, alpha=3.0, sigma=2.0, seed=a), atol=1e-3)
    runs = []
    for _ in range(2):
        sk.utils.set_random_seed(11)
        one = warp(img, alpha=3.0, sigma=2.0)
        np.random.seed(99)            # numpy's global state does not enter
        runs.append((one, warp(img, alpha=3.0, sigma=2.0)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert not np.allclose(runs[0][0], runs[0][1], atol=1e-3)
    sk.utils.set_random_seed(11)
    np.random.seed(5)
    np.testing.assert_array_equal(warp(img, alpha=3.0, sigma=2.0), runs[0][0])
