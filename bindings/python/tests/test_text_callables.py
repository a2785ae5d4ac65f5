"""TextVectorization with Python callables for `standardize` and `split` (Keras accepts them):
they run in Python on the input strings before these cross the C ABI. Keras's TextVectorization
needs TensorFlow, so the outputs are checked against the built-in modes and by hand."""

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import layers

pytestmark = needs(*CORE, "keras_model_adapt", "keras_strings_encode")

DOCS = np.array([["The Cat sat<br />on the MAT"], ["the dog<br />ate"], ["A cat and a DOG"]])
PROBE = np.array([["the CAT ate<br />a dog"], ["unseen words"], ["Mat"]])


def html_lower(x):
    """Keras's documented pattern: numpy string operations on the batch of strings."""
    assert isinstance(x, np.ndarray) and x.dtype.kind == "U", x
    return np.char.lower(np.char.replace(x, "<br />", " "))


def comma_split(x):
    assert isinstance(x, np.ndarray) and x.ndim == 1, x   # the axis of size 1 squeezed out
    return [[t for t in s.split(",") if t] for s in x]


def test_callable_standardize_equals_the_builtin_it_mirrors():
    builtin = layers.TextVectorization(standardize="lower", output_sequence_length=5)
    custom = layers.TextVectorization(standardize=lambda x: np.char.lower(x), output_sequence_length=5)
    plain = np.array([["The Cat sat"], ["the DOG ate"], ["A cat and a dog"]])
    builtin.adapt(plain)
    custom.adapt(plain)
    assert custom.get_vocabulary() == builtin.get_vocabulary()
    probe = np.array([["the CAT ate a dog"], ["unseen words"]])
    np.testing.assert_array_equal(custom(probe), builtin(probe))


def test_callable_standardize_by_hand():
    layer = layers.TextVectorization(standardize=html_lower, output_sequence_length=6)
    layer.adapt(DOCS)
    # Counts: the 3, cat 2, dog 2, a 2, then sat, on, mat, ate, and (1 each; ties: larger first).
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "dog", "cat", "a", "sat", "on", "mat", "ate", "and"]
    np.testing.assert_array_equal(layer(PROBE), [[2, 4, 9, 5, 3, 0], [1, 1, 0, 0, 0, 0], [8, 0, 0, 0, 0, 0]])
    assert layer.get_config()["standardize"] is html_lower


def test_callable_split_by_hand_and_with_ngrams():
    layer = layers.TextVectorization(split=comma_split, standardize=None, vocabulary=["a", "B.c", "d"],
                                     output_sequence_length=4)
    np.testing.assert_array_equal(layer(np.array([["a,B.c,,d"], ["d,x"]])), [[2, 3, 4, 0], [4, 1, 0, 0]])
    # The built-in standardization runs before a Python split, as in Keras.
    lowered = layers.TextVectorization(split=comma_split, standardize="lower", vocabulary=["ab", "cd"],
                                       output_mode="count")
    np.testing.assert_array_equal(lowered(np.array(["AB,cd,CD", "x"])), [[0, 1, 2], [1, 0, 0]])
    # A whitespace split written in Python equals the built-in one, ngrams included.
    ws = layers.TextVectorization(split=lambda x: [s.split() for s in x], ngrams=2, output_mode="multi_hot")
    builtin = layers.TextVectorization(ngrams=2, output_mode="multi_hot")
    for l in (ws, builtin):
        l.adapt(DOCS)
    assert ws.get_vocabulary() == builtin.get_vocabulary()
    np.testing.assert_array_equal(ws(PROBE), builtin(PROBE))
    with pytest.raises(ValueError, match="token"):
        layers.TextVectorization(split=lambda x: [["a b"] for _ in x], vocabulary=["a"])(np.array(["q"]))


def test_model_with_callables_fits_predicts_and_refuses_saving(tmp_path):
    text = keras.Input(shape=(1,), dtype="string", name="text")
    vectorize = layers.TextVectorization(standardize=html_lower, max_tokens=20, output_sequence_length=6,
                                         name="vectorize")
    vectorize.adapt(DOCS)
    x = layers.GlobalAveragePooling1D()(layers.Embedding(20, 4)(vectorize(text)))
    model = keras.Model(text, layers.Dense(1)(x))
    model.compile(optimizer="adam", loss="mse")
    reference = layers.TextVectorization(standardize="lower_and_strip_punctuation", max_tokens=20,
                                         output_sequence_length=6, vocabulary=vectorize.get_vocabulary()[2:])
    twin = keras.Model(text2 := keras.Input(shape=(1,), dtype="string"),
                       layers.Dense(1)(layers.GlobalAveragePooling1D()(layers.Embedding(20, 4)(reference(text2)))))
    twin.set_weights(model.get_weights())
    # Strings that both standardizations turn into the same tokens give the same predictions.
    same = np.array([["the cat ate a dog"], ["mat and dog"]])
    np.testing.assert_allclose(model.predict(same, verbose=0), twin.predict(same, verbose=0), atol=1e-6)
    # The Python standardization reaches the model: "<br />" splits words only through it.
    np.testing.assert_allclose(model.predict(np.array([["cat<br />dog"]]), verbose=0),
                               twin.predict(np.array([["cat dog"]]), verbose=0), atol=1e-6)
    history = model.fit(DOCS, np.array([[1.0], [0.0], [1.0]]), epochs=2, verbose=0,
                        validation_data=(PROBE, np.zeros((3, 1))))
    assert len(history.history["loss"]) == 2
    with pytest.raises(ValueError, match="vectorize.*standardize"):
        model.save(str(tmp_path / "m.keras"))
    model.save_weights(str(tmp_path / "m.weights.h5"))


def test_layer_with_callables_must_take_a_model_input():
    text = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(text, layers.TextVectorization(standardize=html_lower, vocabulary=["a"])(
        layers.Identity()(text)))
    with pytest.raises(NotImplementedError, match="model input"):
        model.predict(np.array([["a"]]), verbose=0)
