"""The rest of Keras 3's numpy-like ops: `argpartition`, `array`, `cdist`, `corrcoef`,
`correlate`, `diagflat`, `dtype`, `histogram`, `is_tensor`, `rearrange`, `unique`, `vectorize`,
`view`, `view_as_complex`, `view_as_real`, `polar` and `custom_gradient`.

`cdist`, `corrcoef`, `correlate`, `diagflat` and `rearrange` are compositions of graph ops (traced
with gradients). Ops whose result's size depends on the values (`unique`, `histogram`), integer
results (`argpartition`), bit reinterpretation and complex numbers (`view*`, `polar`) run on
values only, and a symbolic tensor is refused naming the op."""

from __future__ import annotations

import builtins
import re

import numpy as np

from ._arrays import _ops, _raw
from ._scatter import keras_dtype, shape_of as _shape
from ._special import not_traceable
from ._trace import SymbolicTensor, is_symbolic

_f32 = np.float32


def _values_only(op, *xs, why="its result is not a float32 tensor of a size known at trace time",
                 instead="compute it on values outside the layer"):
    if builtins.any(is_symbolic(x) for x in xs):
        raise not_traceable(op, why, instead)


def argpartition(x, kth, axis=-1):
    """Keras `ops.argpartition` (int32), in jax's order: the kth + 1 smallest entries in sorted
    (stable) order, then the others in index order."""
    _values_only("argpartition", x)
    v = _raw(x)
    if axis is None:
        v, axis = v.reshape(-1), 0
    v = np.moveaxis(v, axis, -1)
    n = v.shape[-1]
    k = int(kth) % n if n else 0
    bottom = np.argsort(v, axis=-1, kind="stable")[..., :k + 1]
    rest = np.ones(v.shape, bool)
    np.put_along_axis(rest, bottom, False, axis=-1)
    others = np.argsort(~rest, axis=-1, kind="stable")[..., :n - k - 1]
    return np.moveaxis(np.concatenate([bottom, others], axis=-1), -1, axis).astype(np.int32)


def array(x, dtype=None):
    """Keras `ops.array`: a tensor of `x` (int32 for Python ints, float32 for floats)."""
    if is_symbolic(x):
        return _ops().cast(x, dtype) if dtype is not None else x
    a = np.asarray(_raw(x))
    return np.asarray(a, dtype) if dtype is not None else a.astype(keras_dtype(a))


def dtype(x):
    """Keras `ops.dtype`: the standardized name of a tensor's dtype."""
    if is_symbolic(x) or hasattr(x, "_keras_history") or type(x).__name__ == "KerasTensor":
        return str(getattr(x, "dtype", "float32"))
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return "int32"
    if isinstance(x, float):
        return "float32"
    return np.dtype(_raw(x).dtype).name


def is_tensor(x):
    """Keras `ops.is_tensor`: True for the backend's tensors (numpy arrays and scalars, as
    Keras's numpy backend) and for symbolic tensors."""
    from ..layers import KerasTensor
    return isinstance(x, (np.ndarray, np.generic, SymbolicTensor, KerasTensor))


def cdist(x, y):
    """Keras `ops.cdist`: Euclidean distances between the rows of x and y (batched)."""
    ops = _ops()
    diff = ops.subtract(ops.expand_dims(x, -2), ops.expand_dims(y, -3))
    return ops.sqrt(ops.sum(ops.square(diff), axis=-1))


def corrcoef(x):
    """Keras `ops.corrcoef`: the correlation coefficients of the rows of x (float32, clipped to
    [-1, 1] as jax's)."""
    ops = _ops()
    rank = len(_shape(x))
    if rank not in (1, 2):
        raise ValueError(f"ops.corrcoef takes a 1-D or 2-D tensor, got shape {_shape(x)}")
    x2 = ops.reshape(x, (1, -1)) if rank == 1 else x
    centred = ops.subtract(x2, ops.mean(x2, axis=1, keepdims=True))
    scale = ops.sqrt(ops.sum(ops.square(centred), axis=1))
    c = ops.divide(ops.matmul(centred, ops.transpose(centred)),
                   ops.multiply(ops.expand_dims(scale, 1), ops.expand_dims(scale, 0)))
    c = ops.clip(c, -1.0, 1.0)
    return ops.reshape(c, ()) if rank == 1 else c


