"""Adam and AdamW with `amsgrad=True`: training step for step as real Keras 3. (The AVX2 kernel
that runs the update, `sk_adam_update` with its `vhat` slot, is checked bit for bit against the
scalar loop in the Swift tests, AdamKernelTests: the installed library exports only the C ABI.)"""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

import swiftkeras as sk

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
