"""Keras `ops.image` warps: map_coordinates (jax.scipy.ndimage's, order 0 or 1, its five fill
modes), and affine_transform, perspective_transform and elastic_transform built on it as Keras's
jax backend builds them. On values map_coordinates, affine_transform and perspective_transform
compute with numpy. Traced, map_coordinates is the library's gather op (differentiable with
respect to the input and, for order 1, the coordinates), and elastic_transform composes it with
the graph's random op, so its displacement field is drawn anew at every step; on values
elastic_transform evaluates that same composition in the library, so that both give the same
field for the same seed. affine_transform and perspective_transform trace as one batched
map_coordinates op at the coordinates their transform gives (perspective's points as values)."""

from __future__ import annotations

import itertools

import numpy as np

from ._trace import Unsupported, is_symbolic

_f32 = np.float32
_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _array(x):
    from . import _value
    return np.asarray(x) if isinstance(x, np.ndarray) else np.asarray(_value(x))


def _mirror(index, size):
    s = size - 1
    return np.abs((index + s) % (2 * s) - s) if s > 0 else np.zeros_like(index)


def _fix(index, size, mode):
    if mode == "nearest":
        return np.clip(index, 0, size - 1)
    if mode == "wrap":
        return index % size
    if mode == "mirror":
        return _mirror(index, size)
    if mode == "reflect":
        return (_mirror(2 * index + 1, 2 * size + 1) - 1) // 2
    return index


def _round_half_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _map(v, coords, order, mode, cval):
    """jax.scipy.ndimage.map_coordinates of array `v` at `coords` (one array per axis)."""
    per_axis = []
    for c, size in zip(coords, v.shape):
        c = np.asarray(c)
        if order == 0:
            nodes = [(_round_half_away(c).astype(np.int64), 1.0)]
        else:
            lower = np.floor(c)
            nodes = [(lower.astype(np.int64), 1.0 - (c - lower)), (lower.astype(np.int64) + 1, c - lower)]
        per_axis.append([(np.clip(_fix(i, size, mode), 0, size - 1),
                          (i >= 0) & (i < size) if mode == "constant" else True, w) for i, w in nodes])
    out = 0.0
    for items in itertools.product(*per_axis):
        index = tuple(i for i, _, _ in items)
        valid = np.logical_and.reduce([np.broadcast_to(ok, index[0].shape) for _, ok, _ in items])
        weight = np.prod([np.broadcast_to(w, index[0].shape) for _, _, w in items], axis=0)
        out = out + weight * np.where(valid, v[index], cval)
    if v.dtype.kind in "iu":
        out = _round_half_away(out)
    return np.asarray(out).astype(v.dtype)


