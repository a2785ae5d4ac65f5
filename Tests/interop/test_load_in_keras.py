"""Files written by SwiftKeras load in real Keras 3 and predict the same numbers (1e-5).

Run by `make test-python`: the Swift test InteropExportTests writes models trained in Swift
into $SWIFTKERAS_INTEROP_OUT, and `swiftkeras convert` re-writes models saved by Keras.
"""
import json
import os
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))
BIN = os.environ.get("SWIFTKERAS_BIN", os.path.join(ROOT, ".build", "debug", "swiftkeras"))


def predict(model, inputs):
    outs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return [np.asarray(o) for o in (outs if isinstance(outs, list) else [outs])]


def expected(name):
    with open(os.path.join(OUT, name + ".expected.json")) as f:
        e = json.load(f)
    return [np.array(i, dtype="float32") for i in e["inputs"]], [np.array(o) for o in e["outputs"]], e["iterations"]


@pytest.mark.parametrize("name", ["swift_seq", "swift_fn", "swift_merge", "swift_bn", "swift_norm"])
@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_trained_model_loads_in_keras(name, ext):
    inputs, outputs, iterations = expected(name)
    # Keras 3.15 cannot compile a legacy .h5 whose loss is "mse" (alone or in a list), even one
    # it wrote itself ("Could not deserialize 'keras.metrics.mse'"), so that file is loaded uncompiled.
    keras_h5_bug = ext == "h5" and name in ("swift_fn", "swift_merge")
    model = keras.models.load_model(os.path.join(OUT, f"{name}.{ext}"), compile=not keras_h5_bug)
    for got, want in zip(predict(model, inputs), outputs):
        np.testing.assert_allclose(got, want, atol=1e-5)
    if keras_h5_bug:
        return
    assert model.optimizer is not None
    assert int(model.optimizer.iterations.numpy()) == iterations
    if ext == "keras":
        # Keras 3's legacy .h5 loader restores only iteration and learning rate (it does not
        # build the optimizer first, even for files it wrote itself), so slots are checked here.
        assert len(model.optimizer.variables) > 2
        assert any(np.any(np.asarray(v) != 0) for v in model.optimizer.variables[2:]), "optimizer slots were restored"


@pytest.mark.parametrize("name", ["swift_seq", "swift_fn", "swift_merge", "swift_bn", "swift_norm"])
def test_swift_json_and_weights_load_in_keras(name):
    inputs, outputs, _ = expected(name)
    with open(os.path.join(OUT, name + ".json")) as f:
        model = keras.models.model_from_json(f.read())
    model.load_weights(os.path.join(OUT, name + ".weights.h5"))
    for got, want in zip(predict(model, inputs), outputs):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_convert_round_trips_a_keras_model(tmp_path):
    a = keras.Input((3,), name="a")
    h = keras.layers.Dense(4, activation="relu", name="h")(a)
    out = keras.layers.Dense(2, activation="softmax", name="out")(keras.layers.Dropout(0.2)(h))
    model = keras.Model(a, out)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    model.fit(x, np.eye(2)[np.arange(8) % 2], epochs=2, verbose=0)
    src = str(tmp_path / "src.keras")
    model.save(src)
    want = model.predict(x, verbose=0)
    for target in ["c.keras", "c.h5", "c.weights.h5"]:
        subprocess.run([BIN, "convert", src, str(tmp_path / target)], check=True)
    for target in ["c.keras", "c.h5"]:
        back = keras.models.load_model(str(tmp_path / target))
        np.testing.assert_allclose(back.predict(x, verbose=0), want, atol=1e-5)
        assert int(back.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
    fresh = keras.models.clone_model(model)
    fresh.compile(optimizer="adam", loss="categorical_crossentropy")
    fresh.load_weights(str(tmp_path / "c.weights.h5"))
    np.testing.assert_allclose(fresh.predict(x, verbose=0), want, atol=1e-5)
    summary = subprocess.run([BIN, "summary", src], check=True, capture_output=True, text=True).stdout
    assert "Trainable params: 26 (104.00 B)" in summary and "Optimizer params: 54" in summary


# Halves, the layer with two outputs registered as "SwiftKerasTest>Halves" (twin of the Swift one).
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import make_graph_fixtures  # noqa: E402,F401


@pytest.mark.parametrize("how", ["keras", "h5", "json"])
def test_swift_model_with_a_two_output_layer_loads_in_keras(how):
    inputs, outputs, _ = expected("swift_multi")
    if how == "json":
        with open(os.path.join(OUT, "swift_multi.json")) as f:
            model = keras.models.model_from_json(f.read())
        model.load_weights(os.path.join(OUT, "swift_multi.weights.h5"))
    else:
        model = keras.models.load_model(os.path.join(OUT, f"swift_multi.{how}"), compile=False)
    history = [t._keras_history for t in model.outputs]
    assert [(h.operation.name, h.node_index, h.tensor_index) for h in history] == [("mo", 0, 0), ("halves", 0, 1)]
    for got, want in zip(predict(model, inputs), outputs):
        np.testing.assert_allclose(got, want, atol=1e-5)
    # And Keras writes the graph back as we wrote it.
    config = json.loads(model.to_json())["config"]
    assert config["output_layers"] == [["mo", 0, 0], ["halves", 0, 1]]