def correlate(x1, x2, mode="valid"):
    """Keras `ops.correlate` of two 1-D tensors (float32): mode 'valid', 'same' or 'full'.
    Traced: windows of x1 (a constant gather) times x2."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"ops.correlate: mode must be 'valid', 'same' or 'full', got {mode!r}")
    s1, s2 = _shape(x1), _shape(x2)
    if len(s1) != 1 or len(s2) != 1:
        raise ValueError(f"ops.correlate takes two 1-D tensors, got shapes {s1} and {s2}")
    if not (is_symbolic(x1) or is_symbolic(x2)):
        return np.correlate(_raw(x1).astype(np.float64), _raw(x2).astype(np.float64), mode).astype(_f32)
    n, m = s1[0], s2[0]
    if n is None or m is None or m > n:
        raise not_traceable("correlate", f"shapes {s1} and {s2} need known lengths with the first "
                            "at least as long", "give 1-D tensors of known lengths")
    ops = _ops()
    pad = {"valid": 0, "same": m // 2, "full": m - 1}[mode]
    right = {"valid": 0, "same": m - 1 - m // 2, "full": m - 1}[mode]
    a = ops.pad(x1, [(pad, right)]) if pad or right else x1
    count = n + pad + right - m + 1
    windows = ops.take(a, np.arange(count)[:, None] + np.arange(m)[None, :], axis=0)   # (K, m)
    return ops.matmul(windows, x2)


def diagflat(x, k=0):
    """Keras `ops.diagflat`: a 2-D tensor with the flattened x on diagonal k (traced: the
    flattened values, zero-padded by |k|, times where each (row, column) lies on the diagonal,
    the positions counted along the values each run, so that x's sizes may be unknown)."""
    k = int(k)
    if not is_symbolic(x):
        v = _raw(x)
        return np.diagflat(v, k).astype(keras_dtype(v))
    ops = _ops()
    v = ops.reshape(x, (-1,))
    if k:
        v = ops.concatenate([v, np.zeros(abs(k), _f32)], axis=0)
    at = ops.cumsum(ops.ones_like(v), axis=0)
    rows, columns = ops.expand_dims(at, 1), ops.expand_dims(at, 0)
    if k >= 0:   # row r holds v[r] at column r + k
        return ops.multiply(ops.expand_dims(v, 1), ops.equal(ops.subtract(columns, rows), float(k)))
    return ops.multiply(ops.expand_dims(v, 0), ops.equal(ops.subtract(rows, columns), float(-k)))


def histogram(x, bins=10, range=None):  # noqa: A002 — Keras's name
    """Keras `ops.histogram` of a 1-D tensor: (counts, bin_edges), both float32 as jax's."""
    _values_only("histogram", x, why="its counts depend on the values")
    v = _raw(x).astype(_f32)
    if v.ndim != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape={v.shape}")
    bins = int(bins)
    if bins <= 0:
        raise ValueError(f"Argument `bins` should be a non-negative integer. Received: bins={bins}")
    lo, hi = (float(v.min()), float(v.max())) if range is None and v.size else (range or (0.0, 1.0))
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1, dtype=_f32)
    idx = np.searchsorted(edges, v, side="right")
    idx = np.where(v == edges[-1], bins, idx)
    counts = np.bincount(idx, minlength=bins + 2)[1:bins + 1].astype(_f32)
    return counts, edges


