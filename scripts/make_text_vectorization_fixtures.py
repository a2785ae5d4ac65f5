"""Writes the TextVectorization fixtures from real Keras 3 with TensorFlow, which the layer needs
in Keras:

    /work/venv-tf/bin/python scripts/make_text_vectorization_fixtures.py

Tests/KerasTests/Fixtures/layers/preprocessing/text_vectorization_*.json: each case as the
string-preprocessing fixtures (get_config(), inputs, adapt data and the adapted vocabulary where
adapted, Keras's outputs). Tests/KerasTests/Fixtures/saving/text_model.{keras,expected.json}: the
text-classification pattern (string Input -> TextVectorization adapted, its vocabulary in the
.keras assets -> Embedding -> GlobalAveragePooling1D -> Dense), trained two epochs; and
text_tf_idf_model: a tf_idf TextVectorization whose idf weights Keras keeps in the variables.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from make_string_preprocessing_fixtures import SAVING, case, keras, np, value  # noqa: E402

L = keras.layers
TV = L.TextVectorization

DOCS = ["The cat sat on the mat.", "The dog ate my homework!", "Cats and dogs, cats & DOGS...",
        "  leading\tand trailing\nwhitespace  ", "ÉCOLE Über naïve café", "don't stop-believing: it's (fine)",
        "a\u00a0non-breaking space", ""]
PROBE = np.array([["the cat ate the dog"], ["Über café, naïve!"], ["unknown words here"], [""],
                  ["the\tmat\nsat"]])


def cases():
    case("text_vectorization_docs", TV(max_tokens=5000, output_mode="int", output_sequence_length=4,
                                       name="text_vectorization_docs"),
         np.array([["foo qux bar"], ["qux baz"]]), adapt=["foo bar", "bar baz", "baz bada boom"])
    case("text_vectorization_vocab", TV(output_mode="int", output_sequence_length=6,
                                        vocabulary=["earth", "wind", "and", "fire"], name="text_vectorization_vocab"),
         np.array([["Earth, Wind & Fire"], ["fire and water"]]))
    case("text_vectorization_adapt", TV(name="text_vectorization_adapt"), PROBE, adapt=DOCS)
    case("text_vectorization_rank1", TV(max_tokens=8, name="text_vectorization_rank1"), PROBE.reshape(-1),
         adapt=np.array(DOCS))
    case("text_vectorization_lower", TV(standardize="lower", output_sequence_length=7, name="text_vectorization_lower"),
         PROBE, adapt=DOCS)
    case("text_vectorization_strip", TV(standardize="strip_punctuation", name="text_vectorization_strip"), PROBE, adapt=DOCS)
    case("text_vectorization_raw", TV(standardize=None, name="text_vectorization_raw"), PROBE, adapt=DOCS)
    case("text_vectorization_character", TV(split="character", ngrams=2, name="text_vectorization_character"),
         np.array([["héllo"], ["Wörld!"], ["ab"]]), adapt=["héllo wörld", "hello world", "ab ba"])
    case("text_vectorization_ngrams", TV(ngrams=(1, 3), output_mode="count", max_tokens=20, pad_to_max_tokens=True,
                                         name="text_vectorization_ngrams"), PROBE, adapt=DOCS)
    case("text_vectorization_multi_hot", TV(output_mode="multi_hot", name="text_vectorization_multi_hot"), PROBE, adapt=DOCS)
    case("text_vectorization_tf_idf", TV(output_mode="tf_idf", name="text_vectorization_tf_idf"), PROBE, adapt=DOCS)
    case("text_vectorization_tf_idf_vocab", TV(output_mode="tf_idf", vocabulary=["the", "cat", "dog", "mat"],
                                               idf_weights=[0.1, 1.5, 2.0, 0.7], name="text_vectorization_tf_idf_vocab"),
         PROBE)
    case("text_vectorization_no_split", TV(split=None, standardize=None, vocabulary=["new york", "paris", "Tokyo"],
                                           name="text_vectorization_no_split"),
         np.array([["new york", "Tokyo"], ["tokyo", ""], ["paris", "lima"]]))


def model():
    keras.utils.set_random_seed(5)
    good = ["great fun film", "loved it", "a wonderful story", "great acting, great fun", "wonderful!"]
    bad = ["boring film", "hated it", "a dull story", "terrible acting", "dull and boring"]
    texts = np.array([good[i % 5] if i % 2 == 0 else bad[i % 5] for i in range(40)])
    labels = np.array([[1.0] if i % 2 == 0 else [0.0] for i in range(40)], dtype="float32")
    vectorize = TV(max_tokens=30, output_mode="int", output_sequence_length=6, name="vectorize")
    vectorize.adapt(texts)
    inputs = keras.Input(shape=(1,), dtype="string", name="text")
    h = L.Embedding(30, 4, name="embedding")(vectorize(inputs))
    h = L.GlobalAveragePooling1D(name="pool")(h)
    m = keras.Model(inputs, L.Dense(1, activation="sigmoid", name="out")(h), name="text_model")
    m.compile(optimizer="adam", loss="binary_crossentropy")
    import tensorflow as tf  # Keras's fit takes string arrays as tf tensors

    m.fit(tf.constant(texts[:, None]), labels, epochs=2, batch_size=8, verbose=0)
    probe = np.array([["great story"], ["boring and dull"], ["never seen words"], ["Loved it!"]])
    outs = np.asarray(m.predict(tf.constant(probe), verbose=0))
    m.save(os.path.join(SAVING, "text_model.keras"))
    with open(os.path.join(SAVING, "text_model.expected.json"), "w") as f:
        json.dump({"inputs": [value(probe)], "outputs": [value(outs)], "vocabulary": vectorize.get_vocabulary()}, f)


def model_tf_idf():
    """A tf_idf TextVectorization adapted with pad_to_max_tokens: its vocabulary in the assets,
    its idf weights in the layer's variables (`idf_weights`)."""
    keras.utils.set_random_seed(6)
    vectorize = TV(max_tokens=16, output_mode="tf_idf", pad_to_max_tokens=True, name="tfidf")
    vectorize.adapt(np.array(DOCS))
    inputs = keras.Input(shape=(1,), dtype="string", name="text")
    m = keras.Model(inputs, L.Dense(2, name="out")(vectorize(inputs)), name="text_tf_idf_model")
    import tensorflow as tf

    outs = np.asarray(m.predict(tf.constant(PROBE), verbose=0))
    m.save(os.path.join(SAVING, "text_tf_idf_model.keras"))
    with open(os.path.join(SAVING, "text_tf_idf_model.expected.json"), "w") as f:
        json.dump({"inputs": [value(PROBE)], "outputs": [value(outs)], "vocabulary": vectorize.get_vocabulary()}, f)


def main():
    for p in sys.argv[1:] or ["cases", "model", "model_tf_idf"]:
        globals()[p]()


if __name__ == "__main__":
    main()
