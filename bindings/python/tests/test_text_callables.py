"""TextVectorization with Python callables for `standardize` and `split` (Keras accepts them):
they run in Python on the input strings before these cross the C ABI. Arrays: checked against the
built-in modes and by hand; batches from generators and PyDatasets (adapt, predict, fit,
evaluate): against real Keras with TensorFlow, which its TextVectorization needs."""

import json
from pathlib import Path

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


# Batches from a generator or a PyDataset: adapt, predict, fit and evaluate against real Keras
# (scripts/make_text_callable_fixtures.py, Keras 3 with TensorFlow; its callables do with
# tf.strings what these do with numpy).
FIXTURE = json.loads((Path(__file__).resolve().parents[3] / "Tests" / "KerasTests" / "Fixtures" / "layers" /
                      "preprocessing" / "text_vectorization_callables.json").read_text())
CALLABLES = {"generator_standardize": {"standardize": html_lower},
             "pydataset_split_steps": {"split": comma_split},
             "generator_both_tf_idf": {"standardize": html_lower,
                                       "split": lambda x: [s.replace(",", " ").split() for s in x]}}
ARGS = ("max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length",
        "pad_to_max_tokens", "name")


def strings(v):
    return np.array(v["strings"], dtype=str).reshape(v["shape"])


def numbers(v):
    return np.array(v["data"], dtype=np.float32).reshape(v["shape"])


class Batches(keras.utils.PyDataset):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        return self.batches[i]


@pytest.mark.parametrize("case", FIXTURE["adapt"], ids=lambda c: c["name"])
def test_callables_adapt_on_batches_as_keras(case):
    args = {k: case["config"][k] for k in ARGS if k in case["config"]}
    layer = layers.TextVectorization(**args, **CALLABLES[case["name"]])
    batches = [strings(b) for b in case["batches"]]
    data = (b for b in batches) if case["name"].startswith("generator") else Batches(batches)
    layer.adapt(data, steps=case["steps"])
    assert layer.get_vocabulary() == case["vocabulary"]
    np.testing.assert_allclose(layer(strings(case["probe"])), numbers(case["outputs"]), atol=1e-5)


def test_model_with_callables_predicts_fits_and_evaluates_on_batches_as_keras():
    m = FIXTURE["model"]
    text = keras.Input(shape=(1,), dtype="string", name="text")
    vectorize = layers.TextVectorization(standardize=html_lower, split=CALLABLES["generator_both_tf_idf"]["split"],
                                         vocabulary=m["vocabulary"], output_sequence_length=5, name="vectorize")
    h = layers.GlobalAveragePooling1D()(layers.Embedding(len(m["vocabulary"]) + 2, 3, name="embedding")(vectorize(text)))
    model = keras.Model(text, layers.Dense(1, name="dense")(h))
    model.set_weights([numbers(w) for w in m["weights"]])
    xb, yb = [strings(b) for b in m["x_batches"]], [numbers(b) for b in m["y_batches"]]
    np.testing.assert_allclose(model.predict(Batches([(x,) for x in xb]), verbose=0), numbers(m["predicted"]), atol=1e-5)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit((b for b in zip(xb, yb)), epochs=1, steps_per_epoch=3, verbose=0)
    for got, want in zip(model.get_weights(), m["trained"]):
        np.testing.assert_allclose(got, numbers(want), atol=1e-5)
    assert model.evaluate(Batches(list(zip(xb, yb))), verbose=0) == pytest.approx(m["loss"], abs=1e-5)


def test_adapt_on_batches_refuses_targets_and_unequal_shapes():
    layer = layers.TextVectorization(standardize=html_lower)
    with pytest.raises(ValueError, match="adapt takes the inputs only"):
        layer.adapt(b for b in [(DOCS, np.zeros(3))])
    with pytest.raises(ValueError, match="equal shapes"):
        layer.adapt(b for b in [DOCS, DOCS.reshape(-1)])
    with pytest.raises(ValueError, match="gave none"):
        layer.adapt(b for b in [])
