"""Elementwise math and predicates of `keras.ops` beyond arithmetic: rounding, inverse and
hyperbolic trigonometry, log2/log10/exp2, logaddexp, mod, isnan/isinf/isfinite, logical_*,
any/all, isclose. The library's graph has the rounding and trigonometric ops natively (rounding
has a zero gradient, as under jax); the rest are compositions of graph ops, so a traced layer
gets their gradients from the library's autodiff. Predicates are bool arrays on values (Keras's
dtype) and 0/1 float32 tensors in a traced layer (a traced layer computes in float32)."""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import _int_dtypes
from ._trace import NotTraceable, active, is_symbolic


def _ops():
    from .. import ops
    return ops


def compose(inputs, traced, eager, dtype=np.float32, name=None):
    """`traced(*inputs)` (a composition of ops) when an input is symbolic, else `eager` on the
    values, returned as `dtype` (Keras's result dtype on values; on integers, op `name`'s, as
    `_int_dtypes` has it)."""
    ops = _ops()
    if builtins.any(is_symbolic(x) for x in inputs):
        if active() is None:
            raise NotTraceable("a symbolic tensor outside the trace of its layer")
        return traced(*inputs)
    kept = _int_dtypes.kept(name, inputs)
    if kept is not None:
        return _int_dtypes.as_result(eager(*_int_dtypes.values(name, inputs, kept)), kept)
    out = eager(*[ops._value(x) for x in inputs])
    if np.dtype(dtype) == np.float32:
        dtype = _int_dtypes.half(inputs) or dtype
    return np.asarray(out, dtype) if np.ndim(out) else np.dtype(dtype).type(out)


def _strong(*xs):
    """Python numbers among eager `xs` as Keras's convert_to_tensor holds them (int32, float32
    arrays), for the ops whose Keras promotion reads their dtypes (`result_type(x1.dtype,
    x2.dtype, float)`): there a Python float with float16 gives float32, not jnp's float16."""
    if builtins.any(is_symbolic(x) for x in xs):
        return xs
    from .._dtypes import as_keras_array
    return [as_keras_array(x) if isinstance(x, (int, float)) else x for x in xs]


