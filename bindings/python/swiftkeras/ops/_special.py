"""Special functions and integer ops of `keras.ops`: `erf`, `erfc`, `erfinv`, `i0` (the
library's own elementwise graph ops with their derivatives, OpGraphOp+Special.swift), `angle`,
`nextafter`, and the bitwise and integer ops (`bitwise_*`, shifts, `gcd`, `lcm`).

A traced layer holds integers as float32 (whole numbers, exact below 2**24): there the integer
ops (and `nextafter`) are the library's graph ops of the same names (OpGraphOp+Integer.swift),
which read their inputs as int32 and have no gradient, as Keras's integer ops have none; their
tensors report Keras's dtype (`_int_dtypes.symbolic`). On values the integer ops follow Keras's
dtypes under its default backend: integers and bools only, a Python int takes the array's dtype,
and 64-bit integers become 32-bit ones (jax's default)."""

from __future__ import annotations

import builtins
import math

import numpy as np

from ._arrays import _ops, _raw
from ._math import _native, compose
from ._trace import Unsupported, is_symbolic

_f32 = np.float32


def not_traceable(op, why, instead):
    """The error for a symbolic tensor reaching an op the library's graph cannot express."""
    return Unsupported(f"ops.{op} is not traceable here: {why}; {instead}")


# ---- special functions: native graph ops -----------------------------------------------------

_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _erfinv(y):
    """Giles's single-precision approximation refined by two Newton steps in double (as the
    library's op): NaN outside [-1, 1], +-inf at +-1."""
    y = np.asarray(y, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1 - y) * (1 + y))
        central, tail = w - 2.5, np.sqrt(w) - 3
        p, q = np.full_like(y, 2.81022636e-08), np.full_like(y, -0.000200214257)
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * central
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682):
            q = c + q * tail
        x = np.where(w < 5, p, q) * y
        for _ in range(2):
            slope = 2 / math.sqrt(math.pi) * np.exp(-x * x)
            x = np.where(slope > 0, x - (_erf(x) - y) / np.where(slope > 0, slope, 1), x)
        x = np.where(np.abs(y) == 1, y * np.inf, x)
        return np.where(np.abs(y) > 1, np.nan, x)


erf = _native("erf", _erf)
erfc = _native("erfc", _erfc)
erfinv = _native("erfinv", _erfinv)
i0 = _native("i0", lambda v: np.i0(np.asarray(v, np.float64)))


def angle(x):
    """Keras `ops.angle`: the argument of a complex number (float32); a real number's is pi
    where it is negative, else 0 (traced: pi * (x < 0), a zero gradient as under jax)."""
    ops = _ops()
    if not is_symbolic(x):
        return np.asarray(np.angle(_raw(x)), _f32)
    return compose([x], lambda t: ops.multiply(ops.less(t, 0.0), math.pi), np.angle)


def nextafter(x1, x2):
    """Keras `ops.nextafter`: the next float32 after x1 towards x2 (no gradient)."""
    ops = _ops()
    if is_symbolic(x1) or is_symbolic(x2):
        return ops._op("nextafter", [x1, x2], None)
    return np.nextafter(ops._value(x1), ops._value(x2)).astype(_f32)


# ---- bitwise and integer ops ------------------------------------------------------------------

_WIDE = {np.dtype(np.int64): np.dtype(np.int32), np.dtype(np.uint64): np.dtype(np.uint32)}


def _integer_args(op, *xs):
    """The arguments as integer/bool arrays of one Keras result dtype."""
    arrays, dtypes = [], []
    for x in xs:
        weak = isinstance(x, (int, np.integer, bool)) and not isinstance(x, np.ndarray) and np.ndim(x) == 0
        a = _raw(x)
        if a.dtype.kind not in "iub":
            raise TypeError(f"ops.{op} does not accept dtype {a.dtype}: it takes integers and bools")
        arrays.append(a)
        if not (weak and type(x) in (int, bool)):
            dtypes.append(_WIDE.get(a.dtype, a.dtype))
    if dtypes:
        dtype = np.result_type(*dtypes)
    else:
        dtype = np.dtype(np.bool_) if builtins.all(a.dtype.kind == "b" for a in arrays) else np.dtype(np.int32)
    dtype = _WIDE.get(dtype, dtype)
    return [a.astype(dtype) for a in arrays], dtype


def _integer_op(name, fn, arity=2, shift=False):
    """`shift`: jnp's shifts take numbers, so bools shift as int32 (True << True is 2)."""
    def op(*xs):
        if len(xs) != arity:
            raise TypeError(f"ops.{name} takes {arity} argument{'s' if arity > 1 else ''}, got {len(xs)}")
        if builtins.any(is_symbolic(x) for x in xs):
            if arity == 1 and getattr(xs[0], "dtype", None) == "bool":   # ~ of booleans: not
                return _ops().logical_not(xs[0])
            return _ops()._op(name, list(xs), None)
        arrays, dtype = _integer_args(name, *xs)
        if shift and dtype.kind == "b":
            arrays, dtype = [a.astype(np.int32) for a in arrays], np.dtype(np.int32)
        return np.asarray(fn(*arrays), dtype)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Keras `ops.{name}` on integer and bool values (a graph op in a traced layer)."
    return op


bitwise_and = _integer_op("bitwise_and", np.bitwise_and)
bitwise_or = _integer_op("bitwise_or", np.bitwise_or)
bitwise_xor = _integer_op("bitwise_xor", np.bitwise_xor)
bitwise_invert = _integer_op("bitwise_invert", np.invert, arity=1)
bitwise_not = _integer_op("bitwise_not", np.invert, arity=1)
bitwise_left_shift = _integer_op("bitwise_left_shift", np.left_shift, shift=True)
bitwise_right_shift = _integer_op("bitwise_right_shift", np.right_shift, shift=True)
left_shift = _integer_op("left_shift", np.left_shift, shift=True)
right_shift = _integer_op("right_shift", np.right_shift, shift=True)
gcd = _integer_op("gcd", np.gcd)
lcm = _integer_op("lcm", np.lcm)

__all__ = ["erf", "erfc", "erfinv", "i0", "angle", "nextafter", "bitwise_and", "bitwise_or",
           "bitwise_xor", "bitwise_invert", "bitwise_not", "bitwise_left_shift",
           "bitwise_right_shift", "left_shift", "right_shift", "gcd", "lcm"]
