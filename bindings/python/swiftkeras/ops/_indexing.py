"""Indexing and shape ops (Keras `keras.ops`): `x[...]`, take, take_along_axis, tile, repeat,
split, flip, swapaxes, moveaxis, einsum. Eager on numpy; on symbolic tensors each becomes one
of the library's graph ops (slice, take, take_along_axis, tile, repeat, einsum) or a composition
of them, with gradients from the library's autodiff. Shapes are fixed at trace time."""

from __future__ import annotations

import string

import numpy as np

from ._trace import Unsupported, is_symbolic


def _ops():
    from .. import ops
    return ops


def _rank(x):
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def _int(v, what):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise Unsupported(f"{what} must be an integer in a traced layer, got {type(v).__name__} "
                          f"({v!r}); use ops.take / ops.take_along_axis for indices held in "
                          f"tensors")
    return int(v)


def _bound(v, inputs):
    """A slice bound as the slice op takes it: an integer, None, or a size read with ops.shape
    where unknown (`x[:, :n // 2]`) as [input, axis, steps], read from `inputs` (to which it
    adds its tensor) each run, as Keras's call has it under jax.jit."""
    from . import _Dim
    if isinstance(v, _Dim):
        if not is_symbolic(v.source):
            raise Unsupported(f"a slice bound read with ops.shape from {v.source!r}, which is not a "
                              f"tensor of the traced call")
        return v._json(inputs)
    return None if v is None else _int(v, "a slice bound")


