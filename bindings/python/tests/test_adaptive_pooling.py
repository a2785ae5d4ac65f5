"""Keras 3's adaptive poolings (AdaptiveAveragePooling1D-3D, AdaptiveMaxPooling1D-3D) against
real Keras: the same numbers (1e-5) in both data formats, for output sizes that divide the
input, overlap (7 -> 3) and exceed it (3 -> 5); Keras's config; `.keras`, `.h5` and
`.weights.h5` files written by either library load in the other; a model with a pooling
between two Dense layers trains to real Keras's weights. The ops (`ops.adaptive_average_pool`,
`ops.adaptive_max_pool`) traced are the library's own op: Keras's numbers and tangents, finite
differences, any spatial size."""

import numpy as np
import pytest

from conftest import CORE, exec_layers, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

NAMES = [f"Adaptive{k}Pooling{r}D" for k in ("Average", "Max") for r in (1, 2, 3)]
SPATIAL = {1: (7,), 2: (7, 4), 3: (5, 3, 4)}
OUTPUT = {1: 3, 2: (3, 5), 3: (2, 3, 1)}


def _rank(name):
    return int(name[-2])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_forward_matches_keras(name, data_format):
    r = _rank(name)
    channels = 2
    spatial = SPATIAL[r]
    shape = (3,) + (spatial + (channels,) if data_format == "channels_last" else (channels,) + spatial)
    x = np.random.RandomState(r).normal(size=shape).astype("float32")
    ref = getattr(keras.layers, name)(OUTPUT[r], data_format=data_format)
    ours = getattr(sk.layers, name)(OUTPUT[r], data_format=data_format)
    want = np.asarray(ref(x))
    got = sk.Sequential([sk.Input(shape[1:]), ours]).predict(x, verbose=0)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert ours.get_config() == ref.get_config() | {"name": ours.name}
    assert ours.compute_output_shape((None,) + shape[1:]) == ref.compute_output_shape((None,) + shape[1:])


@pytest.mark.parametrize("name", ["AdaptiveAveragePooling1D", "AdaptiveMaxPooling2D"])
def test_an_integer_output_size_is_one_per_axis(name):
    r = _rank(name)
    x = np.random.RandomState(0).normal(size=(2,) + (9,) * r + (3,)).astype("float32")
    want = np.asarray(getattr(keras.layers, name)(4)(x))
    got = sk.Sequential([sk.Input(x.shape[1:]), getattr(sk.layers, name)(4)]).predict(x, verbose=0)
    np.testing.assert_allclose(got, want, atol=1e-5)


def _model(lib, name):
    return lib.Sequential([lib.Input((6, 5, 3)), lib.layers.Dense(4, activation="tanh"),
                           getattr(lib.layers, name)((4, 2)), lib.layers.Flatten(), lib.layers.Dense(2)])


@pytest.mark.parametrize("name", ["AdaptiveAveragePooling2D", "AdaptiveMaxPooling2D"])
def test_training_through_the_pooling_matches_keras(name):
    rs = np.random.RandomState(1)
    x, y = rs.normal(size=(8, 6, 5, 3)).astype("float32"), rs.normal(size=(8, 2)).astype("float32")
    keras.utils.set_random_seed(0)
    ref, ours = _model(keras, name), _model(sk, name)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    for m, lib in ((ref, keras), (ours, sk)):
        m.compile(lib.optimizers.SGD(0.1), "mse")
        m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_files_load_both_ways(tmp_path, suffix):
    x = np.random.RandomState(2).normal(size=(3, 6, 5, 3)).astype("float32")
    theirs = _model(keras, "AdaptiveMaxPooling2D")
    want = np.asarray(theirs.predict(x, verbose=0))
    theirs.save(tmp_path / f"theirs{suffix}")
    loaded = sk.saving.load_model(tmp_path / f"theirs{suffix}", compile=False)
    assert loaded.layers[1].__class__.__name__ == "AdaptiveMaxPooling2D"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, atol=1e-5)
    loaded.save(tmp_path / f"ours{suffix}")
    again = keras.saving.load_model(tmp_path / f"ours{suffix}", compile=False)
    assert again.layers[1].get_config()["output_size"] == (4, 2)
    np.testing.assert_allclose(np.asarray(again.predict(x, verbose=0)), want, atol=1e-5)
    ours, weights = _model(sk, "AdaptiveMaxPooling2D"), str(tmp_path / "w.weights.h5")
    theirs.save_weights(weights)
    ours.load_weights(weights)
    np.testing.assert_allclose(ours.predict(x, verbose=0), want, atol=1e-5)


