"""The library model behind a Python model: a fit of a new model makes it from the Python
config and fits it (its History is read as numbers when first read), and crosses nothing else (no reading the model
back through keras_model_to_json, no weight infos); the layers still find their weights, shapes and calls afterwards, and a layer
shared by two models stays with the last one built."""

import json

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import _lib, _native, layers

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
    h = model.fit(x, y, epochs=3, verbose=0, validation_split=0.1)
    made, compiled, fit = [c for c in crossings if c != "keras_model_free"]
    assert (made, compiled) == ("keras_model_from_json", "keras_model_compile")
    assert fit in ("keras_model_fit", "keras_model_fit_arrays")
    # The History's figures are read as numbers when first read (History), once.
    assert len(h.history["loss"]) == 3 and len(h.epoch) == 3
    assert [c for c in crossings if c != "keras_model_free"][3:] == ["keras_model_history"]


def test_a_model_made_as_before_asks_the_library_for_no_configs(monkeypatch):
    """Layers of plain arguments made as before are not checked again (their arguments were),
    and each compile's new optimizer (adam_1, adam_2, ...) takes the config the library wrote for
    the first, under its own name: the fit crosses no keras_layer_validate_config or
    keras_object_config. Arguments refused are refused each time."""
    x, y = iris_like()
    first = iris_model()
    first.fit(x, y, epochs=1, verbose=0)
    calls = []
    for name in ("keras_layer_validate_config", "keras_object_config"):
        fn = getattr(_lib, name)
        wrapper = (lambda *a, _f=fn, _n=name: calls.append(_n) or _f(*a))
        wrapper.available = getattr(fn, "available", True)
        monkeypatch.setattr(_lib, name, wrapper)
    model = iris_model()
    model.fit(x, y, epochs=1, verbose=0)
    assert "keras_layer_validate_config" not in calls and "keras_object_config" not in calls
    mine, before = model.optimizer.get_config(), first.optimizer.get_config()
    assert mine["name"] != before["name"] and mine["name"].startswith("adam")
    assert list(mine) == list(before) and {**mine, "name": None} == {**before, "name": None}
    named = keras.optimizers.Adam(name="ünï code").get_config()
    assert named["name"] == "ünï code" and {**named, "name": None} == {**before, "name": None}
    for _ in range(2):
        with pytest.raises(ValueError):
            layers.Dense(-1)
        with pytest.raises(ValueError, match="learning"):
            keras.optimizers.Adam(learning_rate=-1.0, name="x").get_config()
    assert "keras_layer_validate_config" in calls


def test_metrics_first_read_after_a_fit_show_its_last_figures():
    """The loss tracker and compiled metrics, first asked for after a fit, show its last
    epoch's validation figures as if made before it; after compile again, fresh ones."""
    x, y = iris_like()
    model = iris_model()
    history = model.fit(x, y, epochs=2, verbose=0, validation_split=0.25).history
    loss, compiled = model.metrics
    assert float(loss.result()) == pytest.approx(history["val_loss"][-1], rel=1e-6)
    assert float(compiled.result()["accuracy"]) == pytest.approx(history["val_accuracy"][-1], rel=1e-6)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert [float(model.metrics[0].result()), model.metrics[1].result()] == [0.0, {}]


def test_the_history_read_as_numbers_is_the_history_json_of_the_same_fit():
    """fit reads its History as numbers (keras_model_history), not as the fit's JSON text: the
    same figures, keys and lengths (validation every other epoch, a per-class metric)."""
    x, y = iris_like()
    onehot = np.eye(3, dtype=np.float32)[y.astype(int)]
    options = {"epochs": 5, "verbose": 0, "validation_split": 0.2, "validation_freq": 2,
               "batch_size": 8}

    def model():
        keras.utils.set_random_seed(7)
        m = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
        m.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.F1Score(average=None)])
        return m

    history = model().fit(x, onehot, **options).history
    other = model()
    other._ensure_handle(x)
    px, py, none = _native.pack([x]), _native.pack([onehot]), _native.pack([])
    text = _native.take_string(_lib.keras_model_fit_arrays, other._handle, px.pointer, 1,
                               py.pointer, 1, None, none.pointer, 0, none.pointer, 0, None,
                               _native.dumps(options), None, 0)
    expected = json.loads(text)
    assert list(history) == list(expected) == ["accuracy", "f1_score", "loss", "val_accuracy",
                                               "val_f1_score", "val_loss"]
    for key, values in expected.items():
        assert len(history[key]) == len(values) == (2 if key.startswith("val_") else 5)
        if key.endswith("f1_score"):   # one float32 array of class values per epoch
            for got, want in zip(history[key], values):
                assert got.dtype == np.float32
                np.testing.assert_array_equal(got, np.asarray(want, np.float32))
        else:
            assert all(type(v) is float for v in history[key])
            assert history[key] == values


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
