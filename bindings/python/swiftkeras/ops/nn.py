"""Neural-network ops (Keras `keras.ops.nn`): activations, softmax. Eager on numpy in float32,
symbolic while a layer written in Python is traced (see swiftkeras.ops)."""

from __future__ import annotations

import math

import numpy as np

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _op(name, x, eager, attrs=None):
    from . import _op as run
    return run(name, [x], eager, attrs)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def relu(x):
    return _op("relu", x, lambda v: np.maximum(v, 0))


def relu6(x):
    return _op("relu6", x, lambda v: np.clip(v, 0, 6))


def sigmoid(x):
    return _op("sigmoid", x, _sigmoid)


def softplus(x):
    return _op("softplus", x, lambda v: np.logaddexp(0, v))


def softsign(x):
    return _op("softsign", x, lambda v: v / (1 + np.abs(v)))


def silu(x):
    return _op("silu", x, lambda v: v * _sigmoid(v))


swish = silu


def log_sigmoid(x):
    from . import negative
    return negative(softplus(negative(x)))


def leaky_relu(x, negative_slope=0.2):
    return _op("leaky_relu", x, lambda v: np.where(v >= 0, v, negative_slope * v),
               {"negative_slope": float(negative_slope)})


def hard_sigmoid(x):
    return _op("hard_sigmoid", x, lambda v: np.clip(v + 3, 0, 6) / 6)


def hard_silu(x):
    return _op("hard_silu", x, lambda v: v * np.clip(v + 3, 0, 6) / 6)


hard_swish = hard_silu


def elu(x, alpha=1.0):
    return _op("elu", x, lambda v: np.where(v > 0, v, alpha * np.expm1(v)), {"alpha": float(alpha)})


def selu(x):
    return _op("selu", x, lambda v: _SELU_SCALE * np.where(v > 0, v, _SELU_ALPHA * np.expm1(v)))


def gelu(x, approximate=True):
    def eager(v):
        if approximate:
            c = math.sqrt(2 / math.pi)
            return 0.5 * v * (1 + np.tanh(c * (v + 0.044715 * v ** 3)))
        return 0.5 * v * (1 + _erf(v / math.sqrt(2)))
    return _op("gelu", x, eager, {"approximate": bool(approximate)})


def softmax(x, axis=-1):
    def eager(v):
        e = np.exp(v - np.max(v, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)
    return _op("softmax", x, eager, {"axis": axis})


def log_softmax(x, axis=-1):
    def eager(v):
        s = v - np.max(v, axis=axis, keepdims=True)
        return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))
    return _op("log_softmax", x, eager, {"axis": axis})


__all__ = ["relu", "relu6", "sigmoid", "softplus", "softsign", "silu", "swish", "log_sigmoid",
           "leaky_relu", "hard_sigmoid", "hard_silu", "hard_swish", "elu", "selu", "gelu",
           "softmax", "log_softmax"]
