"""Keras's application modules have layers of their own (InceptionResNetV2's CustomScaleLayer,
ConvNeXt's LayerScale) that Keras's `load_model` finds by the module a file names, in a fresh
process with nothing imported first. So does swiftkeras's: a file saved here and one saved by
Keras 3.15.1 (scripts/make_keras_reference_fixtures.py load) load in a new process, with the
predictions of the model saved (Keras's, and the math of its weights)."""
import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from conftest import keras_reference

KERAS_FILE = ("models", "keras_application_layers.keras")
FIXTURES = Path(__file__).resolve().parents[3] / "Tests" / "KerasTests" / "Fixtures"

# A fresh interpreter: load each file given, print its predictions on the inputs given.
LOADER = """
import json, sys
import numpy as np
import swiftkeras as keras
x = np.asarray(json.loads(sys.argv[1]), np.float32)
print(json.dumps([keras.saving.load_model(f).predict(x, verbose=0).tolist() for f in sys.argv[2:]]))
"""


def _inputs():
    return np.random.default_rng(3).normal(size=(4, 6)).astype("float32")


def _keras_model(keras):
    """Two Dense branches joined by CustomScaleLayer (`a + b * 0.17`), then LayerScale, with
    every weight drawn (LayerScale's gamma too)."""
    package = "keras.src" if keras.__name__ == "keras" else keras.__name__
    scale = importlib.import_module(f"{package}.applications.inception_resnet_v2").CustomScaleLayer
    layer_scale = importlib.import_module(f"{package}.applications.convnext").LayerScale
    inputs = keras.Input((6,))
    a, b = keras.layers.Dense(5)(inputs), keras.layers.Dense(5)(inputs)
    outputs = layer_scale(1e-6, 5)(scale(0.17)([a, b]))
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(4)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def _expected(weights, x):
    ka, ba, kb, bb, gamma = weights
    return ((x @ ka + ba) + (x @ kb + bb) * 0.17) * gamma


def test_application_layers_load_in_a_fresh_process(tmp_path):
    import swiftkeras as keras
    ours = _keras_model(keras)
    saved = tmp_path / "ours.keras"
    ours.save(saved)
    x = _inputs()
    run = subprocess.run([sys.executable, "-c", LOADER, json.dumps(x.tolist()), str(saved),
                          str(FIXTURES.joinpath(*KERAS_FILE))],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    from_ours, from_keras = (np.asarray(p, np.float32) for p in json.loads(run.stdout.splitlines()[-1]))
    np.testing.assert_allclose(from_ours, _expected(ours.get_weights(), x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(from_ours, ours.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    reference = keras_reference("models", "keras_application_layers.json")
    np.testing.assert_array_equal(reference["inputs"][0], x)
    np.testing.assert_allclose(from_keras, reference["outputs"][0], rtol=1e-5, atol=1e-5)


# In a fresh interpreter (its custom_objects registration stays in the process): the
# predictions of Keras's file loaded with a class of ours under the application layer's name.
DOUBLED = """
import json, sys
import numpy as np
import swiftkeras as keras

class Doubled(keras.layers.Layer):
    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}

    def call(self, inputs):
        return (inputs[0] + inputs[1] * self.scale) * 2.0

loaded = keras.saving.load_model(sys.argv[2], custom_objects={"CustomScaleLayer": Doubled})
x = np.asarray(json.loads(sys.argv[1]), np.float32)
print(json.dumps([loaded.predict(x, verbose=0).tolist(), [w.tolist() for w in loaded.get_weights()]]))
"""


def test_custom_objects_win_over_the_application_layer():
    """A class the caller passes under the name Keras's file gives the layer is the one used
    instead of the library's, as in Keras (custom objects are looked up before the module)."""
    x = keras_reference("models", "keras_application_layers.json")["inputs"][0]
    run = subprocess.run([sys.executable, "-c", DOUBLED, json.dumps(x.tolist()), str(FIXTURES.joinpath(*KERAS_FILE))],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    predictions, weights = json.loads(run.stdout.splitlines()[-1])
    weights = [np.asarray(w, np.float32) for w in weights]
    np.testing.assert_allclose(np.asarray(predictions, np.float32), 2 * _expected(weights, x), rtol=1e-5, atol=1e-5)
