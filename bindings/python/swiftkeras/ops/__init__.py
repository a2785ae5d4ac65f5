"""Tensor operations (Keras `keras.ops`).

On numpy arrays (and Python numbers) each op computes eagerly with numpy, in float32 (a float16
result rounded back to float16, as Keras keeps it), with Keras 3's semantics and defaults; the
numpy-like ops for which Keras keeps integers compute on integer and boolean values in Keras's
dtype (`_int_dtypes`); no op gives 64 bits, as Keras on JAX gives none (`_in_keras_dtype`). On
symbolic tensors — while the library builds a layer written in Python and traces its `call` —
each op appends the library's own op to the layer's graph, so that training and prediction then
run natively with the library's autodiff.
"""

from __future__ import annotations

import builtins
import functools
import math

import numpy as np

from .._dtypes import keras_result
from . import _int_dtypes, image, linalg, nn
from ._arrays import (append, argmin, argsort, array_split, average, broadcast_to, conj, conjugate,
                      copy, cumprod, cumsum, diff, dsplit, dstack, empty, empty_like, fliplr, flipud,
                      geomspace, hsplit, hstack, identity, imag, inner, isreal, kron, linspace,
                      logspace, median, meshgrid, nanargmax, nanargmin, nancumprod, nancumsum, nanmax,
                      nanmean, nanmedian, nanmin, nanpercentile, nanprod, nanquantile, nanstd, nansum,
                      nanvar, ndim, one_hot, outer, pad, percentile, prod, quantile, ravel, real, roll,
                      rot90, select, size, sort, tensordot, top_k, tri, tril, triu, unstack, vdot,
                      vsplit, vstack)
from ._arrays import slice_ as slice  # noqa: A001 — Keras's name
from ._arrays import map  # noqa: A001 — Keras's name
from ._arrays import (associative_scan, bartlett, bincount, blackman, cross, diag, diagonal, digitize,
                      get_item, hamming, hanning, in_top_k, kaiser, nonzero, saturate_cast,
                      searchsorted, trace, trapezoid, unravel_index, vander, vectorized_map)
from ._math import arctan2, fmax, fmin, fmod, isin, ldexp
from ._math import (all, allclose, any, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, cbrt, ceil,
                    cosh, count_nonzero, deg2rad, divide_no_nan, exp2, fabs, floor, floor_divide,
                    heaviside, hypot, isclose, isfinite, isinf, isnan, isneginf, isposinf, log2, log10,
                    logaddexp, logaddexp2, logical_and, logical_not, logical_or, logical_xor, mod,
                    nan_to_num, ptp, rad2deg, round, signbit, sinc, sinh, tan, trunc)
from ._control_flow import cond, fori_loop, scan, switch, while_loop
from ._window import average_pool, conv, depthwise_conv, max_pool
from ._indexing import (einsum, flip, getitem, moveaxis, repeat, split, swapaxes, take,
                        take_along_axis, tile)
from . import _trace
from ._trace import NotTraceable, SymbolicTensor, Unsupported, active, is_symbolic
from .linalg import (cholesky, cholesky_inverse, det, eig, eigh, inv, jvp, logdet, lstsq, lu_factor,
                     matrix_rank, pinv, qr, slogdet, solve, solve_triangular, svd)
from ._special import (angle, bitwise_and, bitwise_invert, bitwise_left_shift, bitwise_not, bitwise_or,
                       bitwise_right_shift, bitwise_xor, erf, erfc, erfinv, gcd, i0, lcm, left_shift,
                       nextafter, right_shift)
from ._scatter import (scatter, scatter_update, segment_max, segment_min, segment_prod, segment_sum,
                       slice_update)
from ._fft import extract_sequences, fft, fft2, ifft2, irfft, istft, rfft, stft
from ._numpy_extra import (argpartition, array, cdist, corrcoef, correlate, custom_gradient, diagflat,
                           dtype, histogram, is_tensor, polar, rearrange, unique, vectorize, view,
                           view_as_complex, view_as_real)
from .nn import (adaptive_average_pool, adaptive_max_pool, conv_transpose, ctc_decode, ctc_loss,
                 depth_to_space, dot_product_attention, fold, separable_conv, space_to_depth,
                 sparsemax, unfold)
