"""keras.layers.Wrapper as a public base class: a user's subclass (its `call` on `self.layer`)
predicts and trains as real Keras's same subclass does (1e-5), its config is Keras's (the wrapped
layer serialized under "layer"), and `.keras` files written by either library load in the other;
Bidirectional and TimeDistributed are wrappers, as in Keras."""

import numpy as np
import pytest

from conftest import CORE, exec_layers, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer")

# One source for both libraries, each registering the class under the same name.
LAYERS = '''
@keras.saving.register_keras_serializable(package="WrapperTest")
class Scaled(keras.layers.Wrapper):
    """The wrapped layer's output times a constant factor."""

    def __init__(self, layer, factor=2.0, **kwargs):
        super().__init__(layer, **kwargs)
        self.factor = factor

    def call(self, inputs):
        return self.layer(inputs) * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
'''

REF, OURS = exec_layers(LAYERS, keras), exec_layers(LAYERS, sk)
RS = np.random.RandomState(0)
X = RS.normal(size=(8, 4)).astype("float32")
Y = RS.normal(size=(8, 1)).astype("float32")


def _model(lib, ns):
    x = lib.Input((4,))
    h = ns["Scaled"](lib.layers.Dense(3, activation="tanh", name="inner"), factor=0.5, name="scaled")(x)
    return lib.Model(x, lib.layers.Dense(1, name="out")(h))


def test_wrappers_are_wrappers():
    assert issubclass(sk.layers.Wrapper, sk.layers.Layer)
    assert isinstance(sk.layers.TimeDistributed(sk.layers.Dense(2)), sk.layers.Wrapper)
    assert isinstance(sk.layers.Bidirectional(sk.layers.LSTM(2)), sk.layers.Wrapper)
    with pytest.raises(ValueError, match="supplied to Wrapper"):
        OURS["Scaled"]("dense")


def test_subclass_predicts_trains_and_configures_as_keras():
    keras.utils.set_random_seed(0)
    ref, ours = _model(keras, REF), _model(sk, OURS)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    np.testing.assert_allclose(ours.predict(X, verbose=0), np.asarray(ref.predict(X, verbose=0)), atol=1e-5)
    got, want = ours.get_layer("scaled").get_config(), ref.get_layer("scaled").get_config()
    assert got["factor"] == want["factor"] and got["layer"]["class_name"] == want["layer"]["class_name"] == "Dense"
    assert got["layer"]["config"]["units"] == 3
    again = OURS["Scaled"].from_config(got)
    assert again.layer.units == 3 and again.factor == 0.5
    for m, lib in ((ref, keras), (ours, sk)):
        m.compile(lib.optimizers.SGD(0.1), "mse")
        m.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)


def test_keras_files_load_both_ways(tmp_path):
    keras.utils.set_random_seed(1)
    theirs = _model(keras, REF)
    want = np.asarray(theirs.predict(X, verbose=0))
    theirs.save(tmp_path / "theirs.keras")
    loaded = sk.saving.load_model(tmp_path / "theirs.keras", compile=False)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), want, atol=1e-5)
    loaded.save(tmp_path / "ours.keras")
    again = keras.saving.load_model(tmp_path / "ours.keras", compile=False)
    assert isinstance(again.get_layer("scaled"), keras.layers.Wrapper)
    np.testing.assert_allclose(np.asarray(again.predict(X, verbose=0)), want, atol=1e-5)
