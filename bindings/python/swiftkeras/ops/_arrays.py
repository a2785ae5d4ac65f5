"""Scans, sorting and array construction of `keras.ops`: cumsum, cumprod, prod, argmin, sort,
argsort, top_k, pad, roll, tril/triu, one_hot, ravel, broadcast_to, unstack, outer, vstack/hstack,
average and the constant makers (linspace, tri, identity, meshgrid). In a traced layer each is
one of the library's graph ops or a composition of them, with gradients from its autodiff:

- cumsum, cumprod, sort, argsort, roll, tril/triu, diagonal, trace and kron are graph ops of
  their own (OpGraphOp+Axes.swift), which read their axes' sizes at run time: they run along
  the batch and along any axis of unknown size, as Keras's do;
- prod is the last entry of cumprod along each axis (exact gradients, zeros included), top_k
  the first k of a sort of the negated entries (stable: ties keep the lower index first);
- pad concatenates slices (and zero or constant blocks, flipped slices for reflect).

Where a composition needs an axis's size (quantile, unstack, pad), that axis must have a size
known at trace time (not the batch)."""

from __future__ import annotations

import builtins

import numpy as np

from .._dtypes import result_type
from . import _int_dtypes
from ._math import compose
from ._trace import Unsupported, is_symbolic

_f32 = np.float32


def _ops():
    from .. import ops
    return ops


def _rank(x):
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def _axis_of(op, x, axis):
    """`axis` of a traced `x` normalized (None stays: the op flattens); refuses one out of range."""
    if axis is None:
        return None
    rank = _rank(x)
    if not -rank <= int(axis) < rank:
        raise ValueError(f"ops.{op}: axis {axis} is out of bounds for a tensor of rank {rank}")
    return int(axis) % rank


def _known_axis(op, x, axis):
    """`axis` of a traced `x` normalized, with its size; refuses an unknown size."""
    rank = _rank(x)
    if not -rank <= axis < rank:
        raise ValueError(f"ops.{op}: axis {axis} is out of bounds for a tensor of rank {rank}")
    a = axis % rank
    n = x.shape[a]
    if n is None:
        raise Unsupported(f"ops.{op} along axis {axis} of a tensor of shape {x.shape}: in a traced "
                          f"layer the axis must have a size known at trace time (not the batch)")
    return a, n


def _int_result(name, v):
    """Keras's dtype of op `name` (a sum or product) on values: integers and bools widen as
    `_int_dtypes` has it, float16 stays, anything else is float32."""
    return _int_dtypes.kept(name, [v]) or _int_dtypes.half([v]) or _f32


def _raw(x):
    from .._python_layers import Weight
    return x.numpy() if isinstance(x, Weight) else np.asarray(x)


# ---- scans and products ------------------------------------------------------------------------

def cumsum(x, axis=None, dtype=None):
    """Keras `ops.cumsum(x, axis=None, dtype=None)`."""
    ops = _ops()
    if not is_symbolic(x):
        v = _raw(x)
        return np.cumsum(v, axis=axis).astype(dtype or _int_result("cumsum", v))
    return ops._op("cumsum", [x], None, {"axis": _axis_of("cumsum", x, axis)})


def cumprod(x, axis=None, dtype=None):
    """Keras `ops.cumprod(x, axis=None, dtype=None)`."""
    ops = _ops()
    if not is_symbolic(x):
        v = _raw(x)
        return np.cumprod(v, axis=axis).astype(dtype or _int_result("cumprod", v))
    return ops._op("cumprod", [x], None, {"axis": _axis_of("cumprod", x, axis)})


def prod(x, axis=None, keepdims=False, dtype=None):
    """Keras `ops.prod(x, axis=None, keepdims=False, dtype=None)`."""
    ops = _ops()
    if not is_symbolic(x):
        v = _raw(x)
        return np.asarray(np.prod(v, axis=tuple(axis) if isinstance(axis, list) else axis,
                                  keepdims=keepdims), dtype or _int_result("prod", v))
    rank = _rank(x)
    axes = range(rank) if axis is None else (axis if isinstance(axis, (tuple, list)) else [axis])
    axes = sorted({_axis_of("prod", x, a) for a in axes})
    for a in axes:     # the product along an axis: its last running product, the axis kept
        x = cumprod(x, axis=a)[(slice(None),) * a + (slice(-1, None),)]
    return x if keepdims else ops.squeeze(x, axis=axes)


def argmin(x, axis=None, keepdims=False):
    """Keras `ops.argmin`: int32 on values; argmax(-x) in a traced layer."""
    ops = _ops()
    if is_symbolic(x):
        return ops.argmax(ops.negative(x), axis=axis, keepdims=keepdims)
    return np.asarray(np.argmin(ops._value(x), axis=axis, keepdims=keepdims), np.int32)


# ---- sorting -----------------------------------------------------------------------------------

def sort(x, axis=-1):
    """Keras `ops.sort(x, axis=-1)` (ascending)."""
    if is_symbolic(x):
        return _ops()._op("sort", [x], None, {"axis": _axis_of("sort", x, axis)})
    return _ops()._op("sort", [x], lambda v: np.sort(v, axis=axis, kind="stable"))


