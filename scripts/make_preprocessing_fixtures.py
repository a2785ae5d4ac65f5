"""Writes the preprocessing-layer fixtures from real Keras 3 (JAX backend).

Tests/KerasTests/Fixtures/layers/preprocessing/*.json: each case holds the layer's get_config(),
the inputs and Keras's outputs; adapted layers also hold the adapt data and the adapted state.
Image layers: Resizing and CenterCrop at inference; the random augmentations in training with
factors of one value (lower == upper), so that Keras's output is deterministic and equal here
although the random generators differ (their random draws are checked by statistics in Swift).
Tests/KerasTests/Fixtures/saving/: a model with Normalization (adapted) + CategoryEncoding written
by Keras (.keras, .h5), as make_saving_fixtures.py writes them.

Keras 3 needs TensorFlow for IntegerLookup and for Discretization.adapt; TensorFlow is not
installed here, so for those the expected values are computed in this script: Discretization's
boundaries with Keras's own numpy functions (summarize, merge_summaries, get_bin_boundaries from
keras.src.layers.preprocessing.discretization, the path adapt() takes for an array), and
IntegerLookup's outputs with the rules of keras.src.layers.preprocessing.index_lookup (vocabulary
sorted by count then token, both descending; OOV index oov_start + floormod(x, num_oov_indices);
the mask token maps to 0 in int mode and counts nowhere in the other modes), written out below.

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_preprocessing_fixtures.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.layers.preprocessing import discretization as kd  # noqa: E402

import make_layer_fixtures as lf  # noqa: E402
import make_saving_fixtures as sf  # noqa: E402

L = keras.layers
FAMILY = "preprocessing"
RNG = np.random.default_rng(14)


def case(name, layer, x, **extra):
    out = layer(x, training=False)
    payload = {"class_name": type(layer).__name__, "config": layer.get_config(),
               "inputs": [lf.array(x)], "outputs": [lf.array(out)], **extra}
    lf.write(f"{FAMILY}/{name}", payload)


def normalization():
    x = RNG.normal(2.0, 3.0, size=(6, 3)).astype("float32")
    data = RNG.normal(-1.0, 2.5, size=(40, 3)).astype("float32")
    layer = L.Normalization(name="normalization")
    layer.adapt(data)
    case("normalization_adapt", layer, x, adapt=lf.array(data), weights=[lf.array(w) for w in layer.get_weights()])
    layer = L.Normalization(axis=None, name="normalization_none")
    layer.adapt(data)
    case("normalization_axis_none", layer, x, adapt=lf.array(data), weights=[lf.array(w) for w in layer.get_weights()])
    x3 = RNG.normal(size=(4, 2, 3)).astype("float32")
    data3 = RNG.normal(1.0, 2.0, size=(30, 2, 3)).astype("float32")
    layer = L.Normalization(axis=(1, 2), name="normalization_axes")
    layer.adapt(data3)
    case("normalization_axes", layer, x3, adapt=lf.array(data3), weights=[lf.array(w) for w in layer.get_weights()])
    layer = L.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 0.25, 9.0], name="normalization_given")
    case("normalization_given", layer, x)
    layer = L.Normalization(axis=None, mean=2.0, variance=3.0, invert=True, name="normalization_invert")
    case("normalization_invert", layer, x)
    layer = L.Normalization(mean=[[1.0, 2.0], [3.0, 4.0]], variance=[[1.0, 4.0], [9.0, 16.0]], axis=(1, 2),
                            name="normalization_nested")
    case("normalization_nested", layer, RNG.normal(size=(3, 2, 2)).astype("float32"))


def category_encoding():
    x = np.array([[0, 1, 1], [3, 3, 2], [2, 0, 0], [1, 1, 1]], dtype="float32")
    for mode in ["one_hot", "multi_hot", "count"]:
        xs = x[:, :1] if mode == "one_hot" else x
        case(f"category_encoding_{mode}", L.CategoryEncoding(num_tokens=5, output_mode=mode,
                                                              name=f"category_encoding_{mode}"), xs)
    case("category_encoding_one_hot_flat", L.CategoryEncoding(num_tokens=4, output_mode="one_hot",
                                                               name="category_encoding_flat"), x[:, 0])


def discretization():
    x = np.array([[-1.5, 0.0, 0.5], [1.0, 2.5, 10.0]], dtype="float32")
    for mode in ["int", "one_hot", "multi_hot", "count"]:
        xs = x[:, :1] if mode == "one_hot" else x
        case(f"discretization_{mode}", L.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode,
                                                         name=f"discretization_{mode}"), xs)
    # adapt: Keras's array path (update_state + finalize_state) with its own numpy functions.
    for num_bins, epsilon, n in [(4, 0.01, 1000), (3, 0.1, 57), (5, 0.01, 30)]:
        data = RNG.normal(size=(n, 2)).astype("float32")
        summary = kd.merge_summaries(kd.summarize(np.array(data).astype("float32"), epsilon),
                                     np.array([[], []], dtype="float32"), epsilon)
        bounds = kd.get_bin_boundaries(summary, num_bins).tolist()
        layer = L.Discretization(num_bins=num_bins, epsilon=epsilon, name=f"discretization_adapt_{num_bins}")
        layer.bin_boundaries = bounds  # what finalize_state sets
        xs = RNG.normal(size=(4, 2)).astype("float32")
        case(f"discretization_adapt_{num_bins}", layer, xs, adapt=lf.array(data), bin_boundaries=bounds)


def lookup_expected(tokens, x, *, num_oov=1, mask=None, oov=-1, mode="int", invert=False, max_tokens=None, pad=False):
    """IntegerLookup's outputs by index_lookup.py's rules (TensorFlow is not installed)."""
    oov_start = 1 if mask is not None and mode == "int" else 0
    start = oov_start + num_oov
    index = {t: i + start for i, t in enumerate(tokens)}
    out = np.zeros(x.shape, dtype=np.int64)
    for pos, v in np.ndenumerate(x.astype(np.int64)):
        if invert:
            out[pos] = mask if (mask is not None and v == 0) else (tokens[v - start] if 0 <= v - start < len(tokens) else oov)
        elif mask is not None and v == mask:
            out[pos] = 0 if mode == "int" else -1
        elif v in index:
            out[pos] = index[v]
        else:
            out[pos] = oov_start + (v % num_oov)
    if mode == "int":
        return out.astype("float32")
    depth = max_tokens if pad else start + len(tokens)
    enc = L.CategoryEncoding(num_tokens=depth + 1, output_mode=mode)
    return np.asarray(enc(np.where(out < 0, depth, out).astype("float32")))[..., :depth]


def lookup_config(name, **kw):
    """IntegerLookup.get_config() as index_lookup.py writes it."""
    vocab = kw.get("vocabulary")
    oov_start = 1 if kw.get("mask_token") is not None and kw.get("output_mode", "int") == "int" else 0
    config = {"name": name, "trainable": True,
              "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None},
              "invert": kw.get("invert", False), "max_tokens": kw.get("max_tokens"),
              "num_oov_indices": kw.get("num_oov_indices", 1), "oov_token": kw.get("oov_token", -1),
              "mask_token": kw.get("mask_token"), "output_mode": kw.get("output_mode", "int"), "sparse": False,
              "pad_to_max_tokens": kw.get("pad_to_max_tokens", False), "vocabulary_dtype": "int64",
              "idf_weights": None, "vocabulary": vocab,
              "vocabulary_size": oov_start + kw.get("num_oov_indices", 1) + len(kw["tokens"]),
              "oov_method": "floormod", "salt": None}
    return config


def integer_lookup():
    vocab = [12, 36, 1138, 42]
    x = np.array([[12, 1138, 42], [42, 1000, 36], [7, 0, 12]], dtype="float32")
    cases = [
        ("integer_lookup", dict(vocabulary=vocab), {}),
        ("integer_lookup_mask", dict(vocabulary=vocab, mask_token=0), dict(mask=0)),
        ("integer_lookup_oov2", dict(vocabulary=vocab, num_oov_indices=2), dict(num_oov=2)),
        ("integer_lookup_invert", dict(vocabulary=vocab, invert=True), dict(invert=True)),
        ("integer_lookup_multi_hot", dict(vocabulary=vocab, output_mode="multi_hot", mask_token=0),
         dict(mode="multi_hot", mask=0)),
        ("integer_lookup_count", dict(vocabulary=vocab, output_mode="count"), dict(mode="count")),
        ("integer_lookup_one_hot", dict(vocabulary=vocab, output_mode="one_hot", max_tokens=8, pad_to_max_tokens=True),
         dict(mode="one_hot", max_tokens=8, pad=True)),
    ]
    for name, kw, ex in cases:
        xs = np.array([[1, 5, 2, 0, 3]], dtype="float32").T if ex.get("invert") else (x[:, :1] if ex.get("mode") == "one_hot" else x)
        expected = lookup_expected(vocab, xs, num_oov=kw.get("num_oov_indices", 1), **{k: v for k, v in ex.items() if k != "num_oov"})
        config = lookup_config(name, tokens=vocab, **kw)
        lf.write(f"{FAMILY}/{name}", {"class_name": "IntegerLookup", "config": config,
                                      "inputs": [lf.array(xs)], "outputs": [lf.array(expected)]})
    # adapt: counts 5×7, 3×3, 3×9, 2×4, 1×100, mask 0 and OOV -1 dropped; max_tokens 5 → 4 tokens.
    data = np.array([7] * 5 + [3] * 3 + [9] * 3 + [4] * 2 + [100, 0, 0, -1], dtype="float32").reshape(-1, 1)
    tokens = [7, 9, 3, 4]
    xs = np.array([[7, 9, 3], [4, 100, 0]], dtype="float32")
    lf.write(f"{FAMILY}/integer_lookup_adapt", {
        "class_name": "IntegerLookup", "adapt": lf.array(data), "vocabulary": [-1] + tokens,
        "inputs": [lf.array(xs)], "outputs": [lf.array(lookup_expected(tokens, xs))]})


def image_case(name, layer, x, training=False):
    out = layer(x, training=training)
    lf.write(f"{FAMILY}/{name}", {"class_name": type(layer).__name__, "config": layer.get_config(),
                                  "training": training, "inputs": [lf.array(x)], "outputs": [lf.array(out)]})


def images():
    img = RNG.uniform(0, 255, size=(2, 6, 7, 3)).astype("float32")
    small = RNG.uniform(0, 255, size=(2, 4, 5, 2)).astype("float32")
    image_case("resizing_up", L.Resizing(9, 11, name="resizing_up"), small)
    image_case("resizing_down", L.Resizing(3, 4, name="resizing_down"), img)
    image_case("resizing_nearest", L.Resizing(4, 9, interpolation="nearest", name="resizing_nearest"), img)
    image_case("resizing_crop", L.Resizing(5, 5, crop_to_aspect_ratio=True, name="resizing_crop"), img)
    image_case("resizing_channels_first", L.Resizing(3, 8, data_format="channels_first", name="resizing_cf"),
               np.transpose(img, (0, 3, 1, 2)).copy())
    image_case("resizing_single", L.Resizing(5, 3, name="resizing_single"), img[0])
    image_case("center_crop", L.CenterCrop(3, 4, name="center_crop"), img)
    image_case("center_crop_small", L.CenterCrop(5, 8, name="center_crop_small"), small)
    for mode in ["reflect", "wrap", "constant", "nearest"]:
        image_case(f"random_rotation_{mode}", L.RandomRotation((0.1, 0.1), fill_mode=mode, fill_value=7.0,
                                                               name=f"random_rotation_{mode}"), img, training=True)
    image_case("random_rotation_nearest_interp", L.RandomRotation((-0.2, -0.2), interpolation="nearest",
                                                                  name="random_rotation_ni"), img, training=True)
    image_case("random_zoom", L.RandomZoom((0.3, 0.3), (-0.2, -0.2), name="random_zoom"), img, training=True)
    image_case("random_zoom_same", L.RandomZoom((-0.25, -0.25), fill_mode="constant", name="random_zoom_same"),
               img, training=True)
    image_case("random_translation", L.RandomTranslation((0.2, 0.2), (-0.3, -0.3), fill_mode="constant",
                                                         fill_value=1.5, name="random_translation"), img, training=True)
    image_case("random_translation_wrap", L.RandomTranslation((-0.4, -0.4), (0.15, 0.15), fill_mode="wrap",
                                                              name="random_translation_wrap"), img, training=True)
    image_case("random_contrast", L.RandomContrast((-0.3, 0.3), name="random_contrast"), img, training=True)
    image_case("random_brightness", L.RandomBrightness((0.1, 0.1), name="random_brightness"), img, training=True)
    image_case("random_brightness_range", L.RandomBrightness((-0.5, -0.5), value_range=(1.0, -1.0),
                                                             name="random_brightness_range"), img / 127.5 - 1, training=True)
    layers = [L.RandomFlip(name="random_flip"), L.RandomFlip("horizontal", seed=4, name="random_flip_h"),
              L.RandomCrop(3, 3, seed=5, name="random_crop"), L.RandomRotation(0.1, name="random_rotation"),
              L.RandomZoom(0.1, name="random_zoom_cfg"), L.RandomTranslation(0.1, 0.2, name="random_translation_cfg"),
              L.RandomContrast(0.2, name="random_contrast_cfg"), L.RandomBrightness(0.2, name="random_brightness_cfg")]
    lf.write(f"{FAMILY}/image_configs", {"layers": [{"class_name": type(l).__name__, "config": l.get_config()} for l in layers]})


def preprocessing_model():
    norm = L.Normalization(name="norm")
    data = RNG.normal(3.0, 2.0, size=(64, 3)).astype("float32")
    norm.adapt(data)
    num = keras.Input((3,), name="num")
    cat = keras.Input((2,), name="cat")
    h = L.Concatenate(name="cat_all")([norm(num), L.CategoryEncoding(num_tokens=4, output_mode="multi_hot", name="enc")(cat)])
    m = keras.Model([num, cat], L.Dense(1, name="out")(L.Dense(4, activation="relu", name="hidden")(h)), name="preprocessing_model")
    m.compile(optimizer="adam", loss="mse")
    c = RNG.integers(0, 4, size=(64, 2)).astype("float32")
    m.fit([data, c], RNG.normal(size=(64, 1)), epochs=2, verbose=0)
    return m, [data[:5], c[:5]]


def saving():
    keras.utils.set_random_seed(1)
    name = "preprocessing_model"
    model, inputs = preprocessing_model()
    model.save(os.path.join(sf.OUT, name + ".keras"))
    with open(os.path.join(sf.OUT, name + ".json"), "w") as f:
        f.write(model.to_json())
    sf.expected(name, model, inputs)
    model.save(os.path.join(sf.OUT, name + ".h5"))


def main():
    os.makedirs(os.path.join(lf.OUT, FAMILY), exist_ok=True)
    parts = sys.argv[1:] or ["normalization", "category_encoding", "discretization", "integer_lookup", "images", "saving"]
    for p in parts:
        globals()[p]()


if __name__ == "__main__":
    main()
