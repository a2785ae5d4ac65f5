"""The colour augmentations, RandomGaussianBlur, RandomErasing, RandomColorJitter, RandAugment, AugMix, MixUp and CutMix draw
Keras's numbers on the JAX backend: each draw takes the next threefry key of the layer's
generator (its state [seed, counter], the counter moving on by one a draw), a composite layer's
sublayers drawing with the composite's keys in Keras's order. Training-mode calls (two in a row,
so the second starts where Keras's first left the generator) give Keras's images, and a fit
through some of them ends with Keras's weights and generator states. The ConvLSTM layers' input
and recurrent dropout masks (four of each, drawn in Keras's layout, channels first too) give
Keras's weights after a fit."""

import random

import numpy as np
import pytest

from conftest import CORE, keras_reference, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

IMAGES = np.random.default_rng(3).uniform(0.05, 0.95, size=(4, 8, 8, 3)).astype(np.float32)
UNIT = dict(value_range=(0, 1))

# Each layer as Keras makes it: (class name, arguments).
LAYERS = {
    "jitter": ("RandomColorJitter", dict(UNIT, brightness_factor=0.2, contrast_factor=(0.2, 0.5),
                                         saturation_factor=(0.3, 0.8), hue_factor=0.3, seed=3)),
    "jitter_hue_contrast": ("RandomColorJitter", dict(UNIT, contrast_factor=0.4, hue_factor=(0.1, 0.6), seed=11)),
    "saturation": ("RandomSaturation", dict(UNIT, factor=(0.2, 0.9), seed=4)),
    "hue": ("RandomHue", dict(UNIT, factor=0.7, seed=5)),
    "degeneration": ("RandomColorDegeneration", dict(UNIT, factor=(0.1, 0.8), seed=6)),
    "sharpness": ("RandomSharpness", dict(UNIT, factor=(0.2, 0.9), seed=7)),
    "posterization": ("RandomPosterization", dict(UNIT, factor=(2, 7), seed=8)),
    "solarization": ("Solarization", dict(UNIT, addition_factor=(0.0, 0.3), threshold_factor=(0.1, 0.6), seed=9)),
    "grayscale": ("RandomGrayscale", dict(factor=0.5, seed=10)),
    "invert": ("RandomInvert", dict(UNIT, factor=(0.3, 0.9), seed=12)),
    "gaussian_blur": ("RandomGaussianBlur", dict(UNIT, factor=(0.3, 0.9), kernel_size=3, sigma=(0.2, 0.9), seed=15)),
    "erasing_noise": ("RandomErasing", dict(UNIT, factor=(0.4, 1.0), scale=(0.1, 0.5), seed=16)),
    "erasing_fill": ("RandomErasing", dict(UNIT, factor=0.8, fill_value=0.25, seed=17)),
    "mixup": ("MixUp", dict(alpha=0.4, seed=13)),
    "cutmix": ("CutMix", dict(factor=(0.3, 1.0), seed=14)),
}


def _two_calls(lib, name, kwargs, images=IMAGES):
    layer = getattr(lib.layers, name)(**kwargs)
    return [np.asarray(layer(images, training=True)) for _ in range(2)]


@pytest.mark.parametrize("case", list(LAYERS))
def test_training_calls_give_kerass_images(case):
    name, kwargs = LAYERS[case]
    expected = _two_calls(keras, name, kwargs)
    for ours, ref in zip(_two_calls(sk, name, kwargs), expected):
        np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5)
    assert not np.allclose(expected[0], expected[1]), "the second call draws anew"


def test_an_unseeded_jitter_after_set_random_seed_draws_as_kerass():
    def calls(lib):
        lib.utils.set_random_seed(21)
        layer = lib.layers.RandomColorJitter(value_range=(0, 1), brightness_factor=(0.1, 0.3), saturation_factor=0.7,
                                             hue_factor=0.4)
        return [np.asarray(layer(IMAGES, training=True)) for _ in range(2)]

    for ours, ref in zip(calls(sk), calls(keras)):
        np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5)


# The first three of RandAugment's and AugMix's augmentations are the geometric ones (shear,
# translation, rotation), drawn with the composite's keys as the colour ones are: the cases are
# the first seeds, among which some choose a geometric augmentation and some only colour ones.
GEOMETRIC = 3


def _rand_augment_choices(seed, num_ops):
    import jax
    import jax.numpy as jnp
    return np.asarray(jax.random.randint(jnp.array([seed, 0], jnp.uint32), (num_ops,), 0, 11))


RAND_AUGMENT_SEEDS = range(6)