def argsort(x, axis=-1):
    """Keras `ops.argsort(x, axis=-1)`: int32 on values (stable: ties in order)."""
    if is_symbolic(x):
        return _ops()._op("argsort", [x], None, {"axis": _axis_of("argsort", x, axis)})
    v = _raw(x)     # integers as they are (float32 would tie large neighbours)
    v = v if v.dtype.kind in "iub" else _ops()._value(x)
    return np.argsort(v, axis=axis, kind="stable").astype(np.int32)


def top_k(x, k, sorted=True):  # noqa: A002 — Keras's name
    """Keras `ops.top_k(x, k, sorted=True)`: (values, int32 indices) of the k largest entries
    of the last axis, largest first (ties: the lower index first)."""
    ops = _ops()
    k = int(k)
    if is_symbolic(x):
        n = x.shape[-1]
        if k < 0 or (n is not None and k > n):
            raise ValueError(f"ops.top_k: k={k} is not in [0, {n}] for the last axis of shape {x.shape}")
        negated = ops.negative(x)
        return ops.negative(sort(negated)[..., :k]), argsort(negated)[..., :k]
    v = ops._value(x)
    if not 0 <= k <= v.shape[-1]:
        raise ValueError(f"ops.top_k: k={k} is not in [0, {v.shape[-1]}] for the last axis of "
                         f"shape {v.shape}")
    idx = np.argsort(-v, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(v, idx, axis=-1), idx.astype(np.int32)


# ---- shapes ------------------------------------------------------------------------------------

def _pad_pairs(pad_width, rank):
    w = np.asarray(pad_width, dtype=np.int64)
    if w.ndim == 0:
        w = np.full((rank, 2), int(w))
    elif w.ndim == 1 and w.size == 2:
        w = np.tile(w, (rank, 1))
    elif w.ndim == 2 and w.shape == (1, 2):
        w = np.tile(w, (rank, 1))
    if w.shape != (rank, 2) or (w < 0).any():
        raise ValueError(f"ops.pad: pad_width {pad_width!r} does not give (before, after) >= 0 for "
                         f"each of {rank} axes")
    return [(int(lo), int(hi)) for lo, hi in w]


_TRACED_PAD_MODES = ("constant", "reflect", "symmetric", "edge", "wrap")


def pad(x, pad_width, mode="constant", constant_values=None):
    """Keras `ops.pad`; a traced layer takes the modes constant, reflect, symmetric, edge and
    wrap (concatenations of constant blocks and slices)."""
    ops = _ops()
    if constant_values is not None and mode != "constant":
        raise ValueError("Argument `constant_values` can only be provided when `mode == 'constant'`. "
                         f"Received: mode={mode}")
    if not is_symbolic(x):
        v = ops._value(x)
        pairs = _pad_pairs(pad_width, v.ndim)
        extra = {"constant_values": constant_values or 0} if mode == "constant" else {}
        return np.pad(v, pairs, mode=mode, **extra).astype(_f32)
    if mode not in _TRACED_PAD_MODES:
        raise Unsupported(f"ops.pad(mode={mode!r}) in a traced layer: use one of {_TRACED_PAD_MODES}")
    pairs = _pad_pairs(pad_width, _rank(x))
    for a, (lo, hi) in enumerate(pairs):
        if lo == hi == 0:
            continue
        lead = (slice(None),) * a
        n = x.shape[a]
        if mode != "constant" and n is None:
            _known_axis("pad", x, a)
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ValueError(f"ops.pad(mode='reflect'): padding ({lo}, {hi}) of axis {a} needs it "
                             f"longer than {builtins.max(lo, hi)}, it has {n}")
        if mode in ("symmetric", "wrap") and (lo > n or hi > n):
            raise ValueError(f"ops.pad(mode={mode!r}): padding ({lo}, {hi}) of axis {a} is longer "
                             f"than the axis ({n})")

        def block(count, before):
            if mode == "constant":
                unit = ops.zeros_like(x[lead + (slice(0, 1),)])
                if constant_values:
                    unit = ops.add(unit, float(constant_values))
                return ops.tile(unit, [count if d == a else 1 for d in range(_rank(x))])
            if mode == "edge":
                edge = x[lead + (slice(0, 1) if before else slice(-1, None),)]
                return ops.tile(edge, [count if d == a else 1 for d in range(_rank(x))])
            if mode == "wrap":
                return x[lead + ((slice(n - count, n) if before else slice(0, count)),)]
            if mode == "reflect":
                part = slice(1, count + 1) if before else slice(n - 1 - count, n - 1)
            else:
                part = slice(0, count) if before else slice(n - count, n)
            return ops.flip(x[lead + (part,)], axis=a)
        pieces = ([block(lo, True)] if lo else []) + [x] + ([block(hi, False)] if hi else [])
        x = ops.concatenate(pieces, axis=a)
    return x


def roll(x, shift, axis=None):
    """Keras `ops.roll(x, shift, axis=None)`."""
    ops = _ops()
    if not is_symbolic(x):
        return ops._op("roll", [x], lambda v: np.roll(v, shift, axis=axis))
    axes = None if axis is None else [_axis_of("roll", x, a) for a in (
        axis if isinstance(axis, (tuple, list)) else [axis])]
    shifts = [int(s) for s in shift] if isinstance(shift, (tuple, list)) else [int(shift)]
    if len(shifts) != 1 and len(shifts) != len(axes or [None]):
        raise ValueError(f"ops.roll: {len(shifts)} shifts for {len(axes or [None])} axes")
    return ops._op("roll", [x], None, {"shift": shifts, "axis": axes})


def _triangle(op, x, k, lower):
    ops = _ops()
    if not is_symbolic(x):
        return ops._op(op, [x], lambda v: (np.tril if lower else np.triu)(v, k))
    if _rank(x) < 2:
        raise ValueError(f"ops.{op}: the input must have at least 2 dimensions, got shape {x.shape}")
    return ops._op(op, [x], None, {"k": k})


def tril(x, k=0):
    """Keras `ops.tril`: the entries above the k-th diagonal of the last two axes zeroed."""
    return _triangle("tril", x, int(k), lower=True)


def triu(x, k=0):
    """Keras `ops.triu`: the entries below the k-th diagonal of the last two axes zeroed."""
    return _triangle("triu", x, int(k), lower=False)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Keras `ops.one_hot`: 1 where the class equals the entry (out-of-range entries give a row
    of zeros), float32; in a traced layer the entries are compared with the classes."""
    ops = _ops()
    if sparse:
        raise Unsupported("ops.one_hot(sparse=True): the library has no sparse tensors")
    classes = np.arange(int(num_classes), dtype=_f32)
    if is_symbolic(x):
        y = ops.equal(ops.expand_dims(x, -1), classes)
        rank = _rank(y)
        return y if axis in (-1, rank - 1) else ops.moveaxis(y, -1, axis)
    v = _raw(x)
    y = (v[..., None] == classes).astype(dtype or _f32)
    return y if axis == -1 else np.moveaxis(y, -1, axis)


def ravel(x):
    return _ops().reshape(x, (-1,))


def broadcast_to(x, shape):
    """Keras `ops.broadcast_to(x, shape)`: x + zeros(shape) in a traced layer, zeros of the
    traced tensor whose shape it is where that shape has an unknown size (`ops.shape(t)`)."""
    ops = _ops()
    if isinstance(shape, ops._TracedShape):   # a traced tensor's whole shape: its batch unknown
        return ops.add(x, ops.zeros_like(shape.source))
    target = ops._known_shape("broadcast_to", shape)
    if not is_symbolic(x):
        return ops._op("broadcast_to", [x], lambda v: np.broadcast_to(v, target).copy())
    return ops.add(x, np.zeros(target, _f32))


def unstack(x, num=None, axis=0):
    """Keras `ops.unstack(x, num=None, axis=0)`: the slices along `axis`, as a list."""
    ops = _ops()
    a, n = _known_axis("unstack", x, axis) if is_symbolic(x) else (axis % np.ndim(x), np.shape(x)[axis])
    if num is not None and int(num) != n:
        raise ValueError(f"ops.unstack: num={num} does not match axis {axis} of size {n}")
    lead = (slice(None),) * a
    return [ops.getitem(x, lead + (i,)) for i in range(n)]


def outer(x1, x2):
    ops = _ops()
    return ops.multiply(ops.reshape(x1, (-1, 1)), ops.reshape(x2, (1, -1)))


def vstack(xs):
    ops = _ops()
    xs = [ops.expand_dims(x, 0) if _rank(x) == 1 else x for x in xs]
    return ops.concatenate(xs, axis=0)


def hstack(xs):
    ops = _ops()
    return ops.concatenate(list(xs), axis=0 if builtins.all(_rank(x) == 1 for x in xs) else 1)


def average(x, axis=None, weights=None):
    """Keras `ops.average`: sum(x w) / sum(w) (w broadcast along `axis` when 1-D)."""
    ops = _ops()
    if weights is None:
        return ops.mean(x, axis=axis)
    x_shape, w_shape = (tuple(v.shape) if hasattr(v, "shape") else np.shape(v) for v in (x, weights))
    if axis is None and x_shape != w_shape:
        raise ValueError("Axis must be specified when shapes of a and weights differ.")
    if axis is not None and x_shape != w_shape and (len(w_shape) != 1 or w_shape[0] != x_shape[axis]):
        raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
    if axis is not None and _rank(weights) == 1 and _rank(x) > 1:
        a = axis % _rank(x)
        weights = ops.reshape(weights, [-1 if d == a else 1 for d in range(_rank(x))])
    return ops.divide(ops.sum(ops.multiply(x, weights), axis=axis), ops.sum(
        ops.multiply(ops.ones_like(x), weights), axis=axis))


def fliplr(x):
    return _ops().flip(x, axis=1)


def flipud(x):
    return _ops().flip(x, axis=0)


def rot90(array, k=1, axes=(0, 1)):
    """Keras `ops.rot90`: numpy's flips and transposes."""
    ops = _ops()
    rank = _rank(array)
    a0, a1 = (int(a) % rank for a in axes)
    k = int(k) % 4
    perm = list(range(rank))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 0:
        return ops.flip(ops.flip(array, axis=a0), axis=a0) if is_symbolic(array) else ops._op(
            "copy", [array], np.copy)
    if k == 1:
        return ops.transpose(ops.flip(array, axis=a1), perm)
    if k == 2:
        return ops.flip(ops.flip(array, axis=a0), axis=a1)
    return ops.flip(ops.transpose(array, perm), axis=a1)


def _atleast(x, rank):
    ops = _ops()
    r = _rank(x)
    if r >= rank:
        return x
    if rank == 3:   # numpy's atleast_3d: (N,) -> (1, N, 1), (M, N) -> (M, N, 1)
        return ops.expand_dims(ops.expand_dims(x, 0), -1) if r == 1 else ops.expand_dims(x, -1)
    return ops.expand_dims(x, 0)


def dstack(xs):
    return _ops().concatenate([_atleast(x, 3) for x in xs], axis=2)


def _split_along(x, indices_or_sections, axis, name):
    from ._indexing import split
    rank = _rank(x)
    if rank <= axis:
        raise ValueError(f"ops.{name}: the input needs rank > {axis}, got rank {rank}")
    return split(x, indices_or_sections, axis=axis)


def hsplit(x, indices_or_sections):
    return _split_along(x, indices_or_sections, 0 if _rank(x) == 1 else 1, "hsplit")


def vsplit(x, indices_or_sections):
    return _split_along(x, indices_or_sections, 0, "vsplit")


def dsplit(x, indices_or_sections):
    return _split_along(x, indices_or_sections, 2, "dsplit")


def array_split(x, indices_or_sections, axis=0):
    """Keras `ops.array_split`: like split, sections may be unequal (the first ones longer)."""
    ops = _ops()
    if not is_symbolic(x):
        parts = np.array_split(ops._op("copy", [x], np.copy), indices_or_sections, axis=axis)
        return [p.copy() for p in parts]
    a, n = _known_axis("array_split", x, axis)
    sections = int(indices_or_sections)
    if sections <= 0:
        raise ValueError(f"ops.array_split: the number of sections must be positive, got {sections}")
    size, extra = divmod(n, sections)
    bounds, at = [], 0
    for i in range(sections):
        bounds.append((at, at + size + (1 if i < extra else 0)))
        at = bounds[-1][1]
    lead = (slice(None),) * a
    return [x[lead + (slice(lo, hi),)] for lo, hi in bounds]


def append(x1, x2, axis=None):
    """Keras `ops.append`: flattened and joined when axis is None."""
    ops = _ops()
    if axis is None:
        return ops.concatenate([ravel(x1), ravel(x2)], axis=0)
    return ops.concatenate([x1, x2], axis=axis)


def diff(a, n=1, axis=-1):
    """Keras `ops.diff`: the n-th differences along `axis`."""
    ops = _ops()
    rank = _rank(a)
    lead = (slice(None),) * (axis % rank)
    for _ in range(int(n)):
        a = ops.subtract(a[lead + (slice(1, None),)], a[lead + (slice(None, -1),)])
    return a


def tensordot(x1, x2, axes=2):
    """Keras `ops.tensordot`, as one einsum; on integer values in their promoted dtype (int8
    stays int8, as jnp's tensordot: unlike Keras's einsum and matmul, it asks for no int32)."""
    ops = _ops()
    r1, r2 = _rank(x1), _rank(x2)
    if isinstance(axes, (int, np.integer)):
        a1, a2 = list(range(r1 - int(axes), r1)), list(range(int(axes)))
    else:
        a1 = [int(axes[0])] if isinstance(axes[0], (int, np.integer)) else [int(v) for v in axes[0]]
        a2 = [int(axes[1])] if isinstance(axes[1], (int, np.integer)) else [int(v) for v in axes[1]]
    a1, a2 = [v % r1 for v in a1], [v % r2 for v in a2]
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    s1 = [next(letters) for _ in range(r1)]
    s2 = [next(letters) for _ in range(r2)]
    for i, j in zip(a1, a2):
        s2[j] = s1[i]
    out = [c for i, c in enumerate(s1) if i not in a1] + [c for j, c in enumerate(s2) if j not in a2]
    if not is_symbolic(x1) and not is_symbolic(x2) and _int_dtypes.kept("tensordot", [x1, x2]) is not None:
        return ops._op("tensordot", [x1, x2], lambda a, b: np.tensordot(a, b, (a1, a2)))
    return ops.einsum(f"{''.join(s1)},{''.join(s2)}->{''.join(out)}", x1, x2)


def inner(x1, x2):
    """Keras `ops.inner`: the sum over the last axes (a scalar operand multiplies)."""
    if _rank(x1) == 0 or _rank(x2) == 0:
        return _ops().multiply(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-1]))


