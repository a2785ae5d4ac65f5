"""Window ops of `keras.ops` / `keras.ops.nn`: conv, depthwise_conv, max_pool, average_pool.
In a traced layer each is the library's own differentiable op (the kernels its Conv and Pooling
layers use), channels-last, with a channels-first input transposed around it. On values they
compute with numpy (windows by stride tricks), with Keras's "valid"/"same" padding."""

from __future__ import annotations

import numpy as np

_f32 = np.float32


def _ops():
    from .. import ops
    return ops


def _channels_first(data_format):
    from ..backend import image_data_format
    fmt = data_format or image_data_format()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {fmt!r}")
    return fmt == "channels_first"


def _tuple(v, r, what):
    t = tuple(int(i) for i in (v if isinstance(v, (tuple, list)) else [v] * r))
    if len(t) != r or any(i <= 0 for i in t):
        raise ValueError(f"{what} must be a positive integer or {r} of them, got {v!r}")
    return t


def _padding(padding):
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return p


def _windowed(op, inputs, data_format, attrs, eager):
    """Runs the channels-last window op `op` on `inputs[0]` (and the kernel), transposing a
    channels-first input around it."""
    ops = _ops()
    x = inputs[0]
    rank = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
    if not 3 <= rank <= 5:
        raise ValueError(f"ops.{op}: the input must have rank 3 to 5 (batch, spatial..., channels), "
                         f"got shape {tuple(x.shape) if hasattr(x, 'shape') else np.shape(x)}")
    first = _channels_first(data_format)
    if first:
        x = ops.transpose(x, [0] + list(range(2, rank)) + [1])
    y = ops._op(op, [x] + list(inputs[1:]), eager, attrs)
    if first:
        y = ops.transpose(y, [0, rank - 1] + list(range(1, rank - 1)))
    return y


def _pads(n, window, stride, dilation, padding):
    eff = (window - 1) * dilation + 1
    if padding == "valid":
        return 0, 0
    out = -(-n // stride)
    total = max((out - 1) * stride + eff - n, 0)
    return total // 2, total - total // 2


def _windows(v, window, strides, dilation, padding, fill):
    """(batch, out..., channels, window...) views of a channels-last `v`."""
    r = v.ndim - 2
    pads = [_pads(v.shape[1 + i], window[i], strides[i], dilation[i], padding) for i in range(r)]
    v = np.pad(v, [(0, 0)] + pads + [(0, 0)], constant_values=fill)
    eff = [(window[i] - 1) * dilation[i] + 1 for i in range(r)]
    if any(v.shape[1 + i] < eff[i] for i in range(r)):
        raise ValueError(f"the window {tuple(eff)} is larger than the (padded) input {v.shape[1:-1]}")
    w = np.lib.stride_tricks.sliding_window_view(v, eff, axis=tuple(range(1, r + 1)))
    index = ((slice(None),) + tuple(slice(None, None, s) for s in strides) + (slice(None),)
             + tuple(slice(None, None, d) for d in dilation))
    return w[index]


def _conv_eager(strides, padding, dilation, depthwise):
    def run(v, k):
        r = v.ndim - 2
        w = _windows(v, k.shape[:r], strides, dilation, padding, 0.0)   # (N, o..., C, k...)
        w = np.moveaxis(w, 1 + r, -1)                                     # (N, o..., k..., C)
        letters = "abc"[:r]
        if depthwise:
            y = np.einsum(f"n...{letters}c,{letters}cm->n...cm", w, k)
            return y.reshape(y.shape[:-2] + (-1,))
        cg = k.shape[r]
        groups = v.shape[-1] // cg
        if groups * cg != v.shape[-1] or k.shape[-1] % groups:
            raise ValueError(f"ops.conv: input channels {v.shape[-1]} do not fit a kernel of shape "
                             f"{k.shape} (k..., in / groups, filters)")
        fg = k.shape[-1] // groups
        return np.concatenate([np.einsum(f"n...{letters}c,{letters}cf->n...f",
                                         w[..., g * cg:(g + 1) * cg], k[..., g * fg:(g + 1) * fg])
                               for g in range(groups)], axis=-1)
    return run


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Keras `ops.conv`: N-d convolution with a kernel (k..., in / groups, filters)."""
    r = (len(inputs.shape) if hasattr(inputs, "shape") else np.ndim(inputs)) - 2
    s, d, p = _tuple(strides, r, "strides"), _tuple(dilation_rate, r, "dilation_rate"), _padding(padding)
    return _windowed("conv", [inputs, kernel], data_format,
                     {"strides": list(s), "padding": p, "dilation_rate": list(d)},
                     _conv_eager(s, p, d, depthwise=False))


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Keras `ops.depthwise_conv`: a kernel (k..., in, multiplier) per input channel."""
    r = (len(inputs.shape) if hasattr(inputs, "shape") else np.ndim(inputs)) - 2
    s, d, p = _tuple(strides, r, "strides"), _tuple(dilation_rate, r, "dilation_rate"), _padding(padding)
    return _windowed("depthwise_conv", [inputs, kernel], data_format,
                     {"strides": list(s), "padding": p, "dilation_rate": list(d)},
                     _conv_eager(s, p, d, depthwise=True))


def _pool(op, inputs, pool_size, strides, padding, data_format):
    r = (len(inputs.shape) if hasattr(inputs, "shape") else np.ndim(inputs)) - 2
    k = _tuple(pool_size, r, "pool_size")
    s = k if strides is None else _tuple(strides, r, "strides")
    p = _padding(padding)
    ones = (1,) * r
    axes = tuple(range(-r, 0))

    def eager(v):
        if op == "max_pool":
            return _windows(v, k, s, ones, p, -np.inf).max(axis=axes)
        total = _windows(v, k, s, ones, p, 0.0).sum(axis=axes)
        count = _windows(np.ones_like(v[:1]), k, s, ones, p, 0.0).sum(axis=axes)
        return total / count
    return _windowed(op, [inputs], data_format, {"pool_size": list(k), "strides": list(s), "padding": p},
                     eager)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Keras `ops.max_pool` (strides default to the pool size)."""
    return _pool("max_pool", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Keras `ops.average_pool`: "same" padding averages only the taps inside the input."""
    return _pool("average_pool", inputs, pool_size, strides, padding, data_format)


__all__ = ["conv", "depthwise_conv", "max_pool", "average_pool"]
