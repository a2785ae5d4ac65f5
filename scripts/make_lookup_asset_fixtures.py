"""Writes a .keras file from real Keras 3 (with TensorFlow, which its lookup layers need) whose
adapted IntegerLookup and tf_idf StringLookup keep their vocabularies in the assets:

    /work/venv-tf/bin/python scripts/make_lookup_asset_fixtures.py

Tests/KerasTests/Fixtures/saving/lookup_assets_model.{keras,expected.json}: an int Input ->
IntegerLookup (adapted, multi_hot) and a string Input -> StringLookup (adapted, tf_idf; its idf
weights in the variables) -> Concatenate -> Dense; inputs, Keras's outputs and vocabularies.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from make_string_preprocessing_fixtures import SAVING, keras, np, value  # noqa: E402


def main():
    import tensorflow as tf
    keras.utils.set_random_seed(5)
    L = keras.layers
    ids = L.IntegerLookup(output_mode="multi_hot", name="ids")
    ids.adapt(np.array([[7], [3], [7], [5], [7], [3], [11]]))
    words = L.StringLookup(output_mode="tf_idf", name="words")
    words.adapt(tf.constant([["b", "a"], ["b", "c"], ["b", "b"], ["d", "a"]]))
    i = keras.Input(shape=(2,), dtype="int64", name="i")
    w = keras.Input(shape=(2,), dtype="string", name="w")
    out = L.Dense(1, name="out")(L.Concatenate(name="merge")([ids(i), words(w)]))
    m = keras.Model([i, w], out, name="lookup_assets_model")
    name = "lookup_assets_model"
    m.save(os.path.join(SAVING, name + ".keras"))
    xs = [np.array([[3, 9], [5, 7], [11, 11]]), np.array([["a", "zz"], ["b", "b"], ["d", "c"]])]
    outs = np.asarray(m.predict([xs[0], tf.constant(xs[1])], verbose=0))
    with open(os.path.join(SAVING, name + ".expected.json"), "w") as f:
        json.dump({"inputs": [value(xs[0]), value(xs[1])], "outputs": [value(outs)],
                   "ids_vocabulary": [int(v) for v in ids.get_vocabulary()],
                   "words_vocabulary": words.get_vocabulary()}, f)


if __name__ == "__main__":
    main()