from .nn import (batch_normalization, binary_crossentropy, categorical_crossentropy, celu, elu, gelu,
                 glu, hard_shrink, hard_sigmoid, hard_silu, hard_swish, hard_tanh, layer_normalization,
                 leaky_relu, log_sigmoid, log_softmax, multi_hot, normalize, psnr, relu, relu6,
                 rms_normalization, selu, sigmoid, silu, soft_shrink, softmax, softplus, softsign,
                 sparse_categorical_crossentropy, sparse_plus, sparse_sigmoid, squareplus, swish,
                 tanh_shrink, threshold)

_f32 = np.float32


def _value(x):
    from .._python_layers import Weight
    if isinstance(x, Weight):
        return x.numpy()
    if x is None:   # numpy would make it NaN; Keras refuses it
        raise TypeError("ops: got None where a tensor or a number was expected (a dimension "
                        "read with ops.shape is None where it is unknown, as the batch size "
                        "while a layer is traced)")
    return np.asarray(x, dtype=_f32) if not isinstance(x, np.ndarray) or x.dtype != _f32 else x


def _op(name, inputs, eager, attrs=None, scalars=()):
    """Runs op `name`: into the trace when an input is symbolic, else `eager` on numpy (in
    Keras's dtype on integers: `_int_dtypes`, with the Python numbers `scalars` it takes)."""
    if builtins.any(is_symbolic(x) for x in inputs):
        trace = active()
        if trace is None:
            raise NotTraceable(f"ops.{name}: a symbolic tensor outside the trace of its layer")
        return trace.op(name, inputs, attrs)
    kept = _int_dtypes.kept(name, inputs, scalars)
    if kept is not None:    # integers and booleans, in Keras's dtype
        return _int_dtypes.as_result(eager(*_int_dtypes.values(name, inputs, kept)), kept)
    out = eager(*[_value(x) for x in inputs])
    dtype = _int_dtypes.half(inputs) or np.dtype(_f32)
    return np.asarray(out, dtype=dtype) if np.ndim(out) else dtype.type(out)


def _axis(axis):
    return list(axis) if isinstance(axis, (tuple, list)) else axis


# ---- arithmetic -----------------------------------------------------------------------------

def add(x1, x2):
    return _op("add", [x1, x2], np.add)


def subtract(x1, x2):
    return _op("subtract", [x1, x2], np.subtract)


def multiply(x1, x2):
    return _op("multiply", [x1, x2], np.multiply)


def divide(x1, x2):
    return _op("divide", [x1, x2], np.divide)


def true_divide(x1, x2):
    """`x1 / x2` (the `/` operator of symbolic tensors, Keras's `TrueDivide` node)."""
    return _op("divide", [x1, x2], np.divide)


def negative(x):
    return _op("negative", [x], np.negative)


def power(x1, x2):
    """Keras `ops.power`. On values an integer scalar exponent keeps x1's dtype (jnp's
    integer_pow: int8 ** int32(2) is int8, a negative one refused on integers), and integer
    arrays to integer powers follow jnp's (`_integer_power`)."""
    if is_symbolic(x1) and np.ndim(x2) == 0 and not is_symbolic(x2):
        return _op("power", [x1], None, {"exponent": float(x2)})
    if not is_symbolic(x2) and np.ndim(x2) == 0 and np.asarray(x2).dtype.kind in "iub":
        k = int(np.asarray(x2))
        if k < 0 and _int_dtypes.kept("power", [x1]) is not None:
            raise TypeError(f"ops.power: integers cannot be raised to negative powers (exponent {k} "
                            f"on {np.asarray(x1).dtype} values); cast them to a float dtype first")
        return _op("power", [x1], lambda v: np.power(v, k))
    return _op("power", [x1, x2], _power)


def _power(x1, x2):
    return _integer_power(x1, x2) if x1.dtype.kind in "iu" and x2.dtype.kind in "iu" else np.power(x1, x2)


def _integer_power(x1, x2):
    """jnp's integer power: binary exponentiation over the exponent's low 6 bits, wrapping as the
    dtype does (any larger power of a base other than 0, 1, -1 overflows), 0 ** n 0 for n != 0;
    so a negative exponent gives what its two's-complement bits give, where numpy refuses."""
    acc = np.where((x1 == 0) & (x2 != 0), 0, 1).astype(x1.dtype)
    base = x1.copy()
    with np.errstate(over="ignore"):
        for bit in range(6):
            acc = np.where(np.right_shift(x2, bit) & 1, acc * base, acc).astype(x1.dtype)
            base = base * base
    return acc


