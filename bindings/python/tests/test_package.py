"""The parts of swiftkeras that need no library: configs, utils, data sets, errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import needs, real_keras

import swiftkeras as keras
from swiftkeras import activations, backend as K, layers, losses, optimizers, utils
from swiftkeras.layers import Activation, Dense
from swiftkeras.models import Sequential

PKG = Path(__file__).resolve().parents[1]


def test_to_categorical_matches_keras():
    y = np.array([0, 2, 1, 2])
    out = utils.to_categorical(y)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.float32)[y])
    assert utils.to_categorical(y.reshape(-1, 1), num_classes=5).shape == (4, 5)
    with pytest.raises(ValueError, match="out of range"):
        utils.to_categorical([3], num_classes=2)


def test_normalize_l2_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])


def test_custom_object_scope_nests_and_unwinds():
    def mean_pred(y_true, y_pred):
        return K.mean(y_pred)

    # A name of the scope's own: a function compiled as a metric elsewhere in the process is
    # registered globally under its name (the library calls it back), "mean_pred" included.
    from swiftkeras._objects import custom_objects_in_scope
    with utils.CustomObjectScope({"scoped_mean_pred": mean_pred}):
        assert custom_objects_in_scope()["scoped_mean_pred"] is mean_pred
        with utils.custom_object_scope({"other": len}):
            assert set(custom_objects_in_scope()) >= {"scoped_mean_pred", "other"}
        assert "other" not in custom_objects_in_scope()
    assert "scoped_mean_pred" not in custom_objects_in_scope()
    with pytest.raises(TypeError):
        utils.CustomObjectScope(["not a dict"])


def test_register_keras_serializable_names_package_and_name():
    @utils.register_keras_serializable(package="Tests")
    def my_act(x):
        return x

    assert utils.get_registered_object("Tests>my_act") is my_act
    assert my_act._registered_name == "Tests>my_act"


def test_activation_attribute_is_the_same_object_for_names_functions_and_backend():
    d = Dense(64, input_shape=(32,), activation="tanh")
    a = Activation("tanh")
    k = Dense(64, activation=K.tanh)
    assert d.activation == a.activation == k.activation == activations.tanh
    assert Dense(3).activation is activations.linear


def test_builtin_activations_match_keras_on_numpy():
    x = np.linspace(-3, 3, 13, dtype=np.float32).reshape(1, -1)
    np.testing.assert_allclose(activations.relu(x), np.maximum(x, 0))
    np.testing.assert_allclose(activations.softmax(x).sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(activations.sigmoid(0.0), 0.5)
    np.testing.assert_allclose(activations.selu(x)[0, -1], 1.0507009873554805 * 3, rtol=1e-6)


def test_input_shape_forms_of_the_first_layer():
    m = Sequential()
    m.add(Dense(32, input_shape=(784,)))
    assert m.input_shape == (None, 784)
    m = Sequential()
    m.add(Dense(32, input_dim=784))
    assert m.input_shape == (None, 784)
    m = Sequential()
    m.add(Dense(32, batch_size=32, input_shape=(6, 8)))
    assert m.input_shape == (32, 6, 8)
    m = Sequential([Dense(5, input_dim=2), Dense(1)])
    assert len(m.layers) == 2


def test_sequential_config_is_keras_shaped():
    m = Sequential([Dense(16, activation="relu", input_shape=(8,)), Dense(2, activation="sigmoid")])
    cfg = json.loads(m.to_json())
    assert cfg["class_name"] == "Sequential"
    ls = cfg["config"]["layers"]
    assert [e["class_name"] for e in ls] == ["InputLayer", "Dense", "Dense"]
    assert ls[0]["config"]["batch_shape"] == [None, 8]
    assert ls[1]["config"]["units"] == 16 and ls[1]["config"]["activation"] == "relu"
    assert cfg["config"]["build_input_shape"] == [None, 8]


def test_functional_config_is_keras_shaped():
    inp = layers.Input(shape=(8,))
    hidden = Dense(16, activation="relu")(inp)
    out = Dense(2, activation="sigmoid")(hidden)
    m = keras.Model(inputs=inp, outputs=out)
    cfg = json.loads(m.to_json())["config"]
    names = [e["name"] for e in cfg["layers"]]
    assert cfg["layers"][0]["class_name"] == "InputLayer"
    assert cfg["input_layers"] == [names[0], 0, 0]
    assert cfg["output_layers"] == [names[2], 0, 0]
    arg = cfg["layers"][2]["inbound_nodes"][0]["args"][0]
    assert arg["config"]["keras_history"] == [names[1], 0, 0]


def test_functional_merge_takes_a_list_argument():
    a, b = layers.Input(shape=(16,)), layers.Input(shape=(32,))
    m = layers.concatenate([Dense(8)(a), Dense(8)(b)])
    model = keras.Model(inputs=[a, b], outputs=m)
    cfg = json.loads(model.to_json())["config"]
    concat = cfg["layers"][-1]
    assert concat["class_name"] == "Concatenate"
    assert isinstance(concat["inbound_nodes"][0]["args"][0], list)
    assert len(cfg["input_layers"]) == 2


def test_optimizer_configs_keep_keras2_arguments_for_the_library():
    sgd = optimizers.SGD(lr=0.02, decay=1e-6, momentum=0.9, nesterov=True)
    from swiftkeras._objects import serialize
    s = serialize(sgd)
    assert s["class_name"] == "SGD"
    config = dict(s["config"])
    assert config.pop("name") == sgd.name and sgd.name.split("_")[0] == "sgd"   # Keras: sgd, sgd_1, ...
    assert config == {"lr": 0.02, "decay": 1e-6, "momentum": 0.9, "nesterov": True}
    assert sgd.learning_rate == 0.02
    assert type(optimizers.get("adam")) is optimizers.Adam
    with pytest.raises(ValueError):
        optimizers.get("nope")


def test_losses_serialize_by_keras_name():
    from swiftkeras._objects import serialize
    assert serialize(losses.mean_squared_error) == "mean_squared_error"
    assert losses.mse is losses.mean_squared_error
    assert serialize(losses.CategoricalCrossentropy(from_logits=True))["config"] == {
        "name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": True,
        "label_smoothing": 0.0, "axis": -1}   # Keras's get_config


def test_layer_argument_errors_are_python_errors():
    with pytest.raises(TypeError):
        Dense(*range(20))
    with pytest.raises(TypeError):
        Dense(3, units=4)
    with pytest.raises(AttributeError, match="no attribute"):
        layers.NoSuchLayerAnywhere  # noqa: B018


@needs("keras_catalog_json")
def test_layer_classes_come_from_the_library_catalogue():
    import inspect

    from swiftkeras import _catalog
    names = _catalog.layer_names()
    assert {"Dense", "Dropout", "Flatten", "InputLayer"} <= set(names)
    # (GroupedQueryAttention names Keras's legacy .h5 entries; keras.layers lists it as GroupQueryAttention)
    assert set(names) - {"GroupedQueryAttention"} <= set(dir(layers))
    for name in names:   # every catalogue layer is a class here; an alias is the class it names
        assert getattr(layers, name).class_name == _catalog.layer_class_name(name)
    signature = inspect.signature(layers.Dense)
    assert list(signature.parameters)[:3] == ["units", "activation", "use_bias"]
    assert signature.parameters["use_bias"].default is True
    assert layers.Dropout(0.5, None, 3).get_config()["seed"] == 3    # positional, Keras order
    with pytest.raises(TypeError, match="missing 1 required argument: 'units'"):
        Dense()
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense: "
                                        "{'unit': 3}"):
        Dense(unit=3)


def test_layers_dir_lists_keras_functions_and_no_helpers():
    """dir(keras.layers)'s functions are Keras's (derived from the module's public functions):
    the binding's helpers and the names it imports are not listed."""
    import inspect
    keras3 = real_keras()
    ours = [n for n in dir(layers) if not inspect.isclass(getattr(layers, n))]
    theirs = [n for n in dir(keras3.layers)
              if not n.startswith("_") and not inspect.isclass(getattr(keras3.layers, n))]
    assert ours == theirs
    assert "unique_name" not in dir(layers) and "KerasTensor" not in dir(layers)


def test_unsupported_dtypes_are_rejected_with_a_message():
    from swiftkeras._native import as_float32
    a = np.arange(6, dtype=np.float32)
    assert as_float32(a, "x") is a                       # zero copy
    b = as_float32(np.arange(6.0)[::2], "x")
    assert b.flags.c_contiguous and b.dtype == np.float32
    with pytest.raises(TypeError, match="dtype"):
        as_float32(np.array(["2020-01-01"], dtype="datetime64[D]"), "x")
    # Strings are Keras's string inputs: encoded as the float32 values the library reads as strings.
    assert np.isnan(as_float32(np.array(["a", "b"]), "x")).all()
    with pytest.raises(ValueError, match="ragged|could not"):
        as_float32([[1, 2], [3]], "x")
    with pytest.raises(TypeError, match="complex"):
        as_float32(np.array([1j]), "x")


def test_missing_library_is_reported_with_what_to_do(tmp_path):
    env = dict(os.environ, SWIFTKERAS_LIBRARY=str(tmp_path / "nope.so"))
    code = ("import swiftkeras as k\n"
            "try:\n    k.library_version()\nexcept k.LibraryUnavailable as e:\n    print('ERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=PKG, capture_output=True,
                         text=True, timeout=60)
    assert "ERR SWIFTKERAS_LIBRARY=" in out.stdout, out.stderr


def test_backend_functions_work_on_numpy():
    y = np.array([[1.0, 3.0]], np.float32)
    assert K.mean(y) == 2.0
    np.testing.assert_allclose(K.tanh(y), np.tanh(y), rtol=1e-6)
    assert K.epsilon() == 1e-7


def test_functional_merge_forms_build_train_and_save(tmp_path):
    a, b = layers.Input(shape=(4,)), layers.Input(shape=(4,))
    h1, h2 = Dense(3, activation="relu")(a), Dense(3, activation="tanh")(b)
    merged = [layers.add([h1, h2]), layers.subtract([h1, h2]), layers.multiply([h1, h2]),
              layers.average([h1, h2]), layers.maximum([h1, h2]), layers.minimum([h1, h2], name="low")]
    model = keras.Model(inputs=[a, b], outputs=Dense(1)(layers.concatenate(merged)))
    names = [l["class_name"] for l in json.loads(model.to_json())["config"]["layers"]]
    assert names[-8:-1] == ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]
    assert model.output_shape == (None, 1)
    model.compile(optimizer="adam", loss="mse")
    x = [np.random.default_rng(0).normal(size=(8, 4)).astype("float32") for _ in range(2)]
    model.fit(x, np.ones((8, 1), "float32"), epochs=2, verbose=0)
    path = str(tmp_path / "merge.keras")
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_normalization_layers_and_dot_form(tmp_path):
    for name in ["LayerNormalization", "GroupNormalization", "UnitNormalization", "RMSNormalization", "Dot", "AlphaDropout"]:
        assert isinstance(getattr(layers, name), type), name
    a, b = layers.Input(shape=(6,)), layers.Input(shape=(6,))
    h1 = layers.RMSNormalization()(layers.LayerNormalization()(a))
    h2 = layers.AlphaDropout(0.1)(layers.UnitNormalization()(layers.GroupNormalization(groups=3)(b)))
    cosine = layers.dot([a, b], axes=1, normalize=True)
    model = keras.Model(inputs=[a, b], outputs=[layers.Dot(axes=(1, 1))([h1, h2]), cosine])
    x = [np.random.default_rng(1).normal(size=(5, 6)).astype("float32") for _ in range(2)]
    dots, cos = model.predict(x, verbose=0)
    assert dots.shape == cos.shape == (5, 1)
    expected = (x[0] * x[1]).sum(1) / np.linalg.norm(x[0], axis=1) / np.linalg.norm(x[1], axis=1)
    np.testing.assert_allclose(cos[:, 0], expected, atol=1e-5)
    ln = keras.Sequential([layers.Input(shape=(6,)), layers.LayerNormalization(epsilon=0.01)])
    m, v = x[0].mean(1, keepdims=True), x[0].var(1, keepdims=True)
    np.testing.assert_allclose(ln.predict(x[0], verbose=0), (x[0] - m) / np.sqrt(v + 0.01), atol=1e-5)
    path = str(tmp_path / "norm.keras")
    model.save(path)
    for got, want in zip(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, atol=1e-6)


@needs("keras_catalog_json")
def test_readme_lists_exactly_the_names_the_package_has():
    """bindings/python/README.md's name list is generated from the package (the library's
    catalogue for the layers), never kept by hand: the script's --check fails when it drifted."""
    pytest.importorskip("sklearn")   # swiftkeras.wrappers is listed too
    script = PKG.parents[1] / "scripts" / "python_readme_names.py"
    run = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(PKG)))
    assert run.returncode == 0, run.stderr + run.stdout
