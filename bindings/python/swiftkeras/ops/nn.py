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


def hard_tanh(x):
    from . import clip
    return clip(x, -1.0, 1.0)


def celu(x, alpha=1.0):
    """Keras `ops.nn.celu`: max(x, 0) + alpha * expm1(min(x, 0) / alpha)."""
    from . import add, expm1, maximum, minimum, multiply
    return add(maximum(x, 0.0), multiply(expm1(multiply(minimum(x, 0.0), 1.0 / alpha)), float(alpha)))


def glu(x, axis=-1):
    """Keras `ops.nn.glu`: the first half of `axis` gated by the sigmoid of the second."""
    from . import multiply, split
    a, b = split(x, 2, axis=axis)
    return multiply(a, sigmoid(b))


def tanh_shrink(x):
    from . import subtract, tanh
    return subtract(x, tanh(x))


def soft_shrink(x, threshold=0.5):
    from . import add, greater, less, subtract, where
    t = float(threshold)
    return where(greater(x, t), subtract(x, t), where(less(x, -t), add(x, t), 0.0))


def hard_shrink(x, threshold=0.5):
    from . import abs, greater, where
    return where(greater(abs(x), float(threshold)), x, 0.0)


def squareplus(x, b=4):
    """Keras `ops.nn.squareplus`: (x + sqrt(x^2 + b)) / 2."""
    from . import add, multiply, sqrt, square
    return multiply(add(x, sqrt(add(square(x), float(b)))), 0.5)


def sparse_plus(x):
    """Keras `ops.nn.sparse_plus`: 0 below -1, x above 1, (x + 1)^2 / 4 between."""
    from . import add, greater_equal, less_equal, multiply, square, where
    return where(less_equal(x, -1.0), 0.0, where(greater_equal(x, 1.0), x,
                                                  multiply(square(add(x, 1.0)), 0.25)))


def threshold(x, threshold, default_value):  # noqa: A002 — Keras's names
    """Keras `ops.nn.threshold`: x where x > threshold, else default_value."""
    from . import greater, where
    return where(greater(x, float(threshold)), x, float(default_value))


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    from ._arrays import one_hot as run
    return run(x, num_classes, axis=axis, dtype=dtype, sparse=sparse)


from ._window import average_pool, conv, depthwise_conv, max_pool  # noqa: E402

__all__ = ["hard_tanh", "celu", "glu", "tanh_shrink", "soft_shrink", "hard_shrink", "squareplus",
           "sparse_plus", "threshold", "one_hot", "conv", "depthwise_conv", "max_pool",
           "average_pool",
           "relu", "relu6", "sigmoid", "softplus", "softsign", "silu", "swish", "log_sigmoid",
           "leaky_relu", "hard_sigmoid", "hard_silu", "hard_swish", "elu", "selu", "gelu",
           "softmax", "log_softmax"]