def vdot(x1, x2):
    ops = _ops()
    return ops.sum(ops.multiply(ravel(x1), ravel(x2)))


def kron(x1, x2):
    """Keras `ops.kron`: products of every pair, in blocks (the lower rank padded with ones)."""
    return _ops()._op("kron", [x1, x2], np.kron)


def select(condlist, choicelist, default=0):
    """Keras `ops.select`: the choice of the first true condition, else `default`."""
    ops = _ops()
    if len(condlist) != len(choicelist):
        raise ValueError("condlist and choicelist must have the same length")
    if not builtins.any(is_symbolic(v) for v in list(condlist) + list(choicelist)):
        return ops._op("select", list(choicelist) + [default],
                       lambda *v: np.select([np.asarray(_raw(c)) != 0 for c in condlist],
                                            v[:-1], v[-1]))
    out = ops.add(ops.zeros_like(choicelist[0] if is_symbolic(choicelist[0]) else condlist[0]),
                  default)
    for c, v in reversed(list(zip(condlist, choicelist))):
        out = ops.where(c, v, out)
    return out


def slice_(inputs, start_indices, shape):
    """Keras `ops.slice(inputs, start_indices, shape)`: a block of `shape` at `start_indices`
    (exported as `ops.slice`; named so here not to hide the builtin in this module)."""
    key = tuple(slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, shape))
    return _ops().getitem(inputs, key)


