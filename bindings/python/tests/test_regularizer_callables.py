"""Regularizers Keras takes beyond its classes, compared with real Keras 3 (jax): a plain
function (a def, a lambda) written with keras.ops, traced as a Regularizer subclass is
(_traced_regularizers); a Python subclass of a built-in (L2) with its own __call__ or get_config,
saved under its own name; and a Regularizer subclass whose get_config is the base's, which makes
get_config, to_json and save fail as in Keras (the model still trains)."""

import json
import warnings
import zipfile

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from keras.src.saving import serialization_lib  # noqa: E402

pytestmark = needs(*CORE, "keras_register_regularizer_graph")

X = np.linspace(-1, 1, 24, dtype="float32").reshape(8, 3)
Y = np.linspace(-0.5, 0.5, 16, dtype="float32").reshape(8, 2)


def l1fn(w, lib=None):
    ops = (lib or sk).ops
    return 1e-3 * ops.sum(ops.abs(w))


def _regularizers(lib):
    """(kernel, activity) regularizers of each kind, for `lib`."""
    ops = lib.ops

    def named(w):   # a def, found again by its name through custom_objects
        return 1e-2 * ops.sum(ops.square(w))
    named.__name__ = named.__qualname__ = "named_penalty"

    class MyL2(lib.regularizers.L2):   # its own __call__, over the base's
        def __call__(self, x):
            return 2.0 * super().__call__(x)

    class MyL1(lib.regularizers.L1):   # its own get_config, the base's penalty
        def get_config(self):
            return {"l1": float(self.l1), "note": "mine"}

        @classmethod
        def from_config(cls, config):
            return cls(config["l1"])
    return {"lambda": (lambda w: 1e-3 * ops.sum(ops.abs(w)), lambda y: 1e-2 * ops.mean(y * y)),
            "def": (named, named),
            "subclass": (MyL2(0.05), MyL1(0.01))}


