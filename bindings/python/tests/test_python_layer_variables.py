"""A `keras.Variable` made in a Python layer's `build()` (keras.io's Swin Transformer makes its
attention mask so), alone or among `add_weight` weights, and an integer one made in `__init__`
(its relative position index): one weight of the layer each, as Keras's
single build makes it, though the library builds a Python layer twice (the functional call's
shape probe, then the model); its name, path, value and trainable flag as Keras's, kept through
save and load both ways."""

import re

import numpy as np

from conftest import needs, CORE, real_keras

pytestmark = needs(*CORE)


def _masked_layer(lib):
    ops = lib.ops

    class MaskedDense(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            # an integer one made in __init__ (Swin's relative position index, dtype "int")
            self.index = lib.Variable(initializer=np.array([2, 0, 1]), shape=(3,), dtype="int",
                                      trainable=False)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 3), initializer="ones", name="w")
            self.scale = lib.Variable(np.array([0.0, 0.5, 1.0], "float32"), trainable=False)
            self.b = self.add_weight(shape=(3,), initializer="zeros", name="b")

        def call(self, x):
            return ops.take(ops.matmul(x, self.w) * self.scale + self.b, self.index, axis=1)

    return MaskedDense


def _model(lib):
    inputs = lib.Input((2,))
    return lib.Model(inputs, _masked_layer(lib)(name="masked")(inputs))


def _described(model):
    # (a keras.Variable's default name is numbered per process, in Keras too: `variable`, then
    # `variable_1` for the next one made, as in a model loaded later)
    return [(re.sub(r"_\d+$", "", w.path), tuple(w.shape), w.trainable) for w in model.weights]


def test_variable_made_in_build_is_one_weight_as_keras(tmp_path):
    import swiftkeras
    keras = real_keras()
    ours, ref = _model(swiftkeras), _model(keras)
    assert _described(ours) == _described(ref) == [
        ("masked/w", (2, 3), True), ("masked/b", (3,), True), ("variable", (3,), False),
        ("masked/variable", (3,), False)]
    assert len(ours.non_trainable_weights) == 2
    np.testing.assert_array_equal(ours.layers[1].scale.numpy(), [0.0, 0.5, 1.0])
    x = np.array([[1.0, 2.0], [3.0, -1.0]], "float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-6)

    # save/load both ways: the variable's value is read back into the one weight
    ours.layers[1].scale.assign(np.array([2.0, 3.0, 4.0], "float32"))
    ours.save(tmp_path / "ours.keras")
    ref.layers[1].scale.assign(np.array([2.0, 3.0, 4.0], "float32"))
    ref.save(tmp_path / "ref.keras")
    objects = {"MaskedDense": _masked_layer(swiftkeras)}
    for path in ("ours.keras", "ref.keras"):
        loaded = swiftkeras.saving.load_model(tmp_path / path, custom_objects=objects)
        assert _described(loaded) == _described(ref)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-6)
    back = keras.saving.load_model(tmp_path / "ours.keras",
                                   custom_objects={"MaskedDense": _masked_layer(keras)})
    assert _described(back) == _described(ref)
    np.testing.assert_allclose(back.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-6)
