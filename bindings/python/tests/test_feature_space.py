"""keras.utils.FeatureSpace (keras.io's structured-data tutorial): the float features against
real Keras's own layers composed as Keras's FeatureSpace composes them (Keras's FeatureSpace,
its lookups and Discretization.adapt need TensorFlow, absent here), the categorical ones against
counted vocabularies, the dict output, the model built on get_inputs() saved and loaded, the
config in Keras's form, crosses (HashedCrossing of the preprocessed features), save and
load_model, keras.io's structured-data tutorial (a training model whose input is the encoded
features, an inference model on the raw ones), and the refusals (no adapt, bad features)."""

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
    with pytest.raises(ValueError, match="Received unknown features: \\('a', 'c'\\)"):
        FS(features={"a": "integer_categorical", "b": "integer_categorical"}, crosses=[("a", "c")])
    with pytest.raises(ValueError, match="`crossing_dim`"):
        FS(features={"a": "integer_categorical", "b": "integer_categorical"},
           crosses=[("a", "b")], crossing_dim=None)
    fs = FS(features={"a": "float_normalized"})
    with pytest.raises(ValueError, match="call `.adapt"):
        fs({"a": np.zeros(2)})
    with pytest.raises(ValueError, match="call `.adapt"):
        fs.save("x.keras")
    with pytest.raises(ValueError, match="Invalid feature type: floaty"):
        FS(features={"a": "floaty"})
    with pytest.raises(ValueError, match="Cannot concatenate features because feature 'a'"):
        FS(features={"a": FS.integer_categorical(output_mode="int")}).adapt({"a": np.arange(3)})


def _crossed_space(**kwargs):
    return FS(features={"sex": FS.integer_categorical(num_oov_indices=0),
                        "age": FS.float_discretized(num_bins=5), "thal": "string_categorical",
                        "chol": "float_normalized"},
              crosses=[FS.cross(("sex", "age"), crossing_dim=16), ("thal", "sex")], crossing_dim=8,
              **kwargs)


def test_crosses_hash_the_preprocessed_features():
    data = _data()
    fs = _crossed_space(output_mode="dict")
    fs.adapt(data)
    out = fs({k: v for k, v in data.items() if k != "trestbps"})
    assert sorted(out) == ["age", "chol", "sex", "sex_X_age", "thal", "thal_X_sex"]
    # Each cross: HashedCrossing (num_bins = its crossing_dim) of its features' preprocessed
    # values, one-hot encoded, as Keras's _cross_features and _merge_features compose it.
    pre = {k: np.asarray(fs.preprocessors[k](data[k].reshape(-1, 1))) for k in ("sex", "age", "thal")}
    for name, (a, b), dim in (("sex_X_age", ("sex", "age"), 16), ("thal_X_sex", ("thal", "sex"), 8)):
        assert fs.crossers[name].num_bins == dim
        hashed = np.asarray(sk.layers.HashedCrossing(num_bins=dim)([pre[a], pre[b]])).astype(int)
        np.testing.assert_array_equal(out[name], np.eye(dim)[hashed[:, 0]])
    assert fs.get_config()["crosses"][0] == {
        "module": "keras.src.layers.preprocessing.feature_space", "class_name": "Cross",
        "config": {"feature_names": ("sex", "age"), "crossing_dim": 16, "output_mode": "one_hot"},
        "registered_name": "Cross"}
    assert FS.from_config(fs.get_config()).crosses_by_name["thal_X_sex"].crossing_dim == 8


def test_save_and_load_model_give_the_same_feature_space(tmp_path):
    data = _data()
    data.pop("trestbps")
    fs = _crossed_space()
    fs.adapt(data)
    fs.save(tmp_path / "fs.keras")
    back = sk.models.load_model(tmp_path / "fs.keras")
    assert type(back) is FS and sorted(back.crosses_by_name) == ["sex_X_age", "thal_X_sex"]
    np.testing.assert_array_equal(back(data), fs(data))
    np.testing.assert_array_equal(back({k: v[3] for k, v in data.items()}), fs(data)[3])
    # Keras's config.json: its class and module, the features and crosses as Keras writes them.
    import json
    import zipfile
    with zipfile.ZipFile(tmp_path / "fs.keras") as z:
        saved = json.loads(z.read("config.json"))
    assert (saved["module"], saved["class_name"]) == ("keras.utils", "FeatureSpace")
    assert json.loads(json.dumps(fs.get_config()))["crosses"] == saved["config"]["crosses"]
    with pytest.raises(ValueError, match="`.keras` extension"):
        fs.save(tmp_path / "fs.h5")


