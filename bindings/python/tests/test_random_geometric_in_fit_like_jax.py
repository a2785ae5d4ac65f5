"""RandomRotation, RandomZoom, RandomTranslation, RandomShear, RandomCrop, RandomBrightness,
RandomPerspective and RandomElasticTransform draw in training what Keras 3 draws on the JAX
backend: each `random.uniform` (and the elastic field's `random.normal`) of their
`get_random_transformation` keyed by the layer generator's next state (threefry2x32), in
Keras's order and shapes (the translations all heights then all widths, the shear's signs then
its y and x factors, the crop's top then left offset, the perspective's probabilities,
thresholds and corner moves, the elastic's probabilities, thresholds, distortion and noise), and
the transformation built from the numbers in float32 as Keras builds it (the perspective's
homography solved as jax solves it). After `set_random_seed`, a direct training call gives
Keras's images (to 1e-5, with its fill modes and interpolations) and its generator state, and a
fit through the layer ends with Keras's losses and weights."""

import numpy as np
import pytest

from conftest import CORE, keras_reference, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from test_random_in_fit_like_jax import _states, fit_from_weights  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer")

# Two or more settings per layer: symmetric and asymmetric ranges, a fill mode other than
# `reflect`, nearest interpolation, channels first and unseeded layers (their seeds from
# Python's `random`).
CASES = {
    "rotation": lambda L: L.RandomRotation(0.2, seed=3),
    "rotation_constant_nearest": lambda L: L.RandomRotation((-0.1, 0.3), fill_mode="constant", fill_value=0.5,
                                                            interpolation="nearest", seed=4),
    "rotation_unseeded_wrap": lambda L: L.RandomRotation(0.15, fill_mode="wrap"),
    "zoom": lambda L: L.RandomZoom(0.2, seed=5),
    "zoom_width_wrap": lambda L: L.RandomZoom((-0.3, 0.1), width_factor=(0.0, 0.4), fill_mode="wrap", seed=6),
    # (8 channels of 8 × 3 images)
    "zoom_channels_first": lambda L: L.RandomZoom(0.25, width_factor=0.1, data_format="channels_first", seed=15),
    "translation": lambda L: L.RandomTranslation(0.2, 0.1, seed=7),
    "translation_nearest": lambda L: L.RandomTranslation((-0.3, 0.1), (0.05, 0.25), fill_mode="nearest", seed=8),
    "shear": lambda L: L.RandomShear(0.3, 0.2, seed=9),
    "shear_x_constant": lambda L: L.RandomShear(x_factor=(0.1, 0.4), fill_mode="constant", fill_value=-1.0, seed=10),
    "crop": lambda L: L.RandomCrop(5, 6, seed=11),
    "crop_tall": lambda L: L.RandomCrop(7, 3, seed=12),
    "crop_unseeded": lambda L: L.RandomCrop(6, 6),
    "brightness": lambda L: L.RandomBrightness(0.3, value_range=(0, 1), seed=13),
    "brightness_asymmetric": lambda L: L.RandomBrightness((-0.2, 0.5), value_range=(0, 2), seed=14),
    "perspective": lambda L: L.RandomPerspective(seed=18),
    "perspective_nearest": lambda L: L.RandomPerspective(factor=(0.4, 0.9), scale=0.6, interpolation="nearest",
                                                         fill_value=0.5, seed=19),
    "perspective_unseeded_channels_first": lambda L: L.RandomPerspective(factor=0.9, scale=0.8,
                                                                         data_format="channels_first"),
    "elastic": lambda L: L.RandomElasticTransform(factor=(0.3, 1.0), scale=(0.5, 1.0), seed=16),
    "elastic_nearest_wrap": lambda L: L.RandomElasticTransform(factor=0.8, scale=0.7, interpolation="nearest",
                                                               fill_mode="wrap", value_range=(0.1, 0.9), seed=17),
    "elastic_unseeded_channels_first": lambda L: L.RandomElasticTransform(scale=0.9, fill_mode="constant",
                                                                          fill_value=0.5, data_format="channels_first"),
}

