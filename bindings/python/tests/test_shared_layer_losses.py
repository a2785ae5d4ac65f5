"""A layer with an activity regularizer called twice in one functional model (directly, inside a
Sequential, inside a Sequential inside a Sequential): real Keras 3's training and test steps run
the model's `call`, where each layer it calls enters a call context of its own and drops the
losses of its previous call, so the step's loss holds the last call's penalty only; `model(x)`
then `model.losses` holds both calls'. Compared with real Keras (jax): evaluate, fit and
model.losses."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

X1 = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
X2 = (X1[::-1] * 0.5).copy()
Y = np.linspace(0, 1, 8, dtype="float32").reshape(4, 2)
VARIANTS = ("dense", "sequential", "sequential_reversed", "sequential_in_sequential")


def _model(lib, variant):
    dense = lib.layers.Dense(2, activity_regularizer=lib.regularizers.L2(0.1),
                             kernel_initializer="ones")
    shared = dense if variant == "dense" else lib.Sequential([lib.Input((3,)), dense])
    if variant == "sequential_in_sequential":
        shared = lib.Sequential([lib.Input((3,)), shared])
    a, b = lib.Input((3,)), lib.Input((3,))
    first, second = (b, a) if variant == "sequential_reversed" else (a, b)
    model = lib.Model([a, b], lib.layers.Add()([shared(first), shared(second)]))
    model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
    return model


def _run(lib, variant):
    model = _model(lib, variant)
    called = [float(v) for v in (model([X1, X2]), model.losses)[1]]
    evaluated = float(model.evaluate([X1, X2], Y, batch_size=4, verbose=0))
    history = model.fit([X1, X2], Y, epochs=2, batch_size=4, shuffle=False, verbose=0).history
    return called, evaluated, history["loss"], [np.asarray(w) for w in model.get_weights()]


@pytest.fixture(scope="module")
def keras_runs():
    return {v: _run(keras, v) for v in VARIANTS}


@pytest.mark.parametrize("variant", VARIANTS)
def test_step_loss_holds_the_last_call_penalty_like_keras(keras_runs, variant):
    called, evaluated, losses, weights = _run(sk, variant)
    k_called, k_evaluated, k_losses, k_weights = keras_runs[variant]
    np.testing.assert_allclose(called, k_called, rtol=1e-5, err_msg="model.losses after model(x)")
    assert len(called) == 2   # the call keeps both calls' penalties
    np.testing.assert_allclose(evaluated, k_evaluated, rtol=1e-5, err_msg="evaluate")
    np.testing.assert_allclose(losses, k_losses, rtol=1e-5, err_msg="fit losses")
    for w, k in zip(weights, k_weights):
        np.testing.assert_allclose(w, k, rtol=1e-5, atol=1e-6, err_msg="trained weights")
    # the step's loss is the data loss plus the last call's penalty, not both
    mse = float(np.mean((np.asarray(_model(sk, variant).predict([X1, X2], verbose=0)) - Y) ** 2))
    np.testing.assert_allclose(evaluated, mse + called[1], rtol=1e-5)   # (called in call order)
