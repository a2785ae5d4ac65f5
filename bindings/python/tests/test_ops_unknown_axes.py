"""Every `keras.ops` op on symbolic tensors with unknown sizes (None: the batch, and inner axes)
gives real Keras's shapes and dtypes (its `compute_output_spec`): a sweep over the ops (called
on the input alone, along each axis and flattened, and with the input twice), over a grid of
shapes, plus the ops along the batch axis with their arguments (roll, cumsum, diagonal, trace,
triu, kron, sort, prod: graph ops of the library that read their axes' sizes at run time).
Keras's answers are Tests/KerasTests/Fixtures/ops/keras_unknown_axes.json, which
scripts/make_keras_reference_fixtures.py writes from this file's `_specs` run in real Keras (run
it again after changing the cases); the functional models of the ops along the batch predict
Keras's numbers from the same inputs, and differentiate as finite differences do."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import central_difference_gradient, keras_reference, real_keras

N = None
SHAPES = [(N, 3, 4), (N, N, 4), (N, N), (N, 3)]
# keras.ops, by how the sweep calls them (from their signatures: one required argument, one with
# `axis`, two required arguments); value-only and control-flow ops left out.
UNARY = (
    "abs", "absolute", "angle", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh",
    "bitwise_invert", "bitwise_not", "cbrt", "ceil", "celu",
    "cholesky", "cholesky_inverse", "conj", "conjugate", "convert_to_tensor", "copy", "corrcoef",
    "cos", "cosh", "deg2rad", "det", "diag", "diagflat", "diagonal", "eig", "eigh", "elu",
    "empty_like", "erf", "erfc", "erfinv", "exp", "exp2", "expm1", "fabs", "fft", "fft2",
    "fliplr", "flipud", "floor", "gelu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "i0", "ifft2", "imag", "inv", "irfft", "isfinite", "isinf", "isnan", "isneginf",
    "isposinf", "isreal", "leaky_relu", "log", "log10", "log1p", "log2", "log_sigmoid", "logdet",
    "logical_not", "lu_factor", "matrix_rank", "nan_to_num", "negative", "ones_like", "pinv",
    "qr", "rad2deg", "ravel", "real", "reciprocal", "relu", "relu6", "rfft", "rot90", "round",
    "rsqrt", "selu", "sigmoid", "sign", "signbit", "silu", "sin", "sinc", "sinh", "slogdet",
    "soft_shrink", "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "sqrt", "square",
    "squareplus", "stop_gradient", "svd", "swish", "tan", "tanh", "tanh_shrink", "trace",
    "transpose", "tril", "triu", "trunc", "vander", "vstack", "where", "zeros_like")
WITH_AXIS = (
    "all", "amax", "amin", "any", "argmax", "argmin", "argsort", "average", "count_nonzero",
    "cumprod", "cumsum", "diff", "flip", "glu", "layer_normalization", "log_softmax",
    "logsumexp", "max", "mean", "median", "min", "nanargmax", "nanargmin", "nancumprod",
    "nancumsum", "nanmax", "nanmean", "nanmedian", "nanmin", "nanprod", "nanstd", "nansum",
    "nanvar", "norm", "normalize", "prod", "ptp", "rms_normalization", "softmax", "sort",
    "sparsemax", "std", "sum", "trapezoid", "var")
BINARY = (
    "add", "allclose", "arctan2", "bitwise_and", "bitwise_left_shift", "bitwise_or",
    "bitwise_right_shift", "bitwise_xor", "cross", "divide", "divide_no_nan", "dot", "equal",
    "floor_divide", "fmax", "fmin", "fmod", "gcd", "greater", "greater_equal", "heaviside",
    "hypot", "inner", "isclose", "kron", "lcm", "left_shift", "less", "less_equal", "logaddexp",
    "logaddexp2", "logical_and", "logical_or", "logical_xor", "matmul", "maximum", "minimum",
    "mod", "multiply", "nextafter", "not_equal", "outer", "power", "right_shift", "subtract",
    "tensordot", "true_divide", "vdot")


def _op(name):
    return lambda o, x: getattr(o, name)(x)


def _along(name, axis):
    return lambda o, x: getattr(o, name)(x, axis=axis)


def _twice(name):
    return lambda o, x: getattr(o, name)(x, x)


# name: [(label, the call on (ops, x)), ...]
CALLS = {}
for _name in sorted(set(UNARY)):
    CALLS.setdefault(_name, []).append((_name, _op(_name)))
for _name in WITH_AXIS:
    CALLS.setdefault(_name, []).append((_name, _op(_name)))
    CALLS[_name] += [(f"{_name}_axis{a}", _along(_name, a)) for a in (0, 1, -1, None)]
for _name in BINARY:
    CALLS.setdefault(_name, []).append((f"{_name}_twice", _twice(_name)))
# The ops along the batch with their arguments.
ALONG_BATCH = {
    "roll_batch": lambda o, x: o.roll(x, 1, axis=0),
    "roll_flat": lambda o, x: o.roll(x, 2),
    "roll_both": lambda o, x: o.roll(x, (1, -1), axis=(0, 1)),
    "cumsum_batch": lambda o, x: o.cumsum(x, axis=0),
    "cumsum_flat": lambda o, x: o.cumsum(x),
    "cumprod_batch": lambda o, x: o.cumprod(x, axis=0),
    "diagonal_batch": lambda o, x: o.diagonal(x, axis1=0, axis2=1),
    "diagonal_offset": lambda o, x: o.diagonal(x, offset=1, axis1=1, axis2=0),
    "trace_batch": lambda o, x: o.trace(x, axis1=0, axis2=-1),
    "triu": lambda o, x: o.triu(x, 1),
    "tril": lambda o, x: o.tril(x, -1),
    "kron": lambda o, x: o.kron(x, x),
    "kron_inner": lambda o, x: o.kron(x, np.arange(1, 3, dtype=np.float32).reshape((1,) * (len(x.shape) - 1) + (2,))),
    "diagonal_inner": lambda o, x: o.diagonal(x, axis1=-2, axis2=-1),
    "trace_inner": lambda o, x: o.trace(x, offset=-1, axis1=-1, axis2=-2),
    "sort_batch": lambda o, x: o.sort(x, axis=0),
    "prod_batch": lambda o, x: o.prod(x, axis=0),
    "prod_all": lambda o, x: o.prod(x),
    "top_k": lambda o, x: o.top_k(x, 2)[0],
}
CALLS["along_batch"] = list(ALONG_BATCH.items())
CALLS["argsort_batch"] = [("argsort_batch", lambda o, x: o.argsort(x, axis=0))]
# Slices of unknown axes: a range of an axis of unknown size is of unknown size (x[:, -2:] too).
E = Ellipsis
SLICES = {
    "from_1": (slice(None), slice(1, None)), "to_last": (slice(None), slice(None, -1)),
    "every_2nd_last": (E, slice(None, None, 2)), "new_axis": (slice(None), None),
    "reversed": (slice(None), slice(None, None, -1)), "last_2": (slice(None), slice(-2, None)),
    "stepped": (slice(None), slice(1, -1, 2)), "index": (slice(None), 0), "index_last": (slice(None), -1),
    "batch_from_1": (slice(1, None),), "batch_every_2nd": (slice(None, None, 2),), "batch_index": 0,
    "trailing_new_axis": (E, None), "leading_new_axis": (None, E), "past_end": (slice(None), slice(5, None)),
    "reversed_by_2": (slice(None), slice(None, None, -2)), "by_3": (slice(None), slice(1, None, 3)),
    "negative_range": (slice(None), slice(-3, -1)), "new_axis_then_slice": (slice(None), None, slice(1, None)),
}
CALLS["getitem"] = [(f"getitem_{k}", lambda o, x, key=key: x[key]) for k, key in SLICES.items()]

# Ops whose symbolic shape or dtype still differs from Keras's somewhere in the sweep, and why.
KNOWN = {
    "where": "where(x) is nonzero's indices (int32, as many as there are): values only here",
    "eig": "this decomposition runs on values only (not traced)",
    "eigh": "this decomposition runs on values only (not traced)",
    "logdet": "Keras's spec of (None, 3, 4) is (None,), not checking that the matrices are square; the graph op refuses them",
    "lu_factor": "this decomposition runs on values only (not traced)",
    "matrix_rank": "this decomposition runs on values only (not traced)",
    "pinv": "this decomposition runs on values only (not traced)",
    "qr": "this decomposition runs on values only (not traced)",
    "slogdet": "Keras's spec gives the sign () and log (None,) for (None, 3, 4), not checking that the matrices are square",
    "svd": "this decomposition runs on values only (not traced)",
    "corrcoef": "Keras's spec keeps the input's shape, its op gives (rows, rows) and refuses rank 3",
    "cross": "the graph takes 3-vectors of known size only; Keras's spec of (None, None) with itself is (None,)",
    "layer_normalization": "axis=None: Keras's spec keeps the shape, its op raises TypeError (sorted(None))",
    "tensordot": "axes=2 of (None, 3, 4) with itself contracts 4 with 3, sizes known when traced: refused, where Keras's spec does not check",
    "trapezoid": "axis=None: Keras's spec keeps the input's shape, its op raises TypeError",
}


def _spec(ops, call, x):
    """(shape with -1 for None, dtype) of each output; None where the op refuses."""
    try:
        y = call(ops, x)
        outs = list(y) if isinstance(y, (tuple, list)) else [y]
        return [(tuple(-1 if d is None else int(d) for d in t.shape), str(t.dtype)) for t in outs]
    except Exception:
        return None


def _specs(keras):
    """Keras's specs of every call on every shape: name -> [shape, empty array of the dtype, ...]
    (an empty list where Keras refuses the call)."""
    found = {}
    for name, calls in CALLS.items():
        for label, call in calls:
            for shape in SHAPES:
                spec = _spec(keras.ops, call, keras.KerasTensor(shape))
                found[f"{label}|{shape}"] = [] if spec is None else [
                    a for s, d in spec for a in (np.array(s, np.int64), np.zeros(0, d))]
    return found


@pytest.fixture(scope="module")
def keras_specs():
    return keras_reference("ops", "keras_unknown_axes.json")


@pytest.mark.parametrize("name", sorted(CALLS))
def test_symbolic_specs_match_keras(keras_specs, name):
    differ = []
    for label, call in CALLS[name]:
        for shape in SHAPES:
            want = keras_specs[f"{label}|{shape}"]
            if not want:
                continue
            want = [(tuple(int(d) for d in want[i]), want[i + 1].dtype.name) for i in range(0, len(want), 2)]
            got = _spec(sk.ops, call, sk.Input(batch_shape=shape))
            if got is None or [(tuple(-1 if d < 0 else d for d in s), d) for s, d in got] != want:
                differ.append(f"{label} on {shape}: {got}, Keras {want}")
    if name in KNOWN:
        if not differ:
            pytest.fail(f"ops.{name} now matches Keras everywhere: take it out of KNOWN")
        pytest.xfail(KNOWN[name])
    assert not differ, "\n".join(differ)


@pytest.mark.parametrize("case", sorted(ALONG_BATCH) + ["argsort_batch"]
                         + [f"getitem_{k}" for k in SLICES if "batch" not in k])
def test_ops_along_the_batch_predict_keras_numbers(case):
    """A functional model of the op on (None, 3, 3): Keras's numbers for a batch of 3 (its
    eager op on the same array)."""
    keras = real_keras()
    call = dict(CALLS["along_batch"] + CALLS["argsort_batch"] + CALLS["getitem"])[case]
    x = np.random.default_rng(0).normal(size=(3, 3, 3)).astype(np.float32)
    want = np.asarray(call(keras.ops, keras.ops.convert_to_tensor(x)))
    inputs = sk.Input(batch_shape=(None, 3, 3))
    model = sk.Model(inputs, call(sk.ops, inputs))
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got, want.astype(np.float32), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["roll_batch", "roll_flat", "roll_both", "cumsum_batch",
                                  "cumprod_batch", "sort_batch", "triu", "tril", "kron_inner",
                                  "diagonal_inner", "trace_inner"])
def test_ops_along_the_batch_train_by_their_gradient(case):
    """`op(Dense(3)(x))` on (None, 3, 3): one SGD step of the mean squared error moves the
    kernel by the loss's finite-difference gradient (numpy's op of the same name)."""
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(4, 3, 3))
    y = rng.normal(size=ALONG_BATCH[case](np, xs).shape).astype(np.float32)
    inputs = sk.Input(batch_shape=(None, 3, 3))
    dense = sk.layers.Dense(3, use_bias=False)
    model = sk.Model(inputs, ALONG_BATCH[case](sk.ops, dense(inputs)))
    lr = 0.05
    model.compile(optimizer=sk.optimizers.SGD(learning_rate=lr), loss="mse")
    kernel = model.get_weights()[0].astype(np.float64)

    grad = central_difference_gradient(lambda k: np.mean((ALONG_BATCH[case](np, xs @ k) - y) ** 2),
                                       kernel, eps=1e-5)
    model.fit(xs.astype(np.float32), y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], kernel - lr * grad, rtol=1e-4, atol=1e-5)


BAD = {
    "diagonal_same_axes": (lambda x: sk.ops.diagonal(x, axis1=1, axis2=1), r"diagonal: axis1 and axis2 cannot be the same"),
    "roll_axis": (lambda x: sk.ops.roll(x, 1, axis=5), r"ops.roll: axis 5 is out of bounds for a tensor of rank 3"),
    "roll_shifts": (lambda x: sk.ops.roll(x, (1, 2, 3), axis=(0, 1)), r"ops.roll: 3 shifts for 2 axes"),
    "cumsum_axis": (lambda x: sk.ops.cumsum(x, axis=-4), r"ops.cumsum: axis -4 is out of bounds"),
    "sort_axis": (lambda x: sk.ops.sort(x, axis=3), r"ops.sort: axis 3 is out of bounds"),
    "trace_rank": (lambda x: sk.ops.trace(x[:, 0, 0]), r"trace: the input must have at least 2 dimensions"),
    "triu_rank": (lambda x: sk.ops.triu(x[:, 0, 0]), r"ops.triu: the input must have at least 2 dimensions"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_arguments_are_clear_errors(case):
    """Bad axes and ranks of the ops along the batch raise a ValueError naming the op and the
    value, where the call is made or where its model is built (nothing traps)."""
    call, message = BAD[case]
    x = sk.Input((3, 3))
    with pytest.raises(ValueError, match=message):
        sk.Model(x, call(x)).predict(np.ones((2, 3, 3), np.float32), verbose=0)
