"""`model.quantize(mode)` of a GroupedQueryAttention against real Keras 3 (jax): its four
EinsumDense projections are leaf layers, which Keras's `model.quantize` quantizes in "int8",
"int4" and "float8" as any other: the same weights (paths, dtypes, shapes, values),
predictions, training steps, and `.weights.h5` files both ways; a `.keras` file is refused as
Keras refuses it (its config does not say the projections are quantized). (GPTQ and AWQ:
test_quantize_awq.)"""
import warnings

import numpy as np
import pytest

from conftest import CORE, assert_fits_like_keras, needs, real_keras

pytestmark = needs(*CORE, "keras_model_quantize", "keras_model_weight_dtypes")

RNG = np.random.default_rng(11)
X = RNG.normal(size=(16, 3, 6)).astype("float32")
Y = RNG.normal(size=(16, 3, 3)).astype("float32")
MODES = ["int8", "int4", "float8"]


def grouped(lib):
    """A GroupedQueryAttention (4 query heads over 2 key/value heads) over its input, then a Dense."""
    inputs = lib.Input((3, 6))
    y = lib.layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2, name="gqa")(inputs, inputs)
    return lib.Model(inputs, lib.layers.Dense(3, name="d")(y), name="grouped")


def pair(mode, quantize=True):
    """The model in both libraries with the same drawn weights, both quantized in `mode`."""
    keras = real_keras()
    import swiftkeras as sk
    ref, ours = grouped(keras), grouped(sk)
    rng = np.random.default_rng(3)
    ref.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in ref.get_weights()])
    ours.set_weights(ref.get_weights())
    if quantize:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref.quantize(mode)
            ours.quantize(mode)
    return ours, ref


def assert_same_weights(ours, ref, full_paths=True):
    def listed(model):
        return [(w.path if full_paths else "/".join(w.path.split("/")[-2:]), tuple(w.shape), w.dtype, w.trainable)
                for w in model.weights]
    assert listed(ours) == listed(ref)
    for w, a, b in zip(ours.weights, ours.get_weights(), ref.get_weights()):
        b = np.asarray(b)
        assert a.dtype == b.dtype, w.path
        np.testing.assert_array_equal(a, b, err_msg=w.path)


@pytest.mark.parametrize("mode", MODES)
def test_grouped_query_attention_weights_and_predictions_match_keras(mode):
    ours, ref = pair(mode)
    assert_same_weights(ours, ref)
    gqa = ours.get_layer("gqa")
    assert [getattr(gqa, f"_{p}_dense").quantization_mode for p in ("query", "key", "value", "output")] == [mode] * 4
    np.testing.assert_allclose(ours.predict(X, verbose=0), np.asarray(ref.predict(X, verbose=0)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_grouped_query_attention_trains_as_keras(mode):
    ours, ref = pair(mode)
    assert_fits_like_keras(ours, ref, X, Y, rtol=1e-4, atol=1e-5, epochs=2)


@pytest.mark.parametrize("mode", MODES)
def test_grouped_query_attention_files_as_keras(mode, tmp_path):
    keras = real_keras()
    import swiftkeras as sk
    ours, ref = pair(mode)
    expected = np.asarray(ref.predict(X, verbose=0))
    ours.save_weights(tmp_path / "ours.weights.h5")
    ref.save_weights(tmp_path / "ref.weights.h5")
    fresh, fresh_ref = pair(mode)
    fresh_ref.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(np.asarray(fresh_ref.predict(X, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    fresh.load_weights(tmp_path / "ref.weights.h5")
    assert_same_weights(fresh, ref)
    np.testing.assert_allclose(fresh.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    refused = "Layer '(query|key|value|attention_output)' expected 2 variables, but received"
    ref.save(tmp_path / "ref.keras")
    ours.save(tmp_path / "ours.keras")
    for path in ("ref.keras", "ours.keras"):
        with pytest.raises(ValueError, match=refused):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                keras.saving.load_model(tmp_path / path)
        with pytest.raises(ValueError, match=refused):
            sk.saving.load_model(tmp_path / path)
