"""Keras's application modules' own layers (InceptionResNetV2's CustomScaleLayer, ConvNeXt's
LayerScale and StochasticDepth) are built-in layers of the library: a file Keras 3.15.1 wrote
of an InceptionResNetV2-shaped and a ConvNeXt-shaped model (scripts/make_keras_reference_fixtures.py
apps) loads in a fresh process with no custom objects and predicts as Keras predicted (the C
test bindings/c/tests/test_application_layers.c loads the same files); the Python classes are
the library's (keras.applications' modules give them, keras.layers does not); StochasticDepth
passes its input through at inference and in training keeps each sample's path with
probability 1 - drop_path_rate, scaled, as Keras's (its draws are from Keras's global
generator, which the library does not share: compared by statistics)."""
import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import keras_reference

FIXTURES = Path(__file__).resolve().parents[3] / "Tests" / "KerasTests" / "Fixtures"
SHAPED = {"inception_resnet_v2": ("models", "keras_inception_resnet_shaped.keras"),
          "convnext": ("models", "keras_convnext_shaped.keras")}
REFERENCE = ("models", "keras_application_layers_shaped.json")


def _modules(keras):
    package = "keras.src" if keras.__name__ == "keras" else keras.__name__
    return (importlib.import_module(f"{package}.applications.inception_resnet_v2"),
            importlib.import_module(f"{package}.applications.convnext"))


def _inputs():
    return np.random.default_rng(5).uniform(-1, 1, size=(2, 8, 8, 3)).astype("float32")


def _drawn(model, seed):
    """Every weight drawn (a batch norm's moving variance positive)."""
    rng = np.random.default_rng(seed)
    drawn = [rng.normal(scale=0.5, size=tuple(w.shape)).astype("float32") for w in model.weights]
    model.set_weights([np.abs(d) + 0.5 if w.path.endswith("moving_variance") else d
                       for w, d in zip(model.weights, drawn)])
    return model


def _inception_resnet_shaped(keras):
    """A stem convolution, one Inception-ResNet block (two branches, concatenated, a 1x1
    convolution with bias back to the stem's channels, CustomScaleLayer(0.17) on the shortcut
    and the branch, ReLU), pooling and a classifier."""
    L = keras.layers
    irv2, _ = _modules(keras)
    inputs = keras.Input((8, 8, 3))
    x = L.Activation("relu")(L.BatchNormalization(scale=False)(L.Conv2D(4, 3, padding="same", use_bias=False)(inputs)))
    b0 = L.Conv2D(2, 1, activation="relu")(x)
    b1 = L.Conv2D(3, 3, padding="same", activation="relu")(L.Conv2D(2, 1, activation="relu")(x))
    up = L.Conv2D(4, 1, name="block35_1_conv")(L.Concatenate(name="block35_1_mixed")([b0, b1]))
    x = L.Activation("relu", name="block35_1_ac")(irv2.CustomScaleLayer(0.17)([x, up]))
    outputs = L.Dense(3)(L.GlobalAveragePooling2D()(x))
    return _drawn(keras.Model(inputs, outputs, name="inception_resnet_shaped"), 6)


def _convnext_shaped(keras):
    """A patchify stem (2x2 convolution of stride 2, layer norm), one ConvNeXt block (3x3
    depthwise convolution, layer norm, Dense to 4x, GELU, Dense back, LayerScale,
    StochasticDepth(0.25)) added to its input, pooling and a classifier."""
    L = keras.layers
    _, convnext = _modules(keras)
    inputs = keras.Input((8, 8, 3))
    x = L.LayerNormalization(epsilon=1e-6)(L.Conv2D(4, 2, strides=2)(inputs))
    r = L.Conv2D(4, 3, padding="same", groups=4, name="block_depthwise_conv")(x)
    r = L.Dense(16, name="block_pointwise_conv_1")(L.LayerNormalization(epsilon=1e-6)(r))
    r = L.Dense(4, name="block_pointwise_conv_2")(L.Activation("gelu")(r))
    r = convnext.StochasticDepth(0.25)(convnext.LayerScale(1e-6, 4, name="block_layer_scale")(r))
    outputs = L.Dense(3)(L.GlobalAveragePooling2D()(L.Add()([x, r])))
    return _drawn(keras.Model(inputs, outputs, name="convnext_shaped"), 7)


