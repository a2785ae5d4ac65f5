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
        from ._tensor_ops import TensorOperators
        from ._model_vars import ModelWeight, tracing
        if isinstance(x, TensorOperators) or (isinstance(x, ModelWeight) and tracing() is not None):
            # A symbolic tensor (a traced call, a functional graph), or a subclassed model's own
            # weight while its call is traced (keras.io's decision trees: `softmax(self.pi)`):
            # the op of the same name.
            return _symbolic(self.__name__, x, args, kwargs)
        return self._fn(np.asarray(x, dtype=np.float32), *args, **kwargs)

    def _keras_config(self):
        return self.__name__

    def __repr__(self):
        return f"<function {self.__name__}>"

    def __reduce__(self):
        return (get, (self.__name__,))


def _symbolic(name, x, args, kwargs):
    """Activation `name` of a symbolic tensor, as `keras.ops` computes it."""
    from . import ops
    if name == "linear":
        return x
    fn = getattr(ops, name, None)
    if fn is None or (name == "relu" and (args or kwargs)):
        from .ops._trace import Unsupported
        raise Unsupported(f"activations.{name}{' with ' + str(args or kwargs) if args or kwargs else ''} "
                          f"on a symbolic tensor: no keras.ops function computes it; use ops directly")
    return fn(x, *args, **kwargs)


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's `ReLU.static_call`, step for step: x above the threshold (strictly) else 0,
    clipped to [0, max_value], minus negative_slope * relu(threshold - x)."""
    y = np.where(x > threshold, x, 0.0) if threshold != 0 else np.maximum(x, 0.0)
    if max_value is not None:
        y = np.clip(y, 0.0, max_value)
    return y if negative_slope == 0.0 else y - negative_slope * np.maximum(threshold - x, 0.0)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


def _selu(x):
    return 1.0507009873554805 * _elu(x, 1.6732632423543772)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _gelu(x, approximate=False):
    """Keras's `gelu(x, approximate=False)`: `x * Phi(x)` (the normal CDF, by erf), or its tanh
    approximation."""
    if approximate:
        return 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))
    try:
        from scipy.special import erf
    except ImportError:   # (scipy is optional)
        import math
        erf = np.vectorize(math.erf, otypes=[np.float64])
    return (0.5 * x * (1 + erf(np.asarray(x, np.float64) / np.sqrt(2)))).astype(x.dtype)


def _glu(x, axis=-1):
    a, b = np.split(x, 2, axis=axis)
    return a * _sigmoid(b)


def _sparsemax(x, axis=-1):
    # As Keras computes it (keras/src/backend/numpy/nn.py).
    z = -np.sort(-x, axis=axis)
    cumsum = np.cumsum(z, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    r = np.arange(1, x.shape[axis] + 1).reshape(shape)
    support = z - (cumsum - 1) / r > 0
    k = np.sum(support, axis=axis, keepdims=True)
    tau = (np.sum(np.where(support, cumsum, 0.0), axis=axis, keepdims=True) - 1) / k
    return np.maximum(x - tau, 0.0).astype(np.float32)


def _threshold(x, threshold, default_value):
    return np.where(x > threshold, x, default_value)


# numpy versions of the library's activations, for Python plugins; which names exist comes from
# the library's catalogue.
_NUMPY = {
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
    "gelu": _gelu,
    "leaky_relu": lambda x, negative_slope=0.2: np.where(x >= 0, x, negative_slope * x),
    "mish": lambda x: x * np.tanh(np.logaddexp(0, x)),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "celu": lambda x, alpha=1.0: np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha),
    "glu": _glu,
    "hard_shrink": lambda x, threshold=0.5: np.where(np.abs(x) > threshold, x, 0.0),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "log_sigmoid": lambda x: -np.logaddexp(0, -x),
    "soft_shrink": lambda x, threshold=0.5: np.where(
        x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0.0)),
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "sparse_sigmoid": lambda x: 0.5 * np.clip(x + 1, 0, 2),
    "sparsemax": _sparsemax,
    "squareplus": lambda x, b=4: (x + np.sqrt(x * x + b)) / 2,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "threshold": _threshold,
}


def _unavailable(name):
    def fn(x, *args, **kwargs):
        raise NotImplementedError(f"activations.{name} is computed by the library only; "
                                  f"pass it to a layer")
    return fn


def _library_names():
    from ._catalog import builtin_objects
    # Without the library, the numpy functions still serve plugins and tests.
    return builtin_objects("activations", default=list(_NUMPY))


_ALL = {}
for _name in _library_names():
    _ALL[_name] = ActivationFunction(_name, _NUMPY.get(_name) or _unavailable(_name))
    globals()[_name] = _ALL[_name]


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