# The fits (each a few steps of Keras run eagerly: these layers do not support jit), one per
# layer and fill mode. (RandomElasticTransform's, which Keras runs only without jit, are in
# test_random_draws_in_fit_like_jax_3.py.)
FIT_CASES = ["rotation_constant_nearest", "zoom_width_wrap", "translation", "shear_x_constant", "crop_unseeded",
             "brightness_asymmetric", "perspective_nearest"]

SEED = 21
X = np.random.default_rng(0).uniform(size=(8, 8, 8, 3)).astype(np.float32)
Y = np.random.default_rng(1).normal(size=(8, 1)).astype(np.float32)


def _direct(lib, case):
    """Two training calls of the layer made after `set_random_seed`, on a batch and one image."""
    lib.utils.set_random_seed(SEED)
    layer = CASES[case](lib.layers)
    outputs = [np.asarray(layer(X[:4], training=True)), np.asarray(layer(X[4], training=True))]
    return outputs, _states(layer), layer.get_config()["seed"]


def _fit(lib, case):
    """The layer, Flatten and Dense from fixed weights, 2 epochs of SGD (batches of 4, in order);
    after a crop (whose input Keras's fit also passes through uncropped) global average pooling."""
    lib.utils.set_random_seed(SEED)
    L = lib.layers
    head = L.GlobalAveragePooling2D() if case.startswith("crop") else L.Flatten()
    model = lib.Sequential([lib.Input((8, 8, 3)), CASES[case](L), head, L.Dense(1)])
    return fit_from_weights(lib, model, X, Y, np.random.default_rng(2), scale=0.1, rate=0.005, batch_size=4, epochs=2)


def _entries(lib):
    """Per case: its `_direct` (and for FIT_CASES its `_fit`) in `lib`, as lists of arrays (the
    form of scripts/make_keras_reference_fixtures.py, which writes Keras's: random_geometric)."""
    found = {}
    for case in CASES:
        outputs, states, seed = _direct(lib, case)
        entry = {"outputs": outputs, "states": [np.asarray(states, np.int64)],
                 "seed": [] if seed is None else [np.asarray(seed, np.int64)]}
        if case in FIT_CASES:
            weights, loss, fit_states = _fit(lib, case)
            entry.update(weights=weights, loss=[np.asarray(loss, np.float32)],
                         fit_states=[np.asarray(fit_states, np.int64)])
        found[case] = entry
    return found


@pytest.fixture(scope="module")
def keras_results():
    """Keras's `_direct` and `_fit` of each case (eager Keras: 18 s of CPU), from the fixture."""
    found = keras_reference("random", "keras_random_geometric.json")

    def case_results(entry):
        direct = (entry["outputs"], entry["states"][0].tolist(), int(entry["seed"][0]) if entry["seed"] else None)
        if "weights" not in entry:
            return direct, None
        return direct, (entry["weights"], entry["loss"][0].tolist(), entry["fit_states"][0].tolist())
    return {case: case_results(found[case]) for case in CASES}


@pytest.mark.parametrize("case", list(CASES))
def test_training_call_gives_kerass_images(keras_results, case):
    outputs, states, seed = _direct(sk, case)
    ref_outputs, ref_states, ref_seed = keras_results[case][0]
    assert seed == ref_seed, "the seed the config writes"
    assert states == ref_states, "the generator's state after two calls"
    for out, ref in zip(outputs, ref_outputs):
        assert out.shape == ref.shape
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("case", FIT_CASES)
def test_fit_through_the_layer_ends_with_kerass_weights(keras_results, case):
    weights, loss, states = _fit(sk, case)
    ref_weights, ref_loss, ref_states = keras_results[case][1]
    assert states == ref_states, "the generator's state after fit"
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    for a, b in zip(weights, ref_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