def _rand_augment_images(lib):
    """A training call of RandAugment(seed=s) for each of RAND_AUGMENT_SEEDS. (Keras's: from
    scripts/make_keras_reference_fixtures.py random_color_composites; its eager Equalization
    made them 15 s of CPU.)"""
    return [np.asarray(lib.layers.RandAugment(value_range=(0, 1), num_ops=3, factor=(0.2, 0.8), seed=seed)(
        IMAGES, training=True)) for seed in RAND_AUGMENT_SEEDS]


def test_rand_augment_draws_kerass_choice_and_transformations():
    choices = [_rand_augment_choices(seed, 3) for seed in RAND_AUGMENT_SEEDS]
    assert any(c.min() < GEOMETRIC for c in choices) and any(c.min() >= GEOMETRIC for c in choices)
    expected = keras_reference("random", "keras_random_color_composites.json")["rand_augment"]
    for ours, ref in zip(_rand_augment_images(sk), expected, strict=True):
        np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5)


def _aug_mix_picks(seed, chains, depth):
    state = random.Random(seed)
    return [state.choice(range(12)) for _ in range(chains * depth)]


AUG_MIX_PYTHON_SEEDS = range(4)


def _aug_mix_images(lib):
    """A training call of AugMix after `random.seed(s)` for each of AUG_MIX_PYTHON_SEEDS (Keras's:
    from the fixture, as _rand_augment_images's)."""
    found = []
    for python_seed in AUG_MIX_PYTHON_SEEDS:
        random.seed(python_seed)
        layer = lib.layers.AugMix(value_range=(0, 1), num_chains=2, chain_depth=2, factor=(0.1, 0.6), alpha=0.7, seed=5)
        found.append(np.asarray(layer(IMAGES, training=True)))
    return found


def test_aug_mix_draws_kerass_weights_and_transformations():
    assert any(min(_aug_mix_picks(seed, 2, 2)) < GEOMETRIC for seed in AUG_MIX_PYTHON_SEEDS)
    expected = keras_reference("random", "keras_random_color_composites.json")["aug_mix"]
    for ours, ref in zip(_aug_mix_images(sk), expected, strict=True):
        np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5)


def _states(model):
    return [np.asarray(v.numpy() if hasattr(v, "numpy") else v).tolist()
            for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]


def _fit(lib, make, x, batch_size=4):
    model = make(lib)
    rng = np.random.default_rng(1)
    y = rng.normal(size=(len(x), 1)).astype(np.float32)
    model.set_weights([rng.normal(scale=0.3, size=np.shape(w)).astype(np.float32) for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
    history = model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return [np.asarray(w) for w in model.get_weights()], history.history["loss"], _states(model)


def _colour_model(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((8, 8, 3)), L.RandomColorJitter(**LAYERS["jitter"][1]),
                           L.RandomGrayscale(**LAYERS["grayscale"][1]), L.Solarization(**LAYERS["solarization"][1]),
                           L.MixUp(**LAYERS["mixup"][1]), L.Conv2D(2, 3), L.GlobalAveragePooling2D(), L.Dense(1)])


def _conv_lstm(rank, data_format):
    def make(lib):
        L = lib.layers
        frame = {1: (6,), 2: (5, 5), 3: (4, 4, 3)}[rank]
        channels_last = data_format == "channels_last"
        layer = getattr(L, f"ConvLSTM{rank}D")(2, 2 if rank == 3 else 3, dropout=0.3, recurrent_dropout=0.4, seed=5,
                                               data_format=data_format, padding="same" if rank == 1 else "valid",
                                               return_sequences=rank == 1)
        shape = (3,) + (frame + (2,) if channels_last else (2,) + frame)
        return lib.Sequential([lib.Input(shape), layer, L.Flatten(), L.Dense(1)])
    return make


FITS = {"colour": (_colour_model, (16, 8, 8, 3)), "conv_lstm_1d": (_conv_lstm(1, "channels_last"), (8, 3, 6, 2)),
        "conv_lstm_2d": (_conv_lstm(2, "channels_last"), (8, 3, 5, 5, 2)),
        "conv_lstm_3d": (_conv_lstm(3, "channels_last"), (8, 3, 4, 4, 3, 2)),
        "conv_lstm_1d_first": (_conv_lstm(1, "channels_first"), (8, 3, 2, 6)),
        "conv_lstm_2d_first": (_conv_lstm(2, "channels_first"), (8, 3, 2, 5, 5))}


@pytest.mark.parametrize("case", list(FITS))
def test_fit_ends_with_kerass_weights(case):
    make, shape = FITS[case]
    x = np.random.default_rng(2).uniform(0.05, 0.95, size=shape).astype(np.float32)
    weights, loss, states = _fit(sk, make, x)
    ref_weights, ref_loss, ref_states = _fit(keras, make, x)
    assert states == ref_states, "the seed generators' states after fit"
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    assert len(weights) == len(ref_weights)
    for a, b in zip(weights, ref_weights):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
