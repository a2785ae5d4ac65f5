"""The library model behind a Python model: a fit of a new model makes it from the Python
config and crosses nothing else (no reading the model back through keras_model_to_json, no
weight infos); the layers still find their weights, shapes and calls afterwards, and a layer
shared by two models stays with the last one built."""

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import _lib, layers

pytestmark = needs(*CORE)


@pytest.fixture()
def crossings(monkeypatch):
    """The names of the model entry points called, in order."""
    calls = []
    for name in [n for n in dir(_lib) if n.startswith("keras_model_")]:
        fn = getattr(_lib, name)
        if callable(fn):
            monkeypatch.setattr(_lib, name, lambda *a, _f=fn, _n=name: calls.append(_n) or _f(*a))
    return calls


def iris_like(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.float32) + (x[:, 1] > 0.5)


def iris_model():
    model = keras.Sequential([layers.Dense(8), layers.Activation("relu"), layers.Dense(3),
                              layers.Activation("softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_of_a_new_model_makes_compiles_and_fits_only(crossings):
    x, y = iris_like()
    model = iris_model()
    model.fit(x, y, epochs=3, verbose=0, validation_split=0.1)
    made, compiled, fit = [c for c in crossings if c != "keras_model_free"]
    assert (made, compiled) == ("keras_model_from_json", "keras_model_compile")
    assert fit in ("keras_model_fit", "keras_model_fit_arrays")


def test_layers_find_their_weights_shapes_and_calls_after_a_fit():
    x, y = iris_like()
    model = iris_model()
    model.fit(x, y, epochs=2, verbose=0)
    dense, _, out, _ = model.layers
    assert [w.shape for w in dense.get_weights()] == [(4, 8), (8,)]
    assert dense.kernel.shape == (4, 8) and out.bias.shape == (3,)
    assert out.count_params() == 27
    assert model.get_layer("dense" if dense.name == "dense" else dense.name) is dense
    # A layer called on numpy runs with the model's weights.
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(dense(x[:5]), x[:5] @ kernel + bias, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0).sum(axis=1), 1, rtol=1e-5)
    assert [w.shape for w in model.get_weights()] == [(4, 8), (8,), (8, 3), (3,)]


def test_a_shared_layer_stays_with_the_last_model_built():
    x, y = iris_like()
    shared = layers.Dense(5)
    first = keras.Sequential([keras.Input((4,)), shared, layers.Dense(2)])
    first.build((None, 4))
    second = keras.Sequential([keras.Input((4,)), shared, layers.Dense(3)])
    second.build((None, 4))
    second.set_weights([np.full(w.shape, 0.5, np.float32) for w in second.get_weights()])
    first.get_weights()  # reading the first model's layers does not take the layer back
    assert shared._owner is second
    np.testing.assert_array_equal(shared.get_weights()[0], np.full((4, 5), 0.5, np.float32))
    assert len(first.layers) == 2 and first.layers[0] is shared