def matmul(x1, x2):
    return _op("matmul", [x1, x2], np.matmul)


def dot(x1, x2):
    """Keras `ops.dot`: numpy's dot; in a traced layer the graph's matmul, and for a second
    operand of rank 3 or more the sum over x1's last axis and x2's second to last (a tensordot:
    not matmul's stack of products)."""
    if is_symbolic(x1) or is_symbolic(x2):
        if (len(x2.shape) if hasattr(x2, "shape") else np.ndim(x2)) >= 3:
            return tensordot(x1, x2, axes=([-1], [-2]))
    return _op("dot", [x1, x2], np.dot)


def maximum(x1, x2):
    return _op("maximum", [x1, x2], np.maximum)


def minimum(x1, x2):
    return _op("minimum", [x1, x2], np.minimum)


def greater(x1, x2):
    return _op("greater", [x1, x2], np.greater)


def greater_equal(x1, x2):
    return _op("greater_equal", [x1, x2], np.greater_equal)


def less(x1, x2):
    return _op("less", [x1, x2], np.less)


def less_equal(x1, x2):
    return _op("less_equal", [x1, x2], np.less_equal)


def equal(x1, x2):
    return _op("equal", [x1, x2], np.equal)


def not_equal(x1, x2):
    return _op("not_equal", [x1, x2], np.not_equal)


# ---- elementwise ----------------------------------------------------------------------------

def _unary(name, fn):
    def op(x):
        return _op(name, [x], fn)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Keras `ops.{name}`."
    return op


exp = _unary("exp", np.exp)
log = _unary("log", np.log)
sqrt = _unary("sqrt", np.sqrt)
square = _unary("square", np.square)
abs = _unary("abs", np.abs)  # noqa: A001 — Keras's name
absolute = _unary("absolute", np.abs)
sign = _unary("sign", np.sign)
log1p = _unary("log1p", np.log1p)
expm1 = _unary("expm1", np.expm1)
sin = _unary("sin", np.sin)
cos = _unary("cos", np.cos)
tanh = _unary("tanh", np.tanh)
reciprocal = _unary("reciprocal", np.reciprocal)
rsqrt = _unary("rsqrt", lambda x: 1 / np.sqrt(x))
stop_gradient = _unary("stop_gradient", lambda x: x)


def zeros_like(x, dtype=None):
    """Keras `ops.zeros_like` (`dtype`: Keras's, as a config writes it; values here are x's dtype
    or `dtype`, a traced layer's float32, a mask's booleans 0/1)."""
    return _in_dtype(_op("zeros_like", [x], np.zeros_like), dtype)


def ones_like(x, dtype=None):
    """Keras `ops.ones_like` (`dtype` as zeros_like's)."""
    return _in_dtype(_op("ones_like", [x], np.ones_like), dtype)


def _in_dtype(out, dtype):
    return out if dtype is None or is_symbolic(out) or _is_layer_output(out) else np.asarray(out, dtype)


def cast(x, dtype):
    """Keras `ops.cast`. A traced layer computes in float32: a cast to an integer dtype is
    Keras's truncation toward zero (whole numbers in float32), to bool whether the value is not
    zero (0 or 1); the tensor reports the dtype (ops._int_dtypes.symbolic)."""
    kind = np.dtype(dtype).kind
    if not is_symbolic(x):
        return np.asarray(_value(x), dtype)
    if kind not in "fiub":
        raise Unsupported(f"ops.cast to {dtype}: traced layers compute in float32")
    if kind == "b":
        return not_equal(x, 0.0)
    return trunc(x) if kind in "iu" else _op("cast", [x], lambda v: v)


def convert_to_tensor(x, dtype=None, sparse=None):
    """Keras `ops.convert_to_tensor`: without a dtype, the values' own (as the JAX backend keeps
    them: Python ints int32, bools bool, 64 bits narrowed to 32). A model's symbolic tensor is
    itself (in `dtype`: cast, as Keras's ConvertToTensor node)."""
    if _is_layer_output(x) and dtype is not None:
        from .._dtypes import standardize_dtype
        return x if standardize_dtype(dtype) == x.dtype else cast(x, dtype)
    if is_symbolic(x) or _is_layer_output(x) or (dtype is None and x is None):
        return x if x is not None else _value(x)
    if dtype is None:
        from .._dtypes import as_keras_array
        return as_keras_array(x)
    return np.asarray(_value(x), dtype)


