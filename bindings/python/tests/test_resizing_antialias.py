"""Resizing and ops.image.resize with `antialias=True` (JAX's kernels widened by the reduction
factor), against real Keras 3 on JAX: every interpolation Keras's resize takes, reductions and
enlargements of odd, even and non-square sizes, crop_to_aspect_ratio and pad_to_aspect_ratio,
both data formats, uint8 and float images, batches and single images; in training and
inference, gradients through the layer in fit, saving both ways, and the ONNX export."""

import numpy as np
import pytest

from conftest import CORE, keras_reference, needs, real_keras

import swiftkeras as keras

pytestmark = needs(*CORE)

INTERPOLATIONS = ("bilinear", "bicubic", "lanczos3", "lanczos5", "nearest")
# (input height, width) -> (target height, width), and the layer's other arguments.
SIZES = [
    ((13, 17), (4, 5), {}),                                   # odd, reduced by ~3.3
    ((12, 16), (5, 3), {}),                                   # even, non-square result
    ((5, 7), (9, 12), {}),                                    # enlarged (antialias changes nothing)
    ((10, 6), (3, 11), {}),                                   # one axis reduced, the other enlarged
    ((9, 9), (9, 4), {}),                                     # one axis unchanged
    ((40, 33), (3, 4), {}),                                   # a large reduction (wide kernels)
    ((12, 20), (5, 5), {"crop_to_aspect_ratio": True}),
    ((20, 8), (4, 6), {"pad_to_aspect_ratio": True, "fill_value": 0.5}),
    ((12, 20), (6, 5), {"pad_to_aspect_ratio": True}),
]
# Layouts: (data_format, dtype, batched), one per case in turn.
LAYOUTS = [("channels_last", "float32", True), ("channels_first", "float32", True),
           ("channels_last", "uint8", True), ("channels_last", "float32", False),
           ("channels_first", "uint8", False), ("channels_first", "float32", False)]
CASES = [(interpolation, *size, *LAYOUTS[i % len(LAYOUTS)])
         for i, (interpolation, size) in enumerate((n, s) for n in INTERPOLATIONS for s in SIZES)]


def _case_id(case):
    interpolation, shape, size, kwargs, data_format, dtype, batched = case
    extra = "-".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    return (f"{interpolation}-{shape[0]}x{shape[1]}-to-{size[0]}x{size[1]}-{data_format}-{dtype}"
            f"-{'batch' if batched else 'single'}{'-' + extra if extra else ''}")


def _images(shape, data_format, dtype, batched, seed=0):
    h, w = shape
    full = (2, h, w, 2) if data_format == "channels_last" else (2, 2, h, w)
    x = np.random.default_rng(seed).uniform(0, 255, full).astype(np.float32).astype(dtype)
    return x if batched else x[0]


def _layer(lib, interpolation, size, kwargs, data_format="channels_last"):
    return lib.layers.Resizing(*size, interpolation=interpolation, antialias=True,
                               data_format=data_format, **kwargs)


def _resized(lib, case):
    """Resizing(antialias=True) of the case's images, by `lib` (Keras or swiftkeras)."""
    interpolation, shape, size, kwargs, data_format, dtype, batched = case
    return np.asarray(_layer(lib, interpolation, size, kwargs, data_format)(_images(shape, data_format, dtype, batched)))


def _keras_outputs(lib):
    """Each case's output in `lib` (scripts/make_keras_reference_fixtures.py resizing_antialias
    writes real Keras's)."""
    return {_case_id(case): [_resized(lib, case)] for case in CASES}


def _close(ours, theirs, what):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, \
        f"{what}: {ours.shape} {ours.dtype} vs Keras {theirs.shape} {theirs.dtype}"
    if ours.dtype == np.uint8:
        # Rounded from float32 sums: a value at .5 may round either way.
        assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1, what
        assert np.mean(ours == theirs) > 0.99, what
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5 * np.abs(theirs).max(), err_msg=what)


@pytest.fixture(scope="module")
def keras_outputs():
    return keras_reference("layers", "keras_resizing_antialias.json")


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_resizing_antialias_matches_keras(case, keras_outputs):
    interpolation, shape, size, kwargs, data_format, dtype, batched = case
    theirs = keras_outputs[_case_id(case)][0]
    layer = _layer(keras, interpolation, size, kwargs, data_format)
    x = _images(shape, data_format, dtype, batched)
    for training in (True, False):
        _close(layer(x, training=training), theirs, f"{_case_id(case)} training={training}")
    # ops.image.resize (the Python op, its own interpolation matrices) agrees with the layer.
    op = np.asarray(keras.ops.image.resize(x.astype(np.float32), size, interpolation=interpolation, antialias=True,
                                           data_format=data_format, **kwargs))
    np.testing.assert_allclose(op, np.asarray(layer(x.astype(np.float32))), rtol=1e-5,
                               atol=1e-5 * float(np.abs(op).max()), err_msg=_case_id(case))


