"""String inputs from Python as Keras takes them (numpy str arrays, lists of str): Hashing with
Keras's documented bins, StringLookup adapted inside and outside a model, a functional model with
a string Input, Normalization and StringLookup that fits, predicts, saves and reloads."""

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import layers
from swiftkeras import _native

pytestmark = needs(*CORE, "keras_model_adapt", "keras_strings_encode")


def test_hashing_matches_keras_docs():
    x = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    np.testing.assert_array_equal(layers.Hashing(num_bins=3)(x), [[1], [0], [1], [1], [2]])
    np.testing.assert_array_equal(layers.Hashing(num_bins=3, salt=[133, 137])(x), [[1], [2], [1], [0], [2]])
    np.testing.assert_array_equal(layers.Hashing(num_bins=3, mask_value="")(np.array([["A"], ["B"], [""], ["C"], ["D"]])),
                                  [[1], [1], [0], [2], [2]])


def test_string_lookup_vocabulary_and_adapt():
    lookup = layers.StringLookup(vocabulary=["a", "b", "c", "d"])
    np.testing.assert_array_equal(lookup(np.array([["a", "c", "d"], ["d", "z", "b"]])), [[1, 3, 4], [4, 0, 2]])
    adapted = layers.StringLookup()
    adapted.adapt(["b", "b", "a", "c", "b", "a"])
    np.testing.assert_array_equal(adapted(np.array(["a", "b", "c", "q"])), [2, 1, 3, 0])
    with pytest.raises(Exception, match="vocabulary"):
        layers.StringLookup(name="no_vocab")(np.array([["a"]]))


def test_strings_round_trip():
    values = _native.encode_strings(np.array([["x", "日本"], ["", "x"]], dtype=object))
    assert values.dtype == np.float32 and values.shape == (2, 2)
    assert _native.decode_strings(values).tolist() == [["x", "日本"], ["", "x"]]


def test_model_with_string_input_fits_saves_and_reloads(tmp_path):
    rng = np.random.default_rng(0)
    nums = rng.normal(2.0, 3.0, size=(40, 3)).astype("float32")
    cities = rng.choice(["paris", "tokyo", "lima"], size=(40, 1))
    norm = layers.Normalization(name="norm")
    norm.adapt(nums)
    lookup = layers.StringLookup(output_mode="one_hot", name="city_lookup")
    lookup.adapt(cities)
    num_in = keras.Input((3,), name="num")
    city_in = keras.Input((1,), dtype="string", name="city")
    h = layers.Concatenate()([norm(num_in), lookup(city_in)])
    model = keras.Model([num_in, city_in], layers.Dense(1, name="out")(h))
    model.compile(optimizer="adam", loss="mse")
    model.fit([nums, cities], nums[:, :1], epochs=2, verbose=0)
    probe = [nums[:4], np.array([["lima"], ["paris"], ["atlantis"], ["tokyo"]])]
    before = model.predict(probe, verbose=0)
    path = str(tmp_path / "strings.keras")
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(probe, verbose=0), before, atol=1e-6)
