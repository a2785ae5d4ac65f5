"""keras.random inside a traced call: the library's random ops draw new numbers at every step
(Keras's SeedGenerator under jax.jit), the same numbers for an int seed, and refuse seed=None
with Keras's message; the VAE tutorial's Sampling layer (two inputs) trains natively; the traced
ops.image.map_coordinates equals the eager one and real Keras's, with gradients from the
library's autodiff; the traced elastic_transform equals the eager one for one seed."""

import re

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import layers, ops  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op", "keras_graph_new")


class Sampling(layers.Layer):
    """Keras's VAE tutorial's layer, with its KL divergence added as a loss."""

    calls = 0

    def __init__(self, seed=1337, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = sk.random.SeedGenerator(seed)

    def call(self, inputs):
        Sampling.calls += 1
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = sk.random.normal(shape=(batch, dim), seed=self.seed_generator)
        self.add_loss(-0.05 * ops.mean(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)))
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def _vae(latent=2):
    inp = sk.Input((6,))
    h = layers.Dense(16, activation="relu")(inp)
    z_mean, z_log_var = layers.Dense(latent, name="z_mean")(h), layers.Dense(latent, name="z_log_var")(h)
    z = Sampling(name="sampling")([z_mean, z_log_var])
    out = layers.Dense(6)(layers.Dense(16, activation="relu")(z))
    return sk.Model(inp, out)


def _data(n=128):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(n, 2)).astype("float32")
    return np.concatenate([base, base @ rng.normal(size=(2, 4)).astype("float32")], axis=1)


def _sampling_instance(model):
    from swiftkeras import _python_layers
    return [i for i in _python_layers._instances.values() if isinstance(i.layer, Sampling)][-1]


def test_vae_sampling_trains_natively_and_draws_new_noise_every_step(tmp_path):
    x = _data()
    sk.utils.set_random_seed(1)
    model = _vae()
    model.compile(sk.optimizers.Adam(0.01), "mse")
    Sampling.calls = 0
    history = model.fit(x, x, epochs=30, batch_size=32, verbose=0)
    assert _sampling_instance(model).traced
    # Traced once (one call: no `training` argument), never entered again during 120 steps.
    assert Sampling.calls == 1
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0], losses
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    assert not np.allclose(first, second), "each predict step draws new noise"

    # Saved whole and loaded: the layer unpacks its two inputs again, and samples.
    path = str(tmp_path / "vae.keras")
    model.save(path)
    loaded = sk.saving.load_model(path, custom_objects={"Sampling": Sampling})
    np.testing.assert_allclose(loaded.get_weights()[0], model.get_weights()[0])
    again = loaded.predict(x, verbose=0)
    assert again.shape == first.shape and np.isfinite(again).all()
    # The noise averages out: the mean predictions of both models agree over many draws, within
    # five standard errors of their difference (the spread depends on where training ended).
    draws_a = np.array([model.predict(x[:8], verbose=0) for _ in range(200)])
    draws_b = np.array([loaded.predict(x[:8], verbose=0) for _ in range(200)])
    error = np.sqrt((draws_a.var(axis=0) + draws_b.var(axis=0)) / 200)
    assert np.all(np.abs(draws_a.mean(axis=0) - draws_b.mean(axis=0)) <= 5 * error + 1e-4)


def test_sampling_draws_standard_normal_noise_scaled_by_the_log_variance():
    z_mean, z_log_var = sk.Input((3,)), sk.Input((3,))
    model = sk.Model([z_mean, z_log_var], Sampling(seed=3)([z_mean, z_log_var]))
    n = 20000
    mean = np.tile(np.float32([0, 1, -2]), (n, 1))
    log_var = np.tile(np.log(np.float32([1, 4, 0.25])), (n, 1))
    z = model.predict([mean, log_var], batch_size=n, verbose=0)
    np.testing.assert_allclose(z.mean(0), [0, 1, -2], atol=0.04)
    np.testing.assert_allclose(z.std(0), [1, 2, 0.5], rtol=0.03)


