"""Keras 3's RandAugment and AugMix against real Keras 3 (jax backend): configs both ways, the
transform where a zero factor makes every augmentation deterministic (the output is one of
Keras's compositions of its augmentations; AugMix's a Beta-weighted mix of the images with
Keras's augmented ones), the random draws by their bounds and invariants, inference as
identity, the seed generators' listing and states after fit and predict, and .keras/.h5 files
both ways. Keras chooses AugMix's augmentations with Python's global `random`: so do direct calls
and fit here (their states are compared after `random.seed`; fits in
test_random_draws_in_fit_like_jax_3.py)."""

import itertools
import json

import numpy as np
import pytest

from conftest import (CORE, image_layer_generator_states, keras_image_layer_generator_states, keras_reference, needs,
                      real_keras)

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

RNG = np.random.RandomState(5)
IMAGES = (RNG.rand(4, 7, 9, 3) * 255).astype("float32")
UNIT = (IMAGES / 255).astype("float32")
# Keras's RandAugment._AUGMENT_LAYERS and AugMix's AUGMENT_LAYERS_ALL.
RAND_STEPS = ["random_shear", "random_translation", "random_rotation", "random_brightness",
              "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
              "solarization", "auto_contrast", "equalization"]


def _config(layer):
    c = json.loads(json.dumps(layer.get_config()))
    c.pop("name")
    return c


CASES = [
    ("RandAugment", {}), ("RandAugment", dict(value_range=(0, 1), num_ops=3, factor=(0.2, 0.7), interpolation="nearest",
                                              seed=4)),
    ("RandAugment", dict(factor=0.0, data_format="channels_first")),
    ("AugMix", {}), ("AugMix", dict(value_range=(0, 1), num_chains=2, chain_depth=1, factor=(0.1, 0.4), alpha=0.5,
                                    all_ops=False, interpolation="nearest", seed=7)),
]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_configs_equal_keras_and_load_both_ways(name, kwargs):
    ours, ref = getattr(sk.layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    assert _config(ours) == _config(ref)
    assert _config(getattr(keras.layers, name).from_config(ours.get_config())) == _config(ref)
    assert _config(getattr(sk.layers, name).from_config(ref.get_config())) == _config(ref)


@pytest.mark.parametrize("name,kwargs", [("RandAugment", dict(factor=1.5)), ("RandAugment", dict(factor=(2.0, 3.0))),
                                         ("AugMix", dict(factor=-0.5)), ("AugMix", dict(factor=(1.5, 2.0)))])
def test_bad_factors_are_refused_as_keras_refuses_them(name, kwargs):
    with pytest.raises(ValueError):
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(ValueError, match="factor") as info:
        getattr(sk.layers, name)(**kwargs)(IMAGES)
    assert name in str(info.value)


def _keras_steps(ref, names, x):
    """Each of Keras's augmentations of `ref` (deterministic with a zero factor) applied to x."""
    return {n: np.asarray(getattr(ref, n)(x, training=True)) for n in names}


@pytest.mark.parametrize("num_ops", [1, 2])
def test_rand_augment_with_zero_factor_is_a_composition_of_keras_augmentations(num_ops):
    ref = keras.layers.RandAugment(factor=0.0, num_ops=num_ops)
    ours = sk.layers.RandAugment(factor=0.0, num_ops=num_ops, seed=3)
    # Every composition of num_ops of Keras's augmentations (the same one for the whole batch).
    # Each step is a function of its images (a zero factor): Keras runs it once per step and
    # distinct images (its eager Equalization takes half a second a call), not once per
    # composition.
    done = {}

    def step(n, x):
        key = (n, x.tobytes())
        if key not in done:
            done[key] = np.asarray(getattr(ref, n)(x, training=True))
        return done[key]
    candidates = {}
    for chosen in itertools.product(RAND_STEPS, repeat=num_ops):
        x = IMAGES
        for n in chosen:
            x = step(n, x)
        candidates[chosen] = x
    hit = set()
    for _ in range(10):
        out = np.asarray(ours(IMAGES, training=True))
        err, chosen = min((float(np.abs(out - c).max()), k) for k, c in candidates.items())
        assert err <= 1e-5 * 255, (err, chosen)
        hit.add(min(k for k, c in candidates.items() if np.abs(out - c).max() <= 1e-5 * 255))
    assert len(hit) >= 3, "the augmentations are drawn at each call"


def test_rand_augment_draws_stay_in_bounds_and_follow_the_data_format():
    layer = sk.layers.RandAugment(value_range=(0, 1), num_ops=3, factor=0.6, seed=2)
    changed = False
    for _ in range(6):
        out = np.asarray(layer(UNIT, training=True))
        assert out.shape == UNIT.shape and out.dtype == np.float32
        assert out.min() >= -1e-6 and out.max() <= 1 + 1e-6
        changed |= not np.allclose(out, UNIT)
    assert changed
    np.testing.assert_array_equal(np.asarray(layer(UNIT, training=False)), UNIT)
    one = np.asarray(sk.layers.RandAugment(seed=5)(IMAGES[0]))
    assert one.shape == IMAGES[0].shape
    # The same seed draws the same augmentations whatever the layout.
    last = np.asarray(sk.layers.RandAugment(num_ops=3, seed=9)(IMAGES))
    first = np.asarray(sk.layers.RandAugment(num_ops=3, seed=9, data_format="channels_first")(
        np.ascontiguousarray(IMAGES.transpose(0, 3, 1, 2))))
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), last, rtol=1e-6, atol=1e-4)


