"""Which dtype an eager op gives on integer and boolean values, as Keras's JAX backend gives it.

Eager ops compute in float32 (the library's tensors are float32), except the numpy-like ops for
which Keras keeps integers (keras/src/backend/jax/numpy.py: jnp's own dtype promotion after
`convert_to_tensor`): on values that are all integers or booleans these compute in numpy in
Keras's result dtype, so their results are exact (a large int32 stays itself, not the nearest
float32). Ops that give floats on integers (true_divide, mean, sqrt, exp, ...) are not here and
keep the float32 path (float16 values keep float16 there: `half`). Comparisons give bool on
any values, as Keras's do. `_op` and `compose` ask `kept` before computing; nothing else
decides it.
"""

from __future__ import annotations

import numpy as np

from .._dtypes import result_type

# How an op's dtype follows from its inputs': "all" promotes every input (jnp's promotion, as
# `result_type`: Python numbers are weak, so uint8 + 2 is uint8, bool + 2 int32); "first" is the
# first input's (the others are indices or shapes); "after_first" promotes all but the first
# (where's condition); "sum" widens bool, int8 and int16 to int32 and uint8, uint16 to uint32 (jnp's
# sums and products); "int_bool" is the input's with bool as int32 (Keras's clip, jnp's square and
# cumulative sums and products); "all_int_bool" promotes every input, bool as int32 (jnp's power,
# floor_divide and mod); "einsum" promotes every input, all int8 as int32 (Keras's einsum and matmul
# ask jnp for an int32 result there); "compare" gives bool on any values (compared in the inputs'
# promoted dtype, so float64 values compare as Keras's float32).
_RULES = {
    "add": "all", "subtract": "all", "multiply": "all", "maximum": "all", "minimum": "all",
    "matmul": "einsum", "dot": "all", "floor_divide": "all_int_bool", "mod": "all_int_bool",
    "round": "first", "trunc": "first", "nan_to_num": "first", "relu": "int_bool",
    "concatenate": "all", "stack": "all", "select": "all", "cross": "all",
    "negative": "first", "abs": "first", "absolute": "first", "square": "int_bool", "sign": "first",
    "reshape": "first", "transpose": "first", "expand_dims": "first", "squeeze": "first",
    "flip": "first", "tile": "first", "repeat": "first", "roll": "first", "slice": "first",
    "take": "first", "take_along_axis": "first", "sort": "first", "zeros_like": "first",
    "ones_like": "first", "max": "first", "min": "first", "amax": "first", "amin": "first",
    "copy": "first", "broadcast_to": "first", "vander": "first", "tril": "first", "triu": "first",
    "greater": "compare", "greater_equal": "compare", "less": "compare", "less_equal": "compare",
    "equal": "compare", "not_equal": "compare",
    "where": "after_first",
    "sum": "sum", "prod": "sum", "cumsum": "int_bool", "cumprod": "int_bool",
    "clip": "int_bool",
    "power": "all_int_bool", "einsum": "einsum", "tensordot": "all", "kron": "all", "diagonal": "first", "diag": "first", "trace": "sum",
    "nansum": "sum", "nanprod": "sum", "nanmax": "first", "nanmin": "first",
}

_EVERY_INPUT = ("all", "all_int_bool", "einsum", "compare")
_WIDER = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32", "uint16": "uint32"}


def _tensor_dtype(x):
    """`x`'s dtype as jnp promotes it: 64 bits narrow to 32, Python ints and floats are weak
    (`int`, `float`: they take the other side's width)."""
    if isinstance(x, (bool, np.bool_)):
        return "bool"
    if isinstance(x, (int, float)) and not isinstance(x, np.generic):
        return float if isinstance(x, float) else int
    dtype = getattr(x, "dtype", None)
    return result_type(dtype if dtype is not None else np.asarray(x).dtype)


def kept(name, inputs, scalars=()):
    """Keras's integer or boolean result dtype (a numpy dtype) of eager op `name` on `inputs`
    (and on the Python numbers `scalars` it takes as arguments: clip's bounds), bool for a
    comparison, or None where the op computes in float32 (a float input, or an op that gives
    floats)."""
    rule = _RULES.get(name)
    if rule is None or not inputs:
        return None
    data = inputs[1:] if rule == "after_first" else inputs if rule in _EVERY_INPUT else inputs[:1]
    try:
        dtypes = [_tensor_dtype(_numpy(x)) for x in list(data) + list(scalars)]
    except (TypeError, ValueError):
        return None
    if rule == "compare":
        return np.dtype(bool)
    if not dtypes or any(np.dtype(d).kind not in "iub" for d in dtypes):
        return None
    out = result_type(*dtypes)
    if rule == "sum":
        out = _WIDER.get(out, out)
    elif rule in ("int_bool", "all_int_bool") and out == "bool":
        out = "int32"
    elif rule == "einsum" and {np.dtype(d) for d in dtypes} == {np.dtype(np.int8)}:
        out = "int32"
    return np.dtype(out) if np.dtype(out).kind in "iub" else None


