"""keras.layers.SpectralNormalization against real Keras 3 (jax backend): the wrapped layer's
output at inference, an eager training call's output and the kernel and vector_u it assigns
(power iteration from vector_u), what fit leaves (Keras's jax trainer keeps vector_u's update and
discards the kernel's, which the optimizer moves by the gradient through the normalization),
configs, weight lists and .keras/.h5/.weights.h5 files both ways, and the training step's
gradient against central differences of the normalized forward."""

import json

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

RS = np.random.RandomState(4)
X = RS.normal(size=(8, 4)).astype("float32")
Y = RS.normal(size=(8, 2)).astype("float32")
IMAGES = RS.normal(size=(3, 6, 6, 2)).astype("float32")
TOKENS = RS.randint(0, 7, size=(5, 3)).astype("int32")


def _inner(lib, kind):
    if kind == "dense":
        return lib.layers.Dense(3, name="inner"), (4,), X
    if kind == "conv":
        return lib.layers.Conv2D(2, 3, name="inner"), (6, 6, 2), IMAGES
    return lib.layers.Embedding(7, 3, name="inner"), (3,), TOKENS


def _model(lib, kind, power_iterations=1):
    inner, shape, x = _inner(lib, kind)
    inputs = lib.Input(shape, dtype="int32" if kind == "embedding" else "float32")
    h = lib.layers.SpectralNormalization(inner, power_iterations=power_iterations, name="sn")(inputs)
    out = lib.layers.Dense(2, name="out")(lib.layers.Flatten(name="flat")(h))
    return lib.Model(inputs, out, name="spectral"), x


def _pair(kind, power_iterations=1):
    keras.utils.set_random_seed(3)
    ref, x = _model(keras, kind, power_iterations)
    ours, _ = _model(sk, kind, power_iterations)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    return ours, ref, x


def test_weights_are_listed_as_keras_lists_them():
    ours, ref, _ = _pair("dense")
    want = [(v.path, tuple(v.shape), v.trainable) for v in ref.get_layer("sn").weights]
    got = [(v.path, tuple(v.shape), v.trainable) for v in ours.get_layer("sn").weights]
    assert got == want   # the kernel first and once, vector_u, the bias
    assert [v.path for v in ours.trainable_weights] == [v.path for v in ref.trainable_weights]
    assert [v.path for v in ours.non_trainable_weights] == [v.path for v in ref.non_trainable_weights]


# Keras casts the wrapper's output to its input's dtype: a wrapped Embedding's vectors come out
# truncated to int32 (zeros, mostly); the library keeps them as floats, so that case compares
# the weights an eager training call leaves, not its output.
@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_inference_is_the_wrapped_layer(kind):
    ours, ref, x = _pair(kind)
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind,iterations", [("dense", 1), ("conv", 2), ("embedding", 3)])
def test_eager_training_calls_normalize_and_assign_as_keras(kind, iterations):
    ours, ref, x = _pair(kind, iterations)
    for _ in range(2):   # the second call starts from the first's vector_u and kernel
        got, want = np.asarray(ours(x, training=True)), np.asarray(ref(x, training=True))
        if kind != "embedding":
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        for a, b in zip(ours.get_weights(), ref.get_weights()):
            np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    # The normalized kernel's largest singular value is about 1 (one power step per call).
    kernel = ours.get_layer("sn").get_weights()[0]
    assert abs(np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0] - 1) < 0.2


def test_a_zero_kernel_is_left_as_it_is():
    ours, ref, x = _pair("dense")
    for m in (ours, ref):
        m.get_layer("sn").set_weights([np.zeros((4, 3), "float32"), np.full((1, 3), 0.5, "float32"),
                                       np.ones(3, "float32")])
        m(x, training=True)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))


@pytest.mark.parametrize("kind,iterations", [("dense", 1), ("conv", 3), ("embedding", 2)])
def test_normalized_weights_are_kerass_and_assign_nothing(kind, iterations):
    """`normalized_weights()`: (vector_u after the power iteration, the kernel divided by its
    estimated largest singular value) for the same kernel and vector_u as Keras's; the
    layer's weights stay as they were."""
    ours, ref, x = _pair(kind, iterations)
    before = ours.get_weights()
    got, want = ours.get_layer("sn").normalized_weights(), ref.get_layer("sn").normalized_weights()
    assert [np.shape(a) for a in got] == [tuple(np.shape(b)) for b in want]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    for a, b in zip(ours.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    kernel = got[1]   # (about 1 after a few steps; the kernel's own is not)
    assert abs(np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0] - 1) < 0.2
    # The next eager training call assigns what it gives.
    ours(x, training=True)
    weights = {v.path.split("/")[-1]: np.asarray(v.numpy()) for v in ours.get_layer("sn").weights}
    np.testing.assert_allclose(weights["vector_u"], got[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(weights["kernel" if kind != "embedding" else "embeddings"], got[1], rtol=1e-6, atol=1e-7)


def test_normalized_weights_of_an_unbuilt_layer_are_refused():
    with pytest.raises(ValueError, match="not built"):
        sk.layers.SpectralNormalization(sk.layers.Dense(2)).normalized_weights()


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_fit_leaves_what_keras_jax_trainer_leaves(kind):
    ours, ref, x = _pair(kind)
    y = RS.normal(size=(len(x), 2)).astype("float32")
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.1), "mse")
        m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b, v in zip(ours.get_weights(), ref.get_weights(), ref.weights):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-5, err_msg=v.path)
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)), rtol=1e-5, atol=1e-5)


