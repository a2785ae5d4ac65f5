"""A Swift-trained model holding a nested custom layer loads in real Keras 3 and predicts the same.

Run by `make test-python`: the Swift test NestedBlockInteropExportTests writes `swift_nested.*`
into $SWIFTKERAS_INTEROP_OUT; Keras reads the files with the same block registered under the
same name (`swiftkeras_test>TwoDense`, imported from scripts/make_nested_fixtures.py).
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from make_nested_fixtures import TwoDense  # noqa: E402


def expected():
    with open(os.path.join(OUT, "swift_nested.expected.json")) as f:
        e = json.load(f)
    return np.array(e["inputs"][0], dtype="float32"), np.array(e["outputs"][0]), e["iterations"]


def check_block(model):
    block = model.get_layer("block")
    assert isinstance(block, TwoDense)
    assert [v.path[v.path.index("block/"):] for v in block.weights] == [
        "block/dense/kernel", "block/dense/bias", "block/dense_1/kernel", "block/dense_1/bias"]


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_nested_block_loads_in_keras(ext):
    x, want, iterations = expected()
    keras.backend.clear_session()
    model = keras.models.load_model(os.path.join(OUT, f"swift_nested.{ext}"))
    check_block(model)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)
    assert int(model.optimizer.iterations.numpy()) == iterations


def test_swift_nested_json_and_weights_load_in_keras():
    x, want, _ = expected()
    keras.backend.clear_session()
    with open(os.path.join(OUT, "swift_nested.json")) as f:
        model = keras.models.model_from_json(f.read())
    model.load_weights(os.path.join(OUT, "swift_nested.weights.h5"))
    check_block(model)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)
