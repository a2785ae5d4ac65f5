"""ops.image.affine_transform and perspective_transform traced into the library's op graph (one
batched map_coordinates at the coordinates the transform gives): equal to real Keras's eager
results for both interpolations, Keras's fill modes and both data formats, with the transform as
values or symbolic; differentiable in the image (and an affine transform's coefficients) by
central differences; and a traced layer using them trains to Keras's weights."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import ops  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op", "keras_graph_new")

MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
IMAGES = np.random.default_rng(1).uniform(size=(2, 7, 6, 3)).astype(np.float32)


def _transforms():
    """A rotation with scale and shift, and a shear with channel weights (Keras's c0, c1)."""
    a = np.float32(0.35)
    rotate = [1.1 * np.cos(a), -np.sin(a), 1.3, np.sin(a), 0.9 * np.cos(a), -0.7, 0.0, 0.0]
    shear = [1.0, 0.31, -0.45, -0.22, 1.05, 0.83, 0.11, -0.07]
    return np.array([rotate, shear], np.float32)


START = np.array([[[0, 0], [5, 0], [0, 6], [5, 6]], [[1, 0], [5, 1], [0, 6], [4, 5]]], np.float32)
END = np.array([[[0.5, 0.2], [4.6, -0.3], [0.1, 6.4], [5.3, 5.7]],
                [[0.0, 0.0], [5.0, 0.0], [0.0, 6.0], [5.0, 6.0]]], np.float32)


def _traced(fn, *arrays):
    """`fn(*arrays)` traced into a standalone op graph and evaluated by the library."""
    out, _ = ops.jvp(fn, arrays, tuple(np.zeros_like(a) for a in arrays))
    return np.asarray(out)


def _cf(x):
    return np.transpose(x, (0, 3, 1, 2) if x.ndim == 4 else (2, 0, 1))


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill_mode", MODES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_traced_affine_transform_equals_keras(interpolation, fill_mode, data_format):
    images = IMAGES if data_format == "channels_last" else _cf(IMAGES)
    t = _transforms()
    kw = dict(interpolation=interpolation, fill_mode=fill_mode, fill_value=0.25, data_format=data_format)
    ref = np.asarray(keras.ops.image.affine_transform(images, t, **kw))
    # The transform as values (constant coordinates) and as a symbolic input (graph ops).
    np.testing.assert_allclose(_traced(lambda x: ops.image.affine_transform(x, t, **kw), images), ref, atol=1e-5)
    np.testing.assert_allclose(_traced(lambda x, tt: ops.image.affine_transform(x, tt, **kw), images, t),
                               ref, atol=1e-5)
    # A single image and transform.
    ref_one = np.asarray(keras.ops.image.affine_transform(images[1], t[1], **kw))
    np.testing.assert_allclose(_traced(lambda x, tt: ops.image.affine_transform(x, tt, **kw), images[1], t[1]),
                               ref_one, atol=1e-5)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_traced_perspective_transform_equals_keras(interpolation, data_format):
    images = IMAGES if data_format == "channels_last" else _cf(IMAGES)
    kw = dict(interpolation=interpolation, fill_value=0.4, data_format=data_format)
    ref = np.asarray(keras.ops.image.perspective_transform(images, START, END, **kw))
    np.testing.assert_allclose(_traced(lambda x: ops.image.perspective_transform(x, START, END, **kw), images),
                               ref, atol=1e-5)
    ref_one = np.asarray(keras.ops.image.perspective_transform(images[0], START[0], END[0], **kw))
    np.testing.assert_allclose(
        _traced(lambda x: ops.image.perspective_transform(x, START[0], END[0], **kw), images[0]), ref_one, atol=1e-5)


def _central(fn, primals, tangents, h=1e-3):
    plus = fn(*[p + h * t for p, t in zip(primals, tangents)])
    minus = fn(*[p - h * t for p, t in zip(primals, tangents)])
    return (np.asarray(plus, np.float64) - np.asarray(minus, np.float64)) / (2 * h)


@pytest.mark.parametrize("fill_mode", MODES)
def test_traced_warps_are_differentiable_in_the_image(fill_mode):
    rng = np.random.default_rng(3)
    t = _transforms()
    ti = rng.normal(size=IMAGES.shape).astype(np.float32)
    for fn in (lambda x: ops.image.affine_transform(x, t, fill_mode=fill_mode, fill_value=0.5),
               lambda x: ops.image.perspective_transform(x, START, END, fill_value=0.5)):
        _, tangent = ops.jvp(fn, (IMAGES,), (ti,))
        np.testing.assert_allclose(tangent, _central(fn, (IMAGES,), (ti,)), atol=2e-3)


def test_traced_affine_transform_is_differentiable_in_its_coefficients():
    import jax
    rng = np.random.default_rng(4)
    t = _transforms()
    tt = rng.normal(size=t.shape).astype(np.float32)
    tt[:, 6:] = 0   # the channel weights move the channel coordinate off its integers (a kink)
    zero = np.zeros_like(IMAGES)
    fn = lambda x, m: ops.image.affine_transform(x, m, fill_mode="nearest")  # noqa: E731
    _, tangent = ops.jvp(fn, (IMAGES, t), (zero, tt))
    # Bilinear sampling is piecewise linear in the coordinates: central differences hold where
    # two step sizes agree (no pixel border crossed), nearly everywhere.
    coarse, fine = (_central(fn, (IMAGES, t), (zero, tt), h=h) for h in (2e-3, 1e-3))
    smooth = np.abs(coarse - fine) < 1e-3
    assert smooth.mean() > 0.9
    np.testing.assert_allclose(np.asarray(tangent)[smooth], fine[smooth], atol=5e-3)
    ref = lambda x, m: keras.ops.image.affine_transform(x, m, fill_mode="nearest")  # noqa: E731
    _, ref_tangent = jax.jvp(ref, (IMAGES, t), (zero, tt))
    np.testing.assert_allclose(tangent, np.asarray(ref_tangent), atol=1e-3)


def _shifter(lib):
    """A layer translating its images by a trainable shift (a symbolic affine transform), then
    a Dense head: Keras's RandomTranslation idea with a learnt offset."""

    class Shift(lib.layers.Layer):
        def build(self, input_shape):
            self.shift = self.add_weight(shape=(2,), initializer="zeros", name="shift")

        def call(self, x):
            one, zero = lib.ops.ones((1,)), lib.ops.zeros((1,))
            t = lib.ops.concatenate([one, zero, self.shift[0:1] + 0.3, zero, one, self.shift[1:2] - 0.2,
                                     zero, zero], axis=0)
            transforms = lib.ops.zeros_like(x[:, 0, 0, 0:1]) + lib.ops.expand_dims(t, 0)   # one per image
            return lib.ops.image.affine_transform(x, transforms, fill_mode="nearest")

    return lib.Sequential([lib.Input((7, 6, 3)), Shift(), lib.layers.Flatten(), lib.layers.Dense(1)])


def test_a_traced_layer_using_affine_transform_trains_like_keras():
    from conftest import assert_traced_and_trains_like_keras, fit_from_drawn_weights
    x = np.random.default_rng(5).uniform(size=(16, 7, 6, 3)).astype(np.float32)
    y = x[:, 2:4, 1:3, :].mean(axis=(1, 2, 3))[:, None]
    ours, ours_loss = fit_from_drawn_weights(sk, _shifter(sk), x, y, learning_rate=0.02)
    ref, ref_loss = fit_from_drawn_weights(keras, _shifter(keras), x, y, learning_rate=0.02)
    assert_traced_and_trains_like_keras(ours, ref, x, ours_loss, ref_loss)
    assert not np.allclose(ours.get_weights()[0], 0)


def test_symbolic_perspective_points_are_refused_clearly():
    class Perspective(sk.layers.Layer):
        def call(self, x):
            points = ops.reshape(ops.mean(x, axis=(1, 2))[:, :2], (-1, 1, 2)) + START[:1]
            return ops.image.perspective_transform(x, points, points)

    model = sk.Sequential([sk.Input((7, 6, 3)), Perspective(), sk.layers.Flatten(), sk.layers.Dense(1)])
    with pytest.raises(NotImplementedError, match="start_points and end_points must be values"):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(IMAGES, np.ones((2, 1), np.float32), verbose=0)
