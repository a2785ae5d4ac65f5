"""Segment reductions and scatters of `keras.ops`: `segment_sum`/`max`/`min`/`prod`, `scatter`,
`scatter_update`, `slice_update`.

On values they follow jax (Keras's default backend): out-of-range segment ids and scatter
indices are dropped, an empty segment holds the reduction's identity (-inf for max, +inf for
min, 1 for prod, 0 for sum), `slice_update` clamps its start so that the update fits.

In a traced layer they are compositions of graph ops, so gradients come from the library's
autodiff: a segment reduction compares the ids with the segments (a one-hot matrix) and sums
through a matmul or reduces the masked data; a scatter is a matmul with a constant 0/1 matrix
placing each row of values (its indices must be values: fixed at trace time, as shapes are);
`slice_update` pads the update to the input's shape and selects it inside the slice."""

from __future__ import annotations

import builtins
import math

import numpy as np

from ._arrays import _ops, _raw
from ._special import not_traceable
from ._trace import is_symbolic

_f32 = np.float32


def shape_of(x):
    """A tensor's shape (None for a traced tensor's unknown sizes) or an array's."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def keras_dtype(a):
    """Keras's dtype of an array under its default backend: 64-bit becomes 32-bit."""
    return {np.dtype(np.float64): np.dtype(_f32), np.dtype(np.int64): np.dtype(np.int32),
            np.dtype(np.uint64): np.dtype(np.uint32)}.get(a.dtype, a.dtype)


def _constant_indices(op, indices, what="indices"):
    if is_symbolic(indices):
        raise not_traceable(op, f"its {what} must be values (fixed when the layer is traced)",
                            f"pass the {what} as a numpy array or list")
    a = _raw(indices)
    if a.dtype.kind not in "iub" and a.size and not np.all(a == np.round(a)):
        raise TypeError(f"ops.{op}: {what} must be integers, got {a.dtype} values {a.ravel()[:4]}")
    return a.astype(np.int64)


# ---- segment reductions -------------------------------------------------------------------------

_SEGMENTS = {  # ufunc for values, identity for floats, identity for integers
    "segment_sum": (np.add, 0.0, lambda info: 0),
    "segment_max": (np.maximum, -math.inf, lambda info: info.min),
    "segment_min": (np.minimum, math.inf, lambda info: info.max),
    "segment_prod": (np.multiply, 1.0, lambda info: 1),
}


def _segment(op, data, segment_ids, num_segments):
    if is_symbolic(data) or is_symbolic(segment_ids):
        return _traced_segment(op, data, segment_ids, num_segments)
    ufunc, float_identity, int_identity = _SEGMENTS[op]
    v, ids = _raw(data), _raw(segment_ids).astype(np.int64)
    v = v.astype(keras_dtype(v))
    if ids.shape != v.shape[:ids.ndim]:
        raise ValueError(f"ops.{op}: segment_ids of shape {ids.shape} must match the leading axes "
                         f"of data of shape {v.shape}")
    num = int(num_segments) if num_segments is not None else int(ids.max(initial=-1)) + 1
    identity = float_identity if v.dtype.kind in "fc" else int_identity(np.iinfo(v.dtype)) \
        if v.dtype.kind in "iu" else float_identity
    k = ids.ndim
    out = np.full((num,) + v.shape[k:], identity, v.dtype)
    ids, rows = ids.reshape(-1), v.reshape((-1,) + v.shape[k:])
    keep = (ids >= 0) & (ids < num)
    ufunc.at(out, ids[keep], rows[keep])
    return out