def _native(name, fn):
    def op(x):
        return _ops()._op(name, [x], fn)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Keras `ops.{name}` (the library's own op in a traced layer)."
    return op


floor = _native("floor", np.floor)
ceil = _native("ceil", np.ceil)
trunc = _native("trunc", np.trunc)
tan = _native("tan", np.tan)
arcsin = _native("arcsin", np.arcsin)
arccos = _native("arccos", np.arccos)
arctan = _native("arctan", np.arctan)
sinh = _native("sinh", np.sinh)
cosh = _native("cosh", np.cosh)
arcsinh = _native("arcsinh", np.arcsinh)
arccosh = _native("arccosh", np.arccosh)
arctanh = _native("arctanh", np.arctanh)


def round(x, decimals=0):  # noqa: A001 — Keras's name
    """Keras `ops.round`: half to even; `decimals` scales by 10**decimals around it."""
    ops = _ops()
    if int(decimals) == 0:
        return ops._op("round", [x], np.round)
    scale = float(10 ** int(decimals))
    return compose([x], lambda t: ops.divide(round(ops.multiply(t, scale)), scale),
                   lambda v: np.round(v, int(decimals)))


def _scaled_log(name, base):
    def op(x):
        ops = _ops()
        return compose([x], lambda t: ops.divide(ops.log(t), math.log(base)), getattr(np, name))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Keras `ops.{name}`: log(x) / log({base}) in a traced layer."
    return op


log2 = _scaled_log("log2", 2)
log10 = _scaled_log("log10", 10)


def exp2(x):
    """Keras `ops.exp2`: exp(x log 2) in a traced layer."""
    ops = _ops()
    return compose([x], lambda t: ops.exp(ops.multiply(t, math.log(2))), np.exp2)


def deg2rad(x):
    return compose([x], lambda t: _ops().multiply(t, math.pi / 180), np.deg2rad)


def rad2deg(x):
    return compose([x], lambda t: _ops().multiply(t, 180 / math.pi), np.rad2deg)


def hypot(x1, x2):
    ops = _ops()
    return compose([x1, x2], lambda a, b: ops.sqrt(ops.add(ops.square(a), ops.square(b))), np.hypot)


def logaddexp(x1, x2):
    """Keras `ops.logaddexp`: max(a, b) + log1p(exp(-|a - b|)), stable for large inputs."""
    ops = _ops()
    x1, x2 = _strong(x1, x2)
    return compose([x1, x2], lambda a, b: ops.add(
        ops.maximum(a, b), ops.log1p(ops.exp(ops.negative(ops.abs(ops.subtract(a, b)))))),
        np.logaddexp)


def floor_divide(x1, x2):
    ops = _ops()
    return compose([x1, x2], lambda a, b: floor(ops.divide(a, b)), np.floor_divide,
                   name="floor_divide")


def mod(x1, x2):
    """Keras `ops.mod` (Python's sign rule: the divisor's); x1 - floor(x1 / x2) x2 traced."""
    ops = _ops()
    return compose([x1, x2], lambda a, b: ops.subtract(a, ops.multiply(floor(ops.divide(a, b)), b)),
                   np.mod, name="mod")


def heaviside(x1, x2):
    ops = _ops()
    return compose([x1, x2], lambda a, b: ops.where(ops.less(a, 0.0), 0.0, ops.where(
        ops.greater(a, 0.0), 1.0, ops.add(ops.zeros_like(a), b))), np.heaviside)


# ---- predicates: bool on values, 0/1 float32 in a traced layer --------------------------------

def isnan(x):
    """Keras `ops.isnan`: x != x in a traced layer."""
    ops = _ops()
    return compose([x], lambda t: ops.not_equal(t, t), np.isnan, np.bool_)


def isinf(x):
    ops = _ops()
    return compose([x], lambda t: ops.equal(ops.abs(t), math.inf), np.isinf, np.bool_)


def isfinite(x):
    """Keras `ops.isfinite`: x - x == 0 in a traced layer (inf - inf and NaN are NaN)."""
    ops = _ops()
    return compose([x], lambda t: ops.equal(ops.subtract(t, t), 0.0), np.isfinite, np.bool_)


def _truth(t):
    return _ops().not_equal(t, 0.0)


def logical_not(x):
    return compose([x], lambda t: _ops().equal(t, 0.0), np.logical_not, np.bool_)


def logical_and(x1, x2):
    return compose([x1, x2], lambda a, b: _ops().multiply(_truth(a), _truth(b)), np.logical_and,
                   np.bool_)


def logical_or(x1, x2):
    return compose([x1, x2], lambda a, b: _ops().maximum(_truth(a), _truth(b)), np.logical_or,
                   np.bool_)


def logical_xor(x1, x2):
    return compose([x1, x2], lambda a, b: _ops().not_equal(_truth(a), _truth(b)), np.logical_xor,
                   np.bool_)


def _axis_arg(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def any(x, axis=None, keepdims=False):  # noqa: A001 — Keras's name
    """Keras `ops.any`: the maximum of x != 0 in a traced layer."""
    return compose([x], lambda t: _ops().max(_truth(t), axis=axis, keepdims=keepdims),
                   lambda v: np.any(v, axis=_axis_arg(axis), keepdims=keepdims), np.bool_)


def all(x, axis=None, keepdims=False):  # noqa: A001 — Keras's name
    """Keras `ops.all`: the minimum of x != 0 in a traced layer."""
    return compose([x], lambda t: _ops().min(_truth(t), axis=axis, keepdims=keepdims),
                   lambda v: np.all(v, axis=_axis_arg(axis), keepdims=keepdims), np.bool_)


def count_nonzero(x, axis=None):
    return compose([x], lambda t: _ops().sum(_truth(t), axis=axis),
                   lambda v: np.count_nonzero(v, axis=_axis_arg(axis)), np.int32)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Keras `ops.isclose`: |a - b| <= atol + rtol |b| (and NaN == NaN with `equal_nan`)."""
    ops = _ops()

    def traced(a, b):
        close = ops.less_equal(ops.abs(ops.subtract(a, b)), ops.add(ops.multiply(ops.abs(b), rtol), atol))
        return ops.maximum(close, ops.multiply(isnan(a), isnan(b))) if equal_nan else close
    return compose([x1, x2], traced,
                   lambda a, b: np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan), np.bool_)


def fabs(x):
    return compose([x], lambda t: _ops().abs(t), np.fabs)


def cbrt(x):
    """Keras `ops.cbrt`: sign(x) |x|^(1/3) in a traced layer."""
    ops = _ops()
    return compose([x], lambda t: ops.multiply(ops.sign(t), ops.power(ops.abs(t), 1.0 / 3.0)), np.cbrt)


def logaddexp2(x1, x2):
    """Keras `ops.logaddexp2`: logaddexp of x ln 2, over ln 2."""
    ops = _ops()
    ln2 = math.log(2)
    x1, x2 = _strong(x1, x2)
    return compose([x1, x2], lambda a, b: ops.divide(
        logaddexp(ops.multiply(a, ln2), ops.multiply(b, ln2)), ln2), np.logaddexp2)


def sinc(x):
    """Keras `ops.sinc`: sin(pi x) / (pi x), 1 at 0."""
    ops = _ops()

    def traced(t):
        zero = ops.equal(t, 0.0)
        safe = ops.add(t, zero)               # 1 where x is 0: no 0/0 in either branch
        y = ops.divide(ops.sin(ops.multiply(safe, math.pi)), ops.multiply(safe, math.pi))
        return ops.where(zero, 1.0, y)
    return compose([x], traced, np.sinc)


def divide_no_nan(x1, x2):
    """Keras `ops.divide_no_nan`: 0 where the divisor is 0."""
    ops = _ops()

    def traced(a, b):
        zero = ops.equal(b, 0.0)
        return ops.where(zero, 0.0, ops.divide(a, ops.add(b, zero)))
    return compose([x1, x2], traced,
                   lambda a, b: np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b)))


def signbit(x):
    """Keras `ops.signbit` (True for -0.0 too on values; a traced layer sees x < 0 or -0.0 as
    1/x < 0)."""
    ops = _ops()
    return compose([x], lambda t: ops.less(ops.divide(1.0, t), 0.0), np.signbit, np.bool_)


def isposinf(x):
    return compose([x], lambda t: _ops().equal(t, math.inf), np.isposinf, np.bool_)


def isneginf(x):
    return compose([x], lambda t: _ops().equal(t, -math.inf), np.isneginf, np.bool_)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Keras `ops.nan_to_num`: NaN to `nan`, infinities to `posinf`/`neginf` (float32's
    largest finite values by default)."""
    ops = _ops()
    big = float(np.finfo(np.float32).max)
    hi = big if posinf is None else float(posinf)
    lo = -big if neginf is None else float(neginf)

    def traced(t):
        clean = ops.where(isnan(t), float(nan), t)
        return ops.where(isposinf(t), hi, ops.where(isneginf(t), lo, clean))
    return compose([x], traced, lambda v: np.nan_to_num(v, nan=nan, posinf=hi, neginf=lo), name="nan_to_num")


def ptp(x, axis=None, keepdims=False):
    """Keras `ops.ptp`: max - min."""
    ops = _ops()
    return ops.subtract(ops.max(x, axis=axis, keepdims=keepdims), ops.min(x, axis=axis, keepdims=keepdims))


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Keras `ops.allclose`: all of isclose (a bool on values)."""
    return all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


def arctan2(x1, x2):
    """Keras `ops.arctan2`: arctan(y / x) in the quadrant of (x, y); traced as the half-angle
    form 2 arctan(y / (sqrt(x^2 + y^2) + x)), with pi on the negative x axis."""
    ops = _ops()

    def traced(y, x):
        r = ops.sqrt(ops.add(ops.square(x), ops.square(y)))
        den = ops.add(r, x)
        axis = ops.equal(den, 0.0)              # x <= 0, y == 0: pi (0 at the origin)
        half = ops.multiply(arctan(ops.divide(y, ops.add(den, axis))), 2.0)
        return ops.where(axis, ops.where(ops.less(x, 0.0), math.pi, 0.0), half)
    x1, x2 = _strong(x1, x2)
    return compose([x1, x2], traced, np.arctan2)


def fmax(x1, x2):
    """Keras `ops.fmax`: the maximum, ignoring a NaN operand."""
    ops = _ops()
    return compose([x1, x2], lambda a, b: ops.where(isnan(b), a, ops.where(isnan(a), b, ops.maximum(a, b))),
                   np.fmax)


def fmin(x1, x2):
    """Keras `ops.fmin`: the minimum, ignoring a NaN operand."""
    ops = _ops()
    return compose([x1, x2], lambda a, b: ops.where(isnan(b), a, ops.where(isnan(a), b, ops.minimum(a, b))),
                   np.fmin)


def fmod(x1, x2):
    """Keras `ops.fmod` (C's remainder: the dividend's sign): x1 - trunc(x1 / x2) x2."""
    ops = _ops()
    return compose([x1, x2], lambda a, b: ops.subtract(a, ops.multiply(trunc(ops.divide(a, b)), b)), np.fmod)


def ldexp(x1, x2):
    """Keras `ops.ldexp`: x1 * 2**x2."""
    ops = _ops()
    return compose([x1, x2], lambda a, b: ops.multiply(a, exp2(b)),
                   lambda a, b: np.ldexp(a, np.asarray(b).astype(np.int32)))


def isin(x1, x2, assume_unique=False, invert=False):
    """Keras `ops.isin`: whether each entry of x1 is among x2's values (x2's size known)."""
    ops = _ops()

    def traced(a, b):
        hit = ops.max(ops.equal(ops.expand_dims(a, -1), ops.reshape(b, (-1,))), axis=-1)
        return ops.subtract(1.0, hit) if invert else hit
    return compose([x1, x2], traced, lambda a, b: np.isin(a, b, invert=invert), np.bool_)


__all__ = ["arctan2", "fmax", "fmin", "fmod", "ldexp", "isin", "fabs", "cbrt", "logaddexp2", "sinc", "divide_no_nan", "signbit", "isposinf", "isneginf",
           "nan_to_num", "ptp", "allclose",
           "floor", "ceil", "trunc", "round", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
           "arcsinh", "arccosh", "arctanh", "log2", "log10", "exp2", "deg2rad", "rad2deg", "hypot",
           "logaddexp", "floor_divide", "mod", "heaviside", "isnan", "isinf", "isfinite",
           "logical_not", "logical_and", "logical_or", "logical_xor", "any", "all",
           "count_nonzero", "isclose"]