def getitem(x, key):
    """`x[key]` with numpy's basic indexing: integers, slices (with steps), `...` and None.
    A traced tensor refuses other keys (arrays, tensors, booleans) with a clear error."""
    ops = _ops()
    if not is_symbolic(x):
        return ops._op("slice", [x], lambda v: v[key])
    rank = _rank(x)
    items = key if isinstance(key, tuple) else (key,)
    for k in items:
        if not (k is None or k is Ellipsis or isinstance(k, slice)):
            _int(k, "an index")
    if sum(k is Ellipsis for k in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    explicit = sum(1 for k in items if k is not None and k is not Ellipsis)
    if explicit > rank:
        raise IndexError(f"too many indices for a tensor of rank {rank} (shape {x.shape}): "
                         f"{explicit} were indexed")
    full = [slice(None)] * (rank - explicit)
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + tuple(full) + items[at + 1:]
    else:
        items = items + tuple(full)
    specs, new_axes, out_axis, inputs = [], [], 0, [x]
    for k in items:
        if k is None:
            new_axes.append(out_axis)
            out_axis += 1
        elif isinstance(k, slice):
            if k.step is not None and not isinstance(k.step, (int, np.integer)):
                _int(k.step, "a slice step")   # (a step is never read from a shape)
            specs.append([_bound(k.start, inputs), _bound(k.stop, inputs), _bound(k.step, inputs)])
            if k.step is not None and int(k.step) == 0:
                raise ValueError("slice step cannot be zero")
            out_axis += 1
        else:
            specs.append(int(k))
    y = x
    if any(s != [None, None, None] for s in specs):
        y = ops._op("slice", inputs, None, {"specs": specs})
    for axis in new_axes:
        y = ops.expand_dims(y, axis)
    return y


def take(x, indices, axis=None):
    """Keras `ops.take(x, indices, axis=None)`; `axis=None` takes from the flattened `x`."""
    return _ops()._op("take", [x, indices],
                      lambda v, i: np.take(v, i.astype(np.int64), axis=axis),
                      {"axis": None if axis is None else int(axis)})


def take_along_axis(x, indices, axis=None):
    """Keras `ops.take_along_axis(x, indices, axis=None)`."""
    ops = _ops()
    if axis is None:
        x, indices, axis = ops.reshape(x, (-1,)), ops.reshape(indices, (-1,)), 0
    return ops._op("take_along_axis", [x, indices],
                   lambda v, i: np.take_along_axis(v, i.astype(np.int64), axis=axis),
                   {"axis": int(axis)})


def tile(x, repeats):
    """Keras `ops.tile(x, repeats)`."""
    if is_symbolic(repeats):
        raise TypeError("ops.tile: `repeats` must be known when the layer is traced (Python ints, "
                        "or an array of them such as one computed from ops.shape), got a "
                        "symbolic tensor")
    # a list, or an array of counts (keras.io's miniature GPT builds them with ops.concatenate)
    given = list(repeats) if isinstance(repeats, (tuple, list)) else np.ravel(repeats).tolist()
    from . import _bare_as_none
    given = [_bare_as_none(r) for r in given]
    if any(r is None or not np.isfinite(r) for r in given):
        raise ValueError(f"ops.tile: `repeats` must be known counts, got {given}: a batch size read "
                         f"with ops.shape while a layer is traced is None (the library traces "
                         f"a call once, for any batch size)")
    reps = [int(r) for r in given]
    return _ops()._op("tile", [x], lambda v: np.tile(v, reps), {"repeats": reps})


def repeat(x, repeats, axis=None):
    """Keras `ops.repeat(x, repeats, axis=None)` (a traced layer: one count for every element)."""
    ops = _ops()
    if not is_symbolic(x):
        return ops._op("repeat", [x], lambda v: np.repeat(v, repeats, axis=axis))
    n = _int(repeats, "ops.repeat: repeats")
    if axis is None:
        x, axis = ops.reshape(x, (-1,)), 0
    return ops._op("repeat", [x], None, {"repeats": n, "axis": int(axis)})


def split(x, indices_or_sections, axis=0):
    """Keras `ops.split(x, indices_or_sections, axis=0)`: a list of tensors."""
    ops = _ops()
    if not is_symbolic(x):
        parts = np.split(ops._op("copy", [x], np.copy), indices_or_sections, axis=axis)
        return [p.copy() for p in parts]
    rank = _rank(x)
    a = axis + rank if axis < 0 else axis
    n = x.shape[a] if 0 <= a < rank else None
    if n is None:
        raise Unsupported(f"ops.split along axis {axis} of a tensor of shape {x.shape}: the axis "
                          f"must have a known size in a traced layer")
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(f"ops.split: axis {axis} of size {n} does not split into "
                             f"{sections} equal sections")
        bounds = [n // sections * k for k in range(1, sections)]
    else:
        bounds = [int(b) for b in indices_or_sections]
    edges = [0] + bounds + [n]
    lead = (slice(None),) * a
    return [getitem(x, lead + (slice(lo, max(lo, hi)),)) for lo, hi in zip(edges, edges[1:])]


def flip(x, axis=None):
    """Keras `ops.flip(x, axis=None)`."""
    if not is_symbolic(x):
        return _ops()._op("flip", [x], lambda v: np.flip(v, axis))
    rank = _rank(x)
    axes = range(rank) if axis is None else (axis if isinstance(axis, (tuple, list)) else [axis])
    axes = {a + rank if a < 0 else a for a in axes}
    return getitem(x, tuple(slice(None, None, -1) if d in axes else slice(None)
                            for d in range(rank)))


def swapaxes(x, axis1, axis2):
    """Keras `ops.swapaxes(x, axis1, axis2)`."""
    perm = list(range(_rank(x)))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return _ops().transpose(x, perm)


def moveaxis(x, source, destination):
    """Keras `ops.moveaxis(x, source, destination)` (one axis)."""
    rank = _rank(x)
    perm = list(range(rank))
    s = perm.pop(source + rank if source < 0 else source)
    perm.insert(destination + rank if destination < 0 else destination, s)
    return _ops().transpose(x, perm)


def _explicit_equation(subscripts, operands):
    """numpy's einsum equation with `...` expanded and the implicit output made explicit."""
    text = subscripts.replace(" ", "")
    lhs, arrow, rhs = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"ops.einsum: '{subscripts}' names {len(terms)} operands, "
                         f"{len(operands)} were given")
    used = set(text) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    width = max([_rank(x) - len(t.replace("...", "")) for t, x in zip(terms, operands)
                 if "..." in t] or [0])
    dots = "".join(spare[:width])
    expanded = [t.replace("...", dots[width - (_rank(x) - len(t.replace("...", ""))):])
                for t, x in zip(terms, operands)]
    if arrow:
        out = rhs.replace("...", dots)
    else:
        letters = "".join(expanded)
        out = dots + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                    and c not in dots))
    return ",".join(expanded) + "->" + out


def einsum(subscripts, *operands):
    """Keras `ops.einsum(subscripts, *operands)`; a traced layer takes one or two operands."""
    ops = _ops()
    if not any(is_symbolic(x) for x in operands):
        return ops._op("einsum", list(operands), lambda *v: np.einsum(subscripts, *v))
    equation = _explicit_equation(subscripts, operands)
    return ops._op("einsum", list(operands), None, {"equation": equation})
