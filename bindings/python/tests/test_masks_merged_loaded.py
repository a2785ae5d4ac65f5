"""The mask gaps left after test_masks_eager_traced.py, each against real Keras 3:

- a Python layer read back from a file gets the mask its input carries, None where it carries
  none (it got ones), in files from either library;
"""
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
