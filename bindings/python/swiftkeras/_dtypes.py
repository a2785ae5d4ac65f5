"""Keras's dtype names and implicit type promotion (keras/src/backend/common/dtypes.py and
`standardize_dtype`), as its non-TensorFlow backends apply them: Python ints are int32,
64-bit results narrow to 32 bits."""

import functools

import numpy as np

from . import backend as _backend

INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
WEAK_TYPES = ("int", "float")
FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8",
                  "int16", "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn",
                  "float8_e5m2", "complex64", "complex128")
PYTHON_DTYPES_MAP = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32",
                     complex: "complex64"}
_TO_32_BITS = {"int64": "int32", "uint64": "uint32", "float64": "float32",
               "complex128": "complex64"}


def held(dtype):
    """The dtype of the values Keras on jax holds for a variable of `dtype`: 64 bits narrow to 32
    (an int64 variable's values are int32; its `dtype` stays int64)."""
    return _TO_32_BITS.get(dtype, dtype)


def as_keras_array(x):
    """`x` (an array, a Variable, a list, a number) as a numpy array the way Keras's JAX backend
    converts it: 64-bit values become 32-bit."""
    x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    narrow = _TO_32_BITS.get(x.dtype.name)
    return x if narrow is None else x.astype(narrow)


def keras_result(out):
    """An op's eager result as Keras's JAX backend holds it: a numpy array or number of 64 bits
    in 32 (JAX runs without x64: `ops.ones(3, dtype="int64")`, `ops.copy` of float64 values,
    `ops.cast(x, "float64")` are 32-bit there), each of a list or tuple of them likewise; other
    values (symbolic tensors, shapes, names) as they are."""
    if isinstance(out, (np.ndarray, np.generic)):
        narrow = _TO_32_BITS.get(out.dtype.name)
        return out if narrow is None else out.astype(narrow)
    if type(out) in (list, tuple):
        return type(out)(keras_result(v) for v in out)
    return out


def standardize_dtype(dtype):
    """Keras's name of a dtype (a string, numpy dtype or type, Python type); None is floatx.
    Keras: `keras.backend.standardize_dtype`."""
    if dtype is None:
        return _backend.floatx()
    try:
        dtype = PYTHON_DTYPES_MAP.get(dtype, dtype)
    except TypeError:       # unhashable
        pass
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    elif "jax.numpy" in str(dtype) or "torch" in str(dtype):
        dtype = str(dtype).split(".")[-1]
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def is_float_dtype(dtype):
    dtype = standardize_dtype(dtype)
    return dtype.startswith("float") or dtype.startswith("bfloat")


def is_int_dtype(dtype):
    dtype = standardize_dtype(dtype)
    return dtype.startswith("int") or dtype.startswith("uint")


def _upper_bounds():
    """Each dtype's set of dtypes it promotes to, from JAX's promotion lattice."""
    u1, u2, u4, u8, i1, i2, i4, i8 = INT_TYPES
    bf, f2, f4, f8 = FLOAT_TYPES
    i_, f_ = WEAK_TYPES
    lattice = {"bool": [i_], u1: [i2, u2], u2: [i4, u4], u4: [i8, u8], u8: [f_],
               i_: [u1, i1, "complex64"], i1: [i2], i2: [i4], i4: [i8], i8: [f_], f_: [bf, f2],
               bf: [f4], f2: [f4], f4: [f8, "complex64"], f8: ["complex128"],
               "complex64": ["complex128"], "complex128": []}
    bounds = {node: {node} for node in lattice}
    for node in lattice:
        while True:
            grown = set().union(*(lattice[b] for b in bounds[node]))
            if grown.issubset(bounds[node]):
                break
            bounds[node] |= grown
    return bounds


_UPPER_BOUNDS = _upper_bounds()


@functools.lru_cache(512)
def _least_upper_bound(*nodes):
    found = set(nodes)
    unknown = [n for n in found if n not in _UPPER_BOUNDS]
    if unknown:
        raise ValueError(f"dtype={unknown[0]!r} is not a valid dtype for Keras type promotion.")
    common = set.intersection(*(_UPPER_BOUNDS[n] for n in found))
    least = (common & found) or {c for c in common if common.issubset(_UPPER_BOUNDS[c])}
    if len(least) != 1:
        raise ValueError(f"Input dtypes {tuple(str(n) for n in nodes)} have no available "
                         f"implicit dtype promotion path. Try explicitly casting inputs to the "
                         f"desired output type.")
    return least.pop()


def _weak(dtype):
    for kind in ("float", "int", "complex"):
        if kind in dtype:
            return kind
    return dtype


def result_type(*dtypes):
    """The dtype Keras's ops give for inputs of these dtypes (Python `int` and `float` are weak:
    they take the other side's kind and width). Keras: `keras.backend.result_type`."""
    if not dtypes:
        return _backend.floatx()
    if any(d in FLOAT8_TYPES for d in dtypes if isinstance(d, str)):
        raise ValueError(f"There is no implicit conversions from float8 dtypes to others. You "
                         f"must cast it internally. Received: {dtypes}")
    args = [_backend.floatx() if d is None else d for d in dtypes]
    names = [standardize_dtype(d) for d in args]
    weak = [d is int or d is float for d in args]
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(*set(names)), True
    else:
        out = _least_upper_bound(*{_weak(d) if w and d != "bool" else d
                                   for d, w in zip(names, weak)})
        out_weak = out in WEAK_TYPES
    if out_weak and out != "bool":
        precision = _backend.floatx()[-2:]
        kind = "f" if out == "bfloat16" else out[:1]
        out = {"i": f"int{precision}", "u": f"uint{precision}"}.get(kind, f"float{precision}")
    return _TO_32_BITS.get(out, out)
