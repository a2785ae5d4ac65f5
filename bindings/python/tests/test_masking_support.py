"""`layer.supports_masking` of every layer class in the library's catalogue, as Keras's: the
catalogue lists it (`"supports_masking"`: true, or the argument that decides it, Embedding's
`mask_zero`), declared once per class in Swift (Layer.maskingSupport), and Python reads it
there. Keras's side is its layers made with the same arguments (no build: cheap)."""

import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import _catalog  # noqa: E402

pytestmark = needs(*CORE)

# The arguments each class requires (any valid value: supports_masking does not depend on them).
REQUIRED = {"activation": "relu", "output_size": 2, "rate": 0.5, "pool_size": 2, "num_tokens": 3,
            "height": 2, "width": 2, "filters": 2, "kernel_size": 2, "units": 2, "axes": 1,
            "equation": "ab,bc->ac", "output_shape": 2, "input_dim": 5, "output_dim": 2,
            "stddev": 0.1, "head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1,
            "num_bins": 3, "max_number": 2, "num_heads": 2, "key_dim": 2, "dims": (1,),
            "layers": [], "factor": 0.1, "height_factor": 0.1, "width_factor": 0.1, "n": 2,
            "scale": 1.0, "target_shape": (2,)}
LAYER_ARGUMENTS = {  # (a layer of each library, made per case)
    "layer": lambda k, name: k.layers.LSTM(2) if name == "Bidirectional" else k.layers.Dense(2),
    "cell": lambda k, name: k.layers.LSTMCell(2),
    "cells": lambda k, name: [k.layers.LSTMCell(2)],
    "function": lambda k, name: (lambda x: x),
}
OTHER = {"Discretization": {"num_bins": 3}, "InputLayer": {"shape": (2,)},
         "RandomPosterization": {"factor": 4}}
# The argument that decides it (Keras: Embedding's and ReversibleEmbedding's `mask_zero`),
# each class also made with it set.
WITH_MASK_ZERO = ("Embedding", "ReversibleEmbedding")
# Classes that are no Keras 3 layers of their own (GroupedQueryAttention: the library's name
# for Keras's legacy .h5 entries; ThresholdedReLU: gone from Keras 3).
NOT_IN_KERAS = {"GroupedQueryAttention", "ThresholdedReLU"}
# Keras's ConvLSTM layers support masking; the library's ConvLSTM does not apply a mask yet
# (it drops it, with Keras's warning), so it says False.
NOT_YET = {"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}

CASES = [(name, {}) for name in _catalog.layer_names()] + [(name, {"mask_zero": True}) for name in WITH_MASK_ZERO]


def _make(k, name, extra):
    signature = _catalog.layer_signature(name)
    required = signature[2] if signature else ()
    kwargs = {a: LAYER_ARGUMENTS[a](k, name) if a in LAYER_ARGUMENTS else REQUIRED[a] for a in required}
    return getattr(k.layers, name)(**{**kwargs, **OTHER.get(name, {}), **extra})


@pytest.mark.parametrize("name, extra", CASES, ids=[f"{n}{'-' + '-'.join(e) if e else ''}" for n, e in CASES])
def test_supports_masking_is_keras(name, extra):
    if name in NOT_IN_KERAS:
        pytest.skip(f"{name} is no Keras 3 layer class")
    try:
        ref = _make(keras, name, extra)
    except (ImportError, ValueError) as e:   # Keras's TensorFlow-only layers (Hashing, lookups)
        if "TensorFlow" not in str(e) and "tensorflow" not in str(e):
            raise
        pytest.skip(f"Keras's {name} needs TensorFlow: {e}")
    ours = _make(sk, name, extra)
    if name in NOT_YET:
        assert ref.supports_masking and not ours.supports_masking
        return
    assert ours.supports_masking == ref.supports_masking


def test_catalogue_lists_the_classes_that_support_masking():
    """The catalogue, not a list in Python, says which classes do (and which argument decides
    it): a class without the entry does not."""
    listed = {n: e["supports_masking"] for n, e in _catalog.catalog()["layers"].items() if "supports_masking" in e}
    assert listed["Dense"] is True and listed["LSTM"] is True
    assert listed["Embedding"] == listed["ReversibleEmbedding"] == "mask_zero"
    assert "Conv2D" not in listed and "Flatten" not in listed