def keras_files(folder):
    """Keras's two models saved into `folder` (the fixtures), with their predictions."""
    import keras
    x = _inputs()
    found = {}
    for name, make in (("inception_resnet_v2", _inception_resnet_shaped), ("convnext", _convnext_shaped)):
        model = make(keras)
        model.save(Path(folder).joinpath(*SHAPED[name]))
        found[name] = {"inputs": [x], "outputs": [model.predict(x, verbose=0)]}
    return found


LOADER = """
import json, sys
import numpy as np
import swiftkeras as keras
x = np.asarray(json.loads(sys.argv[1]), np.float32)
print(json.dumps([keras.saving.load_model(f).predict(x, verbose=0).tolist() for f in sys.argv[2:]]))
"""


def test_keras_files_load_in_a_fresh_process_and_predict_as_keras(tmp_path):
    reference = keras_reference(*REFERENCE)
    x = _inputs()
    files = [str(FIXTURES.joinpath(*SHAPED[n])) for n in ("inception_resnet_v2", "convnext")]
    run = subprocess.run([sys.executable, "-c", LOADER, json.dumps(x.tolist()), *files],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.splitlines()[-1])
    for name, predictions in zip(("inception_resnet_v2", "convnext"), got):
        np.testing.assert_array_equal(reference[name]["inputs"][0], x)
        np.testing.assert_allclose(np.asarray(predictions, np.float32), reference[name]["outputs"][0],
                                   rtol=1e-5, atol=1e-5, err_msg=name)


def test_the_classes_are_the_librarys_in_their_application_modules():
    import swiftkeras as keras
    from swiftkeras.applications.convnext import LayerScale, StochasticDepth
    from swiftkeras.applications.inception_resnet_v2 import CustomScaleLayer
    for cls, module in ((CustomScaleLayer, "inception_resnet_v2"), (LayerScale, "convnext"),
                        (StochasticDepth, "convnext")):
        assert cls.__module__ == f"swiftkeras.applications.{module}"
        assert cls.__name__ not in dir(keras.layers)
        with pytest.raises(AttributeError):
            getattr(keras.layers, cls.__name__)
    with pytest.raises(ImportError):
        from swiftkeras.applications.convnext import CustomScaleLayer  # noqa: F401
    layer = LayerScale(0.5, 3)
    assert layer.get_config()["init_values"] == 0.5 and layer.get_config()["projection_dim"] == 3
    np.testing.assert_allclose(layer(np.ones((2, 3), np.float32)), np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="projection_dim"):
        LayerScale(0.5, 3)(np.ones((2, 4), np.float32))


def test_models_saved_here_name_the_layers_as_keras(tmp_path):
    """A model of ours saved and its entries: module, class_name and registered_name as in
    Keras's file (the fixture), and the weight as Keras lays it out."""
    import zipfile
    import swiftkeras as keras
    ours = _convnext_shaped(keras)
    ours.save(tmp_path / "ours.keras")

    def entries(path):
        config = json.loads(zipfile.ZipFile(path).read("config.json"))
        return {e["class_name"]: (e["module"], e["registered_name"]) for e in config["config"]["layers"]}
    theirs = entries(FIXTURES.joinpath(*SHAPED["convnext"]))
    mine = entries(tmp_path / "ours.keras")
    for name in ("LayerScale", "StochasticDepth"):
        assert mine[name] == theirs[name] == ("keras.src.applications.convnext", name)
    assert [w.path for w in ours.get_layer("block_layer_scale").weights] == ["block_layer_scale/variable"]


