"""`model.quantize("int4")` against real Keras 3.15 (jax): Dense, EinsumDense and Embedding get
packed int4 kernels (two values a byte along the last axis; EinsumDense's kernel flattened to
[contracted, produced] first), weight-only, in Keras's default blocks of 128
(scale, zero point and group index per block: `Int4DTypePolicy` "int4/128_from_float32") or in
other blocks or per channel (`Int4QuantizationConfig(block_size=...)`): the same bytes, scales
and zero points as Keras's, the same weights list, policy and config, predictions as Keras's
quantized model, training with the int4 weights frozen as Keras trains, and `.keras` /
`.weights.h5` files both ways. Custom int4 quantizers and Keras's other modes are refused."""
import functools
import warnings

import numpy as np
import pytest

from conftest import CORE, assert_fits_like_keras, needs, real_keras, summary_lines
from test_quantize import IDS, X, X3, Y, _tuples_as_lists, assert_same_weights, einsum, mlp, tagger

pytestmark = needs(*CORE, "keras_model_quantize", "keras_model_weight_dtypes")


def pair(make, block_size=None):
    """The model in both libraries with Keras's weights, both quantized to int4 (`block_size`
    None: `quantize("int4")`, Keras's default blocks of 128)."""
    keras = real_keras()
    import swiftkeras as sk
    ref, ours = make(keras), make(sk)
    ours.set_weights(ref.get_weights())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if block_size is None:
            ref.quantize("int4")
            ours.quantize("int4")
        else:
            ref.quantize("int4", config=keras.quantizers.Int4QuantizationConfig(block_size=block_size))
            ours.quantize("int4", config=sk.quantizers.Int4QuantizationConfig(block_size=block_size))
    return ours, ref


@functools.lru_cache(maxsize=None)
def shared_pair(make, block_size=None):
    """`pair(make, block_size)` made once for this file's tests that only read the models
    (predict, config, save), so that Keras's reference runs are shared."""
    return pair(make, block_size)


# (Keras's quantize costs seconds a model: four cases. Blocks of 3 over the Embedding's 4
# columns give a padded last group, as Keras pads; the head's 12 inputs, 4 whole groups. The
# training test below has blocks of 2 over the first Dense's 5 inputs.)
@pytest.mark.parametrize("make,x,block_size", [
    (mlp, X, None), (tagger, IDS, None), (tagger, IDS, 3), (mlp, X, -1),
    (einsum("abc,cde->abde", (3, 2, 4), "de", (3, 5)), X3, None),
    (einsum("abc,cd->adb", (6, 3), "b", (3, 5)), X3, -1),
], ids=["dense128", "embedding128", "embedding_block3", "dense_per_channel", "einsum_abde128", "einsum_adb_per_channel"])
def test_int4_weights_and_predictions_match_keras(make, x, block_size):
    ours, ref = shared_pair(make, block_size)
    assert_same_weights(ours, ref)
    expected = np.asarray(ref(x))   # (a direct call: no predict function to compile)
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=2e-6)
    for a, b in zip(ours.layers, ref.layers):
        assert a.quantization_mode == b.quantization_mode
        if b.quantization_mode:
            assert a.dtype_policy.name == b.dtype_policy.name


def test_int4_policy_config_and_summary_match_keras():
    ours, ref = shared_pair(mlp)
    for a, b in zip(ours.layers, ref.layers):
        assert a.dtype_policy.name == b.dtype_policy.name == "int4/128_from_float32"
        assert type(a.dtype_policy).__name__ == type(b.dtype_policy).__name__ == "Int4DTypePolicy"
        assert a.dtype_policy.block_size == b.dtype_policy.block_size == 128
        assert a.quantization_mode == b.quantization_mode == "int4"
        ca, cb = a.get_config(), b.get_config()
        assert ca["dtype"] == cb["dtype"]
        assert ca["quantization_config"] == _tuples_as_lists(cb["quantization_config"])
    assert summary_lines(ours)[-3:] == summary_lines(ref)[-3:]
    assert [w.path for w in ours.trainable_weights] == [w.path for w in ref.trainable_weights]