def _groups(side):
    """'b (h w) c' as [['b'], ['h', 'w'], ['c']]."""
    return [g.strip("()").split() if g else [w] for g, w in re.findall(r"(\([^)]*\))|(\w+)", side)]


def rearrange(tensor, pattern, **axes_lengths):
    """Keras `ops.rearrange` (einops style: 'b (h w) c -> b h w c', h=4): a reshape, transpose
    and reshape, so traced with gradients (one unknown size, the batch, may pass through)."""
    source, target = re.split(r"\s*->\s*", pattern.strip())
    ins, outs = _groups(source), _groups(target)
    shape = _shape(tensor)
    if len(ins) != len(shape):
        raise ValueError(f"ops.rearrange: pattern {source!r} has {len(ins)} axes, the tensor has shape {shape}")
    sizes = {k: int(v) for k, v in axes_lengths.items()}
    for group, dim in zip(ins, shape):
        unknown = [a for a in group if a not in sizes]
        if len(unknown) > 1:
            raise ValueError(f"ops.rearrange: axes {unknown} of group {group} need lengths")
        if unknown:
            known = int(np.prod([sizes[a] for a in group if a in sizes]))
            sizes[unknown[0]] = None if dim is None else dim // known
    flat_in = [a for g in ins for a in g]
    flat_out = [a for g in outs for a in g]
    if sorted(flat_in) != sorted(flat_out):
        raise ValueError(f"ops.rearrange: {pattern!r} must use the same axes on both sides")

    def reshape(t, dims):
        dims = tuple(-1 if d is None else d for d in dims)
        if dims.count(-1) > 1:
            raise ValueError(f"ops.rearrange: more than one unknown size in {dims}")
        return np.reshape(t, dims) if not is_symbolic(t) else _ops().reshape(t, dims)

    def group_size(g):
        d = [sizes[a] for a in g]
        return None if None in d else int(np.prod(d, dtype=np.int64))

    t = tensor if is_symbolic(tensor) else _raw(tensor).astype(keras_dtype(_raw(tensor)))
    decomposed = [sizes[a] for a in flat_in]
    if tuple(decomposed) != tuple(shape):
        t = reshape(t, decomposed)
    perm = [flat_in.index(a) for a in flat_out]
    t = np.transpose(t, perm) if not is_symbolic(t) else _ops().transpose(t, perm)
    return reshape(t, [group_size(g) for g in outs])


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,  # noqa: A002
           axis=None, size=None, fill_value=None):
    """Keras `ops.unique` on values (the number of unique entries depends on them; with `size`,
    padded with `fill_value`, by default the smallest unique entry, as jax)."""
    _values_only("unique", x, why="the number of unique entries depends on the values")
    v = _raw(x)
    v = v.astype(keras_dtype(v))
    res = np.unique(v, return_index=True, return_inverse=True, return_counts=True, axis=axis)
    values, index, inverse, counts = res
    if axis is None:
        inverse = inverse.reshape(v.shape)
    if size is not None:
        ax = 0 if axis is None else axis
        size, have = int(size), values.shape[ax]
        keep = np.arange(builtins.min(size, have))
        values, index, counts = np.take(values, keep, axis=ax), index[keep], counts[keep]
        if size > have:
            pad = list(values.shape)
            pad[ax] = size - have
            fill = (np.repeat(np.take(values, [0], axis=ax), size - have, axis=ax)
                    if fill_value is None and have else np.full(pad, fill_value or 0, values.dtype))
            values = np.concatenate([values, fill], axis=ax)
            index = np.concatenate([index, np.zeros(size - have, index.dtype)])
            counts = np.concatenate([counts, np.zeros(size - have, counts.dtype)])
    out = [values]
    if return_index:
        out.append(index.astype(np.int32))
    if return_inverse:
        out.append(inverse.astype(np.int32))
    if return_counts:
        out.append(counts.astype(np.int32))
    return out[0] if len(out) == 1 else tuple(out)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """Keras `ops.vectorize`: `pyfunc` mapped over the entries (or the core shapes of
    `signature`) of numpy arrays; on values only."""
    mapped = np.vectorize(pyfunc, excluded=excluded or set(), signature=signature)

    def run(*args, **kwargs):
        _values_only("vectorize", *args, *kwargs.values(),
                     why="the function is called per entry with values",
                     instead="write it with elementwise ops and call it on the tensor itself")
        out = mapped(*[_raw(a) if hasattr(a, "numpy") else a for a in args], **kwargs)
        if isinstance(out, tuple):
            return tuple(np.asarray(o).astype(keras_dtype(np.asarray(o))) for o in out)
        o = np.asarray(out)
        return o.astype(keras_dtype(o))
    run.__name__ = getattr(pyfunc, "__name__", "vectorized")
    return run