AUGMIX_STEPS = ["random_shear", "random_translation", "random_rotation", "random_posterization", "solarization",
                "auto_contrast", "equalization", "random_brightness", "random_color_degeneration",
                "random_contrast", "random_sharpness"]


def test_aug_mix_of_one_step_is_keras_mix_of_the_images_and_an_augmentation():
    """One chain of one step: the output is w·x + (1 − w)·T(x), w from Beta(alpha, alpha) and T
    one of Keras's augmentations (or none), clipped to the value range. (Python's `random`, which
    chooses the step, is seeded: unseeded, the calls could choose fewer kinds than asked below.)"""
    import random
    random.seed(2)
    ref = keras.layers.AugMix(factor=0.0, num_chains=1, chain_depth=1)
    steps = _keras_steps(ref, AUGMIX_STEPS, IMAGES)
    steps["none"] = IMAGES
    ours = sk.layers.AugMix(factor=0.0, num_chains=1, chain_depth=1, seed=1)
    x = IMAGES.astype(np.float64)
    weights, hit = [], set()
    for _ in range(12):
        out = np.asarray(ours(IMAGES, training=True)).astype(np.float64)
        best = None
        for name, t in steps.items():
            t = t.astype(np.float64)
            d = (x - t).ravel()
            w = float(np.dot((out - t).ravel(), d) / np.dot(d, d)) if np.dot(d, d) > 0 else 0.5
            mixed = np.clip(np.float32(w) * IMAGES + (1 - np.float32(w)) * steps[name], 0, 255)
            err = float(np.abs(out - mixed).max())
            if best is None or err < best[0]:
                best = (err, name, w)
        assert best[0] <= 2e-5 * 255, best
        if best[1] != "none" and np.abs(steps[best[1]] - IMAGES).max() > 1:
            assert 0 <= best[2] <= 1, best
            weights.append(best[2])
        hit.add(best[1])
    assert len(hit) >= 3 and len(set(np.round(weights, 4))) >= 3, (hit, weights)


def test_aug_mix_without_steps_and_bounds():
    ours = sk.layers.AugMix(chain_depth=0, seed=3)   # mixes the images with themselves
    np.testing.assert_allclose(np.asarray(ours(IMAGES)), IMAGES, rtol=1e-5, atol=1e-3)
    layer = sk.layers.AugMix(value_range=(0, 1), factor=0.8, seed=4)
    changed = False
    for _ in range(4):
        out = np.asarray(layer(UNIT, training=True))
        assert out.shape == UNIT.shape and out.min() >= 0 and out.max() <= 1
        changed |= not np.allclose(out, UNIT)
    assert changed
    np.testing.assert_array_equal(np.asarray(layer(UNIT, training=False)), UNIT)
    sk.utils.set_random_seed(11)   # the choice of the augmentations: Python's random
    a = np.asarray(sk.layers.AugMix(seed=6)(IMAGES))
    sk.utils.set_random_seed(11)
    b = np.asarray(sk.layers.AugMix(seed=6)(IMAGES))
    np.testing.assert_array_equal(a, b)


