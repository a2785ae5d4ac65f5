"""Activations (Keras `keras.activations`).

Each built-in is a function of a numpy array (what a Python plugin computes with) that the
library knows by its Keras name: `Dense(64, activation=activations.tanh)` and
`activation="tanh"` give the same layer, and `layer.activation` is the same object for both.
A Python function that is not one of these is registered with the library as a plugin.
"""

from __future__ import annotations

import numpy as np


class ActivationFunction:
    """A built-in activation: callable on numpy arrays, serialized as its Keras name."""

    def __init__(self, name, fn):
        self.__name__ = name
        self._fn = fn

    def __call__(self, x, *args, **kwargs):
        return self._fn(np.asarray(x, dtype=np.float32), *args, **kwargs)

    def _keras_config(self):
        return self.__name__

    def __repr__(self):
        return f"<function {self.__name__}>"

    def __reduce__(self):
        return (get, (self.__name__,))


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    y = np.where(x >= threshold, x, negative_slope * (x - threshold))
    return y if max_value is None else np.minimum(y, max_value)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


def _selu(x):
    return 1.0507009873554805 * _elu(x, 1.6732632423543772)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


_BUILTINS = {
    "linear": lambda x: x,
    "relu": _relu,
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "tanh": np.tanh,
    "softmax": _softmax,
    "log_softmax": lambda x, axis=-1: x - np.max(x, axis, keepdims=True) - np.log(
        np.sum(np.exp(x - np.max(x, axis, keepdims=True)), axis, keepdims=True)),
    "softplus": lambda x: np.logaddexp(0, x),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "elu": _elu,
    "selu": _selu,
    "exponential": np.exp,
    "swish": lambda x: x * _sigmoid(x),
    "silu": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3))),
    "leaky_relu": lambda x, negative_slope=0.2: np.where(x >= 0, x, negative_slope * x),
    "mish": lambda x: x * np.tanh(np.logaddexp(0, x)),
}
for _name, _fn in _BUILTINS.items():
    globals()[_name] = ActivationFunction(_name, _fn)
_ALL = {n: globals()[n] for n in _BUILTINS}


def get(identifier):
    """The activation for a name, a function (returned as is) or None (linear)."""
    if identifier is None:
        return _ALL["linear"]
    if isinstance(identifier, str):
        if identifier in _ALL:
            return _ALL[identifier]
        from ._objects import custom_objects_in_scope
        fn = custom_objects_in_scope().get(identifier)
        if fn is None:
            raise ValueError(f"Unknown activation function: '{identifier}'. Please ensure you "
                             f"are using a `keras.utils.custom_object_scope` and that this "
                             f"object is included in the scope.")
        return fn
    if isinstance(identifier, dict):
        return get(identifier.get("config", {}).get("name") or identifier.get("class_name"))
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation):
    from ._objects import serialize as _s
    return _s(activation)


def deserialize(name):
    return get(name)
