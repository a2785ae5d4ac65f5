"""`layer.supports_masking` of every layer class in the library's catalogue, as Keras's: the
catalogue lists it (`"supports_masking"`: true, or the argument that decides it, Embedding's
`mask_zero`), declared once per class in Swift (Layer.maskingSupport), and Python reads it
there. So is whether the class computes its outputs' masks itself (Keras's own `compute_mask`:
the catalogue's `"computes_mask"`, Layer.computesOwnMask), and what that computes. Keras's side
is its layers made with the same arguments (no build: cheap)."""

import numpy as np
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
    assert ours.supports_masking == ref.supports_masking


def test_catalogue_lists_the_classes_that_support_masking():
    """The catalogue, not a list in Python, says which classes do (and which argument decides
    it): a class without the entry does not."""
    listed = {n: e["supports_masking"] for n, e in _catalog.catalog()["layers"].items() if "supports_masking" in e}
    assert listed["Dense"] is True and listed["LSTM"] is True
    assert listed["Embedding"] == listed["ReversibleEmbedding"] == "mask_zero"
    assert "Conv2D" not in listed and "Flatten" not in listed


def _keras_computes_mask(layer):
    return type(layer).compute_mask is not keras.layers.Layer.compute_mask


@pytest.mark.parametrize("name", _catalog.layer_names())
def test_catalogue_says_which_classes_compute_their_masks_as_keras(name):
    """Keras's class has a `compute_mask` of its own exactly where the catalogue lists
    `"computes_mask"` (the library's layers of it then compute their outputs' masks)."""
    if name in NOT_IN_KERAS:
        pytest.skip(f"{name} is no Keras 3 layer class")
    try:
        ref = _make(keras, name, {})
    except (ImportError, ValueError) as e:
        if "ensorFlow" not in str(e) and "tensorflow" not in str(e):
            raise
        pytest.skip(f"Keras's {name} needs TensorFlow: {e}")
    assert _catalog.layer_computes_mask(name) == _keras_computes_mask(ref)
    if name != "Lambda":   # (the binding's Python Lambda: a traced function, no mask argument)
        assert _make(sk, name, {})._computes_own_mask() == _keras_computes_mask(ref)


_X = np.random.RandomState(0).normal(size=(2, 3, 4)).astype("float32")
_M = np.array([[True, True, False], [True, False, True]])
_CONV = np.random.RandomState(1).normal(size=(2, 3, 5, 2)).astype("float32")
# (class, arguments, inputs, mask): one call of compute_mask of each class computing its own.
COMPUTE = {
    "Embedding": ("Embedding", {"input_dim": 5, "output_dim": 2, "mask_zero": True}, np.array([[1, 0, 2]]), None),
    "Masking": ("Masking", {}, np.where(_M[..., None], _X, 0.0), None),
    "LSTM-sequences": ("LSTM", {"units": 2, "return_sequences": True}, _X, _M),
    "LSTM-last": ("LSTM", {"units": 2}, _X, _M),
    "LSTM-state": ("LSTM", {"units": 2, "return_sequences": True, "return_state": True}, _X, _M),
    "GRU-last": ("GRU", {"units": 2}, _X, _M),
    "ConvLSTM1D-sequences": ("ConvLSTM1D", {"filters": 2, "kernel_size": 2, "return_sequences": True}, _CONV, _M),
    "ConvLSTM1D-last-state": ("ConvLSTM1D", {"filters": 2, "kernel_size": 2, "return_state": True}, _CONV, _M),
    "GlobalAveragePooling1D": ("GlobalAveragePooling1D", {}, _X, _M),
    "Dot": ("Dot", {"axes": -1}, [_X, _X], [_M, _M]),
    "Add": ("Add", {}, [_X, _X], [_M, ~_M]),
    "Concatenate": ("Concatenate", {}, [_X, _X], [_M, None]),
    "Attention": ("Attention", {}, [_X, _X], [_M, None]),
}


def _kind(mask):
    if mask is None:
        return None
    if isinstance(mask, (list, tuple)):
        return [_kind(m) for m in mask]
    return np.asarray(mask).astype(bool).tolist()


@pytest.mark.parametrize("case", sorted(COMPUTE))
def test_compute_mask_returns_what_keras_returns(case):
    """The mask (or None, or the input's passed on) a class computing its own returns for one
    input and its mask, as Keras's `compute_mask` of that class."""
    name, kwargs, inputs, mask = COMPUTE[case]
    ref, ours = getattr(keras.layers, name)(**kwargs), getattr(sk.layers, name)(**kwargs)
    assert ours._computes_own_mask() and _keras_computes_mask(ref)
    assert _kind(ours.compute_mask(inputs, mask)) == _kind(ref.compute_mask(inputs, mask))
