"""A model held by a Python layer's attribute and called in its traced `call`
(`self.inner = keras.Sequential([...])`, `return self.inner(x)`) is the layer's sublayer itself,
as in Keras 3: the layer lists its weights under the model's own paths, training the outer model
moves `layer.inner`'s weights at once, and the weights files keep them where Keras puts them
(`layers/wrap/inner/layers/dense/vars/0`). Numbers against real Keras 3 from the same initial
weights."""

import numpy as np
import pytest

from conftest import needs, real_keras

pytestmark = needs("keras_model_from_json_sharing", "keras_model_weight_layers")

import swiftkeras  # noqa: E402

RNG = np.random.default_rng(11)
X = RNG.normal(size=(12, 3)).astype("float32")
Y = RNG.normal(size=(12, 2)).astype("float32")


def _wrap_class(lib):
    class Wrap(lib.layers.Layer):
        """A traced layer with a weight of its own, calling the Sequential it holds."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            # (named: the counters behind default names depend on the tests run before)
            self.inner = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="relu", name="d1"),
                                         lib.layers.BatchNormalization(name="bn"), lib.layers.Dense(2, name="d2")],
                                        name="seq")

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")

        def call(self, x):
            return lib.ops.tanh(self.inner(x)) * self.scale
    return Wrap


def _models():
    """[(outer model, its Wrap layer)] for Keras, then ours, from Keras's initial weights."""
    out = []
    for lib in (real_keras(), swiftkeras):
        wrap = _wrap_class(lib)(name="wrap")
        inputs = lib.Input((3,))
        out.append((lib.Model(inputs, wrap(inputs)), wrap))
    (ref, _), (ours, _) = out
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    return out


def _all_close(ours, ref):
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def test_the_held_model_is_listed_under_its_own_paths_as_in_keras():
    (ref, ref_wrap), (ours, wrap) = _models()
    for what in ("weights", "trainable_weights", "non_trainable_weights"):
        assert [v.path for v in getattr(ours, what)] == [v.path for v in getattr(ref, what)], what
        assert [v.path for v in getattr(wrap, what)] == [v.path for v in getattr(ref_wrap, what)], what
    assert [v.path for v in wrap.inner.weights] == [v.path for v in ref_wrap.inner.weights]
    # Built with its Input before the layer was called: its own paths, not under "wrap/".
    assert [v.path for v in ours.weights][1] == f"{wrap.inner.name}/dense/kernel".replace(
        "dense", wrap.inner.layers[0].name)


def test_fit_of_the_outer_model_trains_the_held_model_live():
    (ref, ref_wrap), (ours, wrap) = _models()
    before = [np.asarray(w) for w in wrap.inner.get_weights()]
    for m in (ref, ours):
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    _all_close(ours.get_weights(), ref.get_weights())
    # The held model is the outer model's sublayer itself: no copy, no extra step.
    _all_close(wrap.inner.get_weights(), ref_wrap.inner.get_weights())
    assert any(not np.allclose(a, b) for a, b in zip(before, wrap.inner.get_weights()))
    _all_close(wrap.get_weights(), ref_wrap.get_weights())
    _all_close([wrap.inner.predict(X, verbose=0)], [ref_wrap.inner.predict(X, verbose=0)])
    # A value set on the held model is the outer model's at once.
    kernel = np.full((3, 4), 0.125, "float32")
    wrap.inner.layers[0].kernel.assign(kernel)
    np.testing.assert_array_equal(ours.get_weights()[1], kernel)


@pytest.mark.parametrize("direction", ["ours_to_keras", "keras_to_ours"])
def test_weights_files_keep_the_held_model_where_keras_puts_it(tmp_path, direction):
    import h5py
    (ref, ref_wrap), (ours, wrap) = _models()
    for m in (ref, ours):
        m.compile(optimizer="sgd", loss="mse")
    ours.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    ref.set_weights(ours.get_weights())
    ref.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)   # Keras's weights differ now
    source, target = (ours, ref) if direction == "ours_to_keras" else (ref, ours)
    path = str(tmp_path / "w.weights.h5")
    source.save_weights(path)
    with h5py.File(path) as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    assert "layers/wrap/inner/layers/dense/vars/0" in names
    assert "layers/wrap/vars/0" in names
    target.load_weights(path)
    _all_close(target.get_weights(), source.get_weights())
    held = (wrap if target is ours else ref_wrap).inner
    _all_close(held.get_weights(), (ref_wrap if target is ours else wrap).inner.get_weights())


def test_a_keras_file_of_the_model_loads_with_the_same_numbers(tmp_path):
    keras = real_keras()
    (ref, _), (ours, _) = _models()
    path = str(tmp_path / "ours.keras")
    ours.save(path)
    loaded_ref = keras.saving.load_model(path, custom_objects={"Wrap": _wrap_class(keras)})
    _all_close(loaded_ref.get_weights(), ours.get_weights())
    _all_close([loaded_ref.predict(X, verbose=0)], [ours.predict(X, verbose=0)])
    path = str(tmp_path / "ref.keras")
    ref.save(path)
    loaded = swiftkeras.models.load_model(path, custom_objects={"Wrap": _wrap_class(swiftkeras)})
    _all_close(loaded.get_weights(), ref.get_weights())
    _all_close([loaded.predict(X, verbose=0)], [ref.predict(X, verbose=0)])
