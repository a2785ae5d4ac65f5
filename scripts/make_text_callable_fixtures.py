"""Writes the fixture for TextVectorization with Python `standardize` / `split` callables fed
from batches (a generator, a `keras.utils.PyDataset`), from real Keras 3 with TensorFlow, which
the layer needs in Keras:

    /work/venv-tf/bin/python scripts/make_text_callable_fixtures.py

Tests/KerasTests/Fixtures/layers/preprocessing/text_vectorization_callables.json:
- "adapt": layers adapted on a generator and on a PyDataset (with `steps`), their vocabularies
  and outputs on PROBE;
- "model": a string Input -> TextVectorization (both callables, a fixed vocabulary) ->
  Embedding -> GlobalAveragePooling1D -> Dense model with fixed weights, its predictions from a
  PyDataset, one epoch of SGD from a generator of (x, y) batches, the weights after it and its
  loss evaluated on a PyDataset.
Keras hands the callables TensorFlow string tensors; the test's numpy callables do the same
thing to numpy arrays of str (the names below say which).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from make_string_preprocessing_fixtures import OUT, keras, np, value  # noqa: E402
import tensorflow as tf  # noqa: E402

L = keras.layers
DOCS = np.array(["The Cat sat<br />on the MAT", "the dog<br />ate", "A cat and a DOG",
                 "dogs,cats<br />and MATS", "On the mat, a cat", "ATE the DOG food"])
PROBE = np.array([["the CAT ate<br />a dog"], ["unseen words"], ["Mat,cat"], ["dogs<br />ate food"]])
# Comma-separated tags (a Python split's tokens cross the ABI joined by spaces: none holds one).
TAGS = np.array(["cat,dog", "Dog,mat,ate", "the,cat", "mat,on,the,DOG", "a,cat", "ate,food"])
TAG_PROBE = np.array([["the,CAT,ate"], ["dog,unseen"], ["Mat,cat,mat"]])


def html_lower(x):
    """Test side: np.char.lower(np.char.replace(x, "<br />", " "))."""
    return tf.strings.lower(tf.strings.regex_replace(x, "<br />", " "))


def comma_split(x):
    """Test side: [[t for t in s.split(",") if t] for s in x] (the data has no empty token)."""
    return tf.strings.split(x, ",")


def space_comma_split(x):
    """Test side: [s.replace(",", " ").split() for s in x]."""
    return tf.strings.split(tf.strings.strip(tf.strings.regex_replace(x, "[, ]+", " ")))


def generator(batches):
    for b in batches:
        yield b


class Batches(keras.utils.PyDataset):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        return self.batches[i]


def adapt_cases():
    cases = []

    def run(name, layer, data, source, steps=None, callables=(), probe=PROBE):
        layer.adapt(source, steps=steps)
        config = {k: v for k, v in layer.get_config().items() if k not in callables}
        cases.append({"name": name, "config": config, "callables": list(callables),
                      "batches": [value(b) for b in data], "steps": steps,
                      "vocabulary": [str(v) for v in layer.get_vocabulary()],
                      "probe": value(probe), "outputs": value(np.asarray(layer(probe)))})

    halves = [DOCS[:3], DOCS[3:]]
    run("generator_standardize", L.TextVectorization(standardize=html_lower, output_sequence_length=6,
                                                       name="generator_standardize"),
        halves, generator(halves), callables=("standardize",))
    thirds = [TAGS[:2].reshape(-1, 1), TAGS[2:4].reshape(-1, 1), TAGS[4:].reshape(-1, 1)]
    run("pydataset_split_steps", L.TextVectorization(split=comma_split, standardize="lower", output_mode="count",
                                                     name="pydataset_split_steps"),
        thirds, Batches(thirds), steps=2, callables=("split",), probe=TAG_PROBE)
    run("generator_both_tf_idf", L.TextVectorization(standardize=html_lower, split=space_comma_split,
                                                     output_mode="tf_idf", name="generator_both_tf_idf"),
        halves, generator(halves), callables=("standardize", "split"))
    return cases


def model_case():
    vocabulary = ["the", "cat", "dog", "a", "mat", "ate", "and", "on"]
    text = keras.Input(shape=(1,), dtype="string", name="text")
    vectorize = L.TextVectorization(standardize=html_lower, split=space_comma_split, vocabulary=vocabulary,
                                    output_sequence_length=5, name="vectorize")
    h = L.GlobalAveragePooling1D()(L.Embedding(len(vocabulary) + 2, 3, name="embedding")(vectorize(text)))
    model = keras.Model(text, L.Dense(1, name="dense")(h))
    rng = np.random.default_rng(14)
    weights = [rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    x = DOCS.reshape(-1, 1)
    y = np.array([[1.0], [0.0], [1.0], [0.5], [0.0], [1.0]], dtype=np.float32)
    xb = [x[:2], x[2:4], x[4:]]
    yb = [y[:2], y[2:4], y[4:]]
    # Keras's PyDataset and generator adapters refuse numpy string arrays: tf string tensors.
    tb = [tf.constant(b) for b in xb]
    predicted = model.predict(Batches([(b,) for b in tb]), verbose=0)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(generator(list(zip(tb, yb))), epochs=1, steps_per_epoch=3, verbose=0)
    loss = model.evaluate(Batches(list(zip(tb, yb))), verbose=0)
    return {"vocabulary": vocabulary, "weights": [value(w) for w in weights], "x_batches": [value(b) for b in xb],
            "y_batches": [value(b) for b in yb], "predicted": value(predicted),
            "trained": [value(w) for w in model.get_weights()], "loss": float(loss)}


def main():
    payload = {"adapt": adapt_cases(), "model": model_case()}
    with open(os.path.join(OUT, "text_vectorization_callables.json"), "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