def _traced_map(inputs, coordinates, order, fill_mode, fill_value):
    """The graph's map_coordinates op, with Keras's checks on the shapes."""
    from . import _op, stack
    if isinstance(coordinates, (list, tuple)):
        coordinates = stack(list(coordinates), axis=0)
    shape, cshape = tuple(inputs.shape), tuple(coordinates.shape)
    if len(cshape) < 1 or cshape[0] != len(shape):
        raise ValueError(f"First dim of `coordinates` must be the same as the rank of `inputs`. "
                         f"Received inputs with shape: {shape} and coordinate leading dim of "
                         f"{cshape[0] if cshape else cshape}")
    if len(cshape) < 2:
        raise ValueError(f"Invalid coordinates rank: expected at least rank 2. Received input with "
                         f"shape: {cshape}")
    return _op("map_coordinates", [inputs, coordinates], None,
                {"order": order, "fill_mode": fill_mode, "fill_value": float(fill_value)})


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Keras `ops.image.map_coordinates`: `inputs` interpolated at `coordinates` (first axis: one
    coordinate array per input axis), order 0 (nearest) or 1 (linear)."""
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected one of {set(_FILL_MODES)}. "
                         f"Received: fill_mode={fill_mode}")
    if order not in (0, 1):
        raise ValueError(f"Invalid value for argument `order`. Expected one of [0, 1]. Received: order={order}")
    coordinate_parts = coordinates if isinstance(coordinates, (list, tuple)) else [coordinates]
    if is_symbolic(inputs) or any(is_symbolic(c) for c in coordinate_parts):
        return _traced_map(inputs, coordinates, order, fill_mode, fill_value)
    v, c = _array(inputs), _array(coordinates)
    if c.ndim < 1 or c.shape[0] != v.ndim:
        raise ValueError(f"First dim of `coordinates` must be the same as the rank of `inputs`. "
                         f"Received inputs with shape: {v.shape} and coordinate leading dim of "
                         f"{c.shape[0] if c.ndim else c.shape}")
    if c.ndim < 2:
        raise ValueError(f"Invalid coordinates rank: expected at least rank 2. Received input with "
                         f"shape: {c.shape}")
    return _map(v, list(c), order, fill_mode, fill_value)


def _check(op, images, interpolation, fill_mode):
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                         f"{set(_INTERPOLATIONS)}. Received: interpolation={interpolation}")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected of one {set(_FILL_MODES)}. "
                         f"Received: fill_mode={fill_mode}")
    if len(images.shape) not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
                         f"images). Received input with shape: images.shape={tuple(images.shape)}")


def _batch_last(images, data_format):
    """(batch, height, width, channels) images, and the function undoing it."""
    from ._window import _channels_first
    first = _channels_first(data_format)
    single = images.ndim == 3
    x = images[None] if single else images
    if first:
        x = np.transpose(x, (0, 2, 3, 1))

    def back(y):
        if first:
            y = np.transpose(y, (0, 3, 1, 2))
        return y[0] if single else y
    return x, back


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Keras `ops.image.affine_transform`: output pixel (y, x) samples the input at
    (b0 x + b1 y + b2, a0 x + a1 y + a2) for a transform [a0, a1, a2, b0, b1, b2, c0, c1] (as
    Keras's jax backend: c0 and c1 weigh the channel index, not a projective division). Traced,
    one batched map_coordinates op at coordinates computed from the transform (graph ops when
    the transform is symbolic, so that it may come from the layer's weights or random ops)."""
    traced = is_symbolic(images) or is_symbolic(transform)
    v = images if is_symbolic(images) else _array(images)
    t = transform if is_symbolic(transform) else np.asarray(_array(transform), _f32)
    _check("affine_transform", v, interpolation, fill_mode)
    if len(t.shape) not in (1, 2):
        raise ValueError(f"Invalid transform rank: expected rank 1 (single transform) or rank 2 (batch "
                         f"of transforms). Received input with shape: transform.shape={tuple(t.shape)}")
    if traced:
        return _traced_warp("affine_transform", images, interpolation, fill_mode, fill_value, data_format,
                            lambda _, h, w, c: _affine_coordinates(t, h, w, c))
    x, back = _batch_last(v, data_format)
    t = np.broadcast_to(t[None] if t.ndim == 1 else t, (x.shape[0], 8))
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        rows, cols, c = _affine_grid(t[i], *x.shape[1:])
        out[i] = _map(x[i], [rows, cols, c], _INTERPOLATIONS[interpolation], fill_mode, fill_value)
    return back(out)


def _affine_grid(t, height, width, channels):
    """The (row, column, channel) each output pixel of one image samples under transform `t`:
    float32, summed in jax's order, so that a nearest sample next to a half rounds as Keras's."""
    y, xx, c = (g.astype(_f32) for g in np.meshgrid(np.arange(height), np.arange(width),
                                                    np.arange(channels), indexing="ij"))
    a0, a1, a2, b0, b1, b2, c0, c1 = np.asarray(t, _f32)
    rows = (y * b1 + xx * b0 + c * c0) + b2
    cols = (y * a1 + xx * a0 + c * c1) + a2
    return rows, cols, c


def _affine_coordinates(t, height, width, channels):
    """affine_transform's coordinates (3, transforms, height, width, channels): constants for a
    transform given as values, graph ops over a symbolic one."""
    if not is_symbolic(t):
        grids = [_affine_grid(row, height, width, channels) for row in (t[None] if t.ndim == 1 else t)]
        return np.stack([np.stack(axis) for axis in zip(*grids)]).astype(_f32)
    from . import add, multiply, reshape, stack, zeros_like
    t = reshape(t, (-1, 1, 1, 1, 8))
    coefficient = [t[..., k] for k in range(8)]                     # each (transforms, 1, 1, 1)
    a0, a1, a2, b0, b1, b2, c0, c1 = coefficient
    y, xx, c = (g.astype(_f32) for g in np.meshgrid(np.arange(height), np.arange(width),
                                                    np.arange(channels), indexing="ij"))

    def line(wy, wx, wc, offset):   # (y wy + x wx + c wc) + offset, Keras's order
        return add(add(add(multiply(y, wy), multiply(xx, wx)), multiply(c, wc)), offset)
    rows, cols = line(b1, b0, c0, b2), line(a1, a0, c1, a2)
    return stack([rows, cols, add(zeros_like(rows), c)], axis=0)


