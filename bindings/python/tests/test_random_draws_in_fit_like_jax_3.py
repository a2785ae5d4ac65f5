"""The last random augmentations drawn as Keras 3 draws them on the JAX backend, inside fit:
RandomElasticTransform (which Keras fits only without jit: its blur's size takes int() of a drawn
number), AugMix and RandomErasing on channels-first images.

Keras's AugMix holds layers that cannot be jitted (its shear, translation and rotation), so
Keras's fit runs each step eagerly and its `get_random_transformation` chooses the chains'
augmentations anew at each step with Python's `random.choice`, the weights and transformations
coming from the layer's generator: here too, fit choosing with Python's `random` (two AugMix
layers taking their turns each step). After `random.seed`, a fit of several steps ends with
Keras's losses, weights, generator states and Python generator. RandomErasing's noise
(`random.normal(images.shape)`) lies in the images' own layout, channels first too."""

import random

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from test_random_in_fit_like_jax import _states  # noqa: E402

pytestmark = needs(*CORE, "keras_model_set_aug_mix_chooser")

UNIT = dict(value_range=(0, 1))
# Each model's random layers as Keras makes them, the image shape and the fit's jit_compile
# (False where Keras cannot jit the layer, or to keep the test short).
FITS = {
    "elastic": (lambda L: [L.RandomElasticTransform(factor=(0.5, 1.0), scale=(0.4, 1.0), fill_mode="nearest", seed=3,
                                                    **UNIT)], (6, 6, 2), False),
    "aug_mix": (lambda L: [L.AugMix(num_chains=2, chain_depth=2, factor=(0.1, 0.6), alpha=0.7, seed=5, **UNIT),
                           L.AugMix(num_chains=1, chain_depth=3, factor=0.3, all_ops=False, seed=6, **UNIT)],
                (6, 6, 3), "auto"),
    "erasing_channels_first": (lambda L: [L.RandomErasing(factor=(0.5, 1.0), scale=(0.1, 0.5), seed=7,
                                                          data_format="channels_first", **UNIT)], (3, 6, 5), False),
}


def _fit(lib, case, python_seed=11):
    """The layers, Flatten and Dense from drawn weights, 2 epochs of SGD on mse (8 rows in
    batches of 4, in order: 4 steps) after `random.seed(python_seed)`: the weights, losses,
    generator states and the next number of Python's generator."""
    layers, shape, jit = FITS[case]
    L = lib.layers
    model = lib.Sequential([lib.Input(shape), *layers(L), L.Flatten(), L.Dense(1)])
    rng = np.random.default_rng(1)
    x = rng.uniform(0.05, 0.95, size=(8,) + shape).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    model.set_weights([rng.normal(scale=0.1, size=np.shape(w)).astype(np.float32) for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(0.01), loss="mse", jit_compile=jit)
    random.seed(python_seed)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return [np.asarray(w) for w in model.get_weights()], history.history["loss"], _states(model), random.random()


@pytest.mark.parametrize("case", list(FITS))
def test_fit_ends_with_kerass_weights_and_generators(case):
    weights, loss, states, after = _fit(sk, case)
    ref_weights, ref_loss, ref_states, ref_after = _fit(keras, case)
    assert states == ref_states, "the seed generators' states after fit"
    assert after == ref_after, "Python's generator after fit (AugMix's choices)"
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    assert len(weights) == len(ref_weights)
    for a, b in zip(weights, ref_weights):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


def test_aug_mix_chooses_anew_at_each_fit_step():
    """Keras's choices in the fit above: per step 4 for the first layer then 3 for the second
    (each among 12 or 8, Python's `random.choice`); they differ from step to step and include the
    geometric augmentations, so the comparison above covers both kinds of draws. Another Python
    seed chooses other chains, and the fit ends elsewhere."""
    state = random.Random(11)
    steps = [([state.choice(range(12)) for _ in range(4)], [state.choice(range(8)) for _ in range(3)]) for _ in range(4)]
    assert len({str(s) for s in steps}) == 4
    assert any(min(first) < 3 for first, _ in steps), "a shear, translation or rotation is chosen"
    assert not np.allclose(_fit(sk, "aug_mix", python_seed=12)[1], _fit(sk, "aug_mix")[1], rtol=1e-5)


def test_train_on_batch_chooses_with_pythons_random_as_keras():
    """`train_on_batch` is one training step: AugMix chooses its chains there with Python's
    `random` too."""
    results = []
    for lib in (sk, keras):
        layers, shape, jit = FITS["aug_mix"]
        L = lib.layers
        model = lib.Sequential([lib.Input(shape), *layers(L), L.Flatten(), L.Dense(1)])
        rng = np.random.default_rng(4)
        model.set_weights([rng.normal(scale=0.3, size=np.shape(w)).astype(np.float32) for w in model.get_weights()])
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        x = rng.uniform(0.05, 0.95, size=(4,) + shape).astype(np.float32)
        random.seed(5)
        model.train_on_batch(x, rng.normal(size=(4, 1)).astype(np.float32))
        results.append(([np.asarray(w) for w in model.get_weights()], random.random()))
    assert results[0][1] == results[1][1]
    for a, b in zip(results[0][0], results[1][0], strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


IMAGES = np.random.default_rng(3).uniform(0.05, 0.95, size=(4, 3, 8, 6)).astype(np.float32)


@pytest.mark.parametrize("kwargs", [dict(factor=(0.4, 1.0), scale=(0.1, 0.5), seed=16),
                                    dict(factor=1.0, scale=(0.3, 0.6), value_range=(0.2, 0.9), seed=17)])
def test_erasing_channels_first_training_calls_give_kerass_images(kwargs):
    """Two calls in a row on a batch, then one on a single image."""
    def calls(lib):
        layer = lib.layers.RandomErasing(data_format="channels_first", **{"value_range": (0, 1), **kwargs})
        return [np.asarray(layer(IMAGES, training=True)) for _ in range(2)] + [np.asarray(layer(IMAGES[0], training=True))]
    expected = calls(keras)
    for ours, ref in zip(calls(sk), expected, strict=True):
        np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5)
    assert not np.allclose(expected[0], expected[1]), "the second call draws anew"
    assert not np.allclose(expected[0], IMAGES), "something is erased"