def convert_to_numpy(x):
    return np.asarray(_value(x))


def clip(x, x_min, x_max):
    return _op("clip", [x], lambda v: np.clip(v, x_min, x_max),
               {"x_min": float(x_min), "x_max": float(x_max)}, scalars=(x_min, x_max))


def where(condition, x1=None, x2=None):
    """Keras `ops.where`: `x1` where `condition` holds, else `x2`; with the condition alone,
    the indices of its non-zero entries, one int32 array per axis (as `nonzero`)."""
    if (x1 is None) != (x2 is None):
        raise ValueError("`x1` and `x2` either both should be `None` or both should have non-None value.")
    if x1 is None:
        if is_symbolic(condition):
            raise NotTraceable("ops.where(condition) returns indices whose count depends on the values, "
                               "so it cannot be traced into a layer")
        return tuple(i.astype(np.int32) for i in np.nonzero(np.asarray(_value(condition))))
    return _op("where", [condition, x1, x2], lambda c, a, b: np.where(c != 0, a, b))


# ---- reductions -----------------------------------------------------------------------------

def _reduction(name, fn):
    def op(x, axis=None, keepdims=False):
        return _op(name, [x], lambda v: fn(v, axis=axis if not isinstance(axis, list) else
                                           tuple(axis), keepdims=keepdims),
                   {"axis": _axis(axis), "keepdims": bool(keepdims)})
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Keras `ops.{name}(x, axis=None, keepdims=False)`."
    return op


sum = _reduction("sum", np.sum)  # noqa: A001
mean = _reduction("mean", np.mean)
max = _reduction("max", np.max)  # noqa: A001
min = _reduction("min", np.min)  # noqa: A001
amax = _reduction("amax", np.max)
amin = _reduction("amin", np.min)


def argmax(x, axis=None, keepdims=False):
    """Keras `ops.argmax`: int32 indices; with axis=None, into the flattened tensor."""
    if is_symbolic(x):
        flat = axis is None
        out = _op("argmax", [reshape(x, (-1,)) if flat else x], None, {"axis": 0 if flat else axis})
        if not keepdims:
            return out
        return reshape(out, (1,) * len(x.shape)) if flat else expand_dims(out, axis)
    return np.asarray(np.argmax(_value(x), axis=axis, keepdims=keepdims), np.int32)


# ---- shapes ---------------------------------------------------------------------------------

class _Dim:
    """A size of a traced tensor unknown at trace time past the batch (an `Input(shape=(None,
    None, c))`'s height and width), as `ops.shape` gives it: `ops.reshape` reads it from the
    tensor each time the graph runs, after the integer arithmetic done on it (`h * 3`, `d // 4`,
    `n + 1`), as Keras's call computes it from the concrete shape it is traced for. Anything
    else needing its value (a Python int, a range, another op's shape) cannot be traced."""

    __slots__ = ("source", "axis", "steps")

    def __init__(self, source, axis, steps=()):
        self.source, self.axis, self.steps = source, axis, tuple(steps)

    def _then(self, step, k):
        if isinstance(k, _Dim):
            return _Dim(self.source, self.axis, self.steps + ((step, k),))
        if _is_layer_output(k) or is_symbolic(k):
            # With a tensor (`ops.shape(x)[0] + x[0, 0]`): the size as a tensor, as Keras's
            # traced call has it, then the op.
            return _SIZE_OPS[step](self._as_tensor(), k)
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
            raise Unsupported(f"ops.shape: the size of axis {self.axis} is unknown while the layer is "
                              f"traced; only integer arithmetic on it (*, //, +, -) can be traced, "
                              f"not {step} {type(k).__name__}")
        return _Dim(self.source, self.axis, self.steps + ((step, int(k)),))

    def _as_tensor(self):
        """The size as a scalar tensor of its source (a count of its entries along the axis),
        after its arithmetic."""
        others = [a for a in range(len(self.source.shape)) if a != self.axis]
        zeros = zeros_like(self.source)
        size = sum(add(sum(zeros, axis=others) if others else zeros, 1.0))
        for step, k in self.steps:
            size = _SIZE_OPS[step](size, k._as_tensor() if isinstance(k, _Dim) else k)
        return size

    def _json(self, inputs):
        """[input, axis, steps] for the reshape op over `inputs`, to which it adds its source."""
        at = next((k for k, t in enumerate(inputs) if t is self.source), None)
        if at is None:
            inputs.append(self.source)
            at = len(inputs) - 1
        return [at, self.axis, [[step, k._json(inputs) if isinstance(k, _Dim) else k]
                                for step, k in self.steps]]

    def __mul__(self, k):
        return self._then("*", k)

    __rmul__ = __mul__

    def __floordiv__(self, k):
        if isinstance(k, (int, np.integer)) and k == 0:
            raise ZeroDivisionError("integer division or modulo by zero")
        return self._then("//", k)

    def __add__(self, k):
        return self._then("+", k)

    __radd__ = __add__

    def __sub__(self, k):
        return self._then("-", k)

    def __rsub__(self, k):
        return self._then("*", -1)._then("+", k)

    def _value(self, *_):
        _trace.reads_sizes(f"ops.shape(x)[{self.axis}] used as a number")
        raise Unsupported(f"ops.shape: the size of axis {self.axis} is unknown while the layer is "
                          f"traced; it can only size an ops.reshape (after *, //, +, - by integers)")

    __int__ = __index__ = __float__ = __bool__ = _value
    __truediv__ = __rtruediv__ = __rfloordiv__ = __mod__ = __pow__ = __neg__ = _value

    def __repr__(self):
        return "None"


