"""keras.utils.FeatureSpace (keras.io's structured-data tutorial): the float features against
real Keras's own layers composed as Keras's FeatureSpace composes them (Keras's FeatureSpace,
its lookups and Discretization.adapt need TensorFlow, absent here), the categorical ones against
counted vocabularies, the dict output, the model built on get_inputs() saved and loaded, the
config in Keras's form, and the refusals (crosses without HashedCrossing, save, no adapt)."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras

FS = sk.utils.FeatureSpace


def _data(n=40):
    rng = np.random.RandomState(0)
    thal = np.array(["normal"] * 20 + ["fixed"] * 12 + ["reversible"] * 8)
    return {"age": (rng.rand(n) * 80).astype("float32"), "chol": (rng.rand(n) * 300).astype("float32"),
            "trestbps": (rng.rand(n) * 50 + 90).astype("float32"),
            "sex": np.array([1] * 25 + [0] * 15), "thal": thal[rng.permutation(n)]}


def test_float_features_match_keras_layers_composed_as_keras_does():
    keras = real_keras()
    data = _data()
    fs = FS(features={"age": FS.float_discretized(num_bins=4), "chol": "float_normalized",
                      "trestbps": FS.float_rescaled(scale=0.5, offset=1.0)}, output_mode="concat")
    fs.adapt({k: data[k] for k in ("age", "chol", "trestbps")})
    out = fs({k: data[k][:7] for k in ("age", "chol", "trestbps")})
    # Keras's Discretization.adapt needs TensorFlow: its binning on the boundaries ours learned
    boundaries = fs.preprocessors["age"].get_config()["bin_boundaries"]
    assert len(boundaries) == 3
    disc = keras.layers.Discretization(bin_boundaries=boundaries)
    norm = keras.layers.Normalization(axis=-1)
    norm.adapt(data["chol"].reshape(-1, 1))
    column = lambda k: data[k][:7].reshape(-1, 1)  # noqa: E731
    expected = np.concatenate([   # sorted by name: age, chol, trestbps
        np.asarray(keras.layers.CategoryEncoding(4, output_mode="multi_hot")(disc(column("age")))),
        np.asarray(norm(column("chol"))),
        np.asarray(keras.layers.Rescaling(0.5, 1.0)(column("trestbps")))], axis=-1)
    assert out.shape == (7, 6) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_categorical_features_one_hot_by_frequency_and_dict_output():
    data = _data()
    fs = FS(features={"thal": "string_categorical", "sex": FS.integer_categorical(output_mode="int"),
                      "ca": FS.integer_hashed(num_bins=4, output_mode="int"), "age": "float"},
            output_mode="dict")
    fs.adapt({**data, "ca": np.arange(40) % 3})
    out = fs({"thal": np.array(["fixed", "normal", "unseen"]), "sex": np.array([0, 1, 7]),
              "ca": np.array([0, 1, 2]), "age": np.array([1.5, 2.5, 3.5])})
    # the vocabulary by frequency after the OOV slot: normal (20), fixed (12), reversible (8)
    np.testing.assert_array_equal(out["thal"], [[0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(out["sex"], [[2], [1], [0]])   # 1 (25) before 0 (15)
    assert out["sex"].dtype == np.int64 and out["ca"].dtype == np.int64
    assert out["ca"].min() >= 0 and out["ca"].max() < 4
    np.testing.assert_allclose(out["age"], [[1.5], [2.5], [3.5]])
    single = fs({"thal": "fixed", "sex": 1, "ca": 0, "age": 2.0})   # one sample, unbatched
    assert single["thal"].shape == (4,) and single["sex"].tolist() == [1]


def test_model_on_the_raw_inputs_predicts_as_the_encoded_features_and_saves(tmp_path):
    data = _data()
    fs = FS(features={"age": FS.float_discretized(num_bins=3), "thal": "string_categorical",
                      "sex": "integer_categorical", "chol": "float_normalized"},
            output_mode="concat")
    fs.adapt(sk.utils.NumpyDataset([{k: v[:20] for k, v in data.items()},
                                    {k: v[20:] for k, v in data.items()}]))
    encoded = fs.get_encoded_features()
    assert tuple(encoded.shape) == (None, 3 + 4 + 3 + 1)
    dense = sk.layers.Dense(1, activation="sigmoid")
    inference = sk.Model(fs.get_inputs(), dense(encoded))
    head = sk.Input(shape=(11,))
    training = sk.Model(head, dense(head))
    training.compile("adam", "binary_crossentropy")
    training.fit(fs(data), data["sex"].astype("float32"), epochs=2, verbose=0)
    data.pop("trestbps")
    raw = {k: v[:6].reshape(-1, 1) for k, v in data.items()}
    np.testing.assert_allclose(inference.predict(raw, verbose=0),
                               training.predict(fs({k: v[:6] for k, v in data.items()}), verbose=0),
                               rtol=1e-5, atol=1e-6)
    inference.save(tmp_path / "m.keras")
    np.testing.assert_allclose(sk.models.load_model(tmp_path / "m.keras").predict(raw, verbose=0),
                               inference.predict(raw, verbose=0), rtol=1e-6)


def test_config_in_keras_form_and_back():
    keras = real_keras()
    features = {"a": "float_normalized", "b": "float_discretized", "c": "float",
                "d": "float_rescaled"}
    mine = FS(features=features, num_discretization_bins=4).get_config()
    theirs = keras.utils.FeatureSpace(features=features, num_discretization_bins=4).get_config()
    assert sorted(mine) == sorted(theirs)
    for name in features:
        m, t = mine["features"][name], theirs["features"][name]
        assert (m["class_name"], sorted(m["config"]), m["config"]["output_mode"],
                m["config"]["preprocessor"]["class_name"]) == \
            (t["class_name"], sorted(t["config"]), t["config"]["output_mode"],
             t["config"]["preprocessor"]["class_name"])
    back = FS.from_config(mine)
    assert type(back.preprocessors["b"]).__name__ == "Discretization"
    assert back.get_config()["features"]["b"] == mine["features"]["b"]
    back = FS.from_config(theirs)    # a config real Keras wrote
    assert sorted(back.features) == ["a", "b", "c", "d"]


def test_refusals_name_what_is_missing():
    with pytest.raises(NotImplementedError, match="HashedCrossing"):
        FS(features={"a": "integer_categorical", "b": "integer_categorical"},
           crosses=[FS.cross(("a", "b"), crossing_dim=8)])
    fs = FS(features={"a": "float_normalized"})
    with pytest.raises(ValueError, match="call `.adapt"):
        fs({"a": np.zeros(2)})
    with pytest.raises(NotImplementedError, match="FeatureSpace.save"):
        fs.save("x.keras")
    with pytest.raises(ValueError, match="Invalid feature type: floaty"):
        FS(features={"a": "floaty"})
    with pytest.raises(ValueError, match="Cannot concatenate features because feature 'a'"):
        FS(features={"a": FS.integer_categorical(output_mode="int")}).adapt({"a": np.arange(3)})
