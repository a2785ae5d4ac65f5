"""fit(shuffle=True) after set_random_seed takes Keras's batches: Keras's array adapter orders
each epoch's rows by numpy's `np.random.permutation` (which set_random_seed seeds), and a first
fit after compile draws one order more, for the batch it peeks at to build its compiled loss;
with shuffle="batch" it keeps the batches in order and orders each one's rows by numpy's
`np.random.permutation(size) + start` as the batch is taken.
The library draws the same orders from its copy of numpy's generator (the code Swift and C
use: KerasSeedTests, test_keras_seed.c), which the binding hands numpy's state before the fit
and takes back after, so that numbers drawn in between and after follow Keras's too."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

import swiftkeras

pytestmark = needs(*CORE, "keras_set_numpy_random_state")


def _two_shuffled_fits(lib, shuffle=True):
    """Initial weights, weights after two fits (the first with validation_split) on data drawn
    from np.random after set_random_seed, and np.random's next numbers after them."""
    lib.utils.set_random_seed(7)
    x, y = np.random.rand(10, 3).astype("float32"), np.random.rand(10, 2).astype("float32")
    # (the Dropout between the Dense layers makes the order inside a batch matter)
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4), lib.layers.Dropout(0.5), lib.layers.Dense(2)])
    initial = model.get_weights()
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=3, epochs=2, shuffle=shuffle, validation_split=0.2, verbose=0)
    model.fit(x, y, batch_size=3, epochs=1, shuffle=shuffle, verbose=0)
    return initial, model.get_weights(), np.random.rand(3)


@pytest.mark.parametrize("shuffle", [True, "batch"])
def test_shuffled_fits_after_set_random_seed_end_at_kerass_weights(shuffle):
    ours_initial, ours, ours_next = _two_shuffled_fits(swiftkeras, shuffle)
    ref_initial, ref, ref_next = _two_shuffled_fits(real_keras(), shuffle)
    for a, b in zip(ours_initial, ref_initial):
        np.testing.assert_allclose(a, b, atol=1e-6)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours_next, ref_next)
    # The order matters: unshuffled, the same fits end elsewhere.
    _, unshuffled, _ = _two_shuffled_fits(swiftkeras, shuffle=False)
    assert max(np.abs(a - b).max() for a, b in zip(unshuffled, ref)) > 1e-4


def _custom_step_fits(lib, shuffle, stateless):
    """`_two_shuffled_fits` for a functional model overriding train_step with a call of Keras's
    own step (the binding's `train_step(data)` runs in its Python loop; real Keras on JAX takes
    `train_step(state, data)`), whose first fit after compile peeks at a batch as Keras's does."""
    if stateless:
        class Stepped(lib.Model):
            def train_step(self, state, data):
                return super().train_step(state, data)
    else:
        class Stepped(lib.Model):
            def train_step(self, data):
                return super().train_step(data)
    lib.utils.set_random_seed(7)
    x, y = np.random.rand(10, 3).astype("float32"), np.random.rand(10, 2).astype("float32")
    inputs = lib.Input((3,))
    model = Stepped(inputs, lib.layers.Dense(2)(lib.layers.Dropout(0.5)(lib.layers.Dense(4)(inputs))))
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=3, epochs=2, shuffle=shuffle, validation_split=0.2, verbose=0)
    model.fit(x, y, batch_size=3, epochs=1, shuffle=shuffle, verbose=0)
    return model.get_weights(), np.random.rand(3)


@pytest.mark.parametrize("shuffle", [True, "batch"])
def test_train_step_override_fits_take_kerass_orders(shuffle):
    ours, ours_next = _custom_step_fits(swiftkeras, shuffle, stateless=False)
    ref, ref_next = _custom_step_fits(real_keras(), shuffle, stateless=True)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours_next, ref_next)
