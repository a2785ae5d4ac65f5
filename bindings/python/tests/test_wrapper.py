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


def _wrapped_model(lib):
    x = lib.Input((4, 3))
    h = lib.layers.TimeDistributed(lib.layers.Dense(5, name="d"), name="td")(x)
    return lib.Model(x, lib.layers.Bidirectional(lib.layers.LSTM(2, return_sequences=True, name="l"),
                                                 name="bi")(h))


def test_loaded_wrappers_hold_layers_as_keras(tmp_path):
    """A TimeDistributed and a Bidirectional read from a file hold layers, as Keras's: `td.layer`
    is the Dense (its `units`, its weights the model's), `bi.forward_layer` the forward LSTM;
    `from_config` rebuilds them so too (the loaded wrapper held the layer's config dict)."""
    keras.utils.set_random_seed(2)
    theirs = _wrapped_model(keras)
    theirs.save(tmp_path / "theirs.keras")
    ref = keras.saving.load_model(tmp_path / "theirs.keras")
    ours = sk.saving.load_model(tmp_path / "theirs.keras")
    for got, want in zip(ours.layers[1:], ref.layers[1:]):
        assert type(got).__name__ == type(want).__name__
    td, ref_td = ours.get_layer("td"), ref.get_layer("td")
    assert isinstance(td.layer, sk.layers.Dense) and td.layer.name == ref_td.layer.name == "d"
    assert td.layer.units == ref_td.layer.units == 5 and td.layer.built
    for a, b in zip(td.layer.get_weights(), ref_td.layer.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    kernel = td.layer.get_weights()[0] + 1.0
    td.layer.set_weights([kernel, td.layer.get_weights()[1]])
    np.testing.assert_array_equal(ours.get_weights()[0], kernel)   # the model's own weights
    forward, ref_forward = ours.get_layer("bi").forward_layer, ref.get_layer("bi").forward_layer
    assert forward.name == ref_forward.name == "forward_l" and forward.units == 2
    assert ours.get_layer("bi").backward_layer.name == ref.get_layer("bi").backward_layer.name
    assert [np.shape(w) for w in forward.get_weights()] == [np.shape(w) for w in ref_forward.get_weights()]
    assert td.get_config()["layer"]["config"]["units"] == 5
    for lib, layer in ((sk, td), (keras, ref_td)):
        again = lib.layers.TimeDistributed.from_config(layer.get_config())
        assert isinstance(again.layer, lib.layers.Dense) and again.layer.units == 5
    again = sk.layers.Bidirectional.from_config(ours.get_layer("bi").get_config())
    assert (again.forward_layer.name, again.backward_layer.name) == ("forward_l", "backward_l")
    x = np.random.RandomState(0).normal(size=(2, 4, 3)).astype("float32")
    ref_td.layer.set_weights([kernel, ref_td.layer.get_weights()[1]])
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)), atol=1e-5)
