"""ConvLSTM1D/2D/3D apply a mask of time steps as Keras documents it (`mask`: `(samples,
timesteps)`): a masked step keeps the previous states and output, as an LSTM's. Keras's jax
backend runs such a mask only unrolled (its scan cannot broadcast the step mask over the spatial
axes), so Keras's side is `unroll=True`; the library's scan gives the same numbers from zero
states. A Masking layer in front gives a mask per position, which Keras fails on, and which the
library refuses naming the shape it needs. The gradient through masked steps: one SGD step
against finite differences of the loss."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

STEPS = 4
MASK = np.array([[1, 1, 0, 0], [1, 0, 1, 1], [0, 1, 1, 0]], bool)
SHAPES = {"ConvLSTM1D": (STEPS, 5, 2), "ConvLSTM2D": (STEPS, 4, 3, 2), "ConvLSTM3D": (STEPS, 3, 3, 2, 2)}


def _model(k, name, unroll=True, **kwargs):
    x, m = k.Input(SHAPES[name]), k.Input((STEPS,), dtype="bool")
    layer = getattr(k.layers, name)(2, 2, padding="same", unroll=unroll, name="conv_lstm", **kwargs)
    return k.Model([x, m], layer(x, mask=m))


def _data(name, seed=0):
    return np.random.RandomState(seed).normal(size=(len(MASK),) + SHAPES[name]).astype("float32")


CASES = [("ConvLSTM1D", {"return_sequences": True}), ("ConvLSTM1D", {"go_backwards": True}),
         ("ConvLSTM2D", {"return_sequences": True}), ("ConvLSTM3D", {})]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{'-'.join(k) or 'last'}" for n, k in CASES])
def test_masked_steps_as_keras(name, kwargs):
    ref = _model(keras, name, **kwargs)
    x = _data(name)
    want = ref.predict([x, MASK], verbose=0)
    for unroll in (True, False):   # (the scan: Keras's numbers from zero states)
        ours = _model(sk, name, unroll=unroll, **kwargs)
        ours.set_weights(ref.get_weights())
        np.testing.assert_allclose(ours.predict([x, MASK], verbose=0), want, rtol=1e-4, atol=1e-5)
    unmasked = ref.predict([x, np.ones_like(MASK)], verbose=0)
    assert not np.allclose(unmasked, want)   # (the mask changes the result)


def test_masked_fit_as_keras():
    name = "ConvLSTM1D"
    x, y = _data(name), np.random.RandomState(2).normal(size=(len(MASK), 5, 2)).astype("float32")
    models = [_model(keras, name), _model(sk, name, unroll=False)]
    models[1].set_weights(models[0].get_weights())
    for model in models:
        model.compile(keras.optimizers.SGD(0.2) if model is models[0] else sk.optimizers.SGD(0.2), "mse")
        model.fit([x, MASK], y, batch_size=len(MASK), epochs=2, verbose=0)
    for got, want in zip(models[1].get_weights(), models[0].get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_masked_step_gradient_matches_finite_differences():
    """One SGD step of rate 1 moves each weight by minus its gradient: against central
    differences of the loss (float64 sums of the float32 predictions) for a few kernel entries
    of each weight, through steps the mask skips."""
    name = "ConvLSTM1D"
    # (the last output, which carries no mask: a sequence's would weigh the loss by it)
    x, y = _data(name, 4), np.random.RandomState(5).normal(size=(len(MASK), 5, 2)).astype("float32")
    model = _model(sk, name, unroll=False)
    start = model.get_weights()

    def loss(weights):
        model.set_weights(weights)
        return float(np.mean((model.predict([x, MASK], verbose=0).astype(np.float64) - y) ** 2))
    model.compile(sk.optimizers.SGD(1.0), "mse")
    model.set_weights(start)
    model.fit([x, MASK], y, batch_size=len(MASK), epochs=1, shuffle=False, verbose=0)
    gradients = [a - b for a, b in zip(start, model.get_weights())]
    rs, eps = np.random.RandomState(6), 1e-2
    for w, grad in enumerate(gradients):
        for flat in rs.choice(start[w].size, 3, replace=False):
            index = np.unravel_index(flat, start[w].shape)
            plus, minus = [a.copy() for a in start], [a.copy() for a in start]
            plus[w][index] += eps
            minus[w][index] -= eps
            numeric = (loss(plus) - loss(minus)) / (2 * eps)
            assert abs(grad[index] - numeric) <= 2e-3 + 2e-2 * abs(numeric), (w, index, grad[index], numeric)


def test_a_mask_per_position_is_refused_as_keras_fails():
    """A Masking layer's mask has one value a position ((batch, timesteps, spatial...)), which
    Keras's ConvLSTM cannot apply (it fails broadcasting it): refused, naming the shape needed."""
    x = _data("ConvLSTM1D")
    x[0, 2:] = 0.0
    for k in (keras, sk):
        inputs = k.Input(SHAPES["ConvLSTM1D"])
        model = k.Model(inputs, k.layers.ConvLSTM1D(2, 2, unroll=k is keras)(k.layers.Masking()(inputs)))
        with pytest.raises(Exception) as raised:
            model.predict(x, verbose=0)
        if k is sk:
            assert "(batch, timesteps)" in str(raised.value)