_SIZE_OPS = {"+": lambda a, b: add(a, b), "-": lambda a, b: subtract(a, b),
             "*": lambda a, b: multiply(a, b), "//": lambda a, b: floor_divide(a, b)}


def _bare_as_none(d):
    """None for a size read with ops.shape where unknown and left as read (no arithmetic on it):
    where ops other than reshape take None for an unknown size, they take it as before."""
    return None if isinstance(d, _Dim) and not d.steps else d


class _TracedShape(tuple):
    """`ops.shape` of a traced tensor with an unknown size (the batch): its sizes, None where
    unknown, and the tensor itself (`source`), so that a tensor made of this whole shape
    (`broadcast_to`, `zeros`, `ones`, `full`) takes the unknown sizes from it at run time, as
    Keras's does. A part of it (`shape[1:]`) is a plain tuple. Read one by one (`shape[1]`,
    `b, h, w, c = shape`), an unknown size past the batch is a ``_Dim``, which sizes a reshape."""

    def __new__(cls, x):
        made = super().__new__(cls, tuple(x.shape))
        made.source = x
        return made

    def _read(self, axis, d):
        # (the batch of a layer output too, read where the graph runs: keras.io's decision
        # trees make `ops.ones([batch_size, 1, 1])` in a subclassed model's call)
        return _Dim(self.source, axis) if d is None and (axis > 0 or _is_layer_output(self.source)) else d

    def __iter__(self):
        return (self._read(i, d) for i, d in enumerate(tuple.__iter__(self)))

    def __getitem__(self, item):
        if isinstance(item, builtins.slice):   # (ops.slice shadows the built-in here)
            return tuple(self._read(i, tuple.__getitem__(self, i))
                         for i in range(*item.indices(len(self))))
        i = item.__index__()
        return self._read(i + len(self) if i < 0 else i, tuple.__getitem__(self, item))


def shape(x):
    dims = tuple(x.shape)
    if builtins.any(d is None for d in dims) and (is_symbolic(x) or _is_layer_output(x)):
        return _TracedShape(x)
    return dims


def _is_layer_output(x):
    """A KerasTensor of the functional API (a subclassed model's call traced into layers): its
    unknown sizes are read, as a traced layer's, by the ops that take them (_functional)."""
    from ..layers import KerasTensor
    return isinstance(x, KerasTensor)


def _known_shape(op, shape):
    """`shape` as ints, refusing an unknown size with what to pass instead."""
    dims = (shape,) if np.ndim(shape) == 0 and not isinstance(shape, (tuple, list)) else tuple(shape)
    if builtins.any(d is None or isinstance(d, _Dim) for d in dims):
        if builtins.any(isinstance(d, _Dim) for d in dims):   # (a literal None: refused below)
            _trace.reads_sizes(f"ops.{op} of shape {dims}")
        raise Unsupported(f"ops.{op}: the shape {dims} has an unknown size (None: the batch, as "
                          f"ops.shape reads it while a layer is traced); pass ops.shape(x) of "
                          f"the tensor of that shape whole, or only known sizes")
    return tuple(int(d) for d in dims)


