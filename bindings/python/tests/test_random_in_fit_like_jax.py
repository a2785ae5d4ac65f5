"""The random numbers drawn inside training are Keras's on the JAX backend: a seeded Dropout,
SpatialDropout, GaussianNoise, GaussianDropout and AlphaDropout, the recurrent layers' dropout
and recurrent_dropout masks, keras.random.dropout / normal with a SeedGenerator in a traced
layer's call, and the augmentations RandomFlip and RandomContrast draw with JAX's threefry2x32
from Keras's key sequence (the generator's state [seed, counter], the counter moving on by one
at each draw). From the same initial weights and data with shuffle=False, a fit here ends with
Keras's weights and its generators' states."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")


def _dense(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((4,)), L.Dense(6, activation="relu"), L.Dropout(0.3, seed=7),
                           L.Dense(5), L.Dropout(0.5, noise_shape=(None, 1), seed=8),
                           L.GaussianNoise(0.2, seed=3), L.Dense(5, activation="tanh"),
                           L.GaussianDropout(0.3, seed=4), L.Dense(5), L.AlphaDropout(0.2, seed=5),
                           L.Dense(1)])


def _sequence(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((5, 4)), L.Conv1D(4, 2), L.SpatialDropout1D(0.5, seed=6),
                           L.LSTM(3, dropout=0.2, recurrent_dropout=0.3, seed=8, return_sequences=True),
                           L.SimpleRNN(3, dropout=0.4, recurrent_dropout=0.2, seed=10, return_sequences=True),
                           L.GRU(3, dropout=0.25, seed=9), L.Dense(1)])


def _traced(lib):
    class Noisy(lib.layers.Layer):
        """keras.random.dropout and normal from one SeedGenerator: two draws a training step."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = lib.random.SeedGenerator(11)

        def call(self, x, training=False):
            if training:
                x = lib.random.dropout(x, 0.4, seed=self.seed_generator)
                x = x + lib.random.normal(lib.ops.shape(x), stddev=0.1, seed=self.seed_generator)
            return x

    L = lib.layers
    return lib.Sequential([lib.Input((4,)), L.Dense(6), Noisy(), L.Dense(1)])


def _image(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((6, 6, 2)), L.RandomFlip(seed=12), L.RandomContrast(0.3, value_range=(0, 1), seed=13),
                           L.Conv2D(2, 3), L.GlobalAveragePooling2D(), L.Dense(1)])


MODELS = {"dense": _dense, "sequence": _sequence, "traced": _traced, "image": _image}


def _states(model):
    return [np.asarray(v.numpy() if hasattr(v, "numpy") else v).tolist()
            for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]


def fit_from_weights(lib, model, x, y, rng, scale, rate, batch_size, epochs):
    """`model` from weights drawn from `rng` (normal, `scale`) fitted by SGD at `rate` on mse,
    shuffle=False: its weights, losses and generators' states."""
    model.set_weights([rng.normal(scale=scale, size=np.shape(w)).astype(np.float32) for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(rate), loss="mse")
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    return [np.asarray(w) for w in model.get_weights()], history.history["loss"], _states(model)


def _fit(lib, make):
    """`make(lib)` from drawn weights, 3 steps of SGD on mse (batches of 8, shuffle=False)."""
    model = make(lib)
    shape = (24,) + tuple(model.inputs[0].shape[1:])
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape).astype(np.float32)
    y = rng.normal(size=(24, 1)).astype(np.float32)
    return fit_from_weights(lib, model, x, y, rng, scale=0.3, rate=0.05, batch_size=8, epochs=1)


@pytest.fixture(scope="module")
def keras_fits():
    return {name: _fit(keras, make) for name, make in MODELS.items()}


@pytest.mark.parametrize("name", list(MODELS))
def test_fit_with_random_layers_ends_with_kerass_weights(keras_fits, name):
    weights, loss, states = _fit(sk, MODELS[name])
    ref_weights, ref_loss, ref_states = keras_fits[name]
    assert states == ref_states, "the seed generators' states after fit"
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    assert len(weights) == len(ref_weights)
    for a, b in zip(weights, ref_weights):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
