"""Keras's own docstring examples (the `>>>` lines and ```python blocks of the keras.io/api
pages) run here with only the import changed, against real Keras 3's outputs baked into
Tests/KerasTests/Fixtures/docstrings/examples.json.

The fixture is written by scripts/docstring_examples.py from real Keras (JAX backend):
`scripts/docstring_examples.py --write-fixture` runs every harvested block on both sides and
keeps the ones that agree; run it again after a fix to bake the newly agreeing blocks in. Every
example's value (arrays to 1e-5 relative: shape, dtype, numbers), printed text and exception
type is compared; blocks whose Keras output depends on the random seed are compared up to
values (shapes, dtypes, types). The blocks run in one child process, as the script runs them
(each from a cleared session and seed 0), so a block's global settings stay there.
"""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from swiftkeras import _lib

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "docstring_examples.py"


def _script():
    spec = importlib.util.spec_from_file_location("docstring_examples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


examples = _script()
BLOCKS = json.loads(examples.FIXTURE.read_text())["blocks"]


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    if _lib.load_error:
        pytest.skip(_lib.load_error)
    out = tmp_path_factory.mktemp("docstrings") / "ours.json"
    runnable = [{k: v for k, v in b.items() if k not in ("keras", "random")} for b in BLOCKS]
    return examples.run_ours(runnable, out)


@pytest.mark.parametrize("block", BLOCKS, ids=[b["id"] for b in BLOCKS])
def test_docstring_example_matches_keras(block, ours):
    why = examples.block_difference({"steps": block["keras"]}, ours[block["id"]], values=not block["random"])
    assert why is None, f"{block['id']}: {why}\n{block['source']}"


def test_a_changed_value_is_caught():
    """The comparison itself: a number off by more than the tolerance, a dtype, an exception."""
    ref = {"steps": [{"out": "", "value": examples.describe(np.float32([1.0, 2.0]))}]}
    off = {"steps": [{"out": "", "value": examples.describe(np.float32([1.0, 2.001]))}]}
    f64 = {"steps": [{"out": "", "value": examples.describe(np.float64([1.0, 2.0]))}]}
    raised = {"steps": [{"out": "", "error": "ValueError: no"}]}
    assert examples.block_difference(ref, ref) is None
    assert examples.block_difference(ref, off) is not None
    assert examples.block_difference(ref, off, values=False) is None
    assert examples.block_difference(ref, f64) is not None
    assert examples.block_difference(ref, raised) is not None
    assert examples.block_difference({"steps": [{"out": "[1.5 2. ]\n"}]}, {"steps": [{"out": "[1.5 2.1]\n"}]})