def reshape(x, newshape):
    dims = list(newshape if isinstance(newshape, (tuple, list)) else (newshape,))
    if dims and dims[0] is None and is_symbolic(x) and x.shape and x.shape[0] is None and \
            builtins.any(isinstance(d, _Dim) or d == -1 for d in dims[1:]):
        # `ops.reshape(x, (batch, -1, c))`, the batch read with ops.shape (None while traced):
        # Keras's traced call has the batch size there, read here from x at each run, so the
        # -1 is the only size left to infer (keras.io's EANet PatchExtract)
        dims[0] = _Dim(x, 0)
    read = [(i, d) for i, d in enumerate(dims) if isinstance(d, _Dim)]
    if not read:
        target = [-1 if d is None else int(d) for d in dims]
        return _op("reshape", [x], lambda v: np.reshape(v, target), {"newshape": target})
    # Sizes unknown at trace time, read from their tensors' shapes when the graph runs.
    inputs = [x]
    sizes = [[i, d._json(inputs)] for i, d in read]
    target = [1 if isinstance(d, _Dim) else -1 if d is None else int(d) for d in dims]
    return _op("reshape", inputs, None, {"newshape": target, "read_sizes": sizes})


def transpose(x, axes=None):
    return _op("transpose", [x], lambda v: np.transpose(v, axes), {"axes": _axis(axes)})


def expand_dims(x, axis):
    return _op("expand_dims", [x], lambda v: np.expand_dims(v, axis), {"axis": axis})


def squeeze(x, axis=None):
    return _op("squeeze", [x], lambda v: np.squeeze(v, tuple(axis) if isinstance(axis, list) else axis),
               {"axis": _axis(axis)})


def concatenate(xs, axis=0):
    xs = list(xs)
    shapes = [tuple(x.shape) if hasattr(x, "shape") else np.shape(x) for x in xs]
    if len({len(s) for s in shapes}) > 1:   # (Keras's JAX backend raises jnp's TypeError)
        raise TypeError(f"Cannot concatenate arrays with different numbers of dimensions: got "
                        f"{', '.join(str(s) for s in shapes)}.")
    return _op("concatenate", xs, lambda *v: np.concatenate(v, axis=axis), {"axis": axis})


def stack(x, axis=0):
    xs = list(x)
    return _op("stack", xs, lambda *v: np.stack(v, axis=axis), {"axis": axis})


# ---- compositions ---------------------------------------------------------------------------

