"""Adam and AdamW with `amsgrad=True`: training step for step as real Keras 3, and the AVX2 kernel
that runs the update (`sk_adam_update` with its `vhat` slot, kernels.c) giving the bits of the
scalar loop it replaced (each operation rounded on its own in float32, no fused multiply-add)."""

import ctypes

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

import swiftkeras as sk
from swiftkeras import _lib

keras = real_keras()

pytestmark = [needs(*CORE)]

RS = np.random.RandomState(5)
X = RS.normal(size=(24, 3)).astype("float32")
Y = RS.normal(size=(24, 2)).astype("float32")
# beta_2 = 0.5 lets the second moment fall between steps, so that its running maximum (AMSGrad's
# `velocity_hat`) differs from it; a Dense(13)'s kernel (39 weights) takes whole vectors of eight
# lanes and a tail.
CASES = {
    "Adam": lambda o, amsgrad: o.Adam(learning_rate=0.05, beta_2=0.5, amsgrad=amsgrad),
    "AdamW": lambda o, amsgrad: o.AdamW(learning_rate=0.05, beta_2=0.5, weight_decay=0.1, amsgrad=amsgrad),
}


def _model(lib):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(13, activation="tanh"), lib.layers.Dense(2)])


def _fit(lib, optimizer, weights):
    model = _model(lib)
    model.compile(optimizer, "mse")
    model.set_weights(weights)
    model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return [np.asarray(w) for w in model.get_weights()]


@pytest.mark.parametrize("name", list(CASES))
def test_amsgrad_trains_like_keras(name):
    keras.utils.set_random_seed(0)
    start = [np.asarray(w) for w in _model(keras).get_weights()]
    ref = _fit(keras, CASES[name](keras.optimizers, True), start)
    ours = _fit(sk, CASES[name](sk.optimizers, True), start)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, atol=1e-5)
    # The maximum matters here: without it Keras ends elsewhere.
    plain = _fit(keras, CASES[name](keras.optimizers, False), start)
    assert max(np.abs(a - b).max() for a, b in zip(plain, ref)) > 1e-3


def _scalar_amsgrad(w, g, m, v, vhat, c1, c2, alpha, eps):
    """The scalar loop of Adam.swift's AMSGrad branch, one float32 rounding per operation."""
    f = np.float32
    m += (g - m) * f(c1)
    v += (g * g - v) * f(c2)
    vhat[:] = np.where(v >= vhat, v, vhat)       # Swift.max(vhat, v): a NaN v keeps vhat
    w -= m * f(alpha) / (np.sqrt(vhat) + f(eps))


def test_native_amsgrad_update_has_the_scalar_loops_bits():
    native = ctypes.CDLL(str(_lib.library_path))
    if not native.sk_cpu_has_avx2_fma():
        pytest.skip("the CPU has no AVX2 + FMA: the scalar loop runs")
    fp = ctypes.POINTER(ctypes.c_float)
    native.sk_adam_update.argtypes = [fp, fp, fp, fp, fp, ctypes.c_long] + [ctypes.c_float] * 4
    native.sk_adam_update.restype = None
    rs = np.random.RandomState(1)
    for n in (1, 7, 8, 37):
        w, g = rs.normal(size=(2, n)).astype(np.float32)
        m = (0.1 * rs.normal(size=n)).astype(np.float32)
        v, vhat = (0.01 * rs.random_sample(size=(2, n))).astype(np.float32)
        if n == 37:
            g[3] = np.nan                         # v turns NaN: vhat keeps its value
            vhat[5] = np.nan                      # stays NaN
            g[9], v[9], vhat[9] = 0, 0, -0.0      # equal zeros: v's sign wins, as in Swift
        ref = [a.copy() for a in (w, g, m, v, vhat)]
        for step in range(3):
            c1, c2, alpha, eps = 0.1, 0.5, 0.01 * (step + 1), 1e-7
            native.sk_adam_update(*(a.ctypes.data_as(fp) for a in (w, g, m, v, vhat)), n, c1, c2, alpha, eps)
            _scalar_amsgrad(ref[0], ref[1], ref[2], ref[3], ref[4], c1, c2, alpha, eps)
        for ours, theirs in zip((w, m, v, vhat), (ref[0], ref[2], ref[3], ref[4])):
            assert np.array_equal(ours.view(np.uint32), theirs.view(np.uint32)), n