def _model(lib, kernel, activity):
    model = lib.Sequential([lib.Input((3,)),
                            lib.layers.Dense(4, kernel_regularizer=kernel, activity_regularizer=activity),
                            lib.layers.Dense(2)])
    model.set_weights([np.linspace(-0.7, 0.9, np.size(w), dtype="float32").reshape(np.shape(w))
                       for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    return model


def _run(lib, kind):
    kernel, activity = _regularizers(lib)[kind]
    model = _model(lib, kernel, activity)
    model(X)
    called = [float(v) for v in model.losses]
    history = model.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entry = model.get_config()["layers"][1]["config"]
    return called, history, [np.asarray(w) for w in model.get_weights()], \
        {k: entry[k] for k in ("kernel_regularizer", "activity_regularizer")}


@pytest.fixture(scope="module")
def keras_runs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {kind: _run(keras, kind) for kind in ("lambda", "def", "subclass")}


@pytest.mark.parametrize("kind", ["lambda", "def", "subclass"])
def test_penalties_fit_and_config_like_keras(keras_runs, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        called, history, weights, entries = _run(sk, kind)
        kernel, _ = _regularizers(sk)[kind]
        assert _model(sk, kernel, None).layers[0].kernel_regularizer is kernel   # as Keras keeps it
    k_called, k_history, k_weights, k_entries = keras_runs[kind]
    np.testing.assert_allclose(called, k_called, rtol=1e-5, err_msg="model.losses")
    np.testing.assert_allclose(history, k_history, rtol=1e-5, err_msg="fit losses")
    for w, k in zip(weights, k_weights):
        np.testing.assert_allclose(w, k, rtol=1e-5, atol=1e-6)
    if kind == "lambda":   # the marshalled code names its own file and line: the form is Keras's
        for name in entries:
            assert entries[name]["class_name"] == k_entries[name]["class_name"] == "__lambda__"
            assert set(entries[name]) == set(k_entries[name]) == {"class_name", "config"}
    else:   # (the library keeps a custom object's config numbers as float32)
        assert _float32(entries) == _float32(k_entries)


def _float32(node):
    if isinstance(node, dict):
        return {k: _float32(v) for k, v in node.items()}
    return np.float32(node) if isinstance(node, float) else node


def test_a_lambda_is_saved_as_keras_saves_it_and_not_loaded(tmp_path):
    penalty = lambda w: 1e-3 * sk.ops.sum(sk.ops.abs(w))  # noqa: E731
    model = _model(sk, penalty, None)
    with pytest.warns(UserWarning, match="The object being serialized includes a `lambda`"):
        config = model.get_config()
    expected = serialization_lib.serialize_keras_object(penalty)   # Keras's form of this object
    expected["config"]["value"] = list(expected["config"]["value"])
    assert config["layers"][1]["config"]["kernel_regularizer"] == expected
    path = str(tmp_path / "lambda.keras")
    with pytest.warns(UserWarning, match="includes a `lambda`"):
        model.save(path)
    with zipfile.ZipFile(path) as archive:
        saved = json.loads(archive.read("config.json"))
    assert saved["config"]["layers"][1]["config"]["kernel_regularizer"] == expected
    for safe_mode in (True, False):   # Keras cannot read it back either way
        with pytest.raises(TypeError, match="Could not interpret regularizer identifier"):
            sk.models.load_model(path, safe_mode=safe_mode)
        with pytest.raises(TypeError, match="Could not interpret regularizer identifier"):
            keras.models.load_model(path, safe_mode=safe_mode)


def test_a_def_is_found_again_by_custom_objects_both_ways(tmp_path):
    mine, theirs = str(tmp_path / "mine.keras"), str(tmp_path / "theirs.keras")
    model = _model(sk, l1fn, None)
    model.save(mine)
    _model(keras, _keras_l1fn, None).save(theirs)
    model(X)
    expected = [float(v) for v in model.losses]
    for path in (mine, theirs):
        with pytest.raises(TypeError, match="Could not interpret regularizer identifier"):
            sk.models.load_model(path)
        loaded = sk.models.load_model(path, custom_objects={"l1fn": l1fn})
        assert loaded.layers[0].kernel_regularizer is l1fn   # Keras's attribute: the function
        loaded(X)
        np.testing.assert_allclose([float(v) for v in loaded.losses], expected, rtol=1e-5)
        np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5)
    k_loaded = keras.models.load_model(mine, custom_objects={"l1fn": _keras_l1fn})
    k_loaded(X)
    np.testing.assert_allclose([float(v) for v in k_loaded.losses], expected, rtol=1e-5)


def _keras_l1fn(w):
    return l1fn(w, keras)
_keras_l1fn.__name__ = _keras_l1fn.__qualname__ = "l1fn"


def test_a_subclass_of_l2_is_saved_under_its_registered_name(tmp_path):
    @sk.saving.register_keras_serializable(package="Reg5")
    class DoubleL2(sk.regularizers.L2):
        def __call__(self, x):
            return 2.0 * super().__call__(x)
    model = _model(sk, DoubleL2(0.1), None)
    entry = model.get_config()["layers"][1]["config"]["kernel_regularizer"]
    assert entry == {"module": __name__, "class_name": "DoubleL2", "config": {"l2": 0.1},
                     "registered_name": "Reg5>DoubleL2"}
    kernel = model.get_weights()[0]
    model(X)
    assert float(model.losses[0]) == pytest.approx(2 * 0.1 * float(np.sum(kernel ** 2)), rel=1e-5)
    path = str(tmp_path / "double.keras")
    model.save(path)
    loaded = sk.models.load_model(path)
    loaded(X)
    assert type(loaded.layers[0].kernel_regularizer) is DoubleL2
    np.testing.assert_allclose([float(v) for v in loaded.losses], [float(v) for v in model.losses], rtol=1e-5)
    assert DoubleL2().l2 == 0.01 and DoubleL2().get_config() == {"l2": 0.01}   # Keras's default
    assert float(sk.regularizers.L2(0.1)(kernel)) == pytest.approx(
        float(keras.regularizers.L2(0.1)(kernel)), rel=1e-6)


def test_get_config_to_json_and_save_fail_as_keras_without_get_config(tmp_path):
    results = {}
    for lib in (keras, sk):
        class NoConfig(lib.regularizers.Regularizer):
            def __call__(self, w):
                return 0.01 * lib.ops.sum(w * w)
        model = _model(lib, NoConfig(), None)
        model.fit(X, Y, epochs=1, batch_size=8, verbose=0)   # it trains all the same
        for what, call in (("get_config", model.get_config), ("to_json", model.to_json),
                           ("layer.get_config", model.layers[0].get_config),
                           ("save", lambda: model.save(str(tmp_path / "no_config.keras")))):
            with pytest.raises(NotImplementedError, match="NoConfig object at .* does not implement get_config"):
                call()
        results[lib.__name__] = float(model.evaluate(X, Y, verbose=0))
    assert results["swiftkeras"] == pytest.approx(results["keras"], rel=1e-5)


def test_a_function_given_to_add_weight_like_keras():
    results = []
    for lib in (keras, sk):
        ops = lib.ops

        def penalty(w):
            return 0.5 * ops.sum(ops.square(w))

        class Project(lib.layers.Layer):
            def build(self, shape):
                self.w = self.add_weight(shape=(shape[-1], 2), initializer="ones", regularizer=penalty)

            def call(self, x):
                return ops.matmul(x, self.w)
        model = lib.Sequential([lib.Input((3,)), Project()])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        model(X)
        results.append(([float(v) for v in model.losses],
                        model.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5)
