"""Keras `ops.jvp` (also `ops.linalg.jvp`): the Jacobian-vector product of a function written
with `swiftkeras.ops`, from the library's own autodiff.

`fun` is traced once into a standalone op graph of the library (keras_graph_new), its arguments
being the primal arrays with their values; the library then evaluates it and computes `J·t`
exactly by reverse mode (keras_graph_jvp: one backward pass per output element, each row of the
Jacobian dotted with the tangents). Primals are pytrees as in `jax.jvp` (tuples, lists, dicts,
None), float arrays or numbers; the results are float32 numpy arrays in `fun`'s output structure.
"""

from __future__ import annotations

import contextlib
import ctypes

import numpy as np

from .. import _lib, _native
from . import _trace
from ._trace import NotTraceable, SymbolicTensor, Trace, Unsupported, is_symbolic

_f32 = np.float32


def _flatten(tree, leaves):
    """The leaves of a pytree in jax's order (dict keys sorted) and a function rebuilding it."""
    if tree is None:
        return lambda it: None
    if isinstance(tree, dict):
        keys = sorted(tree)
        parts = [_flatten(tree[k], leaves) for k in keys]
        kind = type(tree)
        return lambda it: kind((k, p(it)) for k, p in zip(keys, parts))
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        parts = [_flatten(v, leaves) for v in tree]
        return lambda it: type(tree)(*(p(it) for p in parts))
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(v, leaves) for v in tree]
        kind = type(tree)
        return lambda it: kind(p(it) for p in parts)
    leaves.append(tree)
    return lambda it: next(it)


def _structure(tree):
    """A comparable description of a pytree's containers (leaves as '*')."""
    if tree is None:
        return None
    if isinstance(tree, dict):
        return ("dict", tuple((k, _structure(tree[k])) for k in sorted(tree)))
    if isinstance(tree, (tuple, list)):
        return (type(tree).__name__, tuple(_structure(v) for v in tree))
    return "*"


def _float_leaf(x, what):
    if is_symbolic(x):
        raise Unsupported(f"ops.jvp on a symbolic tensor ({what}): the library computes jvp on "
                          f"values, outside a traced layer; call it on arrays")
    a = np.asarray(x)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"ops.jvp: {what} has dtype {a.dtype}; the library differentiates float "
                        f"arrays only (jax also refuses integer primals without float0 tangents)")
    return np.array(a, dtype=_f32, order="C")   # (ascontiguousarray makes 0-d arrays 1-d)


def _check(rc):
    if rc != 0:
        raise _native._EXCEPTIONS.get(rc, _native.KerasError)(_native.last_error())


def _pointers(arrays, kind):
    return (kind * max(len(arrays), 1))(*[a.ctypes.data_as(_lib.float_p) if a is not None else None
                                          for a in arrays])


