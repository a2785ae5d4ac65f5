"""Image ops (Keras `keras.ops.image`): resize. Resizing is linear in the image: one constant
(out, in) interpolation matrix per spatial axis, built as jax.image.resize builds it (half-pixel
centers, the kernel widened by the scale when antialiasing a reduction), applied by einsum, so a
traced layer resizes natively with gradients and values compute the same way."""

from __future__ import annotations

import numpy as np

from ._trace import Unsupported, is_symbolic

_f32 = np.float32
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def _ops():
    from .. import ops
    return ops


def _kernel(interpolation, x):
    if interpolation == "bilinear":
        return np.maximum(0.0, 1.0 - x)
    if interpolation == "bicubic":   # Keys' cubic, a = -0.5
        out = ((1.5 * x - 2.5) * x) * x + 1.0
        out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
        return np.where(x >= 2.0, 0.0, out)
    radius = 3 if interpolation == "lanczos3" else 5
    return np.where(x > radius, 0.0, np.sinc(x) * np.sinc(x / radius))


def interpolation_matrix(n_in, n_out, interpolation="bilinear", antialias=False):
    """The (n_out, n_in) matrix resizing one axis, as jax.image.resize computes it."""
    if interpolation == "nearest":
        src = np.floor((np.arange(n_out) + 0.5) * n_in / n_out).astype(np.int64)
        m = np.zeros((n_out, n_in), np.float64)
        m[np.arange(n_out), np.minimum(src, n_in - 1)] = 1.0
        return m.astype(_f32)
    inv_scale = n_in / n_out
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(n_out) + 0.5) * inv_scale - 0.5
    x = np.abs(sample[np.newaxis, :] - np.arange(n_in)[:, np.newaxis]) / kernel_scale
    w = _kernel(interpolation, x)
    total = w.sum(axis=0, keepdims=True)
    w = np.where(np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                 w / np.where(total != 0, total, 1), 0.0)
    w = np.where(((sample >= -0.5) & (sample <= n_in - 0.5))[np.newaxis, :], w, 0.0)
    return w.T.astype(_f32)


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Keras `ops.image.resize` for rank-3 (one image) or rank-4 (a batch) images."""
    from ..backend import image_data_format
    ops = _ops()
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                         f"{INTERPOLATIONS}. Received: interpolation={interpolation}")
    if fill_mode != "constant":
        raise ValueError(f"Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
                         f"Received: fill_mode={fill_mode}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
    if pad_to_aspect_ratio:
        raise Unsupported("ops.image.resize(pad_to_aspect_ratio=True) is not in this library; "
                          "pad with ops.pad first")
    if len(size) != 2:
        raise ValueError(f"Argument `size` must be a tuple of two elements (height, width). "
                         f"Received: size={size}")
    symbolic = is_symbolic(images)
    x = images if symbolic else ops._value(images)
    rank = len(x.shape)
    if rank not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
                         f"images). Received input with shape: images.shape={tuple(x.shape)}")
    last = (data_format or image_data_format()) == "channels_last"
    h_axis = rank - 3 if last else rank - 2
    height, width = x.shape[h_axis], x.shape[h_axis + 1]
    if height is None or width is None:
        raise Unsupported(f"ops.image.resize of images of shape {tuple(x.shape)}: the height and "
                          f"width must be known at trace time")
    th, tw = int(size[0]), int(size[1])
    if crop_to_aspect_ratio:
        ch = max(min(height, int(float(width * th) / tw)), 1)
        cw = max(min(width, int(float(height * tw) / th)), 1)
        hs, ws = int(float(height - ch) / 2), int(float(width - cw) / 2)
        lead = (slice(None),) * h_axis
        x = ops.getitem(x, lead + (slice(hs, hs + ch), slice(ws, ws + cw)))
        height, width = ch, cw
    mh = interpolation_matrix(height, th, interpolation, antialias)
    mw = interpolation_matrix(width, tw, interpolation, antialias)
    if last:
        y = ops.einsum("hH,...HWc->...hWc", mh, x)
        return ops.einsum("wW,...hWc->...hwc", mw, y)
    y = ops.einsum("hH,...HW->...hW", mh, x)
    return ops.einsum("wW,...hW->...hw", mw, y)


__all__ = ["resize"]
