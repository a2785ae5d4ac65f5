"""A functional model's layers have their weights as soon as `keras.Model(inputs, outputs)` is
made, as in Keras (a layer called on Inputs is built by the call): `model.layers[i]
.get_weights()`, `set_weights`, `layer.kernel` and `layer.weights` work before any predict or
fit, and the weights set then are the ones the model (and another model sharing the layer)
computes with. Before, they read as empty until the model's first use."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

RS = np.random.RandomState(3)
X = RS.normal(size=(6, 4)).astype("float32")


def _encoder_autoencoder(k):
    inp = k.Input((4,))
    hidden = k.layers.Dense(3, activation="tanh", name="enc")
    z = hidden(inp)
    out = k.layers.Dense(4, name="dec")(z)
    return k.Model(inp, z), k.Model(inp, out), hidden


def _attention_model(k):
    q, v = k.Input((4, 3)), k.Input((5, 3))
    out = k.layers.AdditiveAttention(name="att")([k.layers.Masking()(q), k.layers.Masking()(v)])
    return k.Model([q, v], out)


def _shape_read_while_building(k):
    """A tensor's shape read before the model is made (the library builds a probe model for
    it, which is not the model the layers are built in)."""
    inp = k.Input((5, 8))
    x = k.layers.Dense(4, name="proj")(inp)
    out = k.layers.MultiHeadAttention(2, 2, name="mha")(x, x)
    assert tuple(out.shape) == (None, 5, 4)
    return k.Model(inp, out)


@pytest.mark.parametrize("build", [_encoder_autoencoder, _attention_model, _shape_read_while_building],
                         ids=["dense", "attention", "shape_read"])
def test_weights_listed_as_soon_as_the_model_is_made(build):
    def shapes(k):
        made = build(k)
        model = made[1] if isinstance(made, tuple) else made
        return [[tuple(w.shape) for w in layer.get_weights()] for layer in model.layers], \
            [[w.path for w in layer.weights] for layer in model.layers]
    assert shapes(sk) == shapes(keras)


def test_weights_set_before_first_use_are_the_models():
    """`model.layers[i].set_weights` right after the model is made (transfer learning's first
    step), then the layer's kernel read by name and another model sharing the layer: the same
    numbers as Keras's."""
    results = []
    for k in (keras, sk):
        encoder, autoencoder, hidden = _encoder_autoencoder(k)
        kernel = np.arange(12, dtype="float32").reshape(4, 3) / 10
        encoder.layers[1].set_weights([kernel, np.full(3, 0.5, "float32")])
        autoencoder.layers[2].set_weights([np.ones((3, 4), "float32"), np.zeros(4, "float32")])
        results.append((np.asarray(hidden.kernel), encoder.predict(X, verbose=0),
                        autoencoder.predict(X, verbose=0)))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[1][1], np.tanh(X @ (np.arange(12).reshape(4, 3) / 10) + 0.5),
                               rtol=1e-5, atol=1e-6)


def test_attention_scale_set_before_first_use():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 4, 3)).astype("float32")
    v = rng.normal(size=(2, 5, 3)).astype("float32")
    q[0, 3] = 0
    v[1, 2:] = 0
    outs = []
    for k in (keras, sk):
        model = _attention_model(k)
        model.get_layer("att").set_weights([np.array([0.5, 1.0, 1.5], "float32")])
        outs.append(model.predict([q, v], verbose=0))
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)


def test_reprs_as_keras():
    """Models, layers and symbolic tensors print as Keras's (the tensors' own names aside:
    Keras numbers them keras_tensor_N)."""
    def reprs(k):
        inp = k.Input((4,))
        out = k.layers.Dense(3, name="d")(inp)
        model = k.Model(inp, out, name="m")
        given = k.Sequential([k.Input((3,)), k.layers.Dense(2)], name="given")
        later = k.Sequential([k.layers.Dense(2)], name="later")
        shown = [repr(model), repr(model.layers[1]), repr(given), repr(later),
                 repr(k.layers.Dense(2, name="alone"))]
        later(np.ones((1, 3), "float32"))
        shown.append(repr(later))
        return shown + [repr(out).rsplit(", name=", 1)[0]]
    assert reprs(sk) == reprs(keras)


def test_built_and_output_shapes_as_keras():
    """`model.built` is True for a functional model and a Sequential that knows its input as
    soon as they are made; a model of several outputs gives each output's shape."""
    def seen(k):
        a, b = k.Input((3,), name="a"), k.Input((2,), name="b")
        two = k.Model([a, b], [k.layers.Dense(1)(a), k.layers.Dense(2)(b)])
        given = k.Sequential([k.Input((6,)), k.layers.Dense(3)])
        later = k.Sequential([k.layers.Dense(3)])
        return [two.built, given.built, later.built, two.output_shape, given.output_shape,
                two.input_shape, two.get_build_config() is not None]
    assert seen(sk) == seen(keras)
