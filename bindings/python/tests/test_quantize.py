"""`model.quantize("int8")` and `layer.quantize("int8")` against real Keras 3 (jax): Dense,
EinsumDense and Embedding get int8 kernels with per-channel scales (the same integers and scales
as Keras's), predict as Keras's quantized model does (inputs quantized per row at call time),
list their weights, dtypes, trainable flags, dtype policy, config and summary as Keras does,
train with the int8 kernels frozen and the biases learning as in Keras, and go through `.keras`
and `.weights.h5` files both ways. Keras's other modes and bad calls are refused with clear
messages."""
import warnings

import numpy as np
import pytest

from conftest import CORE, assert_fits_like_keras, needs, real_keras, summary_lines

pytestmark = needs(*CORE, "keras_model_quantize", "keras_model_weight_dtypes")

RNG = np.random.default_rng(7)
X = RNG.normal(size=(16, 5)).astype("float32")
Y = RNG.normal(size=(16, 3)).astype("float32")
IDS = RNG.integers(0, 10, size=(16, 3)).astype("int32")
X3 = RNG.normal(size=(16, 3, 5)).astype("float32")


def mlp(lib):
    return lib.Sequential([lib.Input((5,)), lib.layers.Dense(7, activation="relu", name="hidden"),
                           lib.layers.Dense(3, name="out")], name="mlp")


def tagger(lib):
    inputs = lib.Input((3,), dtype="int32")
    x = lib.layers.Embedding(10, 4, name="emb")(inputs)
    x = lib.layers.Flatten()(x)
    return lib.Model(inputs, lib.layers.Dense(2, name="head")(x), name="tagger")


def einsum(equation, output_shape, bias_axes, shape):
    return lambda lib: lib.Sequential([lib.Input(shape), lib.layers.EinsumDense(
        equation, output_shape=output_shape, bias_axes=bias_axes, name="proj")], name="projector")


def attention(lib):
    """Keras quantizes a MultiHeadAttention's EinsumDense projections (its leaf layers)."""
    inputs = lib.Input((3, 5))
    y = lib.layers.MultiHeadAttention(2, 4, name="mha")(inputs, inputs)
    return lib.Model(inputs, lib.layers.Dense(3, name="d")(y), name="attender")


CASES = [
    (mlp, X),
    (tagger, IDS),
    (einsum("ab,bc->ac", 4, "c", (5,)), X),
    (einsum("abc,cd->abd", (3, 6), "d", (3, 5)), X3),
    (einsum("abc,cde->abde", (3, 2, 4), "de", (3, 5)), X3),
    (einsum("abc,cd->adb", (6, 3), "b", (3, 5)), X3),
    (attention, X3),
]


def pair(make):
    """The model in both libraries with Keras's weights, both quantized."""
    keras = real_keras()
    import swiftkeras as sk
    ref, ours = make(keras), make(sk)
    ours.set_weights(ref.get_weights())
    ref.quantize("int8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.quantize("int8")
    return ours, ref


def assert_same_weights(ours, ref, full_paths=True):
    """The same weights (paths, shapes, dtypes, trainable flags, values); `full_paths` False:
    the paths from the layer on (Keras names a loaded model's weights without the model)."""
    def listed(model):
        return [(w.path if full_paths else "/".join(w.path.split("/")[-2:]), tuple(w.shape), w.dtype,
                 w.trainable) for w in model.weights]
    assert listed(ours) == listed(ref)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        b = np.asarray(b)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)   # the same integers, the same float32 scales


@pytest.mark.parametrize("make,x", CASES, ids=["dense", "embedding", "einsum_ab", "einsum_abc",
                                                "einsum_abde", "einsum_adb", "attention"])
