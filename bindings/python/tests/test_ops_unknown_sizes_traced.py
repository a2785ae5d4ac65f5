"""Ops along axes of unknown size in a layer's traced `call` (over `Input(batch_shape=(None, None,
4))`): the library's graph reads those sizes each run, as Keras's call does under jax.jit, so one
model predicts Keras's numbers at two lengths of the unknown axis, and trains by the gradient
that finite differences of numpy's op give. Keras's numbers are
Tests/KerasTests/Fixtures/ops/keras_unknown_sizes_traced.json, which
scripts/make_keras_reference_fixtures.py writes from this file's `_keras_outputs` (run it again
after changing the cases)."""

import types

import numpy as np
import pytest

import swiftkeras as sk
from conftest import central_difference_gradient, keras_reference

_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(3, 6, 4)).astype(np.float32)


def _np_sparsemax(z, axis=-1):
    ordered = -np.sort(-z, axis=axis)
    ranks = np.cumsum(np.ones_like(ordered), axis=axis)
    sums = np.cumsum(ordered, axis=axis)
    support = ordered - (sums - 1) / ranks > 0
    tau = (np.where(support, sums, 0).sum(axis, keepdims=True) - 1) / support.sum(axis, keepdims=True)
    return np.maximum(z - tau, 0)


def _np_cast(v, dtype):
    return np.trunc(v) if "int" in str(dtype) else np.asarray(v, np.float64)


# numpy under Keras's names, for the finite differences (integers held in float64, as the
# library holds them in float32)
NP = types.SimpleNamespace(**{
    **{n: getattr(np, n) for n in dir(np) if not n.startswith("_")},
    "sparsemax": _np_sparsemax, "cast": _np_cast,
    "bitwise_and": lambda a, b: np.bitwise_and(np.int64(a), b).astype(np.float64),
    "glu": lambda x, axis: np.split(x, 2, axis)[0] / (1 + np.exp(-np.split(x, 2, axis)[1])),
    # linear algebra under Keras's names
    "inv": np.linalg.inv, "det": np.linalg.det, "slogdet": np.linalg.slogdet,
    "logdet": lambda a: np.linalg.slogdet(a)[1],
    "solve": np.linalg.solve,
    "cholesky": np.linalg.cholesky,
    "cholesky_inverse": lambda f: np.linalg.inv(f @ np.swapaxes(f, -1, -2)),
    "rfft": lambda x: (np.fft.rfft(x).real, np.fft.rfft(x).imag),
    "irfft": lambda x: np.fft.irfft(x[0] + 1j * x[1])})


