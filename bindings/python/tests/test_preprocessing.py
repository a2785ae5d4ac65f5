"""Preprocessing layers from Python as in Keras: `Normalization().adapt(np_array)` before the
layer joins a model and on a layer inside a built model, Discretization and IntegerLookup adapt,
and the adapted state saved with the model. Expected numbers are numpy's (Keras's adapt formula:
mean and population variance per feature)."""

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import layers

pytestmark = needs(*CORE, "keras_model_adapt")

RNG = np.random.default_rng(3)
X = RNG.normal(4.0, 3.0, size=(50, 3)).astype("float32")


def test_classes_and_adapt_exist():
    for name in ["Normalization", "CategoryEncoding", "Discretization", "IntegerLookup"]:
        assert hasattr(layers, name)
    assert hasattr(layers.Normalization(), "adapt")
    assert not hasattr(layers.Dense(2), "adapt")


def test_normalization_adapt_before_model(tmp_path):
    norm = layers.Normalization()
    norm.adapt(X)
    mean, var, count = norm.get_weights()
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(var, X.var(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(norm(X), (X - X.mean(0)) / X.std(0), atol=1e-4)
    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(1, name="out")(norm(inp)))
    np.testing.assert_allclose(model.get_layer(norm.name).get_weights()[0], X.mean(axis=0), atol=1e-5)
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, X[:, :1], epochs=1, verbose=0)
    path = str(tmp_path / "norm.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-5)


def test_normalization_adapts_on_batches_as_keras():
    """Keras adapts on a generator or PyDataset batch by batch (the `x` of `(x, y)` batches) and
    merges the moments: those of all the batches' samples, `steps` batches when given."""
    batches = [(X[i:i + 7], X[i:i + 7, :1]) for i in range(0, len(X), 7)]

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return len(batches)

        def __getitem__(self, i):
            return batches[i][0]

    for data, steps, seen in [((b for b in batches), None, X), (Batches(), 2, X[:14])]:
        norm = layers.Normalization()
        norm.adapt(data, steps=steps)
        mean, var, _ = norm.get_weights()
        np.testing.assert_allclose(mean, seen.mean(axis=0), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(var, seen.var(axis=0), rtol=1e-5, atol=1e-5)


def test_adapt_inside_built_model_before_fit():
    norm = layers.Normalization(name="norm_in_model")
    model = keras.Sequential([keras.Input((3,)), norm, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    norm.adapt(X)
    np.testing.assert_allclose(model.get_layer("norm_in_model").get_weights()[1], X.var(axis=0), rtol=1e-5)
    model.fit(X, X[:, :1], epochs=1, verbose=0)


def test_discretization_and_lookup_adapt():
    disc = layers.Discretization(num_bins=2)
    disc.adapt(np.arange(6, dtype="float32").reshape(-1, 1))
    assert disc.get_config()["bin_boundaries"] == [2.0]
    np.testing.assert_array_equal(disc(np.array([[0.0], [5.0]], dtype="float32")), [[0], [1]])
    lookup = layers.IntegerLookup()
    lookup.adapt(np.array([[7], [7], [3], [9], [9], [9]], dtype="float32"))
    np.testing.assert_array_equal(lookup(np.array([[9], [7], [3], [100]], dtype="float32")), [[1], [2], [3], [0]])
    assert lookup.get_config()["vocabulary"] == [9, 7, 3]
    enc = layers.CategoryEncoding(num_tokens=3, output_mode="count")
    np.testing.assert_array_equal(enc(np.array([[0, 2, 2]], dtype="float32")), [[1, 0, 2]])


def test_errors_name_the_layer():
    with pytest.raises(Exception, match="lookup_unset"):
        layers.IntegerLookup(name="lookup_unset")(np.array([[1.0]], dtype="float32"))
    with pytest.raises(Exception, match="num_tokens"):
        layers.CategoryEncoding(num_tokens=2, name="enc_small")(np.array([[3.0]], dtype="float32"))