def test_quantized_weights_and_predictions_match_keras(make, x):
    ours, ref = pair(make)
    assert_same_weights(ours, ref)
    expected = np.asarray(ref.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert ours.layers[-1].quantization_mode == "int8"


def test_predictions_differ_from_the_float_model_as_keras_s_do():
    keras = real_keras()
    import swiftkeras as sk
    ref = mlp(keras)
    ours = mlp(sk)
    ours.set_weights(ref.get_weights())
    float_prediction = ours.predict(X, verbose=0)
    ref.quantize("int8")
    ours.quantize("int8")
    quantized = ours.predict(X, verbose=0)
    assert np.abs(quantized - float_prediction).max() > 1e-4   # the int8 path ran
    np.testing.assert_allclose(quantized, np.asarray(ref.predict(X, verbose=0)), rtol=1e-5, atol=1e-6)


def test_policy_config_and_summary_match_keras():
    ours, ref = pair(mlp)
    for a, b in zip(ours.layers, ref.layers):
        assert a.dtype_policy.name == b.dtype_policy.name == "int8_from_float32"
        assert a.quantization_mode == b.quantization_mode == "int8"
        ca, cb = a.get_config(), b.get_config()
        assert ca["dtype"] == cb["dtype"]
        assert ca["quantization_config"] == _tuples_as_lists(cb["quantization_config"])
    assert summary_lines(ours)[-3:] == summary_lines(ref)[-3:]   # params and bytes (int8: 1 each)
    assert [w.path for w in ours.trainable_weights] == [w.path for w in ref.trainable_weights]


def _tuples_as_lists(value):
    if isinstance(value, dict):
        return {k: _tuples_as_lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tuples_as_lists(v) for v in value]
    return value


@pytest.mark.parametrize("make,x", [CASES[0], CASES[1], CASES[3]], ids=["dense", "embedding", "einsum"])
def test_keras_files_both_ways(make, x, tmp_path):
    keras = real_keras()
    import swiftkeras as sk
    ours, ref = pair(make)
    expected = np.asarray(ref.predict(x, verbose=0))
    # ours -> Keras
    ours.save(tmp_path / "ours.keras")
    ours.save_weights(tmp_path / "ours.weights.h5")
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    assert_same_weights(ours, loaded, full_paths=False)
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    fresh = make(keras)
    fresh.quantize("int8")
    fresh.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(np.asarray(fresh.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    # Keras -> ours
    ref.save(tmp_path / "ref.keras")
    ref.save_weights(tmp_path / "ref.weights.h5")
    mine = sk.models.load_model(tmp_path / "ref.keras")
    assert_same_weights(mine, ref, full_paths=False)
    np.testing.assert_allclose(mine.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert mine.layers[-1].dtype_policy.name == "int8_from_float32"
    fresh = make(sk)
    fresh.quantize("int8")
    fresh.load_weights(tmp_path / "ref.weights.h5")
    assert_same_weights(fresh, ref)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_training_after_quantize_keeps_int8_kernels_and_trains_biases_as_keras():
    ours, ref = pair(mlp)
    before = [np.array(w) for w in ours.get_weights()]
    assert_fits_like_keras(ours, ref, X, Y, rtol=1e-4, atol=1e-5, epochs=2)
    after = ours.get_weights()
    for w, a, b in zip(ours.weights, after, before):
        if w.dtype == "int8" or w.name.endswith("kernel_scale"):
            np.testing.assert_array_equal(a, b)
        else:   # the biases learn (the first one through the dequantized kernel's gradient)
            assert np.abs(a - b).max() > 0


def test_layer_quantize_and_filters():
    keras = real_keras()
    import swiftkeras as sk
    ref, ours = mlp(keras), mlp(sk)
    ours.set_weights(ref.get_weights())
    ref.layers[1].quantize("int8")
    ours.layers[1].quantize("int8")
    assert_same_weights(ours, ref)
    assert ours.layers[0].quantization_mode is None
    np.testing.assert_allclose(ours.predict(X, verbose=0), np.asarray(ref.predict(X, verbose=0)), rtol=1e-5, atol=1e-6)
    ref2, ours2 = mlp(keras), mlp(sk)
    ours2.set_weights(ref2.get_weights())
    ref2.quantize("int8", filters="hid")
    ours2.quantize("int8", filters="hid")
    assert_same_weights(ours2, ref2)
    ours3 = mlp(sk)
    ours3.quantize("int8", filters=lambda layer: layer.name == "out")
    assert [l.quantization_mode for l in ours3.layers] == [None, "int8"]


def test_config_object_and_refusals():
    import swiftkeras as sk
    model = mlp(sk)
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        model.quantize("int3")
    with pytest.raises(ValueError, match="For AWQ, you must pass an `AWQConfig` object"):
        model.quantize("awq")
    with pytest.raises(ValueError, match="either `mode` or `config`"):
        model.quantize()
    with pytest.raises(ValueError, match="activation_quantizer"):
        model.quantize(config=sk.quantizers.Int8QuantizationConfig(activation_quantizer=None))
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        model.quantize("int8", bogus=1)
    model.quantize(config=sk.quantizers.Int8QuantizationConfig())
    assert model.layers[0].quantization_mode == "int8"
    with pytest.raises(ValueError, match="already quantized with dtype_policy='int8_from_float32'"):
        model.quantize("int8")
    dropout = sk.Sequential([sk.Input((5,)), sk.layers.Dropout(0.1), sk.layers.Dense(2)])
    with pytest.raises(NotImplementedError, match="Dropout does not have a `quantize` method"):
        dropout.layers[0].quantize("int8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dropout.quantize("int8")
    assert [str(w.message) for w in caught] == [   # as Keras warns
        "Layer InputLayer does not have a `quantize` method implemented.",
        "Layer Dropout does not have a `quantize` method implemented."]
    assert dropout.layers[1].quantization_mode == "int8"
    unbuilt = sk.Sequential([sk.layers.Dense(2)])
    with pytest.raises(ValueError, match="isn't yet built"):
        unbuilt.quantize("int8")


@pytest.mark.parametrize("make,x,axis,filters", [(mlp, X, 0, None), (tagger, IDS, -1, "emb")],
                         ids=["dense", "embedding"])
def test_a_weight_quantizer_equal_to_the_layers_default_quantizes_as_keras(make, x, axis, filters):
    """Int8QuantizationConfig(weight_quantizer=AbsMaxQuantizer(axis=0)) on Dense layers (axis=-1
    on an Embedding) is their default scheme (the keras.io quantize page's example); one that
    is not (Dense per row) stays refused."""
    import swiftkeras as sk
    keras = real_keras()
    models = [make(keras), make(sk)]
    models[1].set_weights(models[0].get_weights())
    for lib, model in zip((keras, sk), models):
        config = lib.quantizers.Int8QuantizationConfig(
            weight_quantizer=lib.quantizers.AbsMaxQuantizer(axis=axis, value_range=(-127, 127)),
            activation_quantizer=lib.quantizers.AbsMaxQuantizer(axis=-1, value_range=(-127, 127)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.quantize(config=config, filters=filters)
    ref, ours = models
    assert_same_weights(ours, ref)
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="custom weight_quantizer"):
        make(sk).quantize(config=sk.quantizers.Int8QuantizationConfig(
            weight_quantizer=sk.quantizers.AbsMaxQuantizer(axis=1 - axis)))


def test_a_model_made_again_from_its_layers_keeps_them_quantized():
    """(Keras locks a quantized Sequential against `add`; here `add` makes the library's model
    again from the layers, which keep their int8 weights, and so does clone_model's config.)"""
    import swiftkeras as sk
    ours, ref = pair(mlp)
    before = ours.predict(X, verbose=0)
    ours.add(sk.layers.Dense(2, name="extra"))
    for a, b in zip(ours.get_weights()[:6], ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    w, b = ours.layers[-1].get_weights()
    np.testing.assert_allclose(ours.predict(X, verbose=0), before @ w + b, rtol=1e-5, atol=1e-5)
    assert [l.dtype_policy.name for l in sk.models.clone_model(ours).layers] == \
        ["int8_from_float32", "int8_from_float32", "float32"]


# A layer built from each packed policy: (policy class, mode, layer maker, input shape).
_PACKED = [("GPTQDTypePolicy", "gptq/4/8"), ("GPTQDTypePolicy", "gptq/3/-1"), ("AWQDTypePolicy", "awq/4/8"),
           ("Int4DTypePolicy", "int4/8"), ("Int4DTypePolicy", "int4/-1")]
_PACKED_LAYERS = [
    ("dense", lambda lib, p: lib.layers.Dense(5, dtype=p, name="d"), (None, 16)),
    ("einsum_in", lambda lib, p: lib.layers.EinsumDense("abc,cde->abde", output_shape=(3, 2, 5), bias_axes="de",
                                                       dtype=p, name="e"), (None, 3, 16)),
    ("einsum_out", lambda lib, p: lib.layers.EinsumDense("abde,dec->abc", output_shape=(3, 7), bias_axes="c",
                                                        dtype=p, name="e2"), (None, 3, 2, 5)),
    ("embedding", lambda lib, p: lib.layers.Embedding(10, 5, dtype=p, name="emb"), (None, 3))]


@pytest.mark.parametrize("policy,mode", _PACKED, ids=[m for _, m in _PACKED])
def test_kernel_of_a_packed_layer_is_keras_s_unpacked_values(policy, mode):
    """Keras's `kernel` (`embeddings`) of an int4, 4-bit GPTQ or AWQ layer is its values
    unpacked (int4: int8 in the float kernel's shape; GPTQ/AWQ: uint8 `[units, input_dim]`), a
    GPTQ layer at other bits its uint8 variable; `weights` and `get_weights()` list the stored
    (packed) variables. Keras's layer marked calibrated, as one loaded from a file is."""
    keras = real_keras()
    import swiftkeras as sk
    rng = np.random.default_rng(3)
    for name, make, shape in _PACKED_LAYERS:
        if name == "embedding" and not mode.startswith("int4"):
            continue
        ref = make(keras, getattr(keras.dtype_policies, policy)(mode, "float32"))
        ref.build(shape)
        ref.is_gptq_calibrated, ref.is_awq_calibrated = mode.startswith("gptq"), mode.startswith("awq")
        for w in ref.weights:   # random stored values: every nibble pattern
            info = np.iinfo(w.dtype) if "int" in w.dtype else None
            w.assign(rng.integers(info.min, info.max + 1, size=w.shape).astype(w.dtype) if info is not None
                     else rng.normal(size=w.shape).astype(w.dtype))
        ours = make(sk, getattr(sk.dtype_policies, policy)(mode, "float32"))
        ours.build(shape)
        ours.set_weights(ref.get_weights())
        item = "embeddings" if name == "embedding" else "kernel"
        theirs, mine = getattr(ref, item), getattr(ours, item)
        assert hasattr(mine, "path") == hasattr(theirs, "path"), (name, type(mine), type(theirs))
        a, b = np.asarray(mine.numpy() if hasattr(mine, "numpy") else mine), np.asarray(theirs)
        assert a.shape == b.shape and a.dtype == b.dtype, (name, a.shape, a.dtype, b.shape, b.dtype)
        np.testing.assert_array_equal(a, b, err_msg=name)
        assert [(w.path, tuple(w.shape), w.dtype) for w in ours.weights] == \
            [(w.path, tuple(w.shape), w.dtype) for w in ref.weights], name
        for x, y in zip(ours.get_weights(), ref.get_weights(), strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y, err_msg=name)
