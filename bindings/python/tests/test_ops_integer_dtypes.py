"""Eager `keras.ops` on integer and boolean arrays give real Keras's dtype and exact values
(Keras on JAX keeps integers for its numpy-like ops; true_divide and mean give floats;
comparisons give bool), float16 stays float16, and no result has 64 bits (JAX without x64),
checked op by op against real Keras on the same inputs:
Tests/KerasTests/Fixtures/ops/keras_integer_dtypes.json, which
scripts/make_keras_reference_fixtures.py writes from this file's CASES run in real Keras (run it
again after changing them)."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import keras_reference, real_keras

# int32 values past float32's 24-bit mantissa: a float32 round trip would change them.
BIG = 2**24 + 1
A = {"int32": np.array([[3, -7, BIG], [0, 5, -2]], np.int32),
     "int64": np.array([[3, -7, BIG], [0, 5, -2]], np.int64),
     "uint8": np.array([[3, 250, 9], [0, 5, 2]], np.uint8),
     "bool": np.array([[True, False, True], [False, False, True]])}
B = {"int32": np.array([[2, 3, -4], [1, -6, 7]], np.int32),
     "int64": np.array([[2, 3, -4], [1, -6, 7]], np.int64),
     "uint8": np.array([[2, 3, 4], [1, 6, 7]], np.uint8),
     "bool": np.array([[False, True, True], [True, False, False]])}
NONZERO = {"int32": np.array([[2, 3, -4], [1, -6, 7]], np.int32),
           "int64": np.array([[2, 3, -4], [1, -6, 7]], np.int64),
           "uint8": np.array([[2, 3, 4], [1, 6, 7]], np.uint8)}
# int8 and int16, for the ops whose dtype rule differs on them (int8 einsum is int32; trace and
# nansum widen to int32).
A["int8"] = np.array([[3, -7, 100], [0, 5, -2]], np.int8)
A["int16"] = np.array([[3, -7, 300], [0, 5, -2]], np.int16)
B["int8"] = NONZERO["int8"] = np.array([[2, 3, -4], [1, -6, 7]], np.int8)
B["int16"] = NONZERO["int16"] = np.array([[2, 3, -4], [1, -6, 7]], np.int16)
# float16 stays float16 in Keras (computed here in float32, rounded to float16)
A["float16"] = np.array([[3, -7, 100], [0, 5, -2]], np.float16)
B["float16"] = NONZERO["float16"] = np.array([[2, 3, -4], [1, -6, 7]], np.float16)
COND = np.array([[True, False, True], [False, True, False]])
# float64 (and int64): Keras on JAX holds 32 bits
A["float64"] = np.array([[3, -7, 100.5], [0, 5, -2]], np.float64)
B["float64"] = NONZERO["float64"] = np.array([[2, 3, -4], [1, -6, 7.25]], np.float64)
WIDE = ("int64", "float64")

# name: (the op on (ops, a, b, b_nonzero), the dtypes it runs on)
ALL, INTS = ("int32", "int64", "uint8", "bool"), ("int32", "int64", "uint8")
SMALL = ("int8", "int16", "int32", "uint8", "bool", "float16")  # the jnp rules that differ by width
CASES = {
    "add": (lambda o, a, b, n: o.add(a, b), ALL),
    "add_scalar": (lambda o, a, b, n: o.add(a, 2), ALL),
    "add_wrapping_scalar": (lambda o, a, b, n: o.add(a, 300), INTS),
    "add_numpy_scalar": (lambda o, a, b, n: o.add(a, np.int64(2)), INTS),
    "add_float_scalar": (lambda o, a, b, n: o.add(a, 0.5), INTS),
    "subtract": (lambda o, a, b, n: o.subtract(a, b), INTS),
    "multiply": (lambda o, a, b, n: o.multiply(a, b), ALL),
    "maximum": (lambda o, a, b, n: o.maximum(a, b), ALL),
    "minimum": (lambda o, a, b, n: o.minimum(a, b), ALL),
    "negative": (lambda o, a, b, n: o.negative(a), INTS),
    "abs": (lambda o, a, b, n: o.abs(a), ALL),
    "square": (lambda o, a, b, n: o.square(a), ALL),
    "sum": (lambda o, a, b, n: o.sum(a, axis=1), ALL),
    "sum_all": (lambda o, a, b, n: o.sum(a), ALL),
    "prod": (lambda o, a, b, n: o.prod(b, axis=0), ALL),
    "max": (lambda o, a, b, n: o.max(a, axis=0), ALL),
    "min": (lambda o, a, b, n: o.min(a), ALL),
    "amax": (lambda o, a, b, n: o.amax(a, axis=1, keepdims=True), ALL),
    "amin": (lambda o, a, b, n: o.amin(a, axis=0), ALL),
    "cumsum": (lambda o, a, b, n: o.cumsum(a, axis=1), ALL),
    "cumprod": (lambda o, a, b, n: o.cumprod(b, axis=0), ALL),
    "diff": (lambda o, a, b, n: o.diff(a), INTS),
    "where": (lambda o, a, b, n: o.where(COND, a, b), ALL),
    "select": (lambda o, a, b, n: o.select([COND], [a]), ALL),
    "where_scalar": (lambda o, a, b, n: o.where(COND, a, 2), ALL),
    "rot90": (lambda o, a, b, n: o.rot90(a), ALL),
    "flip": (lambda o, a, b, n: o.flip(a, axis=1), ALL),
    "roll": (lambda o, a, b, n: o.roll(a, 1, axis=1), ALL),
    "tile": (lambda o, a, b, n: o.tile(a, (1, 2)), ALL),
    "repeat": (lambda o, a, b, n: o.repeat(a, 2, axis=0), ALL),
    "concatenate": (lambda o, a, b, n: o.concatenate([a, b], axis=0), ALL),
    "stack": (lambda o, a, b, n: o.stack([a, b], axis=1), ALL),
    "reshape": (lambda o, a, b, n: o.reshape(a, (3, 2)), ALL),
    "transpose": (lambda o, a, b, n: o.transpose(a), ALL),
    "broadcast_to": (lambda o, a, b, n: o.broadcast_to(a[:1], (3, 3)), ALL),
    "split": (lambda o, a, b, n: o.split(a, 3, axis=1)[2], ALL),
    "array_split": (lambda o, a, b, n: o.array_split(a, 2, axis=1)[0], ALL),
    "unstack": (lambda o, a, b, n: o.unstack(a)[1], ALL),
    "vander": (lambda o, a, b, n: o.vander(b[1]), INTS),
    "take": (lambda o, a, b, n: o.take(a, np.array([2, 0]), axis=1), ALL),
    "sort": (lambda o, a, b, n: o.sort(a, axis=1), ALL),
    "argsort": (lambda o, a, b, n: o.argsort(a, axis=1), INTS),
    "clip": (lambda o, a, b, n: o.clip(a, 0, 6), ALL),
    "clip_float_bounds": (lambda o, a, b, n: o.clip(a, 0.5, 6), INTS),
    "floor_divide": (lambda o, a, b, n: o.floor_divide(a, n), INTS),
    "mod": (lambda o, a, b, n: o.mod(a, n), INTS),
    "matmul": (lambda o, a, b, n: o.matmul(a, o.transpose(b)), INTS),
    "zeros_like": (lambda o, a, b, n: o.zeros_like(a), ALL),
    "ones_like_float": (lambda o, a, b, n: o.ones_like(a, dtype="float32"), ALL),
    "tril": (lambda o, a, b, n: o.tril(a), ALL),
    "greater": (lambda o, a, b, n: o.greater(a, b), ALL),
    "less_scalar": (lambda o, a, b, n: o.less(a, 2.5), INTS),
    "equal": (lambda o, a, b, n: o.equal(a, b), ALL),
    "not_equal_float64": (lambda o, a, b, n: o.not_equal(a.astype(np.float64) + 0.1, 3.1), ALL),
    "true_divide": (lambda o, a, b, n: o.true_divide(a, n), INTS),
    "mean": (lambda o, a, b, n: o.mean(a, axis=1), ALL),
    # (B's negative exponents: jnp's integer results, 0 for bases other than 1 and -1)
    "power": (lambda o, a, b, n: o.power(a, b), SMALL),
    "power_scalar": (lambda o, a, b, n: o.power(a, 2), SMALL),
    "power_integer_array_scalar": (lambda o, a, b, n: o.power(a, np.int32(3)), SMALL),
    "power_float_scalar": (lambda o, a, b, n: o.power(a, 0.5), SMALL),
    "power_of_scalar": (lambda o, a, b, n: o.power(2, b), SMALL),
    "einsum": (lambda o, a, b, n: o.einsum("ij,kj->ik", a, b), SMALL),
    "einsum_one": (lambda o, a, b, n: o.einsum("ij->j", a), SMALL),
    "einsum_with_int16": (lambda o, a, b, n: o.einsum("ij,ij->i", a, b.astype(np.int16)), SMALL),
    "trace": (lambda o, a, b, n: o.trace(a), SMALL),
    "trace_offset": (lambda o, a, b, n: o.trace(a, offset=1), SMALL),
    "diagonal": (lambda o, a, b, n: o.diagonal(a, offset=1), SMALL),
    "diag": (lambda o, a, b, n: o.diag(a, k=1), SMALL),
    "diag_of_vector": (lambda o, a, b, n: o.diag(b[1], k=-1), SMALL),
    "nansum": (lambda o, a, b, n: o.nansum(a, axis=0), SMALL),
    "nansum_all": (lambda o, a, b, n: o.nansum(a), SMALL),
    "nanprod": (lambda o, a, b, n: o.nanprod(b, axis=1), SMALL),
    "nanmax": (lambda o, a, b, n: o.nanmax(a, axis=1), SMALL),
    "nanmin": (lambda o, a, b, n: o.nanmin(a), SMALL),
    "nanmean": (lambda o, a, b, n: o.nanmean(a, axis=0), SMALL),
    "nanvar": (lambda o, a, b, n: o.nanvar(a), SMALL),
    "nancumsum": (lambda o, a, b, n: o.nancumsum(a, axis=1), SMALL),
    "nanmedian": (lambda o, a, b, n: o.nanmedian(a, axis=0), SMALL),
    # float16 through the float paths: one op of each kind
    "add_float16_scalar": (lambda o, a, b, n: o.add(a, 0.5), ("float16",)),
    "exp_float16": (lambda o, a, b, n: o.exp(o.divide(a, 100.0)), ("float16",)),
    "mean_float16": (lambda o, a, b, n: o.mean(a, axis=1), ("float16",)),
    "cumsum_float16": (lambda o, a, b, n: o.cumsum(a, axis=1), ("float16",)),
    "log2_float16": (lambda o, a, b, n: o.log2(o.abs(n)), ("float16",)),
    "arctan2_float16_python_float": (lambda o, a, b, n: o.arctan2(a, 2.0), ("float16",)),
    "softmax_float16": (lambda o, a, b, n: o.nn.softmax(b), ("float16",)),
    # integers kept by rounding ops and relu; matmul of int8 is int32; floor_divide and mod of
    # bools are int32 (jnp's)
    "round": (lambda o, a, b, n: o.round(a), INTS + ("int8",)),
    "trunc": (lambda o, a, b, n: o.trunc(a), ALL + ("int8",)),
    "nan_to_num": (lambda o, a, b, n: o.nan_to_num(a), ALL + ("int8",)),
    "relu": (lambda o, a, b, n: o.nn.relu(a), ALL + ("int8",)),
    "matmul_small": (lambda o, a, b, n: o.matmul(a, o.transpose(b)), ("int8", "int16", "uint8")),
    "cross": (lambda o, a, b, n: o.cross(a, b), INTS + ("int8", "float16")),
    "floor_divide_bool": (lambda o, a, b, n: o.floor_divide(a, True), ("bool",)),
    "mod_bool": (lambda o, a, b, n: o.mod(a, o.logical_not(o.logical_and(a, False))), ("bool",)),
    # 64 bits are 32 in Keras on JAX, whatever the op: a copy, a cast, a dtype asked for
    "copy": (lambda o, a, b, n: o.copy(a), WIDE),
    "real": (lambda o, a, b, n: o.real(a), WIDE),
    "conj": (lambda o, a, b, n: o.conj(a), WIDE),
    "conj_small": (lambda o, a, b, n: o.conj(a), ("bool", "int8", "float16")),
    "imag": (lambda o, a, b, n: o.imag(a), ALL + ("int8", "float16", "float64")),
    "cast_to_own_dtype": (lambda o, a, b, n: o.cast(b, a.dtype), WIDE),
    "ones_of_dtype": (lambda o, a, b, n: o.ones((2, 2), dtype=a.dtype), WIDE),
    "full_of_dtype": (lambda o, a, b, n: o.full((2,), 3, dtype=a.dtype), WIDE),
    "convert_to_tensor_dtype": (lambda o, a, b, n: o.convert_to_tensor(b, dtype=a.dtype), WIDE),
    "arange_of_dtype": (lambda o, a, b, n: o.arange(0, 5, dtype=a.dtype), WIDE),
    "linspace_step": (lambda o, a, b, n: o.linspace(a[0, 0], a[1, 1], 5, retstep=True)[1], WIDE),
    "split_parts": (lambda o, a, b, n: o.split(a, 3, axis=1)[1], WIDE),
    "rgb_to_grayscale": (lambda o, a, b, n: o.image.rgb_to_grayscale(a[None]), ("float64",)),
    "linalg_inv": (lambda o, a, b, n: o.linalg.inv(a[:, :2]), ("float64",)),
    # jnp's tensordot promotes without asking for int32 (int8 stays int8, unlike matmul's)
    "tensordot": (lambda o, a, b, n: o.tensordot(a, o.transpose(b), axes=1), SMALL),
    "tensordot_pairs": (lambda o, a, b, n: o.tensordot(a, b, axes=2), ("int8", "uint8", "bool")),
    "kron": (lambda o, a, b, n: o.kron(a, b[:, :2]), ("int8", "int16", "int32", "uint8", "float16")),
    # jnp's shifts take numbers: bools shift as int32 (True << True is 2)
    "left_shift_bool": (lambda o, a, b, n: o.left_shift(a, b), ("bool",)),
    "right_shift_bool": (lambda o, a, b, n: o.right_shift(a, b), ("bool",)),
    "left_shift_by_one": (lambda o, a, b, n: o.left_shift(a, 1), ("bool", "int8", "uint8")),
    "bitwise_right_shift_by_int8": (lambda o, a, b, n: o.bitwise_right_shift(a, np.int8(1)), ("bool",)),
    "arange_dtype": (lambda o, a, b, n: o.arange(1, 9, 2, dtype=a.dtype), ("int8", "int16", "uint8", "float16")),
    "quantile": (lambda o, a, b, n: o.quantile(a, [0.3, 0.5], axis=1), ("float16", "int32")),
    "median": (lambda o, a, b, n: o.median(a, axis=0), ("float16", "int8")),
    "percentile": (lambda o, a, b, n: o.percentile(a, 40), ("float16",)),
    # keras.io's DDIM: linspace between arrays (the diffusion angles), one row per step
    "linspace_array_endpoints": (lambda o, a, b, n: o.linspace(a[0], b[1], 4), ("float64", "int32", "float16")),
}
PARAMS = [(name, d) for name, (_, dtypes) in CASES.items() for d in dtypes]


def _run(ops, name, dtype):
    fn = CASES[name][0]
    return np.asarray(fn(ops, A[dtype], B[dtype], NONZERO.get(dtype)))


@pytest.fixture(scope="module")
def keras_results():
    found = keras_reference("ops", "keras_integer_dtypes.json")
    return {(name, d): found[f"{name}-{d}"][0] for name, d in PARAMS}


@pytest.mark.parametrize("name,dtype", PARAMS, ids=[f"{n}-{d}" for n, d in PARAMS])
def test_integer_op_matches_keras(keras_results, name, dtype):
    want = keras_results[(name, dtype)]
    got = _run(sk.ops, name, dtype)
    assert got.dtype == want.dtype, f"ops.{name} on {dtype}: {got.dtype}, Keras {want.dtype}"
    assert got.shape == want.shape
    if want.dtype.kind in "iub":
        np.testing.assert_array_equal(got, want)
    elif want.dtype == np.float16:  # (jnp rounds to float16 along the way; here only at the end)
        np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), rtol=2e-3, atol=1e-6)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_large_int32_stays_exact():
    """A float32 round trip would make 2**24 + 1 into 2**24."""
    x = np.array([BIG, BIG + 2], np.int32)
    assert sk.ops.add(x, 0).tolist() == [BIG, BIG + 2]
    assert sk.ops.max(x).item() == BIG + 2
    assert sk.ops.sum(x).dtype == np.int32 and sk.ops.sum(x).item() == 2 * BIG + 2


def test_power_of_negative_integer_exponents_matches_keras():
    """jnp's integer power uses the exponent's low 6 bits (a negative exponent's two's-complement
    bits, an exponent past 63 wrapped); a negative Python exponent is refused, as Keras refuses it."""
    ops = real_keras().ops
    base = np.array([1, -1, -1, 2, -3, 4, 0, 5, -7, 100, 3, 0], np.int32)
    exponent = np.array([-3, -3, -2, -1, -2, 2, -1, -6, 3, -4, 70, 0], np.int32)
    want = np.asarray(ops.power(base, exponent))
    got = sk.ops.power(base, exponent)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    with pytest.raises(TypeError, match="negative powers"):
        ops.power(base, -1)
    with pytest.raises(TypeError, match="negative powers"):
        sk.ops.power(base, -1)


def test_bincount_of_floats_is_refused_with_keras_message():
    """`ops.bincount(x / 2)`: Keras on JAX refuses float values (jnp.bincount's TypeError, the
    dtype as Keras holds it: float64 is float32), rather than counting them truncated."""
    with pytest.raises(TypeError, match="x argument to bincount must have an integer type; got float32"):
        sk.ops.bincount(np.arange(6) / 2)
    assert sk.ops.bincount(np.arange(6) // 2).tolist() == [2, 2, 2]