def view(x, dtype=None):
    """Keras `ops.view`: the same bytes read as `dtype` (the last axis rescaled), values only."""
    _values_only("view", x, why="a traced layer computes in float32 and cannot reinterpret bits")
    v = _raw(x)
    v = v.astype(keras_dtype(v))
    return v if dtype is None else v.view(np.dtype(dtype))


def view_as_real(x):
    """Keras `ops.view_as_real`: a complex tensor as float32 (..., 2) of (real, imag)."""
    _values_only("view_as_real", x, why="the library's graph has no complex numbers")
    v = _raw(x)
    return np.stack([np.real(v), np.imag(v)], axis=-1).astype(_f32)


def view_as_complex(x):
    """Keras `ops.view_as_complex`: a float tensor (..., 2) as complex64."""
    _values_only("view_as_complex", x, why="the library's graph has no complex numbers")
    v = _raw(x)
    if v.ndim == 0 or v.shape[-1] != 2:
        raise ValueError(f"Last dimension of input must be size 2 (real and imaginary). "
                         f"Received shape: {v.shape}")
    return (v[..., 0].astype(_f32) + 1j * v[..., 1].astype(_f32)).astype(np.complex64)


def polar(abs_, angle):
    """Keras `ops.polar`: abs_ * (cos(angle) + i sin(angle)), complex64, values only."""
    _values_only("polar", abs_, angle, why="the library's graph has no complex numbers")
    r, t = _raw(abs_).astype(np.float64), _raw(angle).astype(np.float64)
    return (r * np.cos(t) + 1j * r * np.sin(t)).astype(np.complex64)


def custom_gradient(f):
    """Keras `ops.custom_gradient`: `f(*args)` returns `(output, grad_fn)`; the decorated
    function returns the output. On values there is no gradient to customise. In a traced layer
    (or a function `ops.jvp` differentiates), the output is traced with ops as usual and
    `grad_fn(upstream)` is traced from a stand-in for the upstream gradient: the library's
    autodiff then runs that subgraph as the node's backward instead of the ops' own
    (C: keras_layer_builder_custom_gradient). As jax's `custom_gradient` (Keras's JAX backend):
    keyword arguments are bound to their positions (defaults filled in), `grad_fn` returns one
    gradient per argument, each of its argument's shape, and with several outputs (a tuple or
    list) it receives their upstream gradients as one tuple (or, written as TensorFlow's
    `grad_fn(*upstreams)`, one argument per output)."""
    import inspect

    def wrapped(*args, **kwargs):
        if kwargs:   # jax's custom_vjp: keyword arguments resolved to positions
            try:
                bound = inspect.signature(f).bind(*args, **kwargs)
            except (TypeError, ValueError) as e:
                raise TypeError(f"ops.custom_gradient: {getattr(f, '__name__', 'f')}: {e}") from None
            bound.apply_defaults()
            if bound.kwargs:
                raise TypeError(f"ops.custom_gradient: keyword arguments {sorted(bound.kwargs)} of "
                                f"{getattr(f, '__name__', 'f')} could not be resolved to positions")
            args, kwargs = tuple(bound.args), {}
        result = f(*args)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ValueError("ops.custom_gradient: the function must return (output, grad_fn)")
        output, grad_fn = result
        if builtins.any(is_symbolic(a) for a in args):
            return _traced_custom_gradient(f, args, output, grad_fn)
        return output
    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = getattr(f, "__doc__", None)
    return wrapped