def _halves(o, x):
    """x[:, :n // 2] and x[:, n // 2:], n the unknown length read with ops.shape."""
    n = o.shape(x)[1]
    return x[:, : n // 2], x[:, n // 2:]

def _identity(o, a):
    """The identity matrix of a's unknown size: the diagonal of a matrix of ones."""
    return o.triu(o.tril(o.ones_like(a)))


def _positive_definite(o, x):
    """x xᵀ / 4 + I: symmetric positive definite, n×n for n the unknown length."""
    a = o.matmul(x, o.swapaxes(x, 1, 2)) / 4.0
    return a + _identity(o, a)


def _general(o, x):
    """x roll(x)ᵀ / 4 + 2 I: n×n, not symmetric, its determinant of either sign."""
    a = o.matmul(x, o.swapaxes(o.roll(x, 1, axis=2), 1, 2)) / 4.0
    return a + 2.0 * _identity(o, a)


# Linear algebra on n×n matrices, n the unknown length
LINALG = {
    "inv": lambda o, x: o.inv(_general(o, x)),
    "det": lambda o, x: o.det(_general(o, x)),
    "slogdet": lambda o, x: o.stack(o.slogdet(_general(o, x)), axis=1),
    "logdet": lambda o, x: o.logdet(_positive_definite(o, x)),
    "solve_matrices": lambda o, x: o.solve(_general(o, x), x),
    "solve_column": lambda o, x: o.solve(_positive_definite(o, x), x[:, :, :1]),
    "cholesky": lambda o, x: o.cholesky(_positive_definite(o, x)),
    "cholesky_upper": lambda o, x: o.cholesky(_positive_definite(o, x), upper=True),
    "cholesky_inverse": lambda o, x: o.cholesky_inverse(o.cholesky(_positive_definite(o, x))),
}

# Keras's cholesky_inverse fails on a batch of matrices under JAX (its identity of one matrix's
# shape meets solve_triangular's batch): numpy's inverse of L Lᵀ is the reference there.
NUMPY_REFERENCE = {"linalg_cholesky_inverse"}

# op(ops, x) on x of shape (batch, None, 4)
CASES = {
    **{f"linalg_{k}": f for k, f in LINALG.items()},
    "median_axis1": lambda o, x: o.median(x, axis=1),
    "median_flat": lambda o, x: o.subtract(x, o.median(x)),
    "median_batch": lambda o, x: o.subtract(x, o.median(x, axis=0, keepdims=True)),
    "quantile_axis1": lambda o, x: o.transpose(o.quantile(x, [0.25, 0.9], axis=1), (1, 0, 2)),
    "nanmedian_axis1": lambda o, x: o.nanmedian(o.where(o.greater(x, 0.5), np.nan, x), axis=1),
    "sparsemax_axis1": lambda o, x: o.sparsemax(x, axis=1),
    "glu_axis1": lambda o, x: o.glu(o.concatenate([x, o.square(x)], axis=1), axis=1),
    "slice_by_read_size": lambda o, x: o.subtract(_halves(o, x)[0], o.sum(_halves(o, x)[1], axis=1, keepdims=True)),
    # a contraction of a size unknown when traced with a known one (4): the trace's probes fit
    "matmul_sliced": lambda o, x: o.matmul(x, x[:, :4]),
    "einsum_sliced": lambda o, x: o.einsum("bij,bjk->bik", x, x[:, 1:5]),
    "dot_rank3": lambda o, x: o.dot(x, o.swapaxes(x, 1, 2)),
    "rfft_axis1": lambda o, x: o.stack(o.rfft(o.swapaxes(x, 1, 2)), axis=1),
    # the inverse along the unknown length: its output's length 2 (n - 1) read where it runs
    "irfft_axis1": lambda o, x: o.swapaxes(o.irfft((o.swapaxes(x, 1, 2), o.swapaxes(x, 1, 2) * 0.5)), 1, 2),
    "slice_last_two": lambda o, x: x[:, o.shape(x)[1] - 2:] * 2.0,
    # an integer op's value has no gradient: only x's own term moves the kernel
    "integer_no_gradient": lambda o, x: o.add(x, o.cast(o.bitwise_and(o.cast(o.multiply(x, 8.0), "int32"), 6), "float32")),
}
# The integer ops in a traced call: Keras's int32 values, computed on int32 data.
INTEGER = {
    "bitwise": lambda o, i: o.stack([o.bitwise_and(i, 6), o.bitwise_or(i, 5), o.bitwise_xor(i, 3), o.bitwise_invert(i),
                                     o.bitwise_not(i)], axis=1),
    "shifts": lambda o, i: o.stack([o.left_shift(i, 2), o.right_shift(i, 1), o.bitwise_left_shift(i, 33),
                                    o.bitwise_right_shift(i, -1)], axis=1),
    "gcd_lcm": lambda o, i: o.stack([o.gcd(i, 12), o.lcm(i, 4), o.gcd(i, o.flip(i, axis=1))], axis=1),
}
VALUES_ONLY = {
    "diagflat": lambda o, x: o.diagflat(x[:, 0, :2], 1),
    "diagflat_below": lambda o, x: o.diagflat(x[:, 1, 1:], -2),
    **{f"integer_{k}": lambda o, x, f=f: f(o, o.cast(o.multiply(x, 20.0), "int32")) for k, f in INTEGER.items()},
    "nextafter": lambda o, x: o.stack([o.nextafter(x, 0.0), o.nextafter(x, x + 1.0)], axis=1),
}


LENGTHS = (5, 6)


class OpCall(sk.layers.Layer):
    """A layer whose call is one case's op (traced into the library's graph)."""

    def __init__(self, call, **kwargs):
        super().__init__(**kwargs)
        self.op_call = call

    def call(self, x):
        return self.op_call(sk.ops, x)


def _model(call, dense=None):
    """The model of `call` over (None, None, 4), after `dense` where given."""
    inputs = sk.Input(batch_shape=(None, None, 4))
    return sk.Model(inputs, OpCall(call)(inputs if dense is None else dense(inputs)))


def _two_sizes_run(k):
    """One layer written with ops (its call sized by the sequence it gets: positions
    `ops.arange(x.shape[1])`) called on sequences of length 8 and of length 12 in one model:
    its predictions, then those and its weight after two epochs of SGD."""
    class SizedAttention(k.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], input_shape[-1]), initializer="ones", name="w")

        def call(self, x):
            scores = k.ops.matmul(k.ops.matmul(x, self.w), k.ops.transpose(x, (0, 2, 1))) / 4.0
            positions = k.ops.reshape(k.ops.cast(k.ops.arange(x.shape[1]), "float32"), (1, -1, 1)) / 10.0
            return k.ops.matmul(k.ops.softmax(scores, axis=-1), x) + positions

    a, b = k.Input((8, 4)), k.Input((12, 4))
    attention = SizedAttention()
    model = k.Model([a, b], k.layers.Concatenate()([k.ops.mean(attention(a), axis=1),
                                                    k.ops.mean(attention(b), axis=1)]))
    rng = np.random.default_rng(3)
    xs = [rng.normal(size=(4, n, 4)).astype(np.float32) for n in (8, 12)]
    y = rng.normal(size=(4, 8)).astype(np.float32)
    before = model.predict(xs, verbose=0)
    model.compile(optimizer=k.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(xs, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return [before, model.predict(xs, verbose=0), model.get_weights()[0]]


def _keras_outputs(keras):
    """Keras's op of each case on X at each of LENGTHS, and `_two_sizes_run`."""
    return {**{f"{case}|{length}": [np.asarray(call(keras.ops, keras.ops.convert_to_tensor(X[:, :length])))]
               for case, call in {**CASES, **VALUES_ONLY}.items() for length in LENGTHS
               if case not in NUMPY_REFERENCE},
            "two_sizes": _two_sizes_run(keras)}


@pytest.fixture(scope="module")
def keras_outputs():
    return keras_reference("ops", "keras_unknown_sizes_traced.json")


def _reference(keras_outputs, case, length):
    """Keras's numbers for `case` on X at `length` (numpy's where Keras's op fails)."""
    if case in NUMPY_REFERENCE:
        return CASES[case](NP, X[:, :length].astype(np.float64))
    return keras_outputs[f"{case}|{length}"][0]


@pytest.mark.parametrize("case", sorted(CASES) + sorted(VALUES_ONLY))
def test_ops_along_unknown_sizes_predict_keras_numbers(keras_outputs, case):
    """One model over (None, None, 4) predicts Keras's numbers at lengths 5 and 6 of the
    unknown axis."""
    model = _model({**CASES, **VALUES_ONLY}[case])
    for length in LENGTHS:
        x = X[:, :length]
        got = model.predict(x, batch_size=len(x), verbose=0)
        np.testing.assert_allclose(got, _reference(keras_outputs, case, length), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", sorted(CASES))
def test_ops_along_unknown_sizes_train_by_their_gradient(case):
    """`op(Dense(4)(x))` over (None, None, 4), fit on a length of 5: one SGD step of the mean
    squared error moves the kernel by the loss's finite-difference gradient (numpy's op)."""
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(3, 5, 4))
    call = CASES[case]
    y = rng.normal(size=call(NP, xs).shape).astype(np.float32)
    model = _model(call, sk.layers.Dense(4, use_bias=False))
    lr = 0.05
    model.compile(optimizer=sk.optimizers.SGD(learning_rate=lr), loss="mse")
    kernel = model.get_weights()[0].astype(np.float64)

    grad = central_difference_gradient(lambda k: np.mean((call(NP, xs @ k) - y) ** 2), kernel)
    model.fit(xs.astype(np.float32), y, batch_size=len(xs), epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], kernel - lr * grad, rtol=1e-4, atol=1e-5)


def test_glu_of_an_odd_size_is_refused_when_run():
    """glu along an axis whose size is unknown when traced refuses an odd size when run (Keras's
    split refuses it), naming the op and the size; a known odd size with Keras's message."""
    model = _model(lambda o, x: o.glu(x, axis=1))
    np.testing.assert_allclose(model.predict(X[:, :4], verbose=0).shape, (3, 2, 4))
    with pytest.raises(ValueError, match=r"glu: axis 1 of size 5"):
        model.predict(X[:, :5], verbose=0)
    inputs = sk.Input((3, 4))
    with pytest.raises(ValueError, match=r"axis size must be divisible by 2"):
        sk.Model(inputs, OpCall(lambda o, x: o.glu(x, axis=1))(inputs)).predict(X[:, :3], verbose=0)


def test_a_layer_called_at_two_sizes_runs_each_call_at_its_own(keras_outputs):
    """A layer written with ops, called on sequences of length 8 and 12 in one model, gets a
    trace for each call's shapes (Keras runs its call for each), on its one weight: Keras's
    predictions, and its weight and predictions after two epochs of SGD."""
    for got, want in zip(_two_sizes_run(sk), keras_outputs["two_sizes"]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


class MaskAware(sk.layers.Layer):
    """A layer whose call tells Keras's mask=None from a mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return x * 2.0
        return x * sk.ops.expand_dims(sk.ops.cast(mask, "float32"), -1)


def test_a_layer_traced_again_at_another_size_runs_without_masks_as_keras():
    """MaskAware called on sequences of length 8, of length 12 (a second trace) and of length 12
    masked by Masking, in one model: the unmasked calls get mask=None at both sizes (x * 2), the
    masked one its mask, as Keras's calls do (checked in Keras 3.15: the same three outputs)."""
    a, b = sk.Input((8, 4)), sk.Input((12, 4))
    layer = MaskAware()
    model = sk.Model([a, b], [layer(a), layer(b), layer(sk.layers.Masking(0.0)(b))])
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(2, 8, 4)).astype(np.float32), rng.normal(size=(2, 12, 4)).astype(np.float32)]
    xs[1][:, 9:] = 0.0
    xs[1][:, 3, :] = 0.0
    masked = xs[1] * np.any(xs[1] != 0, axis=-1, keepdims=True)
    for got, want in zip(model.predict(xs, verbose=0), [xs[0] * 2, xs[1] * 2, masked]):
        np.testing.assert_allclose(got, want, rtol=1e-6)