def empty_like(x, dtype=None):
    return _ops().zeros_like(x)


def copy(x):
    return _ops().add(x, 0.0) if is_symbolic(x) else np.array(_raw(x), copy=True)


def real(x):
    return x if is_symbolic(x) else np.real(_raw(x))


def imag(x):
    """Keras `ops.imag`: of real values, zeros of their dtype (Keras keeps it)."""
    return _ops().zeros_like(x) if is_symbolic(x) else np.imag(_raw(x)).copy()


def conj(x):
    """Keras `ops.conj`: real values as they are, in their dtype (numpy's makes bools int8)."""
    if is_symbolic(x):
        return x
    v = _raw(x)
    return np.conj(v) if np.iscomplexobj(v) else v.copy()


conjugate = conj


def isreal(x):
    """Keras `ops.isreal`: on values, whether each imaginary part is 0 (a traced tensor is real)."""
    if not is_symbolic(x):
        return np.asarray(np.isreal(_raw(x)))
    return _ops().equal(_ops().zeros_like(x), 0.0)


def ndim(x):
    return _rank(x)


def size(x):
    shape = x.shape if hasattr(x, "shape") else np.shape(x)
    if builtins.any(d is None for d in shape):
        raise Unsupported(f"ops.size of a tensor of shape {tuple(shape)}: the batch size is "
                          f"unknown at trace time")
    return int(np.prod(shape, dtype=np.int64))