def test_a_case_live_in_keras():
    """The fixture is what Keras computes now (one case of each interpolation, run live; the
    suite's quick-compile XLA flags may move a float32 sum by an ulp)."""
    real = real_keras()
    reference = keras_reference("layers", "keras_resizing_antialias.json")
    for case in CASES[::len(SIZES)]:
        np.testing.assert_allclose(_resized(real, case), reference[_case_id(case)][0], rtol=1e-6)


def test_antialias_widens_a_reduction_only():
    """The test can fail: antialiasing changes a reduction, not an enlargement, nor nearest."""
    x = _images((13, 17), "channels_last", "float32", True)
    for interpolation in INTERPOLATIONS:
        down = [keras.layers.Resizing(4, 5, interpolation=interpolation, antialias=a)(x) for a in (True, False)]
        up = [keras.layers.Resizing(20, 30, interpolation=interpolation, antialias=a)(x) for a in (True, False)]
        assert np.array_equal(up[0], up[1])
        assert np.array_equal(down[0], down[1]) == (interpolation == "nearest"), interpolation


def test_config_and_bad_interpolation_as_keras():
    real = real_keras()
    ours = keras.layers.Resizing(4, 5, interpolation="lanczos5", antialias=True).get_config()
    theirs = real.layers.Resizing(4, 5, interpolation="lanczos5", antialias=True).get_config()
    for key in ("antialias", "interpolation", "height", "width", "crop_to_aspect_ratio", "pad_to_aspect_ratio"):
        assert ours[key] == theirs[key], key
    with pytest.raises(ValueError, match="interpolation"):
        keras.layers.Resizing(4, 5, interpolation="area", antialias=True)(np.zeros((1, 8, 8, 1), np.float32))


def _model(lib, antialias=True):
    """Dense (before Resizing: trained by gradients through it), Resizing, Flatten, Dense."""
    inputs = lib.Input((13, 11, 2))
    x = lib.layers.Dense(3, name="pre")(inputs)
    x = lib.layers.Resizing(5, 4, interpolation="bicubic", antialias=antialias, name="resize")(x)
    x = lib.layers.Resizing(7, 3, interpolation="lanczos3", antialias=antialias, crop_to_aspect_ratio=True,
                            name="crop")(x)
    outputs = lib.layers.Dense(1, name="post")(lib.layers.Flatten()(x))
    return lib.Model(inputs, outputs)


def _fit_data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(6, 13, 11, 2)).astype(np.float32), rng.normal(size=(6, 1)).astype(np.float32)


def test_fit_trains_through_resizing_as_keras():
    """The gradients through antialiased Resizing reach the layer before it: one SGD epoch moves
    its weights as Keras's (jax.grad through jax.image.resize) does."""
    real = real_keras()
    x, y = _fit_data()
    ours, theirs = _model(keras), _model(real)
    start = ours.get_weights()
    theirs.set_weights(start)
    for lib, m in ((keras, ours), (real, theirs)):
        m.compile(optimizer=lib.optimizers.SGD(0.01), loss="mse")
        m.fit(x, y, epochs=2, batch_size=6, shuffle=False, verbose=0)
    assert not np.allclose(ours.get_weights()[0], start[0])   # the layer before Resizing trained
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_gradient_through_resizing_matches_finite_differences():
    """The gradient of the loss in a weight before Resizing (one SGD step of rate 1 moves the
    weight by minus its gradient) against central differences of the evaluated loss."""
    x, y = _fit_data()
    model = _model(keras)
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    start = model.get_weights()
    model.fit(x, y, epochs=1, batch_size=6, shuffle=False, verbose=0)
    gradient = start[0] - model.get_weights()[0]
    assert np.abs(gradient).max() > 1e-3   # the weights before Resizing are trained
    eps = 1e-2
    for index in [(0, 0), (1, 2), (0, 1)]:
        losses = []
        for sign in (1, -1):
            w = [v.copy() for v in start]
            w[0][index] += sign * eps
            model.set_weights(w)
            losses.append(model.evaluate(x, y, batch_size=6, verbose=0))
        numeric = (losses[0] - losses[1]) / (2 * eps)
        np.testing.assert_allclose(gradient[index], numeric, rtol=2e-2, atol=1e-4)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_saved_both_ways_with_keras(tmp_path, ext):
    real = real_keras()
    x, _ = _fit_data()
    ours = _model(keras)
    ours.save(tmp_path / f"ours.{ext}")
    loaded = real.models.load_model(tmp_path / f"ours.{ext}")
    assert loaded.get_layer("resize").antialias is True
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), ours.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-5)
    loaded.save(tmp_path / f"theirs.{ext}")
    back = keras.models.load_model(tmp_path / f"theirs.{ext}")
    assert back.get_layer("crop").get_config()["antialias"] is True
    np.testing.assert_allclose(back.predict(x, verbose=0), np.asarray(loaded.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-5)
