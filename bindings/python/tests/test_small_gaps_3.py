"""Smaller Keras-compatibility gaps (issue 16), each checked against real Keras 3:
MeanMetricWrapper in the compile config, the module and registered name of a user's layer
class."""

import json
import zipfile

import numpy as np
import pytest

from conftest import needs, CORE, real_keras, fresh_library

pytestmark = needs(*CORE)


def libraries():
    import swiftkeras
    return [swiftkeras, real_keras()]


def _compile_config(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))["compile_config"]


# -- MeanMetricWrapper in the compile config ---------------------------------------------------

def _wrapped_metrics(lib):
    ops = lib.ops

    @lib.saving.register_keras_serializable(package="gaps3")
    def top_prob(y_true, y_pred):
        return ops.max(y_pred, axis=-1)

    return [lib.metrics.MeanMetricWrapper(top_prob, name="top"),
            lib.metrics.MeanMetricWrapper(fn=lib.losses.mean_absolute_error, name="mae_wrapped")]


def _classifier(lib):
    fresh_library(lib)
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="softmax")])


def test_mean_metric_wrapper_compile_config_and_files_like_keras(tmp_path):
    """Keras writes `MeanMetricWrapper(fn, name=...)` as a keras.metrics entry (registered_name
    null) holding its function's entry; a file of either library loads in the other with the
    metric, reporting the same figures."""
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(16) % 3]
    ours_lib, keras = libraries()
    models = [_classifier(lib) for lib in (ours_lib, keras)]
    models[0].set_weights([np.asarray(w) for w in models[1].get_weights()])
    entries, paths = [], []
    for lib, m in zip((ours_lib, keras), models):
        m.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=_wrapped_metrics(lib))
        entries.append(m.get_compile_config()["metrics"])
        paths.append(tmp_path / f"{lib.__name__}.keras")
        m.save(paths[-1])
    assert entries[0] == entries[1]
    assert entries[1][0] == {"module": "keras.metrics", "class_name": "MeanMetricWrapper",
                             "config": {"name": "top", "dtype": "float32",
                                        "fn": {"module": "builtins", "class_name": "function",
                                               "config": "gaps3>top_prob", "registered_name": "function"}},
                             "registered_name": None}
    assert _compile_config(paths[0])["metrics"] == _compile_config(paths[1])["metrics"]
    expected = models[1].evaluate(x, y, verbose=0, return_dict=True)
    for lib in (ours_lib, keras):
        for path in paths:
            loaded = lib.saving.load_model(path)
            got = loaded.evaluate(x, y, verbose=0, return_dict=True)
            assert sorted(got) == sorted(expected), (lib.__name__, path.name)
            for key in expected:
                np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, err_msg=key)


# -- the module and registered name of a user's layer class ------------------------------------

def _user_layers(lib):
    class ScaledDense(lib.layers.Dense):   # a built-in's subclass adding a weight in build
        def build(self, input_shape):
            super().build(input_shape)
            self.alpha = self.add_weight(shape=(self.units,), initializer="ones", name="alpha")

        def call(self, x):
            return super().call(x) * self.alpha

    class Scale(lib.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w

    @lib.saving.register_keras_serializable(package="gaps3")
    class RegisteredScale(Scale):
        pass

    in_main = type("MainScale", (Scale,), {"__module__": "__main__"})   # a script's class
    return {c.__name__: c for c in (ScaledDense, Scale, RegisteredScale, in_main)}


def test_user_layer_classes_saved_with_keras_module_and_registered_name(tmp_path):
    """Keras writes a user's class with its Python module (null for `__main__`) and its
    registered name ("package>Name", else the class name); a built-in's subclass keeps Keras's
    weight paths."""
    entries, paths = [], []
    x = np.ones((2, 4), np.float32)
    for lib in libraries():
        fresh_library(lib)
        c = _user_layers(lib)
        m = lib.Sequential([lib.Input((4,)), c["ScaledDense"](3, name="sd"), c["Scale"](name="s"),
                            c["RegisteredScale"](name="r"), c["MainScale"](name="m")])
        m(x)
        paths.append([w.path.split("/", 1)[1] for w in m.weights])
        path = tmp_path / f"{lib.__name__}.keras"
        m.save(path)
        with zipfile.ZipFile(path) as archive:
            layers = json.loads(archive.read("config.json"))["config"]["layers"]
        entries.append([(e["module"], e["class_name"], e["registered_name"]) for e in layers[1:]])
        entries.append([tuple(lib.layers.serialize(layer)[k] for k in ("module", "class_name", "registered_name"))
                        for layer in m.layers])
    assert entries[0] == entries[1] == entries[2] == entries[3] == [
        (__name__, "ScaledDense", "ScaledDense"), (__name__, "Scale", "Scale"),
        (__name__, "RegisteredScale", "gaps3>RegisteredScale"), (None, "MainScale", "MainScale")]
    assert paths[0] == paths[1]