def test_linear_algebra_at_another_batch_size(keras_outputs):
    """The linear algebra cases on a batch of 2 of the same matrices (each matrix on its own):
    Keras's numbers for them, from the model built over an unknown batch."""
    for case in LINALG:
        model = _model(CASES[f"linalg_{case}"])
        for length in LENGTHS:
            got = model.predict(X[:2, :length], batch_size=2, verbose=0)
            np.testing.assert_allclose(got, _reference(keras_outputs, f"linalg_{case}", length)[:2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda o, x: o.inv(x), r"inv: expects square matrices in the last two axes, got shape \[2, 3, 4\]"),
    (lambda o, x: o.cholesky(x[:, :, :2]), r"cholesky: expects square matrices"),
    (lambda o, x: o.solve(o.matmul(x, o.swapaxes(x, 1, 2)), x[:, :2]),
     r"solve: b of shape \[2, 2, 4\] does not match a of shape \[2, 3, 3\]"),
])
def test_linear_algebra_of_wrong_shapes_is_refused(call, message):
    """Matrices that are not square, and a right-hand side of another size, are a ValueError
    naming the op and the shapes (the trace's first probe has a batch of 2)."""
    x = sk.Input((3, 4))
    with pytest.raises(ValueError, match=message):
        sk.Model(x, call(sk.ops, x)).predict(X[:2, :3], verbose=0)
