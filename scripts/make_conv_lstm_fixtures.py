"""Writes Tests/KerasTests/Fixtures/recurrent/conv_lstm*.json, Fixtures/saving/conv_lstm_* and
Fixtures/conv/*_grad.json from real Keras 3 (JAX backend).

Each ConvLSTM JSON holds one layer: its get_config(), its weights (by layer name), the inputs
(sequences, then any initial states), the mask when the case has one, Keras's outputs (several
with return_state) and, for single-output cases, `loss_weights` and the `jax.grad` gradients of
`sum(output * loss_weights)` for the inputs and then the trainable weights. The `*_grad.json`
convolution fixtures hold the same for Conv2D, Conv2DTranspose, SeparableConv2D, DepthwiseConv2D.
The saving fixtures are a ConvLSTM model Keras wrote as .keras / .h5 / .weights.h5 / .json.

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_conv_lstm_fixtures.py
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from make_layer_fixtures import array  # noqa: E402
from make_recurrent_fixtures import save_model  # noqa: E402

HERE = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures")
L = keras.layers
RNG = np.random.default_rng(20261203)


def uniform(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, size=shape).astype(np.float32)


def write(family, name, payload):
    with open(os.path.join(HERE, family, name + ".json"), "w") as f:
        json.dump(payload, f, indent=None, separators=(",", ":"))
        f.write("\n")


def random_weights(layer):
    values = [uniform(*w.shape) for w in layer.weights]
    layer.set_weights(values)
    return {layer.name: [array(v) for v in values]}


def case(family, name, layer, inputs, mask=None, gradients=True):
    """Builds `layer` on `inputs` (a list: sequences then initial states), gives it random
    weights and records its outputs and, for one output, the jax.grad gradients."""
    x, states = inputs[0], inputs[1:]
    kwargs = {}
    if states:
        kwargs["initial_state"] = states
    if mask is not None:
        kwargs["mask"] = mask
    layer(x, **kwargs)
    weights = random_weights(layer)
    out = layer(x, training=False, **kwargs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    payload = {"class_name": type(layer).__name__, "config": layer.get_config(), "weights": weights,
               "inputs": [array(i) for i in inputs], "outputs": [array(o) for o in outs]}
    if mask is not None:
        payload["mask"] = array(np.asarray(mask, dtype=np.float32))
    if gradients and len(outs) == 1 and not states and mask is None:
        r = uniform(*outs[0].shape)
        tv = [v.value for v in layer.trainable_variables]
        ntv = [v.value for v in layer.non_trainable_variables]

        def loss(xs, tv):
            y, _ = layer.stateless_call(tv, ntv, xs[0])
            return (y * r).sum()
        gx, gw = jax.grad(loss, argnums=(0, 1))([x], tv)
        payload["loss_weights"] = array(r)
        payload["gradients"] = [array(g) for g in gx] + [array(g) for g in gw]
    write(family, name, payload)


def conv_lstm_cases():
    x1 = uniform(2, 4, 6, 3)
    case("recurrent", "conv_lstm1d", L.ConvLSTM1D(2, 3, return_sequences=True, name="conv_lstm1d"), [x1])
    case("recurrent", "conv_lstm1d_state", L.ConvLSTM1D(2, 2, strides=2, padding="same", return_state=True,
                                                        name="conv_lstm1d_state"), [x1])
    x2 = uniform(2, 3, 5, 5, 2)
    case("recurrent", "conv_lstm2d", L.ConvLSTM2D(2, (2, 3), name="conv_lstm2d"), [x2])
    case("recurrent", "conv_lstm2d_same_strides_state",
         L.ConvLSTM2D(3, 3, strides=2, padding="same", return_sequences=True, return_state=True,
                      name="conv_lstm2d_same_strides_state"), [x2])
    case("recurrent", "conv_lstm2d_dilation_backwards",
         L.ConvLSTM2D(2, 2, dilation_rate=2, go_backwards=True, return_sequences=True,
                      name="conv_lstm2d_dilation_backwards"), [x2])
    case("recurrent", "conv_lstm2d_channels_first",
         L.ConvLSTM2D(2, 3, padding="same", data_format="channels_first", use_bias=False, activation="relu",
                      recurrent_activation="hard_sigmoid", return_sequences=True, name="conv_lstm2d_channels_first"),
         [uniform(2, 3, 2, 4, 5)])
    # No masked case: Keras 3's JAX ConvLSTM fails on a mask (its scan broadcasts (batch, 1) masks).
    h, c = uniform(2, 4, 4, 2), uniform(2, 4, 4, 2)
    case("recurrent", "conv_lstm2d_initial_state", L.ConvLSTM2D(2, 2, return_state=True, name="conv_lstm2d_initial_state"),
         [x2, h, c])
    x3 = uniform(1, 3, 4, 4, 3, 2)
    case("recurrent", "conv_lstm3d", L.ConvLSTM3D(2, 2, padding="same", return_sequences=True, name="conv_lstm3d"), [x3])
    # Default configs (untouched initializers) for config equality.
    configs = []
    for cls, x in ((L.ConvLSTM1D, x1), (L.ConvLSTM2D, x2), (L.ConvLSTM3D, x3)):
        layer = cls(4, 2, dropout=0.25, recurrent_dropout=0.5, seed=3, unit_forget_bias=False)
        layer(x)
        configs.append({"class_name": cls.__name__, "config": layer.get_config(),
                        "weight_paths": [w.path for w in layer.weights], "weight_shapes": [list(w.shape) for w in layer.weights]})
    write("recurrent", "conv_lstm_configs", {"configs": configs})


def conv_gradient_cases():
    x = uniform(2, 6, 5, 3)
    case("conv", "conv2d_grad", L.Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="tanh",
                                         name="conv2d_grad"), [x])
    case("conv", "conv2d_transpose_grad", L.Conv2DTranspose(3, 3, strides=2, padding="same", name="conv2d_transpose_grad"),
         [x])
    case("conv", "separable_conv2d_grad", L.SeparableConv2D(4, 2, depth_multiplier=2, dilation_rate=2,
                                                            name="separable_conv2d_grad"), [x])
    case("conv", "depthwise_conv2d_grad", L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu",
                                                            name="depthwise_conv2d_grad"), [x])


def saving_cases():
    keras.utils.set_random_seed(5)
    save_model(keras.Sequential([keras.Input((3, 5, 5, 2)),
                                 L.ConvLSTM2D(3, 3, padding="same", return_sequences=True, name="conv_lstm2d"),
                                 L.ConvLSTM2D(2, 2, name="conv_lstm2d_1"), L.Flatten(name="flatten"),
                                 L.Dense(1, name="head")], name="conv_lstm_model"),
               "conv_lstm_model", uniform(2, 3, 5, 5, 2))
    save_model(keras.Sequential([keras.Input((4, 6, 2)), L.ConvLSTM1D(2, 3, return_sequences=True, name="conv_lstm1d"),
                                 L.ConvLSTM1D(2, 2, go_backwards=True, name="conv_lstm1d_1"),
                                 L.Flatten(name="flatten"), L.Dense(1, name="head")], name="conv_lstm1d_model"),
               "conv_lstm1d_model", uniform(2, 4, 6, 2))


def main():
    conv_lstm_cases()
    conv_gradient_cases()
    saving_cases()


if __name__ == "__main__":
    main()
