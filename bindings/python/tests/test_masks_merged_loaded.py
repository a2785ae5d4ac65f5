"""The mask gaps left after test_masks_eager_traced.py, each against real Keras 3:

- a Python layer read back from a file gets the mask its input carries, None where it carries
  none (it got ones), in files from either library;
- masks through merge layers (Add, Multiply, Concatenate on either axis, an unmasked input) and
  through layers of several outputs (Bidirectional(merge_mode=None), return_state) are Keras's
  nodes of the config (`logical_or`, `concatenate`, `any`), with Keras's predictions;
"""
import json
import zipfile

import numpy as np
import pytest

from conftest import needs, CORE, real_keras, fresh_library
from test_masks_eager_traced import TOKENS, _structure, probe_layer, set_same_weights

pytestmark = needs(*CORE, "keras_layer_builder_mask", "keras_layer_builder_input_has_mask")


def libraries():
    import swiftkeras
    return swiftkeras, real_keras()


@pytest.mark.parametrize("source", ["none", "embedding"])
@pytest.mark.parametrize("written_by", ["swiftkeras", "keras"])
def test_loaded_python_layer_gets_the_mask_keras_gives(source, written_by, tmp_path):
    """A registered Python layer whose `call(x, mask=None)` uses the mask, saved by either
    library and loaded by ours: its traced call sees None exactly where Keras's does (it saw a
    mask of ones), and the loaded model predicts Keras's numbers."""
    import swiftkeras
    keras_ref = real_keras()
    seen = {}
    data = TOKENS if source == "embedding" else \
        np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    models = {}
    for lib in libraries():
        keras, layers, _ = fresh_library(lib)
        probe = probe_layer(lib, seen.setdefault(lib.__name__, []))
        if source == "embedding":
            inputs = keras.Input((None,), dtype="int32")
            x = layers.Embedding(8, 3, mask_zero=True)(inputs)
        else:
            inputs = x = keras.Input((5, 3))
        models[lib.__name__] = keras.Model(inputs, layers.Dense(2)(probe(name="probe")(x)))
    set_same_weights(models["swiftkeras"], models["keras"])
    want = np.asarray(models["keras"].predict(data, verbose=0))
    models[written_by].save(tmp_path / "model.keras")
    seen["swiftkeras"].clear()
    loaded = swiftkeras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), want, rtol=1e-5, atol=1e-6)
    seen["keras"].clear()
    keras_ref.saving.load_model(tmp_path / "model.keras").predict(data, verbose=0)
    assert seen["swiftkeras"] and set(seen["swiftkeras"]) == set(seen["keras"]) == {source == "none"}


def _merge_model(lib, case):
    keras, layers, _ = fresh_library(lib)
    a, b = keras.Input((None,), dtype="int32"), keras.Input((None,), dtype="int32")
    ea, eb = layers.Embedding(8, 3, mask_zero=True)(a), layers.Embedding(8, 3, mask_zero=True)(b)
    if case == "add":
        x = layers.Add()([ea, eb])
    elif case == "multiply":
        x = layers.Multiply()([ea, eb])
    elif case == "concatenate":
        x = layers.Concatenate()([ea, eb])
    elif case == "concatenate_steps":
        x = layers.Concatenate(axis=1)([ea, eb])
    elif case == "concatenate_unmasked":   # an input without a mask counts as unmasked
        x = layers.Concatenate()([ea, layers.Embedding(8, 3)(b)])
    elif case == "bidirectional":   # merge_mode=None: two outputs, each with the mask
        forward, backward = layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode=None)(ea)
        x = layers.Concatenate()([forward, backward])
    else:   # return_state: the sequences keep the mask, the states have none
        x, _, _ = layers.LSTM(2, return_sequences=True, return_state=True)(layers.Add()([ea, eb]))
    return keras.Model([a, b], layers.LSTM(2)(x))


@pytest.mark.parametrize("case", ["add", "multiply", "concatenate", "concatenate_steps",
                                  "concatenate_unmasked", "bidirectional", "return_state"])
def test_merged_and_split_masks_are_keras_nodes(case, tmp_path):
    """The ops of a merge layer's compute_mask are nodes of the config as Keras writes them
    (it were the library's own, unwritten), the masked LSTM after it predicts Keras's numbers,
    and each library loads the other's file with that graph."""
    import swiftkeras
    keras_ref = real_keras()
    ours, ref = (_merge_model(lib, case) for lib in libraries())
    assert _structure(ours.get_config()) == _structure(ref.get_config())
    set_same_weights(ours, ref)
    rng = np.random.default_rng(2)
    x = [np.where(np.arange(6) < rng.integers(1, 6, (4, 1)), rng.integers(1, 8, (4, 6)), 0)
         for _ in range(2)]
    want = np.asarray(ref.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    back_ours = swiftkeras.saving.load_model(tmp_path / "ref.keras")
    assert _structure(back_ours.get_config()) == _structure(ref.get_config())
    np.testing.assert_allclose(back_ours.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    back_ref = keras_ref.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(back_ref.predict(x, verbose=0)), want, rtol=1e-5, atol=1e-6)
