"""Fourier transforms of `keras.ops`: `fft`, `fft2`, `ifft2`, `rfft`, `irfft`, `stft`, `istft` and
`extract_sequences`. Complex values are `(real, imag)` pairs of float32 tensors, as Keras passes
and returns them.

On values they compute with numpy's FFT. In a traced layer the transform along an axis of known
length n is a matmul with constant cosine and sine matrices (the DFT written out), and frames are
a constant gather (`istft`'s overlap-add a constant einsum), so the library's autodiff gives the
gradients."""

from __future__ import annotations

import numpy as np

from ._arrays import _ops, _raw
from ._scatter import keras_dtype, shape_of
from ._special import not_traceable
from ._trace import is_symbolic, reads_sizes

_f32 = np.float32


def _pair(op, x):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"ops.{op}: Input `x` should be a tuple of two tensors - real and imaginary. "
                         f"Received: x={x!r}")
    re, im = x
    rs = shape_of(re)
    ims = shape_of(im)
    if rs != ims:
        raise ValueError(f"ops.{op}: Input `x` should be a tuple of two tensors - real and imaginary. "
                         f"Both the real and imaginary parts should have the same shape. Received: "
                         f"x[0].shape = {rs}, x[1].shape = {ims}")
    return re, im


def _symbolic(*xs):
    return any(is_symbolic(x) for x in xs)


def _complex(re, im):
    return _raw(re).astype(np.float64) + 1j * _raw(im).astype(np.float64)


def _split(z):
    return np.asarray(z.real, _f32), np.asarray(z.imag, _f32)


def _length(op, x, axis=-1):
    n = shape_of(x)[axis]
    if n is None:
        reads_sizes(f"ops.{op} along an axis of unknown size")   # (a layer's call: traced per run shape)
        raise not_traceable(op, f"the transformed axis of a tensor of shape {tuple(x.shape)} has "
                            "an unknown size", "transform an axis whose size is known (not the batch)")
    return n


def _angles(n, m, sign=1.0):
    """cos and sign * sin of 2 pi j k / n, j < n rows, k < m columns (float32 constants)."""
    jk = np.outer(np.arange(n), np.arange(m)) % n
    t = 2 * np.pi * jk / n
    return np.cos(t).astype(_f32), (sign * np.sin(t)).astype(_f32)


def _read_angles(x, sign=1.0):
    """(cos, sign * sin) of 2 pi j k / n for j, k < n, and n, where n is the size of x's last
    axis, unknown when traced: graph ops that count the positions along it each run."""
    ops = _ops()
    zeros = ops.zeros_like(x)
    ones = (ops.sum(zeros, axis=tuple(range(len(x.shape) - 1))) if len(x.shape) > 1 else zeros) + 1.0
    j, n = ops.cumsum(ones) - 1.0, ops.sum(ones)
    jk = ops.multiply(ops.expand_dims(j, 1), ops.expand_dims(j, 0))
    t = (jk - n * ops.floor(jk / n)) * (2 * np.pi) / n   # j k mod n: exact in float32 below 2^24
    return ops.cos(t), ops.sin(t) * sign, n


def _dft_last(op, re, im, inverse):
    """The complex DFT of (re, im) along the last axis, traced as matmuls (of matrices read each
    run where the axis's size is unknown)."""
    ops = _ops()
    if shape_of(re)[-1] is None:
        c, s, n = _read_angles(re)
    else:
        n = _length(op, re)
        c, s = _angles(n, n)
    scale = ops.divide(1.0, n) if inverse else 1.0
    rc, rs, ic, is_ = ops.matmul(re, c), ops.matmul(re, s), ops.matmul(im, c), ops.matmul(im, s)
    if inverse:   # e^{+i theta} / n
        out_re, out_im = ops.subtract(rc, is_), ops.add(ic, rs)
    else:         # e^{-i theta}
        out_re, out_im = ops.add(rc, is_), ops.subtract(ic, rs)
    return (ops.multiply(out_re, scale), ops.multiply(out_im, scale)) if inverse else (out_re, out_im)


def _dft2(op, x, inverse):
    ops = _ops()
    re, im = _pair(op, x)
    re, im = _dft_last(op, re, im, inverse)
    re, im = ops.swapaxes(re, -1, -2), ops.swapaxes(im, -1, -2)
    re, im = _dft_last(op, re, im, inverse)
    return ops.swapaxes(re, -1, -2), ops.swapaxes(im, -1, -2)


def fft(x):
    """Keras `ops.fft`: the complex FFT of `(real, imag)` along the last axis."""
    re, im = _pair("fft", x)
    if _symbolic(re, im):
        return _dft_last("fft", re, im, inverse=False)
    return _split(np.fft.fft(_complex(re, im), axis=-1))