def test_structured_data_tutorial_end_to_end():
    """keras.io examples/structured_data/structured_data_classification_with_feature_space.py
    as written from `FeatureSpace(...)` on (only the import differs; its tf.data pipeline of
    the heart-disease CSV is a dict of arrays of the CSV's columns here, batched by fit)."""
    keras = sk
    from swiftkeras.utils import FeatureSpace
    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(1)
    n = 240
    train = {"age": rng.randint(29, 77, n).astype("float32"), "sex": rng.randint(0, 2, n),
             "cp": rng.randint(0, 5, n), "trestbps": rng.randint(94, 200, n).astype("float32"),
             "chol": rng.randint(126, 564, n).astype("float32"), "fbs": rng.randint(0, 2, n),
             "restecg": rng.randint(0, 3, n), "thalach": rng.randint(71, 202, n).astype("float32"),
             "exang": rng.randint(0, 2, n), "oldpeak": (rng.rand(n) * 6.2).astype("float32"),
             "slope": rng.randint(1, 4, n).astype("float32"), "ca": rng.randint(0, 4, n),
             "thal": rng.choice(["fixed", "normal", "reversible"], n)}
    target = ((train["sex"] + train["exang"] + (train["thal"] == "reversible")) >= 2).astype("float32")

    feature_space = FeatureSpace(
        features={
            "sex": FeatureSpace.integer_categorical(num_oov_indices=0),
            "cp": FeatureSpace.integer_categorical(num_oov_indices=0),
            "fbs": FeatureSpace.integer_categorical(num_oov_indices=0),
            "restecg": FeatureSpace.integer_categorical(num_oov_indices=0),
            "exang": FeatureSpace.integer_categorical(num_oov_indices=0),
            "ca": FeatureSpace.integer_categorical(num_oov_indices=0),
            "thal": FeatureSpace.string_categorical(num_oov_indices=0),
            "age": FeatureSpace.float_discretized(num_bins=30),
            "trestbps": FeatureSpace.float_normalized(),
            "chol": FeatureSpace.float_normalized(),
            "thalach": FeatureSpace.float_normalized(),
            "oldpeak": FeatureSpace.float_normalized(),
            "slope": FeatureSpace.float_normalized(),
        },
        crosses=[
            FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64),
            FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=16),
        ],
        output_mode="concat",
    )
    feature_space.adapt(train)
    preprocessed_x = feature_space({k: v[:32] for k, v in train.items()})
    assert preprocessed_x.shape == (32, 2 + 5 + 2 + 3 + 2 + 4 + 3 + 30 + 5 + 64 + 16)
    assert preprocessed_x.dtype == np.float32

    dict_inputs = feature_space.get_inputs()
    encoded_features = feature_space.get_encoded_features()

    x = keras.layers.Dense(32, activation="relu")(encoded_features)
    x = keras.layers.Dropout(0.5)(x)
    predictions = keras.layers.Dense(1, activation="sigmoid")(x)

    training_model = keras.Model(inputs=encoded_features, outputs=predictions)
    training_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

    inference_model = keras.Model(inputs=dict_inputs, outputs=predictions)

    history = training_model.fit(feature_space(train), target, batch_size=32, epochs=20,
                                 validation_split=0.2, verbose=0)
    # the target is a rule of three features (chance: 0.58)
    assert history.history["accuracy"][-1] > 0.8

    sample = {"age": 60, "sex": 1, "cp": 1, "trestbps": 145, "chol": 233, "fbs": 1, "restecg": 2,
              "thalach": 150, "exang": 0, "oldpeak": 2.3, "slope": 3, "ca": 0, "thal": "fixed"}
    input_dict = {name: np.array([value]) for name, value in sample.items()}
    predictions = inference_model.predict(input_dict, verbose=0)
    # The end-to-end model shares the training model's layers: the same prediction.
    np.testing.assert_allclose(predictions, training_model.predict(
        feature_space(input_dict), verbose=0), rtol=1e-5)
    assert 0 <= predictions[0][0] <= 1