# ---- quantiles and NaN-ignoring reductions --------------------------------------------------------

def quantile(x, q, axis=None, method="linear", keepdims=False):
    """Keras `ops.quantile` (method "linear", numpy's default): float32, float16 on float16
    values (computed in float32 and rounded, as jax's are); traced: `_traced_quantile`."""
    ops = _ops()
    if not is_symbolic(x):
        v = ops._value(x)
        ax = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        return np.asarray(np.quantile(v, np.asarray(q, np.float64), axis=ax, method=method,
                                      keepdims=keepdims), _int_dtypes.half([x]) or _f32)
    return _traced_quantile("quantile", x, q, axis, method, keepdims)


def _traced_quantile(op, x, q, axis, method, keepdims):
    """`ops.quantile` (or, for op "nanquantile", NaNs ignored) of a traced tensor: sorted along
    one axis, each quantile interpolated between its two neighbours at positions computed from
    the count of values along the axis each run (so the axis may be of unknown size, the batch
    too, as under jax.jit); a row with no values (all NaN) gives NaN, as numpy's."""
    ops = _ops()
    if method != "linear":
        raise Unsupported(f"ops.{op}(method={method!r}) in a traced layer: use 'linear'")
    if axis is None:
        out = _traced_quantile(op, ops.reshape(x, (-1,)), q, 0, method, False)
        return ops.reshape(out, np.shape(q) + (1,) * _rank(x)) if keepdims else out
    if isinstance(axis, (list, tuple)):
        raise Unsupported(f"ops.{op} over several axes in a traced layer: give one axis")
    rank = _rank(x)
    if not -rank <= axis < rank:
        raise ValueError(f"ops.{op}: axis {axis} is out of bounds for a tensor of rank {rank}")
    a = axis % rank
    from ._math import isnan
    if op == "nanquantile":   # NaNs sort last (as +inf), and are not counted
        missing = isnan(x)
        x = ops.where(missing, np.inf, x)
        count = ops.sum(ops.subtract(1.0, missing), axis=a, keepdims=True)
    else:
        count = ops.sum(ops.ones_like(x), axis=a, keepdims=True)
    s = sort(x, axis=a)
    outs = []
    for qi in np.atleast_1d(np.asarray(q, np.float64)):
        pos = ops.multiply(ops.subtract(count, 1.0), float(qi))
        lo = ops.maximum(ops.floor(pos), 0.0)
        low = ops.take_along_axis(s, lo, axis=a)
        high = ops.take_along_axis(s, ops.maximum(ops.ceil(pos), 0.0), axis=a)
        val = ops.add(low, ops.multiply(ops.subtract(high, low), ops.subtract(pos, lo)))
        val = ops.where(ops.greater(count, 0.0), val, np.nan)
        outs.append(val if keepdims else ops.squeeze(val, axis=a))
    return outs[0] if np.ndim(q) == 0 else ops.stack(outs, axis=0)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    return quantile(x, np.asarray(q, np.float64) / 100.0, axis=axis, method=method, keepdims=keepdims)


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def _nan_free(x, fill):
    from ._math import isnan
    return _ops().where(isnan(x), float(fill), x)


