"""keras.quantizers' numeric helpers and Quantizer classes against real Keras (JAX backend): the
same arrays, dtypes, configs and errors."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras


def _same(ours, theirs, exact=True):
    theirs = np.asarray(theirs)
    assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if exact:
        np.testing.assert_array_equal(ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def _same_error(call):
    errors = []
    for keras in (sk, real_keras()):
        with pytest.raises(Exception) as info:
            call(keras.quantizers)
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1])
    assert str(errors[0]).replace("swiftkeras.quantizers", "keras.src.quantizers.quantizers") \
        .split(" at 0x")[0] == str(errors[1]).split(" at 0x")[0]


@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
@pytest.mark.parametrize("value_range", [(-127, 127), (-8, 7)])
def test_abs_max_quantize_matches_keras(axis, value_range):
    x = np.random.default_rng(0).normal(size=(5, 6, 3)).astype("float32")
    ours = sk.quantizers.abs_max_quantize(x, axis, value_range)
    theirs = real_keras().quantizers.abs_max_quantize(x, axis, value_range)
    _same(ours[0], theirs[0])
    _same(ours[1], theirs[1], exact=False)
    quantizer = {"axis": axis} if axis != -1 else {}
    ours = sk.quantizers.AbsMaxQuantizer(value_range=value_range, **quantizer)(x)
    theirs = real_keras().quantizers.AbsMaxQuantizer(value_range=value_range, **quantizer)(x)
    _same(ours[0], theirs[0])


def test_quantizer_configs_serialize_and_get_as_keras():
    for keras in (sk, real_keras()):
        q = keras.quantizers.AbsMaxQuantizer(axis=0, value_range=(-100, 100))
        config = keras.quantizers.serialize(q)
        back = keras.quantizers.deserialize(config)
        record = (q.get_config(), config, type(back).__name__, back.get_config(),
                  type(keras.quantizers.get("abs_max_quantizer")).__name__,
                  keras.quantizers.get("AbsMaxQuantizer").axis, keras.Quantizer is keras.quantizers.Quantizer)
        if keras is sk:
            ours = record
    assert ours == record
    x = np.ones(3)
    assert sk.Quantizer()(x) is x
    _same_error(lambda q: q.AbsMaxQuantizer(value_range=(-200, 127)))
    _same_error(lambda q: q.get(3))
    _same_error(lambda q: q.Quantizer().get_config())


def test_float8_helpers_match_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 6)).astype("float32")
    kq = real_keras().quantizers
    amax = np.array([2.0, 0.0, np.inf, 0.3], "float32")
    scale = np.array([0.5, 0.25, 4.0, 1.0], "float32")
    for margin in (0, 1):
        _same(sk.quantizers.compute_float8_scale(amax, scale, 448.0, margin=margin),
              kq.compute_float8_scale(amax, scale, 448.0, margin=margin), exact=False)
    history = np.array([1.0, 2.0, 3.0, 4.0], "float32")
    _same(sk.quantizers.compute_float8_amax_history(x, history), kq.compute_float8_amax_history(x, history))
    for dtype, scale in (("float8_e4m3fn", np.float32(0.01)), ("float8_e5m2", np.float32(0.003))):
        _same(sk.quantizers.quantize_and_dequantize(x * 3, scale, dtype, "float32"),
              kq.quantize_and_dequantize(x * 3, scale, dtype, "float32"))


@pytest.mark.parametrize("shape,axis", [((3, 2), 0), ((2, 3), 1), ((5, 4, 3), 1), ((4, 5), -1)])
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_pack_and_unpack_int4_match_keras(shape, axis, dtype):
    rng = np.random.default_rng(2)
    low, high = (-8, 8) if dtype == "int8" else (0, 16)
    values = rng.integers(low, high, shape).astype(dtype)
    kq = real_keras().quantizers
    ours, theirs = sk.quantizers.pack_int4(values, axis, dtype), kq.pack_int4(values, axis, dtype)
    _same(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]
    unpacked = sk.quantizers.unpack_int4(ours[0], ours[2], axis, dtype)
    _same(unpacked, kq.unpack_int4(theirs[0], theirs[2], axis, dtype))
    _same(unpacked, values)
    _same_error(lambda q: q.pack_int4(values.astype("int32"), axis))
    _same_error(lambda q: q.unpack_int4(values.astype("int32"), 3))
    _same_error(lambda q: q.pack_int4(values, axis, dtype="int4"))


@pytest.mark.parametrize("num_bits,narrow_range", [(8, False), (4, True), (2, False)])
def test_fake_quant_with_min_max_vars_matches_keras(num_bits, narrow_range):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 4)).astype("float32") * 2
    kq = real_keras().quantizers
    for lo, hi, axis in ((np.float32(-1.5), np.float32(2.0), None),
                         (np.array([-1.0, -0.5, -2.0, 0.1], "float32"),
                          np.array([1.0, 3.0, 0.5, 2.0], "float32"), -1)):
        ours = sk.quantizers.fake_quant_with_min_max_vars(x, lo, hi, num_bits, narrow_range, axis)
        theirs = kq.fake_quant_with_min_max_vars(x, lo, hi, num_bits, narrow_range, axis)
        _same(ours, theirs, exact=False)
        assert all(len(np.unique(column)) <= 2 ** num_bits for column in ours.T)   # levels


@pytest.mark.parametrize("to_numpy", [False, True])
@pytest.mark.parametrize("shape,block_size,value_range", [((8, 3), 4, (-8, 7)), ((10, 4), 4, (-8, 7)),
                                                          ((6, 2), 8, (-128, 127))])
def test_abs_max_quantize_grouped_with_zero_point_matches_keras(shape, block_size, value_range, to_numpy):
    """Groups of rows (the last one padded), each with a scale and an int8 zero point per column;
    a column of equal values in one group (Keras's tensor path widens its range by 1)."""
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    x[:block_size, 0] = 0.25
    ours = sk.quantizers.abs_max_quantize_grouped_with_zero_point(x, block_size, value_range,
                                                                   to_numpy=to_numpy)
    theirs = real_keras().quantizers.abs_max_quantize_grouped_with_zero_point(x, block_size, value_range,
                                                                              to_numpy=to_numpy)
    _same(ours[0], theirs[0])
    _same(ours[1], theirs[1], exact=False)
    _same(ours[2], theirs[2])
