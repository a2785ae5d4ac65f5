"""keras.random and seeded initializers give Keras's numbers on the JAX backend, bit for bit
(the library draws them with JAX's threefry2x32 from Keras's draw seed), compared with real
Keras run here: int seeds, a SeedGenerator's sequence of draws, the global generator after
set_random_seed, dropout and shuffle, and initializers with a seed in a Dense or Conv2D.

Keras's numbers are Tests/KerasTests/Fixtures/random/keras_random_like_jax.json, which
scripts/make_keras_reference_fixtures.py writes from this file's `_draws` and
`_initial_weights` run in real Keras with XLA's default flags (the suite's quick-compile flags,
conftest, leave multiply-adds unfused, and a few of jax's numbers then differ by an ulp from
what a user's Keras gives); run it again after changing them."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import keras_reference, needs

pytestmark = needs("keras_random_draw", "keras_random_permutation")


def _draws(K):
    """The same calls through `K` (real Keras or ours)."""
    out = {"normal": K.random.normal((3, 5), mean=0.5, stddev=2.0, seed=42),
           "uniform": K.random.uniform((17,), minval=-0.3, maxval=0.77, seed=1234),
           "truncated": K.random.truncated_normal((4, 4), mean=0.1, stddev=0.3, seed=9),
           "randint": K.random.randint((11,), -5, 1000, seed=77)}
    g = K.random.SeedGenerator(7)
    out["sequence"] = np.concatenate([np.ravel(K.random.uniform((2, 3), seed=g)),
                                      np.ravel(K.random.normal((4,), seed=g)),
                                      np.ravel(K.random.truncated_normal((5,), seed=g))])
    out["state"] = np.asarray(g.state.numpy() if hasattr(g.state, "numpy") else g.state)
    x = np.ones((4, 5), np.float32)
    out["dropout"] = K.random.dropout(x, 0.3, seed=3)
    out["dropout_noise_shape"] = K.random.dropout(x, 0.5, noise_shape=(None, 1), seed=4)
    out["shuffle"] = K.random.shuffle(np.arange(20), seed=5)
    out["shuffle_axis1"] = K.random.shuffle(np.arange(12).reshape(3, 4), axis=1, seed=5)
    K.utils.set_random_seed(11)
    out["global"] = np.concatenate([np.ravel(K.random.normal((3,))), np.ravel(K.random.uniform((3,)))])
    return {k: np.asarray(v) for k, v in out.items()}


INITIALIZERS = ["RandomNormal", "RandomUniform", "TruncatedNormal", "GlorotUniform", "GlorotNormal",
                "HeUniform", "HeNormal", "LecunUniform", "LecunNormal"]


def _initial_weights(K):
    out = {}
    for i, name in enumerate(INITIALIZERS):
        model = K.Sequential([K.Input((5,)), K.layers.Dense(
            7, kernel_initializer=getattr(K.initializers, name)(seed=10 + i),
            bias_initializer=K.initializers.RandomUniform(seed=30 + i))])
        out[name] = [np.asarray(w) for w in model.get_weights()]
    model = K.Sequential([K.Input((6, 6, 2)), K.layers.Conv2D(4, 3, kernel_initializer=K.initializers.VarianceScaling(
        scale=0.3, mode="fan_out", distribution="untruncated_normal", seed=3))])
    out["VarianceScaling"] = [np.asarray(w) for w in model.get_weights()]
    model = K.Sequential([K.Input((3,)), K.layers.Dense(6, kernel_initializer=K.initializers.Orthogonal(seed=4))])
    out["Orthogonal"] = [np.asarray(w) for w in model.get_weights()]
    return out


@pytest.fixture(scope="module")
def keras_numbers():
    found = keras_reference("random", "keras_random_like_jax.json")
    return {k: v for k, [v] in found["draws"].items()}, found["weights"]


def test_draws_are_kerass_bit_for_bit(keras_numbers):
    ours = _draws(sk)
    for name, expected in keras_numbers[0].items():
        if expected.dtype.kind in "fb":   # (shuffle keeps numpy's int64, where jax's x32 gives int32)
            assert ours[name].dtype == expected.dtype, name
        np.testing.assert_array_equal(ours[name], expected, err_msg=name)


def test_seeded_initializers_are_kerass(keras_numbers):
    ours = _initial_weights(sk)
    for name, expected in keras_numbers[1].items():
        for a, b in zip(ours[name], expected):
            if name == "Orthogonal":   # the QR factorisations round differently
                np.testing.assert_allclose(a, b, rtol=0, atol=1e-6, err_msg=name)
            else:
                np.testing.assert_array_equal(a, b, err_msg=name)


def test_bad_seed_and_shape_are_refused_as_keras():
    with pytest.raises(ValueError, match="seed"):
        sk.random.normal((2,), seed="x")
    with pytest.raises(ValueError, match="negative"):
        sk.random.uniform((2, -1), seed=1)
