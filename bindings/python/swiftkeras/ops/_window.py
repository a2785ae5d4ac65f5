"""Window ops of `keras.ops` / `keras.ops.nn`: conv, depthwise_conv, conv_transpose,
separable_conv, max_pool, average_pool, adaptive_average_pool, adaptive_max_pool, unfold, fold.
In a traced layer conv, depthwise_conv, conv_transpose and the pools are the library's own
differentiable ops (the kernels its Conv, Conv2DTranspose and Pooling layers use), channels-last,
with a channels-first input transposed around them (the adaptive pools take either layout); the
others are compositions of them. On
values they compute with numpy (windows by stride tricks), with Keras's "valid"/"same" padding."""

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
        letters = "xyz"[:r]   # not "c": the channel letter
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


def _transpose_geometry(n, k, s, d, padding, output_padding):
    """(output length, leading crop of the full scatter) of one axis of a transposed
    convolution, as Keras derives jax's padding (`_convert_conv_transpose_padding_args_from_keras_to_jax`)."""
    eff = (k - 1) * d + 1
    if padding == "valid":
        extra = max(eff, s) - eff if output_padding is None else output_padding
        left, right = eff - 1, eff - 1 + extra
    else:
        total = s + eff - 2 if output_padding is None else eff + eff % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, eff - 1)
        right = total - left
    return (n - 1) * s + 1 + left + right - eff + 1, eff - 1 - left


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """Keras `ops.conv_transpose`: the transposed convolution with a kernel (k..., out, in); in a
    traced layer the library's own op (Conv2DTranspose's kernel)."""
    r = (len(inputs.shape) if hasattr(inputs, "shape") else np.ndim(inputs)) - 2
    s, d, p = _tuple(strides, r, "strides"), _tuple(dilation_rate, r, "dilation_rate"), _padding(padding)
    o = None
    if output_padding is not None:
        o = tuple(int(i) for i in (output_padding if isinstance(output_padding, (tuple, list))
                                   else [output_padding] * r))
        if len(o) != r or any(i < 0 for i in o):
            raise ValueError(f"output_padding must be a non-negative integer or {r} of them, "
                             f"got {output_padding!r}")

    def eager(v, k):
        if k.ndim != r + 2 or k.shape[-1] != v.shape[-1]:
            raise ValueError(f"ops.conv_transpose: input of shape {v.shape} does not fit a kernel of "
                             f"shape {k.shape} (k..., out, in)")
        n = v.shape[1:-1]
        geo = [_transpose_geometry(n[a], k.shape[a], s[a], d[a], p, None if o is None else o[a])
               for a in range(r)]
        full = [(n[a] - 1) * s[a] + (k.shape[a] - 1) * d[a] + 1 for a in range(r)]
        size = [max(full[a], geo[a][0] + geo[a][1]) for a in range(r)]
        out = np.zeros((v.shape[0],) + tuple(size) + (k.shape[r],), np.float64)
        for pos in np.ndindex(*k.shape[:r]):
            region = (slice(None),) + tuple(slice(pos[a] * d[a], pos[a] * d[a] + (n[a] - 1) * s[a] + 1, s[a])
                                            for a in range(r))
            out[region] += np.einsum("n...c,fc->n...f", v, k[pos])
        return out[(slice(None),) + tuple(slice(b, b + length) for length, b in geo)]
    return _windowed("conv_transpose", [inputs, kernel], data_format,
                     {"strides": list(s), "padding": p, "dilation_rate": list(d),
                      "output_padding": None if o is None else list(o)}, eager)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Keras `ops.separable_conv`: depthwise_conv, then a 1x1 conv with the pointwise kernel."""
    y = depthwise_conv(inputs, depthwise_kernel, strides=strides, padding=padding,
                       data_format=data_format, dilation_rate=dilation_rate)
    return conv(y, pointwise_kernel, strides=1, padding="valid", data_format=data_format)


def _pair(v, what):
    t = tuple(int(i) for i in (v if isinstance(v, (tuple, list)) else (v, v)))
    if len(t) != 2:
        raise ValueError(f"{what} must be an integer or 2 of them, got {v!r}")
    return t


def _unfold_kernel(k, c):
    """The one-hot (kH, kW, c, c*kH*kW) kernel whose conv gives torch's im2col rows, ordered
    (channel, kH, kW)."""
    kernel = np.zeros(k + (c, c * k[0] * k[1]), _f32)
    for ci in range(c):
        for i in range(k[0]):
            for j in range(k[1]):
                kernel[i, j, ci, (ci * k[0] + i) * k[1] + j] = 1.0
    return kernel


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Keras `ops.unfold` (torch's im2col) of a (N, C, H, W) input into (N, C*kH*kW, L): a conv
    with a one-hot kernel (traced: the library's conv), rows ordered (channel, kH, kW)."""
    ops = _ops()
    shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    if len(shape) != 4:
        raise ValueError(f"Input must be a 4D tensor. Received: input.shape={shape}")
    k, d, p, s = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"),
                  _pair(padding, "padding"), _pair(stride, "stride"))
    c = shape[1]
    if c is None:
        raise ValueError("ops.unfold needs the channel count known")
    if any(p):
        x = ops.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    y = conv(ops.transpose(x, [0, 2, 3, 1]), _unfold_kernel(k, c), strides=s, padding="valid", dilation_rate=d,
             data_format="channels_last")                                  # (N, oH, oW, CKK)
    oh, ow = y.shape[1], y.shape[2]
    return ops.transpose(ops.reshape(y, [-1 if shape[0] is None else shape[0], oh * ow, c * k[0] * k[1]]),
                         [0, 2, 1])


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Keras `ops.fold` (torch's col2im) of (N, C*kH*kW, L) into (N, C, oH, oW): the transposed
    conv with the one-hot kernel of unfold (traced: the library's conv_transpose)."""
    ops = _ops()
    shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    if len(shape) != 3:
        raise ValueError(f"Input must be a 3D tensor. Received: input.shape={shape}")
    (oh, ow), k = _pair(output_size, "output_size"), _pair(kernel_size, "kernel_size")
    d, p, s = _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride")
    ckk = shape[1]
    if ckk is None or ckk % (k[0] * k[1]):
        raise ValueError(f"ops.fold: dimension 1 of {shape} must be a multiple of kernel_size "
                         f"{k[0]} x {k[1]}")
    c = ckk // (k[0] * k[1])
    nh = (oh + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    nw = (ow + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    if shape[2] is not None and shape[2] != nh * nw:
        raise ValueError(f"ops.fold: {shape[2]} blocks do not make an output of {(oh, ow)} with "
                         f"kernel {k}, dilation {d}, padding {p}, stride {s} ({nh} x {nw} blocks)")
    y = ops.reshape(ops.transpose(x, [0, 2, 1]), [-1 if shape[0] is None else shape[0], nh, nw, ckk])
    # unfold's kernel read as (k..., out, in): block row (c, i, j) lands on channel c at (i, j).
    full = conv_transpose(y, _unfold_kernel(k, c), strides=s, padding="valid", dilation_rate=d,
                          output_padding=(oh + 2 * p[0] - ((nh - 1) * s[0] + d[0] * (k[0] - 1) + 1),
                                          ow + 2 * p[1] - ((nw - 1) * s[1] + d[1] * (k[1] - 1) + 1)),
                          data_format="channels_last")
    full = ops.transpose(full, [0, 3, 1, 2])
    if any(p):
        full = ops.getitem(full, (slice(None), slice(None), slice(p[0], p[0] + oh), slice(p[1], p[1] + ow)))
    return full


def _adaptive_bins(n, out):
    """torch/Keras adaptive pooling windows of an axis: [floor(i n / out), ceil((i + 1) n / out))."""
    return [((i * n) // out, -((-(i + 1) * n) // out)) for i in range(out)]


def _adaptive(op, inputs, output_size, data_format):
    """The library's own op `op` (either layout, with its gradient) in a traced layer; numpy
    eagerly, one axis after the other over the same bins."""
    ops = _ops()
    rank = len(inputs.shape) if hasattr(inputs, "shape") else np.ndim(inputs)
    r = rank - 2
    if r not in (1, 2, 3):
        raise ValueError(f"{op} supports only 1D/2D/3D inputs")
    sizes = _tuple(output_size, r, "output_size")
    first = _channels_first(data_format)
    axes = range(2, rank) if first else range(1, rank - 1)

    def eager(v):
        for axis, size in zip(axes, sizes):
            pool = np.max if op == "adaptive_max_pool" else np.mean
            v = np.concatenate([pool(np.take(v, range(lo, hi), axis=axis), axis=axis, keepdims=True)
                                for lo, hi in _adaptive_bins(v.shape[axis], size)], axis=axis)
        return v
    attrs = {"output_size": list(sizes), "data_format": "channels_first" if first else "channels_last"}
    return ops._op(op, [inputs], eager, attrs)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Keras `ops.nn.adaptive_average_pool`: the mean of each of `output_size` windows per axis
    (torch's bins)."""
    return _adaptive("adaptive_average_pool", inputs, output_size, data_format)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Keras `ops.nn.adaptive_max_pool`: the maximum of each of `output_size` windows per axis."""
    return _adaptive("adaptive_max_pool", inputs, output_size, data_format)


__all__ = ["conv", "depthwise_conv", "conv_transpose", "separable_conv", "max_pool", "average_pool",
           "adaptive_average_pool", "adaptive_max_pool", "unfold", "fold"]