@pytest.mark.parametrize("make,x,block_size", [(mlp, X, -1), (tagger, IDS, None)], ids=["dense_per_channel", "embedding128"])
def test_int4_keras_files_both_ways(make, x, block_size, tmp_path):
    keras = real_keras()
    import swiftkeras as sk
    ours, ref = shared_pair(make, block_size)
    expected = np.asarray(ref(x))
    config = {} if block_size is None else {"block_size": block_size}

    def quantized(lib):
        fresh = make(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fresh.quantize("int4", config=lib.quantizers.Int4QuantizationConfig(**config))
        return fresh
    # ours -> Keras
    ours.save(tmp_path / "ours.keras")
    ours.save_weights(tmp_path / "ours.weights.h5")
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    assert_same_weights(ours, loaded, full_paths=False)
    np.testing.assert_allclose(np.asarray(loaded(x)), expected, rtol=1e-5, atol=2e-6)
    fresh = quantized(keras)
    fresh.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(np.asarray(fresh(x)), expected, rtol=1e-5, atol=2e-6)
    # Keras -> ours
    ref.save(tmp_path / "ref.keras")
    ref.save_weights(tmp_path / "ref.weights.h5")
    mine = sk.models.load_model(tmp_path / "ref.keras")
    assert_same_weights(mine, ref, full_paths=False)
    np.testing.assert_allclose(mine.predict(x, verbose=0), expected, rtol=1e-5, atol=2e-6)
    assert mine.layers[-1].dtype_policy.name == ref.layers[-1].dtype_policy.name
    fresh = quantized(sk)
    fresh.load_weights(tmp_path / "ref.weights.h5")
    assert_same_weights(fresh, ref)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, rtol=1e-5, atol=2e-6)


def test_training_after_int4_keeps_the_kernels_and_trains_biases_as_keras():
    ours, ref = pair(mlp, 2)
    before = [np.array(w) for w in ours.get_weights()]
    assert_fits_like_keras(ours, ref, X, Y, rtol=1e-4, atol=1e-5, epochs=2)
    for w, a, b in zip(ours.weights, ours.get_weights(), before):
        if w.name == "bias":   # the first one through the dequantized kernel's gradient
            assert np.abs(a - b).max() > 0
        else:
            np.testing.assert_array_equal(a, b)


def wide(lib):
    """A Dense over 1100 inputs: its int4 product reads the packed kernel in blocks of 512
    rows (`Ops.int4BlockRows`; the last 76), and the bias before it trains through that
    product's input gradient."""
    return lib.Sequential([lib.Input((5,)), lib.layers.Dense(1100, activation="relu", name="wide"),
                           lib.layers.Dense(3, name="out")], name="wide")


@pytest.mark.parametrize("block_size", [None, -1], ids=["blocks128", "per_channel"])
def test_int4_over_several_blocks_of_rows_predicts_and_trains_as_keras(block_size):
    """Predictions in blocks of 128 and per channel; Keras's fit in blocks of 128."""
    ours, ref = pair(wide, block_size)
    assert_same_weights(ours, ref)
    np.testing.assert_allclose(ours.predict(X, verbose=0), np.asarray(ref(X)), rtol=1e-5, atol=2e-6)
    if block_size is None:   # (per channel, the blocked gradient is checked by finite differences in Int4Tests)
        assert_fits_like_keras(ours, ref, X, Y, rtol=1e-4, atol=1e-5, epochs=2)


def test_int4_refusals():
    import swiftkeras as sk
    model = mlp(sk)
    with pytest.raises(ValueError, match="block_size must be None, -1, or a positive integer"):
        sk.quantizers.Int4QuantizationConfig(block_size=0)
    with pytest.raises(ValueError, match="int4 with a custom activation_quantizer"):
        model.quantize(config=sk.quantizers.Int4QuantizationConfig(
            block_size=-1, activation_quantizer=sk.quantizers.AbsMaxQuantizer()))
    with pytest.raises(ValueError, match="For GPTQ, you must pass a `GPTQConfig` object"):
        model.quantize("gptq")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.quantize("int4")
    with pytest.raises(ValueError, match="already quantized with dtype_policy='int4/128_from_float32'"):
        model.quantize("int8")