def _traced_segment(op, data, segment_ids, num_segments):
    ops = _ops()
    if num_segments is None:
        raise not_traceable(op, "without num_segments the number of segments depends on the ids' "
                            "values", "give num_segments")
    num = int(num_segments)
    shape = shape_of(data)
    rank = len(segment_ids.shape) if hasattr(segment_ids, "shape") else np.ndim(segment_ids)
    if rank != 1:
        raise not_traceable(op, f"segment_ids of rank {rank} in a traced layer",
                            "flatten the data's leading axes and give 1-D ids")
    rest = shape[1:]
    unknown = [d for d in shape if d is None]
    if len(unknown) > 1:
        raise not_traceable(op, f"data of shape {shape} has more than one unknown size",
                            "segment data with at most one unknown axis (the batch)")
    rows = shape[0] if shape[0] is not None else -1
    flat = ops.reshape(data, (rows, -1 if rows != -1 else math.prod(rest)))   # (N, F)
    onehot = ops.one_hot(segment_ids if is_symbolic(segment_ids) else _raw(segment_ids), num)  # (N, S)
    if op == "segment_sum":
        out = ops.matmul(ops.transpose(onehot), flat)                          # (S, F)
    else:
        if op == "segment_prod" and shape[0] is None:
            raise not_traceable(op, "a product over an axis of unknown size (the batch)",
                                "segment along an axis whose size is known")
        fill = {"segment_max": -math.inf, "segment_min": math.inf, "segment_prod": 1.0}[op]
        masked = ops.where(ops.expand_dims(onehot, -1), ops.expand_dims(flat, 1), fill)  # (N, S, F)
        reduce = {"segment_max": ops.max, "segment_min": ops.min, "segment_prod": ops.prod}[op]
        out = reduce(masked, axis=0)
    return ops.reshape(out, (num,) + tuple(-1 if d is None else d for d in rest))


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 — Keras's name
    """Keras `ops.segment_sum`: the sum of the rows of `data` with each segment id."""
    return _segment("segment_sum", data, segment_ids, num_segments)


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Keras `ops.segment_max`: the maximum per segment (-inf, or the integer minimum, if empty)."""
    return _segment("segment_max", data, segment_ids, num_segments)


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Keras `ops.segment_min`: the minimum per segment (+inf, or the integer maximum, if empty)."""
    return _segment("segment_min", data, segment_ids, num_segments)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Keras `ops.segment_prod`: the product per segment (1 if empty)."""
    return _segment("segment_prod", data, segment_ids, num_segments)


# ---- scatters ---------------------------------------------------------------------------------

def _placement(op, indices, lead, last_wins):
    """The constant (M, N) 0/1 matrix placing row i of the values at the flat position of
    indices[i] within `lead` (M = prod(lead)); out-of-range rows are dropped, negative indices
    count from the end. With `last_wins` only the last row for a position is placed."""
    idx = indices.reshape(-1, indices.shape[-1])   # the last axis indexes (1-D: one position)
    n = idx.shape[0]
    dims = np.asarray(lead, np.int64)
    idx = np.where(idx < 0, idx + dims, idx)
    valid = np.all((idx >= 0) & (idx < dims), axis=1)
    flat = np.ravel_multi_index(tuple(np.where(valid[:, None], idx, 0).T), lead) if n else np.zeros(0, np.int64)
    p = np.zeros((math.prod(lead), n), _f32)
    rows = np.arange(n)[valid]
    if last_wins:
        seen = {}
        for r in rows:
            seen[flat[r]] = r
        rows = np.asarray(sorted(seen.values()), np.int64)
    np.add.at(p, (flat[rows], rows), 1.0)
    return p


def _place(values, p, shape):
    """p @ values (rows flattened), reshaped to `shape` (None: the axis follows the data)."""
    ops = _ops()
    rows = ops.reshape(values, (p.shape[1], -1))
    return ops.reshape(ops.matmul(p, rows), tuple(-1 if d is None else d for d in shape))


def scatter(indices, values, shape):
    """Keras `ops.scatter`: zeros of `shape` with `values` added at `indices` (duplicates add)."""
    shape = tuple(int(d) for d in shape)
    if is_symbolic(values) or is_symbolic(indices):
        idx = _constant_indices("scatter", indices)
        k = idx.shape[-1]
        return _place(values, _placement("scatter", idx, shape[:k], last_wins=False), shape)
    v, idx = _raw(values), _raw(indices).astype(np.int64)
    v = v.astype(keras_dtype(v))
    out = np.zeros(shape, v.dtype)
    key = tuple(np.moveaxis(idx, -1, 0))
    keep = np.all([(i >= -n) & (i < n) for i, n in zip(key, shape)], axis=0)
    np.add.at(out, tuple(i[keep] for i in key), v[keep] if v.ndim else v)
    return out


def scatter_update(inputs, indices, updates, reduction=None):
    """Keras `ops.scatter_update`: `inputs` with `updates` written at `indices` (reduction None:
    the last write wins; "add", "max", "min", "mul" combine), traced with every reduction."""
    if reduction not in (None, "add", "max", "min", "mul"):
        raise ValueError(f"Unsupported reduction: {reduction}")
    if is_symbolic(inputs) or is_symbolic(updates) or is_symbolic(indices):
        return _traced_scatter_update(inputs, indices, updates, reduction)
    a, idx, u = _raw(inputs), _raw(indices).astype(np.int64), _raw(updates)
    out = a.astype(keras_dtype(a), copy=True)
    key = tuple(np.moveaxis(idx, -1, 0))
    try:
        if reduction is None:
            out[key] = u
        else:
            {"add": np.add, "max": np.maximum, "min": np.minimum, "mul": np.multiply}[reduction].at(out, key, u)
    except (ValueError, IndexError) as e:
        raise ValueError(f"ops.scatter_update: updates of shape {u.shape} do not match indices of "
                         f"shape {idx.shape} into inputs of shape {a.shape} ({e})") from None
    return out


def _traced_scatter_update(inputs, indices, updates, reduction):
    ops = _ops()
    idx = _constant_indices("scatter_update", indices)
    shape = shape_of(inputs)
    k = idx.shape[-1] if idx.ndim else 0
    if idx.ndim == 0 or k > len(shape):
        raise ValueError(f"ops.scatter_update: indices of shape {idx.shape} do not index inputs of "
                         f"shape {shape} (the last axis of indices holds one position)")
    lead = shape[:k]
    if builtins.any(d is None for d in lead):
        raise not_traceable("scatter_update", f"the indexed axes of inputs of shape {shape} must "
                            "have known sizes (not the batch)", "scatter into known axes")
    rows = idx.reshape(-1, k).shape[0]
    if len(shape_of(updates)) != idx.ndim - 1 + len(shape) - k:
        raise ValueError(f"ops.scatter_update: updates of shape {shape_of(updates)} do not match "
                         f"indices of shape {idx.shape} into inputs of shape {shape}")
    rest = tuple(shape[k:])
    if reduction in ("max", "min", "mul"):
        # Each position combines the inputs with every update row placed there: the rows
        # elsewhere hold the reduction's identity, so the masked reduction is exact.
        p = _placement("scatter_update", idx, lead, last_wins=False) > 0       # (M, N)
        values = ops.reshape(updates, (1, rows, -1))
        fill = {"max": -math.inf, "min": math.inf, "mul": 1.0}[reduction]
        masked = ops.where(p[:, :, None], values, fill)                       # (M, N, F)
        reduce = {"max": ops.max, "min": ops.min, "mul": ops.prod}[reduction]
        combined = ops.reshape(reduce(masked, axis=1), lead + tuple(-1 if d is None else d for d in rest))
        combine = {"max": ops.maximum, "min": ops.minimum, "mul": ops.multiply}[reduction]
        return combine(inputs, combined)
    p = _placement("scatter_update", idx, lead, last_wins=reduction is None)
    placed = _place(updates, p, lead + rest)
    if reduction == "add":
        return ops.add(inputs, placed)
    hit = (p.sum(axis=1) > 0).astype(_f32).reshape(lead + (1,) * (len(shape) - k))
    return ops.add(ops.multiply(inputs, 1.0 - hit), placed)


def slice_update(inputs, start_indices, updates):
    """Keras `ops.slice_update`: `inputs` with the block `updates` written at `start_indices`
    (each start clamped so that the block fits, as jax's dynamic_update_slice)."""
    if builtins.any(is_symbolic(s) for s in (start_indices if isinstance(start_indices, (list, tuple))
                                             else [start_indices])):
        raise not_traceable("slice_update", "its start indices must be values (fixed when the layer "
                            "is traced)", "pass Python integers")
    starts = [int(s) for s in np.asarray(_raw(start_indices) if not isinstance(start_indices, (list, tuple))
                                         else start_indices).reshape(-1)]
    shape = shape_of(inputs)
    size = shape_of(updates)
    if len(starts) != len(shape) or len(size) != len(shape):
        raise ValueError(f"ops.slice_update: inputs of shape {shape}, updates of shape {size} and "
                         f"{len(starts)} start indices must have the same rank")
    if not (is_symbolic(inputs) or is_symbolic(updates)):
        a, u = _raw(inputs), _raw(updates)
        out = a.astype(keras_dtype(a), copy=True)
        if builtins.any(n > d for n, d in zip(u.shape, a.shape)):
            raise ValueError(f"ops.slice_update: updates of shape {u.shape} do not fit inputs of shape {a.shape}")
        key = tuple(slice(min(max(s, 0), d - n), min(max(s, 0), d - n) + n)
                    for s, n, d in zip(starts, u.shape, a.shape))
        out[key] = u
        return out
    ops = _ops()
    pads, mask = [], np.ones((), _f32)
    for axis, (s, n, d) in enumerate(zip(starts, size, shape)):
        if d is None or n is None:
            if d is not None or n is not None or s != 0:
                raise not_traceable("slice_update", f"axis {axis} has an unknown size (the batch) "
                                    f"in inputs {shape} or updates {size}", "update the whole batch "
                                    "(start 0, updates with the batch axis)")
            pads.append((0, 0))
            m = np.ones(1, _f32)
        else:
            if n > d:
                raise ValueError(f"ops.slice_update: updates of shape {size} do not fit inputs of shape {shape}")
            s = min(max(s, 0), d - n)
            pads.append((s, d - s - n))
            m = np.zeros(d, _f32)
            m[s:s + n] = 1
        mask = np.multiply.outer(mask, m)
    return ops.where(mask, ops.pad(updates, pads), inputs)


__all__ = ["segment_sum", "segment_max", "segment_min", "segment_prod", "scatter", "scatter_update",
           "slice_update"]
