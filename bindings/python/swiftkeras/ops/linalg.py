"""Linear algebra (Keras `keras.ops.linalg`, also at `keras.ops.<name>`). On values each computes
with numpy in float32 with Keras 3's arguments and return structure. On a symbolic tensor (a
layer being traced) inv, det, slogdet, logdet, solve, cholesky and cholesky_inverse are the
library's graph ops, which read their matrices' sizes at run time and differentiate; the other
decompositions are refused with `Unsupported` naming the op, rather than silently leaving the
graph."""

from __future__ import annotations

import numpy as np

from ._trace import Unsupported, is_symbolic

_f32 = np.float32


def _traced(name, xs, attrs=None):
    """The library's graph op `name` over `xs` when one of them is symbolic, else None."""
    if not any(is_symbolic(x) for x in xs):
        return None
    from .. import ops
    return ops._op(name, list(xs), None, attrs)


def _values(name, *xs):
    if any(is_symbolic(x) for x in xs):
        raise Unsupported(f"ops.{name} runs on values only: the library does not trace this matrix "
                          f"decomposition into a layer's graph")
    from .. import ops
    return [np.asarray(ops.convert_to_numpy(x), _f32) for x in xs]


def _out(*arrays):
    out = tuple(np.asarray(a, _f32) for a in arrays)
    return out if len(out) > 1 else out[0]


def inv(x):
    traced = _traced("inv", [x])
    if traced is not None:
        return traced
    (a,) = _values("inv", x)
    return _out(np.linalg.inv(a))


def det(x):
    traced = _traced("det", [x])
    if traced is not None:
        return traced
    (a,) = _values("det", x)
    return _out(np.linalg.det(a))


def slogdet(x):
    if is_symbolic(x):
        return _traced("slogdet", [x], {"part": 0}), _traced("slogdet", [x], {"part": 1})
    (a,) = _values("slogdet", x)
    sign, logabs = np.linalg.slogdet(a)
    return _out(sign, logabs)


def logdet(x):
    """Keras `ops.logdet`: log of the determinant of a Hermitian positive definite matrix."""
    traced = _traced("slogdet", [x], {"part": 1})
    if traced is not None:
        return traced
    (a,) = _values("logdet", x)
    return _out(np.linalg.slogdet(a)[1])


def solve(a, b):
    if is_symbolic(a) or is_symbolic(b):
        from .. import ops
        # a 1-D b is a vector (JAX's rule): solved as an n×1 matrix
        vector = len(b.shape) == 1
        x = _traced("solve", [a, ops.expand_dims(b, -1) if vector else b])
        return ops.squeeze(x, -1) if vector else x
    a, b = _values("solve", a, b)
    return _out(np.linalg.solve(a, b))


def solve_triangular(a, b, lower=False):
    a, b = _values("solve_triangular", a, b)
    tri = np.tril(a) if lower else np.triu(a)
    return _out(np.linalg.solve(tri, b))


def cholesky(x, upper=False):
    traced = _traced("cholesky", [x], {"upper": bool(upper)})
    if traced is not None:
        return traced
    (a,) = _values("cholesky", x)
    low = np.linalg.cholesky(a)
    return _out(np.swapaxes(low, -1, -2) if upper else low)


def cholesky_inverse(x, upper=False):
    """Keras `ops.cholesky_inverse`: the inverse of A given its Cholesky factor."""
    if is_symbolic(x):
        from .. import ops
        low = ops.swapaxes(x, -1, -2) if upper else x
        return inv(ops.matmul(low, ops.swapaxes(low, -1, -2)))
    (f,) = _values("cholesky_inverse", x)
    low = np.swapaxes(f, -1, -2) if upper else f
    return _out(np.linalg.inv(low @ np.swapaxes(low, -1, -2)))


def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`mode` argument value not supported. Expected one of {{'reduced', 'complete'}}. "
                         f"Received: mode={mode}")
    (a,) = _values("qr", x)
    q, r = np.linalg.qr(a, mode=mode)
    return _out(q, r)


def svd(x, full_matrices=True, compute_uv=True):
    (a,) = _values("svd", x)
    if not compute_uv:
        return _out(np.linalg.svd(a, compute_uv=False))
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return _out(u, s, vh)


def eigh(x):
    (a,) = _values("eigh", x)
    w, v = np.linalg.eigh(a)
    return _out(w, v)


def lstsq(a, b, rcond=None):
    """Keras `ops.lstsq`: the least-squares solution x of a @ x = b (only x, as Keras returns)."""
    a, b = _values("lstsq", a, b)
    return _out(np.linalg.lstsq(a, b, rcond=rcond)[0])


def pinv(x, rtol=1e-6):
    (a,) = _values("pinv", x)
    return _out(np.linalg.pinv(a, rcond=rtol))


def matrix_rank(x, rtol=None):
    (a,) = _values("matrix_rank", x)
    s = np.linalg.svd(a, compute_uv=False)
    tol = (s.max(-1, keepdims=True) * (rtol if rtol is not None else max(a.shape[-2:]) * np.finfo(_f32).eps))
    return np.asarray((s > tol).sum(-1), np.int32)


def eig(x):
    """Keras `ops.eig`: (eigenvalues, eigenvectors) of a general square matrix, complex64 (as
    jax's, also when they are real)."""
    (a,) = _values("eig", x)
    w, v = np.linalg.eig(a)
    return np.asarray(w, np.complex64), np.asarray(v, np.complex64)


def lu_factor(x):
    """Keras `ops.lu_factor`: (lu, pivots) of LU with partial pivoting, as scipy/jax's
    `lu_factor`: L below the diagonal (unit diagonal implied), U on and above it, int32 row
    interchanges (row i was swapped with row pivots[i])."""
    (a,) = _values("lu_factor", x)
    if a.ndim < 2:
        raise ValueError(f"ops.lu_factor needs a matrix, got shape {a.shape}")
    m, n = a.shape[-2:]
    lu = np.array(a, np.float64).reshape(-1, m, n)
    piv = np.zeros((lu.shape[0], min(m, n)), np.int32)
    for b in range(lu.shape[0]):
        u = lu[b]
        for k in range(min(m, n)):
            p = k + int(np.argmax(np.abs(u[k:, k])))
            piv[b, k] = p
            if p != k:
                u[[k, p]] = u[[p, k]]
            if u[k, k] != 0:
                u[k + 1:, k] /= u[k, k]
                u[k + 1:, k + 1:] -= np.outer(u[k + 1:, k], u[k, k + 1:])
    return _out(lu.reshape(a.shape)), piv.reshape(a.shape[:-2] + (min(m, n),))


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 — Keras's name
    from .. import ops
    return ops.norm(x, ord=ord, axis=axis, keepdims=keepdims)


from ._jvp import jvp  # noqa: E402 — Keras exports it as ops.jvp and ops.linalg.jvp

__all__ = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "logdet", "lstsq", "lu_factor",
           "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd"]
