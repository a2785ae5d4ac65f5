"""Keras's control flow (`cond`, `switch`, `fori_loop`, `while_loop`, `scan`). On values each
runs its Python functions eagerly and returns what Keras's JAX backend returns: every number and
array of the result a numpy array (0-d for a scalar) in the dtype Keras's `convert_to_tensor`
gives it (Python ints int32, floats float32, 64 bits narrowed to 32), the nesting kept, and, in a
loop's state, a value the body hands back unchanged as the very object passed in (jax forwards
it). The loop bodies see the state as those arrays, as under jax. In a traced layer the loops are
unrolled into the layer's graph (bounds and lengths are fixed at trace time, as shapes are)."""

from __future__ import annotations

import numpy as np

from .. import tree
from .._dtypes import as_keras_array
from ._trace import Unsupported, active, is_symbolic


def _ops():
    from .. import ops
    return ops


def _array(v):
    if v is None or is_symbolic(v) or isinstance(v, (str, bytes)):
        return v
    return as_keras_array(v)


def _arrays(x):
    """`x` with its numbers and arrays as Keras's JAX backend holds them."""
    return x if active() is not None else tree.map_structure(_array, x)


def _state(init, start, out, final=None):
    """A loop's final state as jax returns it: where the body's `out` hands back `start`'s own
    leaf (the state it was given, `init` as arrays) `init`'s object, elsewhere `final`'s leaf
    (`out`'s unless given: after no step, the state it started from) as an array."""
    final = out if final is None else final
    if active() is not None:
        return final
    try:
        tree.assert_same_structure(start, out)
    except (ValueError, TypeError):
        return _arrays(final)
    leaves = [i if o is s and o is not None else _array(f) for i, s, o, f in
              zip(tree.flatten(init), tree.flatten(start), tree.flatten(out), tree.flatten(final))]
    return tree.pack_sequence_as(final, leaves)


def cond(pred, true_fn, false_fn):
    """Keras `ops.cond`: on a traced tensor both branches are traced and `where(pred, ...)`
    picks one (outputs of the same shape); on a value only the chosen branch runs."""
    ops = _ops()
    if not is_symbolic(pred):
        return _arrays(true_fn() if bool(np.asarray(ops._value(pred)).item()) else false_fn())
    t, f = true_fn(), false_fn()
    if isinstance(t, (list, tuple)):
        if not isinstance(f, (list, tuple)) or len(t) != len(f):
            raise ValueError("ops.cond: true_fn and false_fn must return the same structure")
        return type(t)(ops.where(pred, a, b) for a, b in zip(t, f))
    return ops.where(pred, t, f)


def switch(index, branches, *operands):
    """Keras `ops.switch`: `branches[index](*operands)`, the index clamped; a traced index must
    be a Python integer (the branch is chosen at trace time)."""
    if is_symbolic(index):
        raise Unsupported("ops.switch on a traced index: choose the branch with a Python integer, "
                          "or compute every branch and pick with ops.where")
    i = int(np.clip(int(np.asarray(index)), 0, len(branches) - 1))
    return _arrays(branches[i](*_arrays(operands)))


def fori_loop(lower, upper, body_fun, init_val):
    """Keras `ops.fori_loop`: `init_val` through `body_fun(i, val)` for i in [lower, upper).
    The bounds are Python integers (fixed at trace time, as shapes are), so a traced loop is
    unrolled into the layer's graph. With no step the body still runs once, its result unused,
    to see what it hands back unchanged (jax traces it)."""
    if is_symbolic(lower) or is_symbolic(upper):
        raise Unsupported("ops.fori_loop: the bounds of a traced loop must be Python integers")
    start = val = _arrays(init_val)
    lower, upper = int(lower), int(upper)
    for i in range(lower, upper):
        val = body_fun(i, val)
    if lower >= upper and active() is None:
        return _state(init_val, start, body_fun(lower, start), start)
    return _state(init_val, start, val)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Keras `ops.while_loop` on values (and on traced tensors while `cond` gives a Python
    bool, e.g. from shapes): `body` until `cond` is false or `maximum_iterations` is reached.
    A condition on a traced tensor's values cannot be unrolled and is refused. Several loop
    variables come back as a tuple (a list too, as Keras gives them)."""
    single = not isinstance(loop_vars, (list, tuple))
    init = (loop_vars,) if single else tuple(loop_vars)
    start = state = _arrays(init)
    count = 0
    while maximum_iterations is None or count < maximum_iterations:
        go = cond(*state)
        if is_symbolic(go):
            raise Unsupported("ops.while_loop: a condition on a traced tensor's values cannot be "
                              "unrolled; use fori_loop with Python bounds")
        if not bool(np.asarray(go).item()):
            break
        out = body(*state)
        state = (out,) if single else tuple(out)
        count += 1
    if count == 0 and active() is None:     # what the body hands back unchanged, as jax traces it
        out = body(*start)
        state = _state(init, start, (out,) if single else tuple(out), start)
    else:
        state = _state(init, start, state)
    return state[0] if single else state


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Keras `ops.scan`: `carry, y = f(carry, x)` over the leading axis of `xs` (a tensor or a
    nest of them; or `length` steps with x None); returns the last carry and the stacked y's.
    The length is fixed at trace time, so a traced scan is unrolled into the layer's graph. With
    no step f still runs once, on zeros, to give the empty y's their shapes and dtypes."""
    ops = _ops()
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"`unroll` must be an positive integer or boolean. Received: unroll={unroll}")
    if xs is None and length is None:
        raise ValueError("Got no `xs` to scan over and `length` not provided.")
    leaves = [] if xs is None else [v if is_symbolic(v) else _array(v) for v in tree.flatten(xs)]
    n = ops.shape(leaves[0])[0] if leaves else int(length)
    if n is None:
        raise Unsupported("ops.scan over a traced tensor needs its leading dimension fixed")
    if length is not None and leaves and int(length) != n:
        raise ValueError(f"ops.scan: length {length} does not match the leading dimension {n} of xs")

    def x_at(i):
        if not leaves:
            return None
        parts = [ops.getitem(v, i) if is_symbolic(v) else v[i, ...] for v in leaves]
        return tree.pack_sequence_as(xs, parts)

    start = carry = _arrays(init)
    ys = []
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        carry, y = f(carry, x_at(i))
        ys.append(y)
    if reverse:
        ys.reverse()
    if n == 0 and active() is None:     # f's results' structure, as jax traces it
        zeros = [np.zeros(v.shape[1:], v.dtype) for v in leaves]
        out, y = f(start, tree.pack_sequence_as(xs, zeros) if leaves else None)
        stacked = tree.map_structure(lambda v: None if v is None else np.zeros((0,) + np.shape(v), _array(v).dtype), y)
        return _state(init, start, out, start), stacked
    if not ys or ys[0] is None:
        return _state(init, start, carry), None
    stacked = tree.map_structure(lambda *v: None if v[0] is None else ops.stack(v, axis=0), *ys)
    return _state(init, start, carry), _arrays(stacked)