def _call_gradient(grad_fn, upstreams, several):
    """`grad_fn` on the upstream gradients: one tensor, or for several outputs their tuple (jax's
    form) or, when `grad_fn` takes exactly one parameter per output, one each (TensorFlow's)."""
    import inspect
    if not several:
        return grad_fn(upstreams[0])
    try:
        params = [p for p in inspect.signature(grad_fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if len(params) == len(upstreams) > 1 and builtins.all(p.default is p.empty for p in params):
        return grad_fn(*upstreams)
    return grad_fn(tuple(upstreams))


def _traced_custom_gradient(f, args, output, grad_fn):
    from . import concatenate, ones_like, reshape
    from ._trace import active
    name = getattr(f, "__name__", "custom_gradient")
    trace = active()
    outputs = list(output) if isinstance(output, (tuple, list)) else [output]
    if trace is None or not outputs or \
            not builtins.all(isinstance(o, SymbolicTensor) for o in outputs):
        raise not_traceable("custom_gradient", f"{name} must compute its output(s) from its "
                            f"tensor arguments with ops", "return ops results as the output(s)")
    several = isinstance(output, (tuple, list))
    if several:
        # One node for all outputs: their rows joined (or, with every shape known, all their
        # values in one vector); the node's upstream is split back into one per output.
        shapes = [tuple(o.shape) for o in outputs]
        widths = [int(np.prod(s[1:], dtype=np.int64)) for s in shapes]
        if builtins.all(None not in s for s in shapes):
            widths = [int(np.prod(s, dtype=np.int64)) for s in shapes]
            packed = concatenate([reshape(o, (-1,)) for o in outputs], axis=0)
            piece = lambda t, a, b, s: reshape(t[a:b], s)   # noqa: E731
        elif builtins.all(s and s[0] is None and None not in s[1:] for s in shapes):
            packed = concatenate([reshape(o, (-1, w)) for o, w in zip(outputs, widths)], axis=-1)
            piece = lambda t, a, b, s: reshape(t[:, a:b], (-1,) + s[1:])   # noqa: E731
        else:
            raise not_traceable("custom_gradient", f"{name} returns outputs of shapes {shapes}; "
                                f"several outputs are traced when every shape is known or all "
                                f"share the batch axis", "return outputs with a known shape")
        bounds = np.concatenate([[0], np.cumsum(widths)]).tolist()
        split = lambda t: [piece(t, bounds[i], bounds[i + 1], s)   # noqa: E731
                           for i, s in enumerate(shapes)]
    else:
        packed, split = outputs[0], lambda t: [t]
    upstream = ones_like(packed)   # stands for the upstream gradient in the backward pass
    grads = _call_gradient(grad_fn, split(upstream), several)
    grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
    if len(grads) != len(args):
        raise ValueError(f"ops.custom_gradient: the gradient function of {name} returned "
                         f"{len(grads)} gradient(s) for {len(args)} argument(s)")
    pairs = [(a, g) for a, g in zip(args, grads) if is_symbolic(a)]
    node = trace.custom_gradient([a for a, _ in pairs], packed, upstream, [g for _, g in pairs])
    if not several:
        return node
    results = split(node)
    return tuple(results) if isinstance(output, tuple) else results


__all__ = ["argpartition", "array", "cdist", "corrcoef", "correlate", "diagflat", "dtype",
           "histogram", "is_tensor", "rearrange", "unique", "vectorize", "view", "view_as_complex",
           "view_as_real", "polar", "custom_gradient"]