AUG_MIX_CHOOSING = [{}, dict(num_chains=2, chain_depth=4, all_ops=False), dict(num_chains=1, chain_depth=1, factor=0.0)]


def _aug_mix_choosing(lib, case):
    """After `random.seed(21)`, AugMix(seed=8, **AUG_MIX_CHOOSING[case]) called three times in
    training and once at inference on IMAGES: the outputs, the inference output, Python's next
    `random.random()` and the layer's generator state. (Keras's: from
    scripts/make_keras_reference_fixtures.py aug_mix_choosing.)"""
    import random
    random.seed(21)
    layer = lib.layers.AugMix(seed=8, **AUG_MIX_CHOOSING[case])
    out = [np.asarray(layer(IMAGES)) for _ in range(3)]
    inference = np.asarray(layer(IMAGES, training=False))
    return out, inference, random.random(), np.asarray(layer.generator.state)


@pytest.mark.parametrize("case", range(len(AUG_MIX_CHOOSING)))
def test_aug_mix_chooses_with_pythons_random_and_draws_as_keras(case):
    """Called on arrays, AugMix chooses its chains' augmentations with Python's `random.choice`,
    as Keras's does: after `random.seed`, Python's generator moves on exactly as Keras's call
    moves it, and the layer's seed generator by the draws of the augmentations chosen (the
    same ones), three calls in a row; at inference neither moves."""
    import random
    out, inference, after, state = _aug_mix_choosing(sk, case)
    ref = keras_reference("random", "keras_aug_mix_choosing.json")[str(case)]
    np.testing.assert_array_equal(inference, IMAGES)
    assert all(o.shape == IMAGES.shape and o.min() >= 0 and o.max() <= 255 for o in out)
    assert after == float(ref["after"][0])
    assert state.tolist() == ref["state"][0].tolist()
    assert state[1] > 2 * 3, "the chains' augmentations drew from the layer's generator"
    sk.utils.set_random_seed(4)
    a = np.asarray(sk.layers.AugMix(seed=6)(IMAGES))
    random.seed(4)
    np.testing.assert_array_equal(np.asarray(sk.layers.AugMix(seed=6)(IMAGES)), a)


DRAWING = {
    "RandAugment": lambda L: L.RandAugment(seed=3),
    "RandAugmentFixedBits": lambda L: L.RandAugment(factor=0.1, seed=4),   # posterization draws nothing
    "AugMixNoSteps": lambda L: L.AugMix(chain_depth=0, seed=5),
    "AugMixFewOps": lambda L: L.AugMix(chain_depth=0, all_ops=False, seed=6),
}


# (Keras's states on these images: scripts/make_keras_reference_fixtures.py image_generator_states)
DRAWING_IMAGES = np.random.RandomState(5).uniform(0, 255, (8, 6, 6, 3)).astype("float32")


@pytest.mark.parametrize("name", sorted(DRAWING))
def test_seed_generators_move_as_keras(name):
    """The generators listed in the layer's variables (its own, then its augmentations', which
    never move: Keras draws every transformation from the holder's) and their states after fit
    and predict: the holder's moves by Keras's draws per training step, not at inference."""
    ours = image_layer_generator_states(sk, DRAWING[name], DRAWING_IMAGES)
    assert ours == keras_image_layer_generator_states("rand_augment_aug_mix", name)