def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 — Keras's name
    """Keras `ops.norm`: vector norms (ord None/2, 1, inf, -inf, 0, p) over one axis, and matrix
    norms over two axes (or over a matrix when `axis` is None): Frobenius, 1, -1, inf, -inf
    (traceable), 2, -2 and 'nuc' (singular values: on values only)."""
    rank = len(shape(x))
    axes = list(axis) if isinstance(axis, (tuple, list)) else axis
    matrix = len(axes) == 2 if isinstance(axes, list) else axes is None and rank == 2
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(f"Invalid `ord` argument. Expected one of {{'fro', 'nuc'}} when using string. "
                         f"Received: ord={ord}")
    if axes is None and rank > 2 and ord is not None:
        raise ValueError(f"Improper number of dimensions to norm: ord={ord!r} needs `axis` for "
                         f"a tensor of rank {rank}")
    if ord in (None, "fro") or (ord == 2 and not matrix):
        return sqrt(sum(square(x), axis=axes, keepdims=keepdims))
    if matrix:
        return _matrix_norm(x, ord, [a % rank for a in (axes or [0, 1])], keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid `ord` argument for vector norm. Received: ord={ord}")
    if ord == math.inf:
        return max(abs(x), axis=axes, keepdims=keepdims)
    if ord == -math.inf:
        return min(abs(x), axis=axes, keepdims=keepdims)
    if ord == 0:
        return sum(not_equal(x, 0.0), axis=axes, keepdims=keepdims)
    if ord == 1:
        return sum(abs(x), axis=axes, keepdims=keepdims)
    if isinstance(ord, (int, float)) and not isinstance(ord, bool):
        return power(sum(power(abs(x), float(ord)), axis=axes, keepdims=keepdims), 1.0 / ord)
    raise ValueError(f"Invalid `ord` argument for vector norm: {ord!r}")


def _matrix_norm(x, ord, axes, keepdims):  # noqa: A002
    """numpy's matrix norms over `axes` = (rows, columns)."""
    if ord in (1, -1, math.inf, -math.inf) and not isinstance(ord, bool):
        # 1: the largest column sum of |x| (sum over the rows); inf: the largest row sum.
        summed, across = (axes[0], axes[1]) if ord in (1, -1) else (axes[1], axes[0])
        sums = sum(abs(x), axis=summed, keepdims=True)
        out = (max if ord > 0 else min)(sums, axis=across, keepdims=True)
        return out if keepdims else squeeze(out, axis=tuple(sorted(axes)))
    if ord in ("nuc", 2, -2) and not isinstance(ord, bool):
        if is_symbolic(x):
            raise Unsupported(f"ops.norm(ord={ord!r}) over two axes needs singular values, which the "
                              f"library does not trace; use ord=None, 'fro', 1, -1, inf or -inf")
        return _op("norm", [x], lambda v: np.linalg.norm(v, ord=ord, axis=tuple(axes), keepdims=keepdims))
    raise ValueError(f"Invalid `ord` argument for matrix norm. Received: ord={ord}")


def logsumexp(x, axis=None, keepdims=False):
    """Keras `ops.logsumexp`, stabilized by the (constant) maximum."""
    m = stop_gradient(max(x, axis=axis, keepdims=True))
    y = add(log(sum(exp(subtract(x, m)), axis=axis, keepdims=True)), m)
    if keepdims:
        return y
    return reshape(y, ()) if axis is None else squeeze(y, axis)


def zeros(shape, dtype=None):
    return full(shape, 0, dtype)


def ones(shape, dtype=None):
    return full(shape, 1, dtype)


def full(shape, fill_value, dtype=None):
    """Keras `ops.full`; of a traced tensor's whole shape (`ops.shape(x)`, its batch unknown),
    that tensor's zeros plus `fill_value`."""
    if isinstance(shape, _TracedShape):
        return add(zeros_like(shape.source), fill_value)
    shape = _batch_of_the_traced_layer(shape)
    if isinstance(shape, (tuple, list)) and builtins.any(isinstance(d, _Dim) for d in shape):
        return _full_of_read_sizes(list(shape), fill_value)
    if is_symbolic(fill_value):
        return add(np.zeros(_known_shape("full", shape), _f32), fill_value)
    return np.full(_known_shape("full", shape), fill_value, dtype or _f32)


def _batch_of_the_traced_layer(shape):
    """`shape` whose first size is None while a layer's call is traced (the batch, as
    `ops.shape(x)[0]` reads it there: keras.io's OCR model's CTC layer makes
    `ops.ones(shape=(batch_len, 1))`) with that size read from the layer's input at each run,
    as its random ops read theirs; else `shape`."""
    if not isinstance(shape, (tuple, list)) or not shape or shape[0] is not None:
        return shape
    from ._trace import active
    reference = getattr(active(), "reference", None)
    if reference is None or not reference.shape or reference.shape[0] is not None:
        return shape
    return [_Dim(reference, 0), *shape[1:]]


def _full_of_read_sizes(dims, fill_value):
    """`ops.full([batch_size, 1, 1], v)` with sizes read by `ops.shape` of traced tensors
    (keras.io's neural decision trees: `ops.ones([batch_size, 1, 1])`): the known sizes' constant
    plus, for each read size, its tensor's zeros summed over its other axes and set on that
    axis, so that the sum broadcasts to the sizes each run has, as Keras's call does."""
    known = []
    for d in dims:
        if isinstance(d, _Dim) and d.steps:
            raise Unsupported(f"ops.full: the shape {tuple(dims)} has a size computed from an "
                              f"unknown one; only sizes read with ops.shape as they are can be "
                              f"traced there")
        known.append(1 if isinstance(d, _Dim) else d)
    out = np.full(_known_shape("full", known), fill_value, _f32)
    for i, d in enumerate(dims):
        if isinstance(d, _Dim):
            others = [a for a in range(len(d.source.shape)) if a != d.axis]
            sizes = zeros_like(d.source) if not others else sum(zeros_like(d.source), axis=others)
            out = add(out, reshape(sizes, [-1 if a == i else 1 for a in range(len(dims))]))
    return out


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 — Keras's names
    return np.eye(N, M, k, dtype=dtype or _f32)


def arange(start, stop=None, step=1, dtype=None):
    return np.arange(start, stop, step, dtype=dtype or (_f32 if builtins.any(
        isinstance(v, float) for v in (start, stop, step)) else np.int32))


def full_like(x, fill_value, dtype=None):
    return add(zeros_like(x), fill_value)


def var(x, axis=None, keepdims=False):
    """Keras `ops.var`: the population variance, traced as mean((x - mean(x))^2)."""
    return moments(x, axis if axis is not None else None, keepdims=keepdims)[1]


def std(x, axis=None, keepdims=False):
    """Keras `ops.std`: the population standard deviation, sqrt(var)."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def moments(x, axes, keepdims=False, synchronized=False):
    """Keras `ops.moments`: (mean, variance) over `axes`, traced as compositions (the mean is
    not a constant: gradients flow through both, as under jax)."""
    axes = _axis(axes)
    m = mean(x, axis=axes, keepdims=True)
    v = mean(square(subtract(x, m)), axis=axes, keepdims=True)
    if keepdims:
        return m, v
    if axes is None:
        return reshape(m, ()), reshape(v, ())
    return squeeze(m, axis=axes), squeeze(v, axis=axes)


# numpy ufuncs reaching a symbolic tensor (np.tanh(x), np.maximum(x, 0)) are these ops.
_UFUNCS = {"add": add, "subtract": subtract, "multiply": multiply, "divide": divide,
           "true_divide": divide, "matmul": matmul, "negative": negative, "power": power,
           "maximum": maximum, "minimum": minimum, "exp": exp, "log": log, "sqrt": sqrt,
           "square": square, "absolute": abs, "tanh": tanh, "sign": sign, "log1p": log1p,
           "expm1": expm1, "sin": sin, "cos": cos, "greater": greater, "less": less,
           "greater_equal": greater_equal, "less_equal": less_equal, "equal": equal,
           "not_equal": not_equal}

__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "builtins", "functools", "math",
                                                                  "np", "keras_result")]

# Layer outputs of the functional API (a model's call) reaching an op become layers of its graph.
from ._functional import dispatching as _dispatching  # noqa: E402

_NOT_OPS = {"shape", "convert_to_numpy", "convert_to_tensor", "cond", "zeros", "ones", "full",
            "eye", "arange", "active", "is_symbolic", "nn", "linalg", "image", "NotTraceable",
            "SymbolicTensor", "linspace", "tri", "identity", "empty", "meshgrid", "builtins",
            "logspace", "geomspace", "ndim", "size", "hamming", "hanning", "bartlett", "blackman",
            "kaiser", "switch", "map", "vectorized_map", "associative_scan", "unravel_index",
            "nonzero", "bincount", "dtype", "is_tensor", "vectorize", "custom_gradient", "jvp",
            "Unsupported", "fori_loop", "while_loop", "scan"}
_NUMPY_RESULTS = {"convert_to_numpy"}   # (Keras's gives numpy's own dtype back)


_WRAPPED = {}


def _in_keras_dtype(fn):
    """`fn` giving its eager results in Keras's dtypes on JAX: 64 bits as 32 (_dtypes.keras_result).
    One wrapper per function, so that a function Keras exports twice (`ops.jvp` and
    `ops.linalg.jvp`) stays one object."""
    if fn in _WRAPPED:
        return _WRAPPED[fn]

    @functools.wraps(fn)
    def op(*args, **kwargs):
        return keras_result(fn(*args, **kwargs))
    _WRAPPED[fn] = op
    return op


for _name in __all__:
    if callable(globals()[_name]) and not isinstance(globals()[_name], type) and _name not in _NUMPY_RESULTS:
        _fn = globals()[_name] if _name in _NOT_OPS else _dispatching(globals()[_name])
        globals()[_name] = _in_keras_dtype(_fn)
for _name in nn.__all__:
    setattr(nn, _name, _in_keras_dtype(_dispatching(getattr(nn, _name))))
for _name in image.__all__:
    setattr(image, _name, _in_keras_dtype(getattr(image, _name)))
# `ops.linalg.<name>` is `ops.<name>` (dispatching: a layer output makes it a layer of the graph)
for _name in linalg.__all__:
    setattr(linalg, _name, globals()[_name] if _name in globals() else _in_keras_dtype(getattr(linalg, _name)))

# Keras's `keras.ops.numpy`: its names, the same (dispatching) functions as `ops.<name>`.
from . import numpy  # noqa: E402 — after the wrapping above, so that it holds the wrapped ops
__all__.append("numpy")