def jvp(fun, primals, tangents, has_aux=False):
    """Computes a (forward-mode) Jacobian-vector product of `fun` (Keras `ops.jvp`).

    `primals` and `tangents` are tuples or lists of `fun`'s positional arguments, each a float
    array or number or a pytree of them (tuples, lists, dicts), with the same structure and shapes.
    Returns `(primals_out, tangents_out)`, or `(primals_out, tangents_out, aux)` with `has_aux`
    (`fun` then returns `(output, aux)`). `fun` must be written with `swiftkeras.ops`: it is traced
    into the library's op graph and differentiated by the library's autodiff; a `fun` that needs
    values (numpy, `float()`, `if` on a tensor) raises `NotTraceable` naming why.
    """
    if not callable(fun):
        raise TypeError(f"ops.jvp: fun must be callable, got {type(fun).__name__}")
    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"ops.jvp: {name} must be a tuple or list of fun's positional arguments, "
                            f"got {type(value).__name__}")
    if len(primals) != len(tangents):
        raise TypeError(f"ops.jvp: primals and tangents must have the same number of arguments, got "
                        f"{len(primals)} and {len(tangents)}")
    for i, (p, t) in enumerate(zip(primals, tangents)):
        if _structure(p) != _structure(t):
            raise TypeError(f"ops.jvp: primal {i} and its tangent must have the same structure, got "
                            f"{_structure(p)} and {_structure(t)}")
    if not _lib.has("keras_graph_jvp"):
        raise _native.KerasError("ops.jvp: this libkeras.so has no keras_graph_jvp; rebuild it")
    leaves, tangent_leaves = [], []
    rebuild = [_flatten(p, leaves) for p in primals]
    for t in tangents:
        _flatten(t, tangent_leaves)
    values = [_float_leaf(x, f"primal leaf {i}") for i, x in enumerate(leaves)]
    directions = [_float_leaf(t, f"tangent leaf {i}") for i, t in enumerate(tangent_leaves)]
    for i, (v, t) in enumerate(zip(values, directions)):
        if v.shape != t.shape:
            raise ValueError(f"ops.jvp: tangent leaf {i} has shape {t.shape}, its primal {v.shape}")

    with _function_graph() as (builder, trace):
        it = iter(_arguments(builder, trace, values))
        args = [r(it) for r in rebuild]
        try:
            result = fun(*args)
        except (NotTraceable, Unsupported) as e:
            raise type(e)(f"ops.jvp: fun is not traceable into the library's op graph (it is "
                          f"differentiated there, so it must be written with swiftkeras.ops): "
                          f"{e}") from None
        if has_aux:
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise ValueError("ops.jvp with has_aux=True: fun must return a pair (output, aux)")
            result, aux = result
        outs = []
        rebuild_out = _flatten(result, outs)
        nodes = [trace.node_of(o) for o in outs]
        shapes = [trace._tensor(n).shape for n in nodes]
        ys = [np.zeros(s, _f32) for s in shapes]
        ts = [np.zeros(s, _f32) for s in shapes]
        if nodes:
            _check(_lib.keras_graph_jvp(builder, len(nodes), _native.int64_array(nodes),
                                        _pointers(directions, _lib.float_p), _pointers(ys, _lib.float_p),
                                        _pointers(ts, _lib.float_p)))
        if has_aux:
            aux = _evaluate(builder, trace, aux)
    scalar = lambda a: _f32(a) if a.ndim == 0 else a  # noqa: E731 — eager ops' 0-d convention
    primals_out = rebuild_out(iter([scalar(y) for y in ys]))
    tangents_out = rebuild_out(iter([scalar(t) for t in ts]))
    return (primals_out, tangents_out, aux) if has_aux else (primals_out, tangents_out)


def _arguments(builder, trace, values):
    """One argument of the graph per array, as symbolic tensors."""
    symbols = []
    for v in values:
        node = ctypes.c_int64()
        _check(_lib.keras_graph_argument(builder, v.ctypes.data_as(_lib.float_p), v.ndim,
                                         _native.int64_array(v.shape) if v.ndim else None,
                                         ctypes.byref(node)))
        symbols.append(trace._tensor(node.value))
    return symbols


def _evaluate(builder, trace, tree):
    """`tree` with its symbolic leaves replaced by their values (jvp's aux)."""
    leaves = []
    rebuild = _flatten(tree, leaves)
    symbolic = [i for i, x in enumerate(leaves) if isinstance(x, SymbolicTensor)]
    if symbolic:
        nodes = [leaves[i]._node for i in symbolic]
        ys = [np.zeros(leaves[i].shape, _f32) for i in symbolic]
        _check(_lib.keras_graph_vjp(builder, len(nodes), _native.int64_array(nodes),
                                    _pointers([None] * len(nodes), _lib.float_p),
                                    _pointers(ys, _lib.float_p), None))
        for i, y in zip(symbolic, ys):
            leaves[i] = _f32(y) if y.ndim == 0 else y
    return rebuild(iter(leaves))


def evaluate_traced(fun, arrays):
    """`fun(*arrays)` (one output) computed by the library: traced into a standalone op graph
    whose arguments are `arrays`, then evaluated there. Eager ops that must give exactly what
    their traced form gives (the graph's random numbers) run this way."""
    values = [_float_leaf(a, f"argument {i}") for i, a in enumerate(arrays)]
    with _function_graph() as (builder, trace):
        return _evaluate(builder, trace, fun(*_arguments(builder, trace, values)))


@contextlib.contextmanager
def _function_graph():
    """A new standalone graph and its trace, active on this thread until the block ends."""
    builder = _lib.keras_layer_builder_p()
    _check(_lib.keras_graph_new(ctypes.byref(builder)))
    trace = Trace(builder, None)
    previous = _trace.active()
    _trace._state.trace = trace
    try:
        yield builder, trace
    finally:
        _trace._state.trace = previous
        _lib.keras_graph_free(builder)