def fft2(x):
    """Keras `ops.fft2`: the complex FFT of `(real, imag)` over the last two axes."""
    re, im = _pair("fft2", x)
    if _symbolic(re, im):
        return _dft2("fft2", x, inverse=False)
    return _split(np.fft.fft2(_complex(re, im)))


def ifft2(x):
    """Keras `ops.ifft2`: the inverse complex FFT of `(real, imag)` over the last two axes."""
    re, im = _pair("ifft2", x)
    if _symbolic(re, im):
        return _dft2("ifft2", x, inverse=True)
    return _split(np.fft.ifft2(_complex(re, im)))


def _fit_last(x, n):
    """`x` truncated or zero-padded to `n` along its last axis."""
    ops = _ops()
    have = _length("rfft", x)
    if have >= n:
        return x if have == n else x[..., :n]
    rank = len(x.shape)
    return ops.pad(x, [(0, 0)] * (rank - 1) + [(0, n - have)])


def rfft(x, fft_length=None):
    """Keras `ops.rfft`: the FFT of a real signal along its last axis, `fft_length // 2 + 1`
    bins as `(real, imag)`."""
    if is_symbolic(x) and fft_length is None and shape_of(x)[-1] is None:
        # n unknown when traced: the n bins of the full DFT, of which the first n // 2 + 1 kept
        ops = _ops()
        c, s, _ = _read_angles(x, -1.0)
        bins = ops.shape(x)[-1] // 2 + 1
        return ops.matmul(x, c)[..., :bins], ops.matmul(x, s)[..., :bins]
    if is_symbolic(x):
        n = int(fft_length) if fft_length is not None else _length("rfft", x)
        c, s = _angles(n, n // 2 + 1, sign=-1.0)
        x = _fit_last(x, n)
        ops = _ops()
        return ops.matmul(x, c), ops.matmul(x, s)
    return _split(np.fft.rfft(_raw(x).astype(np.float64), n=fft_length, axis=-1))


def irfft(x, fft_length=None):
    """Keras `ops.irfft`: the real signal of `(real, imag)` half-spectra along the last axis
    (`fft_length` defaults to 2 (bins - 1))."""
    re, im = _pair("irfft", x)
    if not _symbolic(re, im):
        return np.asarray(np.fft.irfft(_complex(re, im), n=fft_length, axis=-1), _f32)
    ops = _ops()
    bins = _length("irfft", re)
    n = int(fft_length) if fft_length is not None else 2 * (bins - 1)
    used = n // 2 + 1
    re, im = _fit_last(re, used), _fit_last(im, used)
    # x_t = (1/n) sum_k w_k (Re_k cos(2 pi k t / n) - Im_k sin(2 pi k t / n)), w = 2 but for the
    # DC and (n even) Nyquist bins, whose imaginary parts drop out (sin = 0 there), as numpy's.
    c, s = _angles(n, used)
    w = np.full(used, 2.0, _f32)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    a = (c.T * w[:, None] / n).astype(_f32)
    b = (-s.T * w[:, None] / n).astype(_f32)
    return ops.add(ops.matmul(re, a), ops.matmul(im, b))


# ---- framed transforms -----------------------------------------------------------------------

def _frame_index(length, sequence_length, sequence_stride):
    count = (length - sequence_length) // sequence_stride + 1
    if count < 1:
        raise ValueError(f"a signal of length {length} is shorter than one sequence of length {sequence_length}")
    return np.arange(count)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]


def extract_sequences(x, sequence_length, sequence_stride):
    """Keras `ops.extract_sequences`: the frames of length `sequence_length` every
    `sequence_stride` samples of the last axis, (..., frames, sequence_length)."""
    sequence_length, sequence_stride = int(sequence_length), int(sequence_stride)
    if is_symbolic(x):
        idx = _frame_index(_length("extract_sequences", x), sequence_length, sequence_stride)
        return _ops().take(x, idx, axis=-1)
    v = _raw(x)
    return v[..., _frame_index(v.shape[-1], sequence_length, sequence_stride)].astype(keras_dtype(v))