def half(inputs):
    """float16 where the inputs' values promote to it (float16 arrays, alone or with Python
    numbers, bools or int8/uint8): Keras's ops keep float16 there; the eager float path computes
    in float32 and rounds its result to it. None otherwise."""
    try:
        dtypes = [_tensor_dtype(_numpy(x)) for x in inputs]
    except (TypeError, ValueError):
        return None
    if "float16" not in dtypes:
        return None
    return np.dtype(np.float16) if result_type(*dtypes) == "float16" else None


def values(name, inputs, dtype):
    """`inputs` as numpy arrays for computing op `name` in `dtype`: its data inputs in `dtype`
    (exact: every input's integers fit it), the others (indices, a condition) as they are."""
    rule = _RULES[name]
    if rule == "compare":
        dtype = result_type(*[_tensor_dtype(_numpy(x)) for x in inputs])
    out = []
    for i, x in enumerate(inputs):
        v = np.asarray(_numpy(x))
        data = i > 0 if rule == "after_first" else i == 0 or rule in _EVERY_INPUT
        out.append(v.astype(dtype) if data else v)
    return out


def as_result(out, dtype):
    return np.asarray(out, dtype) if np.ndim(out) else np.dtype(dtype).type(out)


def _numpy(x):
    from .._python_layers import Weight
    if x is None:
        raise TypeError("None")
    return x.numpy() if isinstance(x, Weight) else x


# Ops whose result has a dtype of its own whatever their inputs' (Keras's `compute_output_spec`):
# indices and counts int32, tests and comparisons bool.
_OWN_DTYPE = {
    **dict.fromkeys(("argmax", "argmin", "argsort", "argpartition", "nanargmax", "nanargmin",
                     "count_nonzero", "searchsorted", "digitize", "matrix_rank"), "int32"),
    **dict.fromkeys(("isnan", "isinf", "isfinite", "isneginf", "isposinf", "isreal", "signbit",
                     "isclose", "allclose", "isin", "in_top_k", "equal", "not_equal", "greater",
                     "greater_equal", "less", "less_equal", "logical_and", "logical_or",
                     "logical_not", "logical_xor", "any", "all"), "bool")}
_PART_DTYPES = {"top_k": (None, "int32")}   # (values in the input's dtype, indices int32)
_NAMED_DTYPE = ("cast", "saturate_cast", "zeros_like", "ones_like", "full_like")


def symbolic(fn, args, kwargs, part=None):
    """Keras's dtype name of the symbolic result of op `fn(*args, **kwargs)` (element `part` of
    a tuple result) on symbolic tensors, whose `dtype` says theirs: what a KerasTensor of a
    model's graph or a traced layer's tensor reports. The library's op graph holds every value
    as float32 (indices and counts as whole numbers, booleans as 0 and 1, exact below 2**24);
    a functional model's integer and bool outputs come back in their dtype (models.py)."""
    from .._dtypes import standardize_dtype
    name = fn.__name__
    if part is not None and _PART_DTYPES.get(name, (None,) * (part + 1))[part] is not None:
        return _PART_DTYPES[name][part]
    if name in _OWN_DTYPE:
        return _OWN_DTYPE[name]
    if name in _NAMED_DTYPE:
        import inspect
        try:
            named = inspect.signature(fn).bind(*args, **kwargs).arguments.get("dtype")
        except TypeError:
            named = None
        if named is not None:
            return standardize_dtype(named)
    first = args[0] if args else None
    inputs = list(first) if isinstance(first, (list, tuple)) else \
        [a for a in args if a is not None and not isinstance(a, (list, tuple, str))]
    return _promoted(name, inputs)


def _promoted(name, inputs):
    """The float32 the library computes in, or Keras's integer or bool dtype where `kept` keeps
    one for these inputs (symbolic tensors and weights by their dtype: no values read)."""
    try:
        dtype = kept(name, [np.empty(0, str(x.dtype)) if hasattr(x, "dtype") else x for x in inputs])
    except (TypeError, ValueError):
        dtype = None
    return "float32" if dtype is None else np.dtype(dtype).name