def test_stochastic_depth_at_inference_and_in_training():
    """At inference the input itself (Keras's `return x`); in training each sample is kept
    whole, scaled by 1 / (1 - rate), or zeroed, kept with probability 1 - rate (Keras's
    floor(keep_prob + uniform) per sample): over 4000 samples within 4 standard deviations."""
    import swiftkeras as keras
    from swiftkeras.applications.convnext import StochasticDepth
    rate = 0.25
    layer = StochasticDepth(rate)
    x = np.random.default_rng(0).normal(size=(4000, 3, 2)).astype("float32")
    np.testing.assert_array_equal(layer(x), x)
    keras.utils.set_random_seed(1)
    y = np.asarray(layer(x, training=True))
    kept = np.all(np.isclose(y, x / (1 - rate), rtol=1e-6), axis=(1, 2))
    dropped = np.all(y == 0, axis=(1, 2))
    assert np.all(kept | dropped)
    assert abs(kept.mean() - (1 - rate)) < 4 * np.sqrt(rate * (1 - rate) / len(x))
    keras.utils.set_random_seed(1)
    np.testing.assert_array_equal(layer(x, training=True), y)   # (the seed decides the draws)
    with pytest.raises(ValueError, match="rate"):
        StochasticDepth(1.5)(x)


def test_registered_names_as_keras_writes_them_and_the_older_form_loads(tmp_path):
    """Each application layer's entry in a file saved here is Keras's (module, class_name,
    registered_name as Keras 3.15.1's file has them: the bare class name); a file whose entries
    carry the `module>Class` registered name this binding wrote before loads too, in a fresh
    process, with Keras's predictions."""
    import shutil
    import zipfile
    import swiftkeras as keras
    ours = _inception_resnet_shaped(keras)
    ours.save(tmp_path / "ours.keras")

    def entries(path):
        config = json.loads(zipfile.ZipFile(path).read("config.json"))
        return {e["class_name"]: (e["module"], e["class_name"], e["registered_name"])
                for e in config["config"]["layers"]}
    theirs = entries(FIXTURES.joinpath(*SHAPED["inception_resnet_v2"]))
    assert entries(tmp_path / "ours.keras")["CustomScaleLayer"] == theirs["CustomScaleLayer"] == \
        ("keras.src.applications.inception_resnet_v2", "CustomScaleLayer", "CustomScaleLayer")
    assert [e["registered_name"] for e in json.loads(ours.to_json())["config"]["layers"]
            if e["class_name"] == "CustomScaleLayer"] == ["CustomScaleLayer"]
    from swiftkeras.applications.convnext import LayerScale
    entry = keras.saving.serialize_keras_object(LayerScale(1e-6, 4))   # (Keras's, printed by it)
    assert (entry["module"], entry["class_name"], entry["registered_name"]) == \
        ("keras.src.applications.convnext", "LayerScale", "LayerScale")
    # The older form: Keras's file with `keras.src.applications.<module>>Class` names.
    for name in ("inception_resnet_v2", "convnext"):
        old = tmp_path / f"old_{name}.keras"
        with zipfile.ZipFile(FIXTURES.joinpath(*SHAPED[name])) as src, zipfile.ZipFile(old, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                if item.filename == "config.json":
                    config = json.loads(data)
                    for entry in config["config"]["layers"]:
                        if entry["module"].startswith("keras.src.applications."):
                            entry["registered_name"] = f"{entry['module']}>{entry['class_name']}"
                    data = json.dumps(config).encode()
                dst.writestr(item, data)
    x = _inputs()
    files = [str(tmp_path / f"old_{n}.keras") for n in ("inception_resnet_v2", "convnext")]
    run = subprocess.run([sys.executable, "-c", LOADER, json.dumps(x.tolist()), *files],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    reference = keras_reference(*REFERENCE)
    for name, predictions in zip(("inception_resnet_v2", "convnext"), json.loads(run.stdout.splitlines()[-1])):
        np.testing.assert_allclose(np.asarray(predictions, np.float32), reference[name]["outputs"][0],
                                   rtol=1e-5, atol=1e-5, err_msg=name)
    shutil.rmtree(tmp_path, ignore_errors=True)