def _drawing(draw):
    """A model whose traced layer outputs `draw(x)`."""

    class Draw(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = sk.random.SeedGenerator(5)

        def call(self, x):
            return draw(self, x)

    return sk.Sequential([sk.Input((50,)), Draw()])


def _predict(model, rows=400, value=1.0):
    return model.predict(np.full((rows, 50), value, "float32"), batch_size=rows, verbose=0)


def test_traced_draws_have_the_asked_distributions():
    batch = lambda x: ops.shape(x)[0]  # noqa: E731
    normal = _predict(_drawing(lambda s, x: sk.random.normal((batch(x), 50), mean=2.0, stddev=3.0,
                                                             seed=s.seed_generator)))
    assert abs(normal.mean() - 2) < 0.06 and abs(normal.std() - 3) < 0.05
    uniform = _predict(_drawing(lambda s, x: sk.random.uniform((batch(x), 50), minval=-1.0, maxval=3.0,
                                                               seed=s.seed_generator)))
    assert uniform.min() >= -1 and uniform.max() < 3 and abs(uniform.mean() - 1) < 0.03
    truncated = _predict(_drawing(lambda s, x: sk.random.truncated_normal((batch(x), 50), stddev=2.0,
                                                                          seed=s.seed_generator)))
    assert np.abs(truncated).max() <= 4.0 + 1e-5 and abs(truncated.std() - 2 * 0.8796) < 0.03
    ints = _predict(_drawing(lambda s, x: sk.random.randint((batch(x), 50), 3, 8, seed=s.seed_generator)))
    assert set(np.unique(ints)) == {3, 4, 5, 6, 7}
    dropped = _predict(_drawing(lambda s, x: sk.random.dropout(x, 0.3, seed=s.seed_generator)), value=2.0)
    assert set(np.unique(dropped)) == {0.0, np.float32(2 / 0.7)}
    assert abs((dropped == 0).mean() - 0.3) < 0.01
    rows = _predict(_drawing(lambda s, x: sk.random.dropout(x, 0.5, noise_shape=(None, 1),
                                                            seed=s.seed_generator)))
    assert all(len(set(r)) == 1 for r in rows) and abs((rows[:, 0] == 0).mean() - 0.5) < 0.1


def test_seed_generator_advances_per_step_and_an_int_seed_does_not():
    ahead = _drawing(lambda s, x: x * 0 + sk.random.normal((50,), seed=s.seed_generator))
    a, b = _predict(ahead, rows=2), _predict(ahead, rows=2)
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(a[0], a[1])   # one (50,) draw per step, broadcast over the batch
    # Another layer with a generator of the same seed draws the same sequence.
    twin = _drawing(lambda s, x: x * 0 + sk.random.normal((50,), seed=s.seed_generator))
    np.testing.assert_array_equal(_predict(twin, rows=2), a)
    fixed = _drawing(lambda s, x: x * 0 + sk.random.normal((50,), seed=42))
    np.testing.assert_array_equal(_predict(fixed, rows=2), _predict(fixed, rows=3)[:2])


def test_unseeded_draw_in_a_traced_call_is_refused_with_keras_message():
    import jax

    @jax.jit
    def keras_traced(x):
        return keras.random.normal((1,)) + x

    with pytest.raises(ValueError) as ref:
        keras_traced(np.zeros(1, "float32"))
    with pytest.raises(ValueError) as ours:
        _predict(_drawing(lambda s, x: x + sk.random.normal((50,))))
    assert str(ours.value) == str(ref.value)
    with pytest.raises(NotImplementedError, match="shuffle is not traceable"):
        _predict(_drawing(lambda s, x: sk.random.shuffle(x, seed=s.seed_generator)))
    # Eager draws are as they were: numpy's, seeded.
    np.testing.assert_array_equal(sk.random.normal((3,), seed=1), sk.random.normal((3,), seed=1))


MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _coordinates():
    rng = np.random.default_rng(4)
    c = rng.uniform(-2.5, 6.5, size=(2, 5, 7)).astype("float32")
    c[:, 0, :3] = [[0.5, -0.5, 2.5], [1.5, 3.5, -1.5]]   # halves: order 0 rounds them away from 0
    return c


def test_traced_map_coordinates_equals_eager_and_keras():
    image = np.random.default_rng(5).normal(size=(4, 5)).astype("float32")
    c = _coordinates()
    for mode in MODES:
        for order in (0, 1):
            fn = lambda img, cc: ops.image.map_coordinates(img, cc, order, fill_mode=mode,  # noqa: E731
                                                           fill_value=-0.5)
            traced, _ = ops.jvp(fn, (image, c), (np.zeros_like(image), np.zeros_like(c)))
            eager = fn(image, c)
            ref = np.asarray(keras.ops.image.map_coordinates(image, c, order, fill_mode=mode, fill_value=-0.5))
            np.testing.assert_allclose(traced, ref, atol=1e-5, err_msg=f"{mode} {order}")
            np.testing.assert_allclose(eager, ref, atol=1e-5, err_msg=f"{mode} {order}")


def test_traced_map_coordinates_gradients_match_finite_differences_and_jax():
    import jax
    image = np.random.default_rng(6).normal(size=(4, 5)).astype("float32")
    c = _coordinates()
    frac = c - np.floor(c)
    c = np.where((frac < 0.1) | (frac > 0.9), c + 0.3, c).astype("float32")   # away from the kinks
    rng = np.random.default_rng(7)
    ti, tc = rng.normal(size=image.shape).astype("float32"), rng.normal(size=c.shape).astype("float32")
    for mode in MODES:
        fn = lambda img, cc: ops.image.map_coordinates(img, cc, 1, fill_mode=mode, fill_value=0.5)  # noqa: E731
        _, tangent = ops.jvp(fn, (image, c), (ti, tc))
        h = 1e-3
        numeric = (np.asarray(fn(image + h * ti, c + h * tc), np.float64) -
                   np.asarray(fn(image - h * ti, c - h * tc), np.float64)) / (2 * h)
        np.testing.assert_allclose(tangent, numeric, atol=2e-3, err_msg=mode)
        ref_fn = lambda img, cc: keras.ops.image.map_coordinates(img, cc, 1, fill_mode=mode,  # noqa: E731
                                                                 fill_value=0.5)
        _, ref_tangent = jax.jvp(ref_fn, (image, c), (ti, tc))
        np.testing.assert_allclose(tangent, np.asarray(ref_tangent), atol=1e-4, err_msg=mode)


def test_a_layer_gathering_at_coordinates_from_its_input_trains_like_keras():
    image = np.random.default_rng(8).normal(size=(6, 6)).astype("float32")

    def gather(lib):
        class Gather(lib.layers.Layer):
            def build(self, input_shape):
                self.scale = self.add_weight(shape=(1,), initializer="ones")

            def call(self, x):   # x: (batch, 2) positions, scaled by the weight
                c = lib.ops.transpose(x * self.scale)
                return lib.ops.expand_dims(lib.ops.image.map_coordinates(image, c, 1, fill_mode="nearest"), -1)

        return lib.Sequential([lib.Input((2,)), Gather()])

    x = np.random.default_rng(9).uniform(0.5, 2.2, size=(64, 2)).astype("float32")
    y = np.asarray(keras.ops.image.map_coordinates(image, (x * 1.3).T, 1, fill_mode="nearest"))[:, None]
    ours, ref = gather(sk), gather(keras)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), atol=1e-5)
    for model, lib in ((ours, sk), (ref, keras)):
        model.compile(lib.optimizers.SGD(0.01), "mse")
        model.fit(x, y, epochs=5, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(ours.get_weights()[0], ref.get_weights()[0], rtol=1e-4)
    assert ours.get_weights()[0][0] != 1.0


def test_traced_elastic_transform_equals_eager_for_one_seed_and_varies_per_step():
    images = np.random.default_rng(10).uniform(size=(3, 12, 10, 2)).astype("float32")

    def model_with(seed_of):
        class Elastic(layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.gen = sk.random.SeedGenerator(21)

            def call(self, x):
                return ops.image.elastic_transform(x, alpha=4.0, sigma=1.5, seed=seed_of(self))

        return sk.Sequential([sk.Input((12, 10, 2)), Elastic()])

    fixed = model_with(lambda layer: 7)
    eager = ops.image.elastic_transform(images, alpha=4.0, sigma=1.5, seed=7)
    assert eager.shape == images.shape and not np.allclose(eager, images)
    np.testing.assert_allclose(fixed.predict(images, verbose=0), eager, atol=1e-5)
    np.testing.assert_allclose(fixed.predict(images, verbose=0), eager, atol=1e-5)
    moving = model_with(lambda layer: layer.gen)
    first = moving.predict(images, verbose=0)
    np.testing.assert_allclose(first, ops.image.elastic_transform(images, alpha=4.0, sigma=1.5,
                                                                  seed=sk.random.SeedGenerator(21)), atol=1e-5)
    assert not np.allclose(moving.predict(images, verbose=0), first)
    for mode in MODES:
        for interpolation in ("nearest", "bilinear"):
            a = ops.image.elastic_transform(images[0], alpha=6.0, sigma=1.0, interpolation=interpolation,
                                            fill_mode=mode, seed=3)
            assert a.shape == images[0].shape and np.isfinite(a).all()
    chw = np.transpose(images, (0, 3, 1, 2))
    np.testing.assert_allclose(
        ops.image.elastic_transform(chw, alpha=4.0, sigma=1.5, seed=7, data_format="channels_first"),
        np.transpose(eager, (0, 3, 1, 2)), atol=1e-6)
    with pytest.raises(ValueError, match=re.escape("[JAX RNG]")):
        model_with(lambda layer: None).predict(images, verbose=0)
    # Its gradient with respect to the images (an int seed holds the field still).
    fn = lambda img: ops.image.elastic_transform(img, alpha=4.0, sigma=1.5, seed=7)  # noqa: E731
    t = np.random.default_rng(11).normal(size=images.shape).astype("float32")
    _, tangent = ops.jvp(fn, (images,), (t,))
    numeric = (np.asarray(fn(images + 1e-2 * t), np.float64) - np.asarray(fn(images - 1e-2 * t), np.float64)) / 2e-2
    np.testing.assert_allclose(tangent, numeric, atol=1e-3)


def test_dropout_on_a_layer_output_in_a_subclassed_model_call():
    class Noisy(sk.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(200, kernel_initializer="ones", use_bias=False)
            self.gen = sk.random.SeedGenerator(2)

        def call(self, x):
            return sk.random.dropout(self.hidden(x), 0.25, seed=self.gen)

    model = Noisy()
    x = np.ones((50, 2), "float32")
    a, b = model.predict(x, verbose=0), model.predict(x, verbose=0)
    assert set(np.unique(a)) == {0.0, np.float32(2 / 0.75)} and abs((a == 0).mean() - 0.25) < 0.02
    assert not np.array_equal(a, b)


def test_a_draw_of_unknown_shape_on_values_is_a_clear_error():
    with pytest.raises(ValueError, match=r"shape \(None, 2\) has an unknown \(None\) dimension"):
        sk.random.normal((None, 2), seed=1)
    with pytest.raises(NotImplementedError, match=r"same axes of the layer's input, of shape \(None, 50\)"):
        _predict(_drawing(lambda s, x: x + sk.random.normal((50, None), seed=1)))