def _traced_warp(op, images, interpolation, fill_mode, fill_value, data_format, coordinates_for):
    """A warp of symbolic `images`: the (batch, height, width, channels) images `x` sampled by
    one map_coordinates op (batch_dims 1) at `coordinates_for(x, height, width, channels)`,
    whose second axis is one transform per image or one for all (broadcast over the batch)."""
    from . import _op, add, convert_to_tensor, expand_dims, squeeze, transpose, zeros_like
    from ._window import _channels_first
    first = _channels_first(data_format)
    single = len(images.shape) == 3
    x = images if is_symbolic(images) else convert_to_tensor(np.asarray(_array(images), _f32))
    x = expand_dims(x, 0) if single else x
    if first:
        x = transpose(x, (0, 2, 3, 1))
    _, height, width, channels = x.shape
    if None in (height, width, channels):
        raise ValueError(f"ops.image.{op}: the image size and channels must be known in a traced "
                         f"call, got shape {tuple(images.shape)}")
    coordinates = coordinates_for(x, height, width, channels)
    transforms = coordinates.shape[1]
    if transforms == 1 and x.shape[0] != 1:
        # One transform for every image: its coordinates repeated over the batch.
        coordinates = add(expand_dims(zeros_like(x), 0), coordinates)
    elif transforms is not None and x.shape[0] is not None and transforms != x.shape[0]:
        raise ValueError(f"ops.image.{op}: {transforms} transforms for a batch of {x.shape[0]} images; "
                         f"give one transform, or one per image")
    out = _op("map_coordinates", [x, coordinates], None,
              {"order": _INTERPOLATIONS[interpolation], "fill_mode": fill_mode,
               "fill_value": float(fill_value), "batch_dims": 1})
    if first:
        out = transpose(out, (0, 3, 1, 2))
    return squeeze(out, 0) if single else out


def _homography(start, end):
    """The 8 coefficients mapping `end` points to `start` points (Keras's compute_homography_matrix)."""
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = np.zeros_like(ex), np.ones_like(ex)
    x_rows = np.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = np.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    a = np.concatenate([x_rows, y_rows], axis=1)
    return np.linalg.solve(a, np.concatenate([sx, sy], axis=-1)[..., None])[..., 0]


def _perspective_grid(t, height, width):
    """The (row, column) each output pixel samples under homography `t` (Keras's jax order)."""
    gx, gy = np.meshgrid(np.arange(width), np.arange(height), indexing="xy")
    denom = t[6] * gx + t[7] * gy + 1.0
    cols = (t[0] * gx + t[1] * gy + t[2]) / denom
    rows = (t[3] * gx + t[4] * gy + t[5]) / denom
    return rows, cols