def _model(lib):
    inputs = lib.Input((7, 9, 3), name="images")
    h = lib.layers.RandAugment(value_range=(0, 255), num_ops=3, factor=0.4, seed=1, name="rand_augment")(inputs)
    h = lib.layers.AugMix(num_chains=2, chain_depth=2, factor=0.2, alpha=0.5, seed=2, name="aug_mix")(h)
    h = lib.layers.Rescaling(1 / 255, name="rescale")(lib.layers.Flatten(name="flat")(h))
    return lib.Model(inputs, lib.layers.Dense(2, name="out")(h), name="mixes")


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_model_files_load_both_ways(tmp_path, ext):
    ref = _model(keras)
    ref.save(tmp_path / f"keras.{ext}")
    loaded = sk.models.load_model(tmp_path / f"keras.{ext}")
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in ref.layers]
    want = np.asarray(ref.predict(IMAGES, verbose=0))
    np.testing.assert_allclose(loaded.predict(IMAGES, verbose=0), want, rtol=1e-5, atol=1e-5)
    ours = _model(sk)
    ours.save(tmp_path / f"ours.{ext}")
    back = keras.models.load_model(tmp_path / f"ours.{ext}")
    for a, b in zip(ours.layers, back.layers):
        assert json.loads(json.dumps(a.get_config())) == json.loads(json.dumps(b.get_config())), a.name
    np.testing.assert_allclose(np.asarray(back.predict(IMAGES, verbose=0)), ours.predict(IMAGES, verbose=0),
                               rtol=1e-5, atol=1e-5)


def test_augmentations_inside_take_kerass_automatic_names():
    """Keras's constructors make the augmentations inside (random_shear, ...), which take
    automatic names: the second RandAugment's are `random_shear_1` ..., AugMix without
    `all_ops` makes seven, and a RandomRotation made after them counts them."""
    parts = RAND_STEPS
    found = []
    for lib in (sk, keras):
        lib.backend.clear_session()
        made = [lib.layers.RandAugment(), lib.layers.AugMix(), lib.layers.AugMix(all_ops=False),
                lib.layers.RandAugment(seed=3)]
        found.append(([(layer.name, [(p, getattr(layer, p).name) for p in parts if hasattr(layer, p)]) for layer in made],
                      lib.layers.RandomRotation(0.1).name, lib.layers.RandomBrightness(0.1).name,
                      lib.layers.Solarization().name))
    assert found[0] == found[1]
    assert found[1][1] == "random_rotation_4"   # (the four layers took theirs)


def test_the_library_refuses_bad_choices_and_layers_by_name():
    """The C calls behind AugMix's and CutMix's direct calls name what was wrong (keras.h)."""
    import ctypes

    from swiftkeras import _lib, _native, _rnn_states
    layer = sk.layers.AugMix(num_chains=2, chain_depth=2, seed=1)
    layer(IMAGES)
    handle, name = _rnn_states._located(layer)
    x = np.ascontiguousarray(IMAGES)
    shape = np.asarray(x.shape, np.int64)
    out = np.empty_like(x)
    fp, ip = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int64)

    def aug_mix(choices, layer_name=name):
        c = np.asarray(choices, np.int32)
        _native.check(_lib.keras_model_layer_aug_mix(handle, layer_name, x.ctypes.data_as(fp), 4, shape.ctypes.data_as(ip),
                                                     c.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), c.size, 1,
                                                     out.ctypes.data_as(fp), out.size))
    aug_mix([0, -1, 10, 3])
    with pytest.raises(Exception, match="expected 4 choices"):
        aug_mix([0, 1])
    with pytest.raises(Exception, match="choice 11 is not one of its 11 augmentations"):
        aug_mix([0, 1, 11, -1])
    with pytest.raises(Exception, match="No such layer: no_such_layer"):
        aug_mix([0, 1, 2, 3], layer_name=b"no_such_layer")
    labels = np.eye(4, dtype=np.float32)
    with pytest.raises(Exception, match="not a CutMix"):
        _native.check(_lib.keras_model_layer_cut_mix(handle, name, x.ctypes.data_as(fp), 4, shape.ctypes.data_as(ip),
                                                     labels.ctypes.data_as(fp), 2, np.asarray(labels.shape, np.int64)
                                                     .ctypes.data_as(ip), 1, out.ctypes.data_as(fp), out.size,
                                                     labels.ctypes.data_as(fp), labels.size))