def test_training_step_gradient_matches_central_differences():
    """One SGD step (lr 1) moves the kernel by the gradient of the loss of the normalized
    forward; with enough power iterations (u and v converged, where σ is stationary in them)
    that equals the central difference of the eager training call's loss."""
    x = RS.normal(size=(6, 4)).astype("float32")
    y = RS.normal(size=(6, 3)).astype("float32")
    inputs = sk.Input((4,))
    model = sk.Model(inputs, sk.layers.SpectralNormalization(sk.layers.Dense(3), power_iterations=60)(inputs))
    rng = np.random.default_rng(0)
    start = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()]
    model.compile(sk.optimizers.SGD(1.0), "mse")
    model.set_weights(start)
    model.train_on_batch(x, y)
    analytic = start[0] - model.get_weights()[0]

    def loss(kernel):
        model.set_weights([kernel] + start[1:])
        out = np.asarray(model(x, training=True), dtype=np.float64)
        return float(np.mean((out - y) ** 2))
    h = 1e-3
    for j in range(start[0].size):
        trial = [start[0].copy(), start[0].copy()]
        trial[0].reshape(-1)[j] += h
        trial[1].reshape(-1)[j] -= h
        numeric = (loss(trial[0]) - loss(trial[1])) / (2 * h)
        assert abs(analytic.reshape(-1)[j] - numeric) <= 2e-3 + 3e-2 * abs(numeric), (j, analytic.reshape(-1)[j], numeric)


def test_config_and_refusals_as_keras():
    ours = sk.layers.SpectralNormalization(sk.layers.Dense(3, name="d"), power_iterations=2, name="sn")
    ref = keras.layers.SpectralNormalization(keras.layers.Dense(3, name="d"), power_iterations=2, name="sn")
    got, want = ours.get_config(), ref.get_config()
    assert got["power_iterations"] == want["power_iterations"] == 2
    assert got["layer"]["class_name"] == want["layer"]["class_name"] == "Dense"
    assert got["layer"]["config"]["units"] == 3
    assert isinstance(ours, sk.layers.Wrapper)
    back = keras.layers.SpectralNormalization.from_config(json.loads(json.dumps(got)))
    assert back.power_iterations == 2 and back.layer.units == 3
    again = sk.layers.SpectralNormalization.from_config(want)
    assert again.get_config()["power_iterations"] == 2
    with pytest.raises(ValueError, match="power_iterations"):
        keras.layers.SpectralNormalization(keras.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="power_iterations"):
        sk.layers.SpectralNormalization(sk.layers.Dense(2), power_iterations=0)(X)
    with pytest.raises(ValueError, match="kernel"):
        keras.layers.SpectralNormalization(keras.layers.Flatten())(X)
    with pytest.raises(ValueError, match="kernel"):
        sk.layers.SpectralNormalization(sk.layers.Flatten())(X)


@pytest.mark.parametrize("ext", ["keras", "h5", "weights.h5"])
def test_files_load_both_ways(tmp_path, ext):
    ours, ref, x = _pair("conv", 2)
    for m in (ours, ref):   # a training call, so that vector_u and the kernel moved
        m(x, training=True)
    want = np.asarray(ref.predict(x, verbose=0))
    if ext == "weights.h5":
        ref.save_weights(tmp_path / "theirs.weights.h5")
        fresh, _ = _model(sk, "conv", 2)
        fresh.load_weights(tmp_path / "theirs.weights.h5")
        np.testing.assert_allclose(fresh.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
        ours.save_weights(tmp_path / "ours.weights.h5")
        other, _ = _model(keras, "conv", 2)
        other.load_weights(tmp_path / "ours.weights.h5")
        np.testing.assert_allclose(np.asarray(other.predict(x, verbose=0)), want, rtol=1e-5, atol=1e-5)
        return
    ref.save(tmp_path / f"theirs.{ext}")
    loaded = sk.models.load_model(tmp_path / f"theirs.{ext}", compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
    for a, b in zip(loaded.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-6, atol=1e-7)
    ours.save(tmp_path / f"ours.{ext}")
    back = keras.models.load_model(tmp_path / f"ours.{ext}", compile=False)
    np.testing.assert_allclose(np.asarray(back.predict(x, verbose=0)), want, rtol=1e-5, atol=1e-5)
    for a, b in zip(back.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)


def test_the_wrapped_layers_mask_passes_on_as_in_keras():
    """Keras's wrapper calls the wrapped layer on the input carrying the mask, and its output
    keeps the mask the wrapped layer gives it (Dense passes it on): an LSTM after
    SpectralNormalization(Dense) skips the padded steps, as Keras's does."""
    tokens = np.array([[1, 2, 0, 0], [3, 0, 0, 0], [4, 4, 1, 0]], np.int32)
    outs = []
    for lib in (sk, keras):
        layers = lib.layers
        model = lib.Sequential([lib.Input((4,), dtype="int32"), layers.Embedding(5, 2, mask_zero=True),
                                layers.SpectralNormalization(layers.Dense(3)), layers.LSTM(2)])
        model.set_weights([np.linspace(-0.7, 0.8, w.size, dtype="float32").reshape(w.shape) for w in model.get_weights()])
        outs.append(np.asarray(model.predict(tokens, verbose=0)))
        unmasked = lib.Sequential([lib.Input((4,), dtype="int32"), layers.Embedding(5, 2),
                                   layers.SpectralNormalization(layers.Dense(3)), layers.LSTM(2)])
        unmasked.set_weights(model.get_weights())
        outs.append(np.asarray(unmasked.predict(tokens, verbose=0)))
    np.testing.assert_allclose(outs[0], outs[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[1], outs[3], rtol=1e-5, atol=1e-6)
    assert not np.allclose(outs[2], outs[3], atol=1e-3)   # (the mask matters)
