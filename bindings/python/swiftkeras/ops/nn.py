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
    """Keras `ops.nn.glu`: the first half of `axis` gated by the sigmoid of the second (traced:
    the library's op, which reads the axis's size each run, so it may be unknown)."""
    from . import _op, is_symbolic, multiply, split
    size = _shape(x)[axis]
    if size is not None and size % 2:
        raise ValueError(f"axis size must be divisible by 2. Received: x.shape={tuple(_shape(x))} "
                         f"with axis={axis}")
    if is_symbolic(x):
        return _op("glu", [x], None, {"axis": int(axis)})
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


def _epsilon():
    from ..backend import epsilon
    return float(epsilon())


def normalize(x, axis=-1, order=2, epsilon=None):
    """Keras `ops.nn.normalize`: x / max(norm(x), epsilon) (order 2: x * min(rsqrt(sum x^2),
    1 / epsilon), as Keras computes it)."""
    from . import minimum, multiply, norm, rsqrt, square, sum, maximum, divide
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    eps = _epsilon() if epsilon is None else float(epsilon)
    if order == 2:
        return multiply(x, minimum(rsqrt(sum(square(x), axis=axis, keepdims=True)), 1.0 / eps))
    return divide(x, maximum(norm(x, ord=order, axis=axis, keepdims=True), eps))


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """Keras `ops.nn.rms_normalization`: x * rsqrt(mean(x^2) + epsilon) * scale."""
    from . import add, mean, multiply, rsqrt, square
    eps = _epsilon() if epsilon is None else float(epsilon)
    y = multiply(x, rsqrt(add(mean(square(x), axis=axis, keepdims=True), eps)))
    return y if scale is None else multiply(y, scale)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """Keras `ops.nn.layer_normalization`: (x - mean) * rsqrt(var + epsilon) * gamma + beta
    over `axis` (rms_scaling: x * rsqrt(var + epsilon) * gamma)."""
    from . import add, moments, multiply, rsqrt, subtract
    eps = _epsilon() if epsilon is None else float(epsilon)
    axes = list(axis) if isinstance(axis, (tuple, list)) else [axis]
    m, v = moments(x, axes, keepdims=True)
    inv = rsqrt(add(v, eps))
    y = multiply(x, inv) if rms_scaling else multiply(subtract(x, m), inv)
    if gamma is not None:
        y = multiply(y, gamma)
    if beta is not None and not rms_scaling:
        y = add(y, beta)
    return y


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """Keras `ops.nn.batch_normalization` with given statistics along `axis`."""
    from . import add, multiply, reshape, rsqrt, subtract
    rank = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
    shape = [1] * rank
    shape[axis % rank] = -1
    inv = rsqrt(add(reshape(variance, shape), float(epsilon)))
    if scale is not None:
        inv = multiply(inv, reshape(scale, shape))
    y = multiply(subtract(x, reshape(mean, shape)), inv)
    return y if offset is None else add(y, reshape(offset, shape))


def binary_crossentropy(target, output, from_logits=False):
    """Keras `ops.nn.binary_crossentropy`, elementwise."""
    from . import add, clip, log, multiply, negative, subtract
    if from_logits:
        return subtract(negative(multiply(target, log_sigmoid(output))),
                        multiply(subtract(1.0, target), log_sigmoid(negative(output))))
    o = clip(output, _epsilon(), 1.0 - _epsilon())
    return negative(add(multiply(target, log(o)), multiply(subtract(1.0, target), log(subtract(1.0, o)))))