def _window(window, sequence_length, fft_length):
    """Keras's stft window: periodic 'hann'/'hamming' (scipy.signal.get_window), an array, or
    None (ones), centred in fft_length."""
    if window is None:
        return np.ones(fft_length, np.float64)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f'If a string is passed to `window`, it must be one of `"hann"`, '
                             f'`"hamming"`. Received: window={window}')
        t = 2 * np.pi * np.arange(sequence_length) / sequence_length
        win = 0.5 - 0.5 * np.cos(t) if window == "hann" else 0.54 - 0.46 * np.cos(t)
    else:
        win = _raw(window).astype(np.float64)
        if win.ndim != 1 or win.shape[-1] != sequence_length:
            raise ValueError(f"The shape of `window` must be equal to [sequence_length].Received: "
                             f"window shape={win.shape}")
    left = (fft_length - sequence_length) // 2
    return np.pad(win, (left, fft_length - sequence_length - left))


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Keras `ops.stft`: the short-time Fourier transform of the last axis, `(real, imag)` of
    shape (..., frames, fft_length // 2 + 1)."""
    sequence_length, sequence_stride, fft_length = int(sequence_length), int(sequence_stride), int(fft_length)
    if fft_length < sequence_length:
        raise ValueError(f"`fft_length` must equal or larger than `sequence_length`. Received: "
                         f"sequence_length={sequence_length}, fft_length={fft_length}")
    win = _window(window, sequence_length, fft_length)
    half = fft_length // 2
    if is_symbolic(x):
        ops = _ops()
        rank = len(x.shape)
        if center:
            x = ops.pad(x, [(0, 0)] * (rank - 1) + [(half, half)], mode="reflect")
        frames = ops.take(x, _frame_index(_length("stft", x), fft_length, sequence_stride), axis=-1)
        return rfft(ops.multiply(frames, win.astype(_f32)), fft_length)
    v = _raw(x).astype(np.float64)
    if center:
        v = np.pad(v, [(0, 0)] * (v.ndim - 1) + [(half, half)], mode="reflect")
    frames = v[..., _frame_index(v.shape[-1], fft_length, sequence_stride)] * win
    return _split(np.fft.rfft(frames, n=fft_length, axis=-1))


def _overlap_add(frames, step):
    """Traced overlap-add of (..., N, L) frames every `step` samples: the frames padded to S
    blocks of `step`, and block b of the output the sum of block q of frame n for n + q = b (an
    einsum with a constant 0/1 tensor)."""
    ops = _ops()
    shape = shape_of(frames)
    n, length = shape[-2], shape[-1]
    blocks = -(-length // step)
    lead = tuple(-1 if d is None else d for d in shape[:-2])
    f = ops.pad(frames, [(0, 0)] * (len(shape) - 1) + [(0, blocks * step - length)])
    f = ops.reshape(f, lead + (n, blocks, step))
    place = np.zeros((n, blocks, n + blocks - 1), _f32)
    for i in range(n):
        place[i, np.arange(blocks), i + np.arange(blocks)] = 1
    out = ops.einsum("...nqr,nqb->...br", f, place)
    return ops.reshape(out, lead + ((n + blocks - 1) * step,))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """Keras `ops.istft`: the signal of an stft `(real, imag)`, overlap-added with the window
    and normalized by the overlapped squared window, as jax's. Traced: irfft, the window and a
    constant overlap-add (frames of known count)."""
    re, im = _pair("istft", x)
    sequence_length, sequence_stride, fft_length = int(sequence_length), int(sequence_stride), int(fft_length)
    shape = shape_of(re)
    if len(shape) < 2:
        raise ValueError(f"Input `x` must have at least 2 dimensions. Received shape: {shape}")
    count = shape[-2]
    if count is None:
        raise not_traceable("istft", f"the frames axis of a tensor of shape {shape} has an unknown "
                            "size", "give frames of a known count (not the batch axis)")
    win = _window(window, sequence_length, fft_length)
    total = fft_length + sequence_stride * (count - 1)
    norm = np.zeros(total)
    for i in range(count):
        norm[i * sequence_stride:i * sequence_stride + fft_length] += win * win
    # jax: frames * sum(win), overlap-added, / norm; Keras then / sum(win) (or / stride, no window).
    scale = win.sum() / np.where(norm > 1e-10, norm, 1.0) / (win.sum() if window is not None else sequence_stride)
    start = fft_length // 2 if center else 0
    end = start + int(length) if length is not None else (-(fft_length // 2) if center else total)
    if _symbolic(re, im):
        ops = _ops()
        frames = ops.multiply(irfft((re, im), fft_length), win.astype(_f32))
        out = ops.multiply(_overlap_add(frames, sequence_stride)[..., :total], scale.astype(_f32))
        return out[..., start:end]
    frames = np.fft.irfft(_complex(re, im), n=fft_length, axis=-1) * win
    out = np.zeros(frames.shape[:-2] + (total,))
    for i in range(count):
        out[..., i * sequence_stride:i * sequence_stride + fft_length] += frames[..., i, :]
    return np.asarray((out * scale)[..., start:end], _f32)


__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft", "extract_sequences", "stft", "istft"]