def test_bad_arguments_name_the_layer():
    with pytest.raises(Exception, match="AdaptiveAveragePooling2D.*output_size"):
        sk.Sequential([sk.Input((5, 5, 3)), sk.layers.AdaptiveAveragePooling2D((2, 2, 2))]).predict(
            np.zeros((1, 5, 5, 3), "float32"), verbose=0)
    with pytest.raises(Exception, match="AdaptiveMaxPooling1D.*output_size"):
        sk.Sequential([sk.Input((5, 3)), sk.layers.AdaptiveMaxPooling1D(0)]).predict(
            np.zeros((1, 5, 3), "float32"), verbose=0)
    with pytest.raises(Exception, match="rank 4"):
        sk.Sequential([sk.Input((5, 3)), sk.layers.AdaptiveMaxPooling2D(2)]).predict(
            np.zeros((1, 5, 3), "float32"), verbose=0)


# ops.adaptive_average_pool / ops.adaptive_max_pool: in a traced function or layer the library's
# own op (either layout, its gradient the library's), eagerly numpy over the same bins.
OP_CASES = [("adaptive_average_pool", (2, 7, 3), 3, "channels_last"),
            ("adaptive_max_pool", (2, 3, 7), 3, "channels_first"),
            ("adaptive_average_pool", (2, 2, 7, 5), (3, 4), "channels_first"),
            ("adaptive_max_pool", (2, 7, 5, 2), (3, 7), "channels_last"),
            ("adaptive_max_pool", (2, 2, 7, 5), 3, "channels_first"),
            ("adaptive_average_pool", (2, 5, 3, 4, 2), (2, 3, 3), "channels_last"),
            ("adaptive_max_pool", (2, 2, 5, 3, 4), (3, 2, 3), "channels_first")]


@pytest.mark.parametrize("op, shape, size, data_format", OP_CASES)
def test_traced_ops_match_keras_and_finite_differences(op, shape, size, data_format):
    import jax
    # Values 0.1 apart, so that no step of the differences below moves a bin's maximum.
    x = (np.random.RandomState(3).permutation(int(np.prod(shape))).reshape(shape) * 0.1).astype("float32")
    t = np.random.RandomState(4).normal(size=shape).astype("float32")

    def fn(v):
        return getattr(sk.ops, op)(v, size, data_format=data_format)

    def ref_fn(v):
        return getattr(keras.ops, op)(v, size, data_format=data_format)

    out, tangent = sk.ops.jvp(fn, (x,), (t,))
    ref_out, ref_tangent = jax.jvp(ref_fn, (x,), (t,))
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref_out), atol=1e-5)
    np.testing.assert_allclose(fn(x), np.asarray(ref_out), atol=1e-5)
    np.testing.assert_allclose(np.asarray(tangent), np.asarray(ref_tangent), atol=1e-4)
    h = 1e-2
    numeric = (fn(x + h * t).astype(np.float64) - fn(x - h * t).astype(np.float64)) / (2 * h)
    np.testing.assert_allclose(np.asarray(tangent), numeric, atol=2e-3)


def test_a_traced_layer_pools_inputs_of_any_spatial_size_like_keras():
    source = '''
class Pools(keras.layers.Layer):
    def call(self, x):
        return ops.concatenate([ops.adaptive_average_pool(x, (2, 3)), ops.adaptive_max_pool(x, (2, 3))], axis=-1)
'''
    # One model of ours for every size (the op's bins are worked out on each input); Keras's
    # JAX backend needs the size when it traces, so one model of its per size.
    ours = sk.Sequential([sk.Input((None, None, 2)), exec_layers(source, sk)["Pools"]()])
    for i, (h, w) in enumerate([(5, 7), (4, 9), (2, 3)]):
        ref = keras.Sequential([keras.Input((h, w, 2)), exec_layers(source, keras)["Pools"]()])
        x = np.random.RandomState(10 + i).normal(size=(3, h, w, 2)).astype("float32")
        np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)), atol=1e-5)


def test_traced_op_refuses_a_bad_output_size():
    def fn(v):
        return sk.ops.adaptive_average_pool(v, (2, 0))

    with pytest.raises(ValueError, match="output_size must be a positive integer or 2 of them, got \\(2, 0\\)"):
        sk.ops.jvp(fn, (np.ones((1, 4, 4, 1), "float32"),), (np.ones((1, 4, 4, 1), "float32"),))
