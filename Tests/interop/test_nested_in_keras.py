"""A Swift-trained model holding a nested custom layer loads in real Keras 3 and predicts the same.

Run by `make test-python`: the Swift test NestedBlockInteropExportTests writes `swift_nested.*`
into $SWIFTKERAS_INTEROP_OUT; Keras reads the files with the same block registered under the
same name (`swiftkeras_test>TwoDense`, imported from scripts/make_nested_fixtures.py).
"""
import os
import sys

import numpy as np
import pytest

from conftest import LOAD_WAYS, ROOT, load_swift_model, read_expected

sys.path.insert(0, os.path.join(ROOT, "scripts"))
from make_nested_fixtures import TwoDense  # noqa: E402


def expected():
    e = read_expected("swift_nested")
    return np.array(e["inputs"][0], dtype="float32"), np.array(e["outputs"][0]), e["iterations"]


def check_block(model):
    block = model.get_layer("block")
    assert isinstance(block, TwoDense)
    assert [v.path[v.path.index("block/"):] for v in block.weights] == [
        "block/dense/kernel", "block/dense/bias", "block/dense_1/kernel", "block/dense_1/bias"]


@pytest.mark.parametrize("how", LOAD_WAYS)
def test_swift_nested_block_loads_in_keras(how):
    x, want, iterations = expected()
    model = load_swift_model("swift_nested", how)
    check_block(model)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)
    if how != "json":  # JSON + weights carry no optimizer
        assert int(model.optimizer.iterations.numpy()) == iterations
