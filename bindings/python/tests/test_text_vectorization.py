"""TextVectorization from Python as Keras's text-classification tutorial uses it, with only the
import changed: adapt on raw strings, TextVectorization -> Embedding -> GlobalAveragePooling1D ->
Dense, fit, predict on raw strings, save and reload; and the vocabulary API."""

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import layers

pytestmark = needs(*CORE, "keras_model_adapt", "keras_strings_encode")

GOOD = ["a great fun film", "loved it, loved the cast", "a wonderful story!", "great acting and great fun",
        "wonderful, simply wonderful"]
BAD = ["a boring film", "hated it, hated the cast", "a dull story...", "terrible acting and boring",
       "dull, simply dull"]


def reviews():
    texts = np.array([GOOD[i % 5] if i % 2 == 0 else BAD[i % 5] for i in range(60)])
    labels = np.array([1.0 if i % 2 == 0 else 0.0 for i in range(60)], dtype="float32")
    return texts, labels


def test_keras_docs_example():
    vectorize_layer = layers.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    vectorize_layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    np.testing.assert_array_equal(vectorize_layer([["foo qux bar"], ["qux baz"]]), [[4, 1, 3, 0], [1, 2, 0, 0]])
    assert vectorize_layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    assert vectorize_layer.vocabulary_size() == 7
    given = layers.TextVectorization(output_mode="int", output_sequence_length=4,
                                     vocabulary=["earth", "wind", "and", "fire"])
    assert given.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    given.set_vocabulary(["water", "fire"])
    np.testing.assert_array_equal(given(np.array(["Fire & water"])), [[3, 2, 0, 0]])
    assert given.get_vocabulary(include_special_tokens=False) == ["water", "fire"]
    counts = layers.TextVectorization(output_mode="count", ngrams=2)
    counts.adapt(np.array(["a b", "a b c"]))
    assert counts.get_vocabulary() == ["[UNK]", "b", "a b", "a", "c", "b c"]
    np.testing.assert_array_equal(counts(np.array(["a b a"])), [[1, 1, 1, 2, 0, 0]])


def test_text_classification_tutorial(tmp_path):
    keras.utils.set_random_seed(0)
    texts, labels = reviews()
    max_features, sequence_length = 40, 8
    vectorize_layer = layers.TextVectorization(max_tokens=max_features, output_mode="int",
                                               output_sequence_length=sequence_length)
    vectorize_layer.adapt(texts)
    assert vectorize_layer.get_vocabulary()[:2] == ["", "[UNK]"]
    model = keras.Sequential([
        keras.Input(shape=(1,), dtype="string"),
        vectorize_layer,
        layers.Embedding(max_features, 8),
        layers.GlobalAveragePooling1D(),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(texts[:, None], labels, epochs=40, batch_size=10, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    examples = np.array([["great fun, a wonderful film"], ["boring and dull"], ["never seen these words"]])
    scores = model.predict(examples, verbose=0)
    assert scores.shape == (3, 1) and scores[0, 0] > scores[1, 0]
    path = str(tmp_path / "text_model.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(examples, verbose=0), scores, atol=1e-6)
    loaded_layer = [layer for layer in reloaded.layers if layer.class_name == "TextVectorization"][0]
    assert loaded_layer.get_vocabulary() == vectorize_layer.get_vocabulary()


def test_sequential_without_input_takes_rank1_strings():
    texts, labels = reviews()
    vectorize_layer = layers.TextVectorization(max_tokens=30, output_sequence_length=6)
    vectorize_layer.adapt(texts)
    model = keras.Sequential([vectorize_layer, layers.Embedding(30, 4), layers.GlobalAveragePooling1D(), layers.Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    model.fit(texts, labels, epochs=1, verbose=0)
    assert model.predict(np.array(["great film", "dull film"]), verbose=0).shape == (2, 1)


def test_errors_are_clear():
    with pytest.raises(Exception, match="vocabulary"):
        layers.TextVectorization(name="not_adapted")(np.array([["some words"]]))
    with pytest.raises(Exception, match="output_sequence_length"):
        layers.TextVectorization(output_mode="multi_hot", output_sequence_length=3)(np.array([["a"]]))