def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0,
                          data_format=None):
    """Keras `ops.image.perspective_transform`: each output pixel samples the input where the
    homography taking `end_points` to `start_points` sends it (4 (x, y) points per image).
    Traced, the images may be symbolic (one batched map_coordinates op); the points must be
    values, since the homography is a linear solve the graph does not have."""
    if is_symbolic(start_points) or is_symbolic(end_points):
        raise Unsupported("ops.image.perspective_transform in a traced call: start_points and "
                          "end_points must be values (arrays), since the homography they give is a "
                          "linear solve that the library's op graph does not have; the images may "
                          "be symbolic")
    v = images if is_symbolic(images) else _array(images)
    start, end = np.asarray(_array(start_points), _f32), np.asarray(_array(end_points), _f32)
    _check("perspective_transform", v, interpolation, "constant")
    for name, p in (("start_points", start), ("end_points", end)):
        if p.shape[-2:] != (4, 2) or p.ndim not in (2, 3):
            raise ValueError(f"Invalid {name} shape: expected (4,2) for a single image or (N,4,2) for "
                             f"a batch. Received shape: {p.shape}")
    if start.shape != end.shape:
        raise ValueError(f"start_points and end_points must have the same shape. Received "
                         f"start_points.shape={start.shape}, end_points.shape={end.shape}")
    h = _homography(start[None] if start.ndim == 2 else start, end[None] if end.ndim == 2 else end)
    if is_symbolic(images):
        def coordinates(_, height, width, channels):
            c = np.broadcast_to(np.arange(channels, dtype=_f32), (height, width, channels))
            grids = [_perspective_grid(t, height, width) for t in h]
            return np.stack([np.stack([np.broadcast_to(g[..., None], (height, width, channels)) for g in axis])
                             for axis in zip(*grids)] + [np.stack([c] * len(h))]).astype(_f32)
        return _traced_warp("perspective_transform", images, interpolation, "constant", fill_value,
                            data_format, coordinates)
    x, back = _batch_last(v, data_format)
    h = np.broadcast_to(h, (x.shape[0], 8))
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        rows, cols = _perspective_grid(h[i], x.shape[1], x.shape[2])
        for ch in range(x.shape[3]):
            out[i, ..., ch] = _map(x[i, ..., ch], [rows, cols], _INTERPOLATIONS[interpolation],
                                   "constant", fill_value)
    return back(out)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect",
                      fill_value=0.0, seed=None, data_format=None):
    """Keras `ops.image.elastic_transform`: every pixel displaced by alpha times Gaussian-blurred
    normal noise (sigma), the same field for x and y as in Keras's jax backend. The noise is the
    library's random op seeded as Keras seeds it (an int: the same field at every call; a
    SeedGenerator: advancing; None: the global generator on values, refused in a traced call as
    Keras refuses it): traced, a new field at every step; on values, the same composition is
    evaluated in the library (so both agree for one seed). The numbers are not jax's."""
    from .. import random
    _check("elastic_transform", images if is_symbolic(images) else _array(images), interpolation, fill_mode)
    if is_symbolic(images):
        return _elastic(images, alpha, sigma, interpolation, fill_mode, fill_value, seed, data_format)
    v = _array(images)
    generator = random.global_seed_generator() if seed is None else seed
    from ._jvp import evaluate_traced
    # The graph draws at the generator's state (as a traced layer's draw at that state); the
    # state then moves on, as Keras's draw_seed does.
    out = evaluate_traced(lambda x: _elastic(x, alpha, sigma, interpolation, fill_mode, fill_value,
                                             generator, data_format), [v.astype(_f32)])
    if isinstance(generator, random.SeedGenerator):
        generator.next(ordered=seed is not None)
    return np.asarray(out).astype(v.dtype)


def _elastic(images, alpha, sigma, interpolation, fill_mode, fill_value, seed, data_format):
    """elastic_transform as graph ops on a symbolic image batch: the field from the random op
    (its batch read from the images at every step) through gaussian_blur, then one batched
    map_coordinates over (row, column, channel) of every image."""
    from . import add, multiply, stack, zeros_like
    from .image import gaussian_blur

    def coordinates(x, height, width, channels):
        size = int(6 * float(sigma)) | 1
        noise = _noise_like(x, (height, width, 1), seed)
        field = gaussian_blur(multiply(noise, _f32(sigma)), (size, size), (float(sigma), float(sigma)),
                              data_format="channels_last")
        shift = multiply(field, _f32(alpha))                           # (batch, height, width, 1)
        gy, gx, gc = np.meshgrid(np.arange(height, dtype=_f32), np.arange(width, dtype=_f32),
                                 np.arange(channels, dtype=_f32), indexing="ij")
        rows, cols = add(shift, gy[None]), add(shift, gx[None])      # (batch, height, width, channels)
        return stack([rows, cols, add(zeros_like(rows), gc[None])], axis=0)
    return _traced_warp("elastic_transform", images, interpolation, fill_mode, fill_value, data_format,
                        coordinates)


def _noise_like(x, dims, seed):
    """Normal noise of (batch,) + dims with the batch of `x`, read from `x` at every step."""
    from .. import random
    from ._trace import active
    trace = active()
    attrs = {"shape": [-1, *dims], **random._seed_attrs(seed, "elastic_transform"),
             "mean": 0.0, "stddev": 1.0}
    return trace.op("random_normal", [x], attrs)


__all__ = ["map_coordinates", "affine_transform", "perspective_transform", "elastic_transform"]
