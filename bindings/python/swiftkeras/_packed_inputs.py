"""Layers written in Python that take several inputs (`Sampling()([z_mean, z_log_var])`, as in
Keras's VAE tutorial). The C ABI's layer plugin has one input array, so the inputs travel packed:
each flattened to (batch, size) and concatenated (the library's Reshape and Concatenate layers,
like the layers an op on two layer outputs becomes), and the layer's `build`, `call` and
`compute_output_shape` see them unpacked again, as the list Keras gives them. The shapes are
the layer's: saved in its config (`swiftkeras_packed_inputs`) so that a loaded model unpacks
as the built one did.
"""

from __future__ import annotations

import math

import numpy as np

CONFIG_KEY = "swiftkeras_packed_inputs"


def shapes(layer):
    """The input shapes (batch None) a layer unpacks, or None for a layer of one input."""
    return layer.__dict__.get("_packed_inputs")


def _sizes(packed):
    return [math.prod(s[1:]) for s in packed]


def _remember(layer, given):
    known = shapes(layer)
    if known is not None and known != given:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' was called on inputs of shapes "
                         f"{known}, now {given}: a layer written in Python keeps one set of input "
                         f"shapes")
    layer._packed_inputs = given


def pack(layer, tensors):
    """The KerasTensor the library's layer takes for a functional call on several inputs."""
    from .ops._functional import _merge_layer
    given = [tuple(t.shape) if t.shape is not None else None for t in tensors]
    if any(s is None or any(d is None for d in s[1:]) for s in given):
        raise NotImplementedError(f"{type(layer).__name__}: a layer written in Python takes several "
                                  f"inputs packed into one array, so their shapes (but the batch) "
                                  f"must be known; got {given}")
    _remember(layer, [(None,) + s[1:] for s in given])
    parts = [t if len(s) == 2 else _merge_layer("Reshape", target_shape=(math.prod(s[1:]),))(t)
             for t, s in zip(tensors, given)]
    return _merge_layer("Concatenate", axis=-1)(parts)


def pack_values(layer, arrays):
    """An eager call's packed array (and the layer's shapes remembered)."""
    values = [np.asarray(a, np.float32) for a in arrays]
    _remember(layer, [(None,) + v.shape[1:] for v in values])
    return np.concatenate([v.reshape(len(v), -1) for v in values], axis=1)


def unpack(layer, x):
    """The list of inputs a layer's call sees, from its packed input (symbolic or numpy)."""
    packed = shapes(layer)
    if packed is None:
        return x
    from . import ops
    parts, start = [], 0
    for s, n in zip(packed, _sizes(packed)):
        part = x[:, start:start + n]
        parts.append(part if len(s) == 2 else ops.reshape(part, (-1,) + tuple(s[1:])))
        start += n
    return parts


def unpack_shape(layer, shape):
    """The input shape(s) `build` and `compute_output_shape` see."""
    packed = shapes(layer)
    if packed is None:
        return shape
    return [(shape[0],) + tuple(s[1:]) for s in packed]


def pack_gradient(layer, dx):
    """A backward's list of input gradients as one packed array."""
    if shapes(layer) is None or not isinstance(dx, (list, tuple)):
        return dx
    return np.concatenate([np.asarray(g, np.float32).reshape(len(g), -1) for g in dx], axis=1)


def with_config(layer, config):
    """The layer's config with its packed shapes (for the library and the saved file)."""
    packed = shapes(layer)
    if packed is None:
        return config
    return {**config, CONFIG_KEY: [list(s) for s in packed]}


def from_config(config):
    """(the config without the packed shapes, the shapes or None)."""
    if CONFIG_KEY not in config:
        return config, None
    config = dict(config)
    return config, [tuple(s) for s in config.pop(CONFIG_KEY)]
