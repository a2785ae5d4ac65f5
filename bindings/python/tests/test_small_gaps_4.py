"""Small gaps against real Keras 3 (session 18, gaps4): the application families' own words
for bad arguments; augmentation layers called directly train by default; the variable paths
of a layer built on its own before a nested model held it."""

import numpy as np
import pytest

import swiftkeras
from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE)

# Arguments Keras refuses before building anything (nothing is downloaded).
_BAD_APPLICATION_ARGUMENTS = {
    "weights": dict(weights="no_such_weights_file.h5"),
    "classes": dict(weights="imagenet", classes=10),
    "small": dict(weights=None, input_shape=(16, 16, 3), include_top=False),
    "small_top": dict(weights=None, input_shape=(16, 16, 3)),
    "imagenet_shape": dict(weights="imagenet", input_shape=(100, 100, 3)),
}


def _error(build, kwargs):
    with pytest.raises(ValueError) as info:
        build(**kwargs)
    return str(info.value)


@pytest.mark.parametrize("family", ["MobileNetV3Small", "MobileNetV3Large", "EfficientNetV2B0",
                                    "EfficientNetV2S", "ConvNeXtTiny", "InceptionResNetV2",
                                    "NASNetMobile", "NASNetLarge"])
def test_application_errors_are_keras_words(family):
    keras = real_keras()
    for case, kwargs in _BAD_APPLICATION_ARGUMENTS.items():
        if family.startswith("MobileNetV3") and case == "imagenet_shape":
            continue   # Keras's MobileNetV3 accepts any size there (and downloads its weights)
        assert _error(getattr(swiftkeras.applications, family), kwargs) == \
            _error(getattr(keras.applications, family), kwargs), (family, case)


# ---- augmentation layers called directly: training=True by default, as Keras ------------------

@pytest.mark.parametrize("make", [
    lambda k: k.layers.RandomFlip(seed=1), lambda k: k.layers.RandomRotation(0.3, seed=1),
    lambda k: k.layers.RandomZoom(0.3, seed=1), lambda k: k.layers.RandomTranslation(0.3, 0.3, seed=1),
    lambda k: k.layers.RandomContrast(0.5, seed=1), lambda k: k.layers.RandomBrightness(0.5, seed=1),
    lambda k: k.layers.Dropout(0.5, seed=1), lambda k: k.layers.GaussianNoise(0.5, seed=1)])
def test_a_direct_call_trains_where_keras_does(make):
    keras = real_keras()
    x = np.random.RandomState(0).rand(4, 8, 8, 3).astype("float32")

    def changed(lib, **kwargs):
        return not np.allclose(np.asarray(make(lib)(x, **kwargs)), x)

    assert changed(swiftkeras) == changed(keras)
    assert changed(swiftkeras, training=True) == changed(keras, training=True)
    assert not changed(swiftkeras, training=False) and not changed(keras, training=False)
    model = swiftkeras.Sequential([swiftkeras.Input((8, 8, 3)), make(swiftkeras)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)   # predict: training=False


def test_a_direct_random_crop_crops_as_keras_at_inference():
    keras = real_keras()
    x = np.random.RandomState(0).rand(2, 8, 8, 3).astype("float32")
    ours = swiftkeras.layers.RandomCrop(4, 4, seed=1)(x)
    assert ours.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(swiftkeras.layers.RandomCrop(4, 4, seed=1)(x, training=False),
                               keras.layers.RandomCrop(4, 4, seed=1)(x, training=False), atol=1e-6)


# ---- variable paths of a layer built on its own before a model held it --------------------------

def _paths(lib, adapt_first):
    x = np.random.RandomState(0).rand(20, 3).astype("float32")
    lib.backend.clear_session()
    norm = lib.layers.Normalization()
    if adapt_first:
        norm.adapt(x)
    dense = lib.layers.Dense(2)
    if adapt_first:
        dense(np.zeros((1, 3), "float32"))
    inner = lib.Sequential([lib.Input((3,)), norm, dense], name="inner")
    outer = lib.Sequential([lib.Input((3,)), inner, lib.layers.Dense(1)], name="outer")
    if not adapt_first:
        norm.adapt(x)
    return [v.path for v in outer.weights], [v.path for v in inner.weights], \
        [v.path for v in norm.weights]


@pytest.mark.parametrize("adapt_first", [True, False])
def test_nested_normalization_paths_are_keras(adapt_first):
    keras = real_keras()
    assert _paths(swiftkeras, adapt_first) == _paths(keras, adapt_first)


# ---- a loss given as a function: saved as Keras's function entry, loaded back -------------------

_LOSS_SOURCE = """
@keras.saving.register_keras_serializable(package="gaps4_pkg")
def gaps4_loss(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1) + 0.5
"""


def _saved_compile_config(path):
    import json
    import zipfile
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))["compile_config"]


def test_a_loss_function_is_saved_as_keras_writes_it_and_loads_back(tmp_path):
    from conftest import exec_layers
    keras = real_keras()
    x = np.random.RandomState(0).rand(16, 3).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    results = {}
    for name, lib in (("ours", swiftkeras), ("keras", keras)):
        fn = exec_layers(_LOSS_SOURCE, lib)["gaps4_loss"]
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1, kernel_initializer="ones")])
        model.compile(optimizer="sgd", loss=fn)
        model.save(tmp_path / f"{name}.keras")
        results[name] = (fn, _saved_compile_config(tmp_path / f"{name}.keras")["loss"],
                         float(model.evaluate(x, y, verbose=0)))
    ours, ref = results["ours"], results["keras"]
    assert ours[1] == ref[1] == {"module": "builtins", "class_name": "function",
                                 "config": "gaps4_pkg>gaps4_loss", "registered_name": "function"}
    np.testing.assert_allclose(ours[2], ref[2], rtol=1e-5)
    # Loaded here (our file and Keras's): the same entry, the function itself, the same loss.
    for name in ("ours", "keras"):
        loaded = swiftkeras.saving.load_model(tmp_path / f"{name}.keras")
        assert loaded.get_compile_config()["loss"] == ref[1]
        assert loaded.loss is ours[0]
        np.testing.assert_allclose(float(loaded.evaluate(x, y, verbose=0)), ref[2], rtol=1e-5)
    # And ours loads in Keras with its function.
    loaded = keras.saving.load_model(tmp_path / "ours.keras")
    assert loaded.loss is ref[0]
    np.testing.assert_allclose(float(loaded.evaluate(x, y, verbose=0)), ref[2], rtol=1e-5)


# ---- int32 keras.Variables of a Python layer: Keras's dtype in weights and get_weights ------------

_INT_SOURCE = """
class Counted(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = keras.Variable(np.array([16777216, -5], "int32"), dtype="int32",
                                   trainable=False, name="seen")

    def call(self, x):
        return x
"""


def test_int32_variables_report_keras_dtype_and_values():
    from conftest import exec_layers
    keras = real_keras()
    got = {}
    for name, lib in (("ours", swiftkeras), ("keras", keras)):
        layer = exec_layers(_INT_SOURCE, lib)["Counted"]()
        model = lib.Sequential([lib.Input((2,)), layer])
        model.predict(np.zeros((1, 2), "float32"), verbose=0)
        layer.seen.assign(np.array([123457, 16777215], "int32"))
        got[name] = ([(w.name, str(w.dtype)) for w in layer.weights],
                     [(a.dtype, a.tolist()) for a in layer.get_weights()],
                     [(a.dtype, a.tolist()) for a in model.get_weights()],
                     np.asarray(layer.seen).dtype, np.asarray(layer.seen).tolist())
    assert got["ours"] == got["keras"]
