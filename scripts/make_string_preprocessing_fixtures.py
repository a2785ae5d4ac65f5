"""Writes the string-preprocessing fixtures (Hashing, StringLookup) from real Keras 3 with
TensorFlow, which these layers need in Keras:

    /work/venv-tf/bin/python scripts/make_string_preprocessing_fixtures.py

Tests/KerasTests/Fixtures/layers/preprocessing/{hashing,string_lookup}_*.json: each case holds the
layer's get_config(), its inputs (strings as {"shape", "strings"}, numbers as {"shape", "data"}),
adapt data where adapted, and Keras's outputs. Tests/KerasTests/Fixtures/saving/
string_preprocessing_model.{keras,h5,expected.json}: a functional model with Normalization
(adapted) on a numeric input and StringLookup (adapted: its vocabulary in the .keras assets) +
CategoryEncoding on a string input, trained two epochs.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

L = keras.layers
ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures")
OUT = os.path.join(ROOT, "layers", "preprocessing")
SAVING = os.path.join(ROOT, "saving")
RNG = np.random.default_rng(1414)


def value(a):
    a = np.asarray(a)
    if a.dtype.kind in "USO":
        return {"shape": list(a.shape), "strings": [str(s, "utf-8") if isinstance(s, bytes) else str(s) for s in a.reshape(-1)]}
    return {"shape": list(a.shape), "data": [float(v) for v in a.astype(np.float64).reshape(-1)]}


def write(name, payload):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")


def case(name, layer, x, adapt=None):
    if adapt is not None:
        layer.adapt(adapt)
    out = np.asarray(layer(x))
    payload = {"class_name": type(layer).__name__, "config": layer.get_config(),
               "inputs": [value(x)], "outputs": [value(out)]}
    if adapt is not None:
        payload["adapt"] = value(adapt)
        payload["vocabulary"] = [str(v) for v in layer.get_vocabulary()]
    write(name, payload)


# Strings of every FarmHash length class (0-16, 17-32, 33-64, > 64 bytes), non-ASCII included.
WORDS = ["", "a", "ab", "abc", "four", "hello", "keras3!", "eight888", "twelve chars", "sixteen bytes!!!",
         "seventeen bytes!!", "a string of twenty-nine bytes", "thirty-two bytes exactly, yes!!!",
         "a string that is longer than thirty-two bytes", "x" * 64, "y" * 65,
         "a rather long string that needs the 64-byte loop of farmhash twice over, at least" * 2,
         "naïve café", "日本語のテキスト", "emoji 🙂 ok"]


def hashing():
    x = np.array(WORDS).reshape(-1, 1)
    case("hashing_strings", L.Hashing(num_bins=1000, name="hashing_strings"), x)
    case("hashing_salt", L.Hashing(num_bins=997, salt=133, name="hashing_salt"), x)
    case("hashing_salt_pair", L.Hashing(num_bins=997, salt=[133, 137], name="hashing_salt_pair"), x)
    ints = np.array([[0, 1, 2, 3], [-1, 42, 1138, 1234567]], dtype="int64")
    case("hashing_ints", L.Hashing(num_bins=16, name="hashing_ints"), ints)
    case("hashing_mask_int", L.Hashing(num_bins=5, mask_value=0, output_mode="count", name="hashing_mask_int"), ints)
    masked = np.array([["", "a", "b"], ["c", "", "d"]])
    case("hashing_mask_string", L.Hashing(num_bins=4, mask_value="", name="hashing_mask_string"), masked)
    case("hashing_one_hot", L.Hashing(num_bins=6, output_mode="one_hot", name="hashing_one_hot"), np.array([["a"], ["b"], ["c"]]))
    case("hashing_multi_hot", L.Hashing(num_bins=6, output_mode="multi_hot", salt=[1, 2], name="hashing_multi_hot"), masked)


def string_lookup():
    vocab = ["a", "b", "c", "d"]
    x = np.array([["a", "c", "d"], ["d", "z", "b"]])
    xm = np.array([["a", "", "d"], ["d", "z", "zz"]])
    case("string_lookup", L.StringLookup(vocabulary=vocab, name="string_lookup"), x)
    case("string_lookup_mask", L.StringLookup(vocabulary=vocab, mask_token="", name="string_lookup_mask"), xm)
    oov = np.array([["a", "unknown", "other"], ["zebra", "b", "yak"], ["q", "r", "s"]])
    case("string_lookup_oov3", L.StringLookup(vocabulary=vocab, num_oov_indices=3, name="string_lookup_oov3"), oov)
    case("string_lookup_oov_salt", L.StringLookup(vocabulary=vocab, num_oov_indices=5, salt=7, name="string_lookup_oov_salt"), oov)
    case("string_lookup_multi_hot", L.StringLookup(vocabulary=vocab, output_mode="multi_hot", mask_token="",
                                                   name="string_lookup_multi_hot"), xm)
    case("string_lookup_count", L.StringLookup(vocabulary=vocab, output_mode="count", name="string_lookup_count"), x)
    case("string_lookup_one_hot", L.StringLookup(vocabulary=vocab, output_mode="one_hot", max_tokens=8, pad_to_max_tokens=True,
                                                 name="string_lookup_one_hot"), np.array(["a", "b", "z"]))
    case("string_lookup_tf_idf", L.StringLookup(vocabulary=vocab, idf_weights=[0.5, 0.25, 1.0, 2.0], output_mode="tf_idf",
                                                name="string_lookup_tf_idf"), x)
    data = np.array([["b", "b", "a"], ["c", "b", "a"], ["e", "d", "d"], ["é", "é", "b"]])
    case("string_lookup_adapt", L.StringLookup(max_tokens=6, name="string_lookup_adapt"), x, adapt=data)
    case("string_lookup_adapt_tf_idf", L.StringLookup(output_mode="tf_idf", name="string_lookup_adapt_tf_idf"), x, adapt=data)
    inverse = np.array([[1, 3, 4], [4, 0, 2]], dtype="int64")
    case("string_lookup_invert", L.StringLookup(vocabulary=vocab, invert=True, name="string_lookup_invert"), inverse)


def integer_lookup():
    """IntegerLookup's OOV buckets with num_oov_indices > 1: floormod (the default, negatives
    included), FarmHash of the decimal string (oov_method="farmhash"), SipHash with a salt."""
    vocab = [12, 36, 1138, 42]
    x = np.array([[12, -7, 1000], [5, 36, 12345678], [-1, 0, 99]], dtype="int64")  # exact in float32
    case("integer_lookup_oov3_floormod", L.IntegerLookup(vocabulary=vocab, num_oov_indices=3,
                                                         name="integer_lookup_oov3_floormod"), x)
    case("integer_lookup_oov3_farmhash", L.IntegerLookup(vocabulary=vocab, num_oov_indices=3, oov_method="farmhash",
                                                         name="integer_lookup_oov3_farmhash"), x)
    case("integer_lookup_oov5_salt", L.IntegerLookup(vocabulary=vocab, num_oov_indices=5, oov_method="farmhash", salt=[3, 9],
                                                     mask_token=0, name="integer_lookup_oov5_salt"), x)


def model():
    keras.utils.set_random_seed(3)
    n = 64
    num_data = RNG.normal(2.0, 3.0, size=(n, 3)).astype("float32")
    cities = np.array(["paris", "tokyo", "lima", "oslo", "cairo"])
    city_data = RNG.choice(cities, size=(n, 1))
    norm = L.Normalization(name="norm")
    norm.adapt(num_data)
    lookup = L.StringLookup(name="city_lookup", output_mode="one_hot")
    lookup.adapt(city_data[:48])
    num = keras.Input((3,), name="num")
    city = keras.Input((1,), dtype="string", name="city")
    h = L.Concatenate(name="features")([norm(num), lookup(city)])
    out = L.Dense(1, name="out")(L.Dense(4, activation="relu", name="hidden")(h))
    m = keras.Model([num, city], out, name="string_preprocessing_model")
    m.compile(optimizer="adam", loss="mse")
    import tensorflow as tf  # Keras's fit takes string arrays as tf tensors

    m.fit([num_data, tf.constant(city_data)], RNG.normal(size=(n, 1)), epochs=2, verbose=0)
    name = "string_preprocessing_model"
    m.save(os.path.join(SAVING, name + ".keras"))
    xs = [num_data[:6], np.array([["paris"], ["lima"], ["atlantis"], ["oslo"], ["cairo"], ["tokyo"]])]
    outs = np.asarray(m.predict([xs[0], tf.constant(xs[1])], verbose=0))
    with open(os.path.join(SAVING, name + ".expected.json"), "w") as f:
        json.dump({"inputs": [value(xs[0]), value(xs[1])], "outputs": [value(outs)],
                   "vocabulary": lookup.get_vocabulary()}, f)


def main():
    os.makedirs(OUT, exist_ok=True)
    for p in sys.argv[1:] or ["hashing", "string_lookup", "model"]:
        globals()[p]()


if __name__ == "__main__":
    main()