def _nan_reduction(name, numpy_fn, traced):
    def op(x, axis=None, keepdims=False):
        ops = _ops()
        if not is_symbolic(x):
            ax = tuple(axis) if isinstance(axis, list) else axis
            return ops._op(name, [x], lambda v: numpy_fn(v, axis=ax, keepdims=keepdims))
        return traced(x, axis, keepdims)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Keras `ops.{name}`: NaNs ignored (replaced by the reduction's identity when traced)."
    return op


def _nan_count(x, axis, keepdims):
    from ._math import isnan
    ops = _ops()
    return ops.sum(ops.subtract(1.0, isnan(x)), axis=axis, keepdims=keepdims)


def _traced_nanmean(x, axis, keepdims):
    ops = _ops()
    return ops.divide(ops.sum(_nan_free(x, 0), axis=axis, keepdims=keepdims), _nan_count(x, axis, keepdims))


def _traced_nanvar(x, axis, keepdims):
    ops = _ops()
    from ._math import isnan
    m = _traced_nanmean(x, axis, True)
    sq = ops.where(isnan(x), 0.0, ops.square(ops.subtract(x, m)))
    return ops.divide(ops.sum(sq, axis=axis, keepdims=keepdims), _nan_count(x, axis, keepdims))


nansum = _nan_reduction("nansum", np.nansum, lambda x, a, k: _ops().sum(_nan_free(x, 0), axis=a, keepdims=k))
nanmean = _nan_reduction("nanmean", np.nanmean, _traced_nanmean)
nanmax = _nan_reduction("nanmax", np.nanmax, lambda x, a, k: _ops().max(_nan_free(x, -np.inf), axis=a, keepdims=k))
nanmin = _nan_reduction("nanmin", np.nanmin, lambda x, a, k: _ops().min(_nan_free(x, np.inf), axis=a, keepdims=k))
nanprod = _nan_reduction("nanprod", np.nanprod, lambda x, a, k: prod(_nan_free(x, 1), axis=a, keepdims=k))
nanvar = _nan_reduction("nanvar", np.nanvar, _traced_nanvar)
nanstd = _nan_reduction("nanstd", np.nanstd, lambda x, a, k: _ops().sqrt(_traced_nanvar(x, a, k)))


def nancumsum(x, axis=None, dtype=None):
    return cumsum(_nan_free(x, 0) if is_symbolic(x) else np.nan_to_num(_raw(x), nan=0.0), axis=axis,
                  dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    return cumprod(_nan_free(x, 1) if is_symbolic(x) else np.where(np.isnan(_raw(x)), 1, _raw(x)),
                   axis=axis, dtype=dtype)


def nanargmax(x, axis=None, keepdims=False):
    ops = _ops()
    if not is_symbolic(x):
        return np.asarray(np.nanargmax(ops._value(x), axis=axis, keepdims=keepdims), np.int32)
    return ops.argmax(_nan_free(x, -np.inf), axis=axis, keepdims=keepdims)


def nanargmin(x, axis=None, keepdims=False):
    ops = _ops()
    if not is_symbolic(x):
        return np.asarray(np.nanargmin(ops._value(x), axis=axis, keepdims=keepdims), np.int32)
    return argmin(_nan_free(x, np.inf), axis=axis, keepdims=keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    if is_symbolic(x):
        return _traced_quantile("nanquantile", x, q, axis, method, keepdims)
    ax = tuple(axis) if isinstance(axis, list) else axis
    return np.asarray(np.nanquantile(_ops()._value(x), np.asarray(q, np.float64), axis=ax,
                                     method=method, keepdims=keepdims), _int_dtypes.half([x]) or _f32)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return nanquantile(x, np.asarray(q, np.float64) / 100.0, axis=axis, method=method, keepdims=keepdims)


def nanmedian(x, axis=None, keepdims=False):
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """Keras `ops.diagonal`: the diagonal of the two axes as the last axis."""
    return _ops()._op("diagonal", [x], lambda v: np.diagonal(v, offset, axis1, axis2).copy(),
                      {"offset": int(offset), "axis1": int(axis1), "axis2": int(axis2)})


def trace(x, offset=0, axis1=0, axis2=1):
    """Keras `ops.trace`: the sum of the diagonal."""
    return _ops()._op("trace", [x], lambda v: np.trace(v, offset, axis1, axis2),
                      {"offset": int(offset), "axis1": int(axis1), "axis2": int(axis2)})


def diag(x, k=0):
    """Keras `ops.diag`: a 1-D input's diagonal matrix, a 2-D input's diagonal."""
    ops = _ops()
    if not is_symbolic(x):
        return ops._op("diag", [x], lambda v: np.diag(v, k))
    if _rank(x) == 2:
        return diagonal(x, k)
    if _rank(x) != 1 or x.shape[0] is None:
        raise ValueError(f"ops.diag: input must be 1-D or 2-D with known sizes, got shape {x.shape}")
    n, k = x.shape[0], int(k)
    size = n + abs(k)
    place = np.zeros((n, size, size), _f32)
    for i in range(n):
        place[i, i + builtins.max(0, -k), i + builtins.max(0, k)] = 1.0
    return ops.einsum("i,ijk->jk", x, place)


def in_top_k(targets, predictions, k):
    """Keras `ops.in_top_k`: whether each target's score ranks in the top k (NaN scores last)."""
    from ._math import compose, isnan
    ops = _ops()

    def traced(t, p):
        at = ops.take_along_axis(p, ops.expand_dims(t, -1), axis=-1)
        at = ops.where(isnan(at), -np.inf, at)
        rank = ops.add(1.0, ops.sum(ops.greater(p, at), axis=-1))
        return ops.less_equal(rank, float(k))

    def eager(t, p):
        at = np.take_along_axis(p, np.asarray(t, np.int64)[..., None], axis=-1)
        at = np.where(np.isnan(at), -np.inf, at)
        return 1 + np.sum(p > at, axis=-1) <= k
    return compose([targets, predictions], traced, eager, np.bool_)


def get_item(x, key):
    return _ops().getitem(x, key)


def saturate_cast(x, dtype):
    """Keras `ops.saturate_cast`: clipped to the dtype's range, then cast."""
    ops = _ops()
    d = np.dtype(dtype)
    if is_symbolic(x):
        if d.kind in "iu":
            info = np.iinfo(d)
            return ops.cast(ops.clip(x, float(info.min), float(info.max)), dtype)
        return ops.cast(x, dtype)
    v = ops._value(x)
    if d.kind in "iu":
        info = np.iinfo(d)
        return np.clip(v, info.min, info.max).astype(d)
    return v.astype(d)


def digitize(x, bins):
    """Keras `ops.digitize` (int32): for increasing bins, how many bins are <= each entry."""
    ops = _ops()
    b = np.asarray(bins, _f32)
    return compose([x], lambda t: ops.sum(ops.greater_equal(ops.expand_dims(t, -1), b), axis=-1),
                   lambda v: np.digitize(v, b), np.int32)


def searchsorted(sorted_sequence, values, side="left"):
    """Keras `ops.searchsorted` (int32): where each value would go in the sorted 1-D sequence."""
    ops = _ops()
    if side not in ("left", "right"):
        raise ValueError(f"`side` must be 'left' or 'right', got {side!r}")
    before = ops.less if side == "left" else ops.less_equal

    def traced(seq, v):
        return ops.sum(before(seq, ops.expand_dims(v, -1)), axis=-1)
    return compose([sorted_sequence, values], traced,
                   lambda seq, v: np.searchsorted(seq, v, side=side), np.int32)


def vander(x, N=None, increasing=False):  # noqa: N803 — Keras's name
    """Keras `ops.vander`: the columns are powers of x."""
    ops = _ops()
    if not is_symbolic(x):
        return ops._op("vander", [x], lambda v: np.vander(v, N, increasing))
    n = x.shape[0] if N is None else int(N)
    if n is None:
        raise Unsupported("ops.vander in a traced layer needs N or a known length")
    powers = range(n) if increasing else range(n - 1, -1, -1)
    return ops.stack([ops.ones_like(x) if p == 0 else ops.power(x, float(p)) for p in powers], axis=-1)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Keras `ops.trapezoid`: the trapezoidal rule along `axis`."""
    ops = _ops()
    if not builtins.any(is_symbolic(v) for v in (y, x)):
        return np.asarray(np.trapezoid(ops._value(y), None if x is None else ops._value(x), dx=dx,
                                       axis=axis), _f32)
    rank = _rank(y)
    lead = (slice(None),) * (axis % rank)
    mids = ops.multiply(ops.add(y[lead + (slice(1, None),)], y[lead + (slice(None, -1),)]), 0.5)
    widths = float(dx) if x is None else diff(x, axis=axis if _rank(x) == rank else -1)
    return ops.sum(ops.multiply(mids, widths), axis=axis)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Keras `ops.cross` of 3-vectors along the last axes (traced: slices and products)."""
    ops = _ops()
    if not builtins.any(is_symbolic(v) for v in (x1, x2)):
        return ops._op("cross", [x1, x2], lambda a, b: np.cross(a, b, axisa, axisb, axisc, axis))
    if axis is not None or (axisa, axisb, axisc) != (-1, -1, -1):
        raise Unsupported("ops.cross in a traced layer: vectors along the last axis only")
    if x1.shape[-1] != 3 or x2.shape[-1] != 3:
        raise Unsupported(f"ops.cross in a traced layer: 3-vectors only, got {x1.shape} and {x2.shape}")
    a = [x1[..., i] for i in range(3)]
    b = [x2[..., i] for i in range(3)]
    return ops.stack([ops.subtract(ops.multiply(a[1], b[2]), ops.multiply(a[2], b[1])),
                      ops.subtract(ops.multiply(a[2], b[0]), ops.multiply(a[0], b[2])),
                      ops.subtract(ops.multiply(a[0], b[1]), ops.multiply(a[1], b[0]))], axis=-1)


def map(f, xs):  # noqa: A001 — Keras's name
    """Keras `ops.map`: f over the leading axis, stacked (unrolled in a traced layer); `xs` and
    f's results may be nested (dicts, lists, tuples of tensors), as JAX's `lax.map` takes them."""
    from .. import tree
    ops = _ops()
    nested = tree.is_nested(xs) and not _all_numbers(xs)
    leaves = tree.flatten(xs) if nested else [xs]
    n = leaves[0].shape[0] if hasattr(leaves[0], "shape") else len(leaves[0])
    if n is None:
        raise Unsupported("ops.map over a traced tensor needs its leading dimension known")
    outs = [f(tree.pack_sequence_as(xs, [leaf[i] for leaf in leaves]) if nested else xs[i]) for i in range(n)]
    if outs and tree.is_nested(outs[0]):
        return tree.map_structure(lambda *ys: ops.stack(ys, axis=0), *outs)
    return ops.stack(outs, axis=0)


def _all_numbers(xs):
    return isinstance(xs, (list, tuple)) and all(isinstance(v, (int, float, bool, np.number)) for v in xs)


def vectorized_map(function, elements):
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """Keras `ops.associative_scan`: the running f along `axis` (unrolled), of one tensor or of
    a nest of them (f then takes and returns nests of that structure)."""
    from .. import tree
    ops = _ops()
    leaves = tree.flatten(elems) if tree.is_nested(elems) else [elems]
    first = leaves[0]
    if _rank(first) == 0:
        raise ValueError(f"ops.associative_scan: `elems` must be tensors (or a nest of them) with "
                         f"an axis {axis} to scan along, got {type(first).__name__} {first!r}")
    a, n = (_known_axis("associative_scan", first, axis) if is_symbolic(first)
            else (axis % np.ndim(first), np.shape(first)[axis]))
    lead = (slice(None),) * a
    parts = [[leaf[lead + (slice(i, i + 1),)] for leaf in leaves] for i in range(n)]
    parts = [tree.pack_sequence_as(elems, p) if tree.is_nested(elems) else p[0] for p in parts]
    order = range(n - 2, -1, -1) if reverse else range(1, n)
    for i in order:
        prev = parts[i + 1] if reverse else parts[i - 1]
        parts[i] = f(parts[i], prev) if reverse else f(prev, parts[i])
    if tree.is_nested(elems):
        return tree.map_structure(lambda *ps: ops.concatenate(ps, axis=a), *parts)
    return ops.concatenate(parts, axis=a)


def unravel_index(indices, shape):
    return tuple(np.asarray(i, np.int32) for i in np.unravel_index(_raw(indices).astype(np.int64), shape))


def nonzero(x):
    if is_symbolic(x):
        raise Unsupported("ops.nonzero returns as many indices as there are non-zero values, "
                          "which a traced layer cannot know")
    return tuple(i.astype(np.int32) for i in np.nonzero(_raw(x)))


def bincount(x, weights=None, minlength=0, sparse=False):
    if is_symbolic(x) or is_symbolic(weights):
        raise Unsupported("ops.bincount in a traced layer: use ops.sum(ops.one_hot(x, n), axis=0)")
    v = _raw(x)
    if v.dtype.kind not in "iub":     # jax's message, the dtype as Keras holds it (float64: float32)
        raise TypeError(f"x argument to bincount must have an integer type; got {result_type(v.dtype)}")
    v = v.astype(np.int64)
    w = None if weights is None else _raw(weights)
    if v.ndim == 2:
        return np.stack([np.bincount(r, None if w is None else w[i], minlength) for i, r in enumerate(v)]
                        ).astype(np.int32 if w is None else _f32)
    return np.bincount(v, w, minlength).astype(np.int32 if w is None else _f32)


def _window(fn):
    def op(x):
        return np.asarray(fn(int(x)), _f32)
    op.__name__ = op.__qualname__ = fn.__name__
    return op


hamming, hanning, bartlett, blackman = (_window(np.hamming), _window(np.hanning),
                                        _window(np.bartlett), _window(np.blackman))


def kaiser(x, beta):
    return np.asarray(np.kaiser(int(x), float(beta)), _f32)


# ---- constants ---------------------------------------------------------------------------------

def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """Keras `ops.linspace`; its dtype by default Keras's (`result_type(start, stop, float)`:
    float16 bounds give float16). JAX's jitted kernel rounds differently from numpy's float64
    then cast: up to 1 ulp of float32 apart (in ~1/3 of a DDIM schedule's 1000 betas)."""
    from .._dtypes import result_type
    if dtype is None:
        dtype = result_type(*[getattr(v, "dtype", type(v)) for v in (start, stop)], float)
    return np.linspace(start, stop, int(num), endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis)


def tri(N, M=None, k=0, dtype=None):  # noqa: N803 — Keras's names
    return np.tri(N, M, k, dtype=dtype or _f32)


def identity(n, dtype=None):
    return np.identity(n, dtype=dtype or _f32)


def empty(shape, dtype=None):
    return np.zeros(shape, dtype or _f32)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return np.logspace(start, stop, int(num), endpoint=endpoint, base=base, dtype=dtype or _f32, axis=axis)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return np.geomspace(start, stop, int(num), endpoint=endpoint, dtype=dtype or _f32, axis=axis)


def meshgrid(*x, indexing="xy"):
    values = [np.asarray(v) for v in x]
    dtype = _f32 if builtins.any(v.dtype.kind == "f" for v in values) else np.int32
    return [np.asarray(g, dtype) for g in np.meshgrid(*values, indexing=indexing)]


__all__ = ["cumsum", "cumprod", "prod", "argmin", "sort", "argsort", "top_k", "pad", "roll",
           "tril", "triu", "one_hot", "ravel", "broadcast_to", "unstack", "outer", "vstack",
           "hstack", "average", "linspace", "tri", "identity", "empty", "meshgrid", "fliplr", "flipud",
           "rot90", "dstack", "hsplit", "vsplit", "dsplit", "array_split", "append", "diff",
           "tensordot", "inner", "vdot", "kron", "select", "empty_like", "copy", "real",
           "imag", "conj", "conjugate", "isreal", "ndim", "size", "quantile", "percentile",
           "median", "nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd",
           "nancumsum", "nancumprod", "nanargmax", "nanargmin", "nanquantile", "nanpercentile",
           "nanmedian", "logspace", "geomspace", "diagonal", "trace", "diag", "in_top_k",
           "get_item", "saturate_cast", "digitize", "searchsorted", "vander", "trapezoid", "cross",
           "vectorized_map", "associative_scan", "unravel_index", "nonzero", "bincount",
           "hamming", "hanning", "bartlett", "blackman", "kaiser"]