def _log_probabilities(output, from_logits, axis):
    from . import clip, divide, log, sum
    if from_logits:
        return log_softmax(output, axis=axis)
    o = divide(output, sum(output, axis=axis, keepdims=True))
    return log(clip(o, _epsilon(), 1.0 - _epsilon()))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Keras `ops.nn.categorical_crossentropy`: -sum(target * log p) over `axis`."""
    from . import multiply, negative, sum
    return negative(sum(multiply(target, _log_probabilities(output, from_logits, axis)), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Keras `ops.nn.sparse_categorical_crossentropy`: class ids as targets."""
    from . import multiply, negative, squeeze, sum
    rank_t = len(target.shape) if hasattr(target, "shape") else np.ndim(target)
    rank_o = len(output.shape) if hasattr(output, "shape") else np.ndim(output)
    if rank_t == rank_o and (target.shape if hasattr(target, "shape") else np.shape(target))[-1] == 1:
        target = squeeze(target, axis=-1)
    classes = (output.shape if hasattr(output, "shape") else np.shape(output))[axis]
    hot = one_hot(target, classes, axis=axis)
    return negative(sum(multiply(hot, _log_probabilities(output, from_logits, axis)), axis=axis))


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Keras `ops.nn.multi_hot`: 1 for every class present in a row (the max of its one-hots)."""
    from . import max
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    rank = len(inputs.shape) if hasattr(inputs, "shape") else np.ndim(inputs)
    hot = one_hot(inputs, num_classes, axis=-1, sparse=sparse)
    y = max(hot, axis=-2) if rank > 1 else max(hot, axis=0)
    if axis not in (-1, len(y.shape) - 1 if hasattr(y, "shape") else np.ndim(y) - 1):
        from . import moveaxis
        y = moveaxis(y, -1, axis)
    return y


def psnr(x1, x2, max_val):
    """Keras `ops.nn.psnr`: 20 log10(max_val) - 10 log10(mse)."""
    from . import log, mean, multiply, square, subtract
    mse = mean(square(subtract(x1, x2)))
    return subtract(20.0 * np.log10(float(max_val)), multiply(log(mse), 10.0 / np.log(10.0)))


def sparse_sigmoid(x):
    """Keras `ops.nn.sparse_sigmoid`: 0 below -1, 1 above 1, (x + 1) / 2 between."""
    from . import add, clip, multiply
    return clip(multiply(add(x, 1.0), 0.5), 0.0, 1.0)


def _shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


_LARGE_NEGATIVE = -0.7 * float(np.finfo(np.float32).max)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Keras `ops.nn.dot_product_attention`: softmax(scale * q k^T + bias, masked) v over
    (batch, time, heads, depth) inputs; key/value with fewer heads (a divisor of the query's:
    grouped-query attention) serve query heads n // (N / K). Traced as einsum, where, softmax."""
    from . import einsum, multiply, add, where, repeat
    if attn_logits_soft_cap is not None:
        raise ValueError("attn_logits_soft_cap is only supported for JAX on TPU. "
                         "Set attn_logits_soft_cap=None when not using JAX on TPU.")
    if flash_attention:
        raise ValueError("Flash attention is not supported by this library's dot_product_attention; "
                         "pass flash_attention=None or False")
    qs, ks, vs = _shape(query), _shape(key), _shape(value)
    if len(qs) != 4 or len(ks) != 4 or len(vs) != 4:
        raise ValueError(f"`dot_product_attention` only supports 4D inputs. Received: "
                         f"query.shape={qs}, key.shape={ks}, value.shape={vs}.")
    heads, kv_heads = qs[2], ks[2]
    if kv_heads != heads:
        if kv_heads is None or heads is None or heads % kv_heads or vs[2] != kv_heads:
            raise ValueError(f"dot_product_attention: the query's {heads} heads must be a multiple "
                             f"of the key's and value's {kv_heads} (shapes {qs}, {ks}, {vs})")
        key = repeat(key, heads // kv_heads, axis=2)
        value = repeat(value, heads // kv_heads, axis=2)
    scale = 1.0 / math.sqrt(ks[3]) if scale is None else float(scale)
    logits = multiply(einsum("btnh,bsnh->bnts", query, key), scale)
    if bias is not None:
        logits = add(logits, bias)
    if mask is not None:
        logits = where(mask, logits, _LARGE_NEGATIVE)
    if is_causal:
        t, src = _shape(logits)[2], _shape(logits)[3]
        logits = where(np.tril(np.ones((t, src), np.float32)), logits, _LARGE_NEGATIVE)
    return einsum("bnts,bsnh->btnh", softmax(logits, axis=-1), value)


def _block_format(op, x, block_size, data_format):
    from ._window import _channels_first
    first = _channels_first(data_format)
    if block_size < 2:
        raise ValueError(f"`block_size` must be at least 2. Received: block_size={block_size}")
    shape = _shape(x)
    if len(shape) != 4:
        raise ValueError(f"`{op}` requires a 4D input tensor. Received: x.shape={shape}")
    if any(d is None for d in shape[1:]):
        raise ValueError(f"ops.nn.{op}: the sizes after the batch must be known, got {shape}")
    return not first, shape


def _keep_dtype(x, y):
    """An eager result in the input's dtype (Keras's shape ops keep it; ours compute in float32)."""
    if isinstance(y, np.ndarray) and isinstance(x, np.ndarray) and x.dtype != y.dtype:
        return y.astype(x.dtype)
    return y


def depth_to_space(x, block_size, data_format="channels_last"):
    """Keras `ops.nn.depth_to_space` (pixel shuffle): reshape, transpose, reshape."""
    from . import reshape, transpose
    last, (n, a, b, c) = _block_format("depth_to_space", x, block_size, data_format)
    k, n = int(block_size), -1 if n is None else n
    if last:
        y = reshape(transpose(reshape(x, [n, a, b, k, k, c // k // k]), [0, 1, 3, 2, 4, 5]),
                    [n, a * k, b * k, c // k // k])
    else:
        y = reshape(transpose(reshape(x, [n, a // k // k, k, k, b, c]), [0, 1, 4, 2, 5, 3]),
                    [n, a // k // k, b * k, c * k])
    return _keep_dtype(x, y)


def space_to_depth(x, block_size, data_format="channels_last"):
    """Keras `ops.nn.space_to_depth` (pixel unshuffle): reshape, transpose, reshape."""
    from . import reshape, transpose
    last, (n, a, b, c) = _block_format("space_to_depth", x, block_size, data_format)
    k, n = int(block_size), -1 if n is None else n
    if last:
        y = reshape(transpose(reshape(x, [n, a // k, k, b // k, k, c]), [0, 1, 3, 2, 4, 5]),
                    [n, a // k, b // k, c * k * k])
    else:
        y = reshape(transpose(reshape(x, [n, a, b // k, k, c // k, k]), [0, 1, 3, 5, 2, 4]),
                    [n, a * k * k, b // k, c // k])
    return _keep_dtype(x, y)


def sparsemax(x, axis=-1):
    """Keras `ops.nn.sparsemax`: max(x - tau, 0), tau from the sorted values' cumulative sums
    (traced: sort, cumsum, comparisons, sums; the ranks 1..n counted along the axis, so that an
    axis of unknown size takes the size each run has)."""
    from . import cumsum, divide, greater, maximum, negative, ones_like, sort, subtract, sum, where
    ordered = negative(sort(negative(x), axis=axis))
    r = cumsum(ones_like(ordered), axis=axis)
    sums = cumsum(ordered, axis=axis)
    support = greater(subtract(ordered, divide(subtract(sums, 1.0), r)), 0.0)
    k = sum(where(support, 1.0, 0.0), axis=axis, keepdims=True)
    tau = divide(subtract(sum(where(support, sums, 0.0), axis=axis, keepdims=True), 1.0), k)
    return maximum(subtract(x, tau), 0.0)


def moments(x, axes, keepdims=False, synchronized=False):
    """Keras `ops.nn.moments`: (mean, variance) over `axes`."""
    from . import moments as run
    return run(x, axes, keepdims=keepdims, synchronized=synchronized)


def polar(abs_, angle):
    """Keras `ops.nn.polar`, the same function as `ops.polar`."""
    from . import polar as run
    return run(abs_, angle)


from ._ctc import ctc_decode, ctc_loss  # noqa: E402
from ._window import (adaptive_average_pool, adaptive_max_pool, average_pool, conv,  # noqa: E402
                      conv_transpose, depthwise_conv, fold, max_pool, separable_conv, unfold)

__all__ = ["normalize", "rms_normalization", "layer_normalization", "batch_normalization",
           "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
           "multi_hot", "psnr", "sparse_sigmoid", "hard_tanh", "celu", "glu", "tanh_shrink", "soft_shrink", "hard_shrink", "squareplus",
           "sparse_plus", "threshold", "one_hot", "conv", "depthwise_conv", "max_pool",
           "average_pool", "conv_transpose", "separable_conv", "adaptive_average_pool",
           "adaptive_max_pool", "unfold", "fold", "ctc_loss", "ctc_decode", "dot_product_attention",
           "depth_to_space", "space_to_depth", "sparsemax", "moments", "polar",
           "relu", "relu6", "sigmoid", "softplus", "softsign", "silu", "swish", "log_sigmoid",
           "leaky_relu", "hard_sigmoid", "hard_silu", "hard_swish", "elu", "selu", "gelu",
           "softmax", "log_softmax"]
