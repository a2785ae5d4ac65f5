"""Writes Tests/KerasTests/Fixtures/layers/*.json from real Keras 3 (JAX backend).

Each file holds one layer or model: its get_config(), its weights (per layer name), the inputs,
the outputs (inference mode), and for ActivityRegularization the penalty Keras adds in training.
Swift tests rebuild the same layers, load these weights, and compare outputs to 1e-5.

    KERAS_BACKEND=jax /work/refvenv/bin/python scripts/make_layer_fixtures.py
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "layers")
L = keras.layers
RNG = np.random.default_rng(20261123)

# Every name ActivationFunction.builtins knows (Sources/Keras/Activations/ActivationFunction.swift).
ACTIVATIONS = [
    "linear", "relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "elu", "selu",
    "exponential", "hard_sigmoid", "gelu", "silu", "swish", "leaky_relu", "relu6", "log_softmax",
    "mish", "hard_silu", "hard_swish",
]


def array(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def uniform(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape).astype(np.float32)


def set_random_weights(layers):
    """Gives every weight of every layer reproducible random values; returns them by layer name."""
    weights = {}
    for layer in layers:
        values = [uniform(*w.shape, low=-1.0, high=1.0) for w in layer.weights]
        if values:
            layer.set_weights(values)
            weights[layer.name] = [array(v) for v in values]
    return weights


def write(name, payload):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(payload, f, indent=None, separators=(",", ":"))
        f.write("\n")


def layer_case(name, layer, inputs):
    xs = inputs if isinstance(inputs, list) else [inputs]
    out = layer(xs if isinstance(inputs, list) else xs[0], training=False)
    weights = set_random_weights([layer])
    out = layer(xs if isinstance(inputs, list) else xs[0], training=False)
    payload = {
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "weights": weights,
        "inputs": [array(x) for x in xs],
        "outputs": [array(out)],
    }
    write(name, payload)
    return payload


def double_plus_one(x):
    return x * 2.0 + 1.0


def main():
    os.makedirs(OUT, exist_ok=True)
    for act in ACTIVATIONS:
        layer_case(f"dense_{act}", L.Dense(5, activation=act, name=f"dense_{act}"), uniform(4, 3, low=-3, high=3))
    for act in ["relu", "tanh", "softmax", "gelu", "hard_sigmoid"]:
        layer_case(f"activation_{act}", L.Activation(act, name=f"activation_{act}"), uniform(3, 6, low=-4, high=4))
    layer_case("dropout_inference", L.Dropout(0.5, name="dropout_inference"), uniform(3, 4))
    layer_case("dropout_noise_shape", L.Dropout(0.3, noise_shape=(None, 1, 4), seed=3, name="dropout_noise_shape"),
               uniform(2, 3, 4))
    layer_case("flatten", L.Flatten(name="flatten"), uniform(2, 3, 2, 2))
    layer_case("flatten_channels_first", L.Flatten(data_format="channels_first", name="flatten_channels_first"),
               uniform(2, 3, 2, 2))
    layer_case("reshape", L.Reshape((2, -1), name="reshape"), uniform(2, 3, 4))
    layer_case("reshape_known", L.Reshape((4, 3), name="reshape_known"), uniform(2, 12))
    layer_case("permute", L.Permute((2, 1), name="permute"), uniform(2, 5, 3))
    layer_case("permute_rank4", L.Permute((3, 1, 2), name="permute_rank4"), uniform(2, 2, 3, 4))
    layer_case("repeat_vector", L.RepeatVector(3, name="repeat_vector"), uniform(2, 4))
    layer_case("rescaling", L.Rescaling(1.0 / 255, name="rescaling"), uniform(2, 5, low=0, high=255))
    layer_case("rescaling_offset", L.Rescaling(1.0 / 127.5, offset=-1.0, name="rescaling_offset"),
               uniform(2, 5, low=0, high=255))
    layer_case("lambda", L.Lambda(double_plus_one, name="lambda"), uniform(2, 3))
    layer_case("concatenate", L.Concatenate(axis=1, name="concatenate"), [uniform(2, 3, 2), uniform(2, 1, 2)])

    # ActivityRegularization: identity, plus (l1 sum|x| + l2 sum x^2) / batch in training.
    reg = L.ActivityRegularization(l1=0.01, l2=0.02, name="activity_regularization")
    x = uniform(4, 3)
    reg(x, training=True)
    payload = layer_case("activity_regularization", reg, x)
    payload["losses"] = [float(np.asarray(v)) for v in reg.losses]
    write("activity_regularization", payload)

    # A Sequential model through every reshaping layer.
    seq = keras.Sequential([
        keras.Input((4,)),
        L.Dense(6, activation="tanh", name="d1"),
        L.Reshape((3, 2), name="r"),
        L.Permute((2, 1), name="p"),
        L.Flatten(name="f"),
        L.Rescaling(0.5, offset=0.1, name="s"),
        L.Dropout(0.2, name="drop"),
        L.Dense(8, name="d2"),
        L.Activation("relu", name="a"),
        L.Dense(3, activation="softmax", name="d3"),
    ], name="seq")
    weights = set_random_weights(seq.layers)
    x = uniform(5, 4)
    write("sequential", {"class_name": "Sequential", "config": seq.get_config(), "weights": weights,
                         "inputs": [array(x)], "outputs": [array(seq.predict(x, verbose=0))]})

    # A functional model with two inputs and two outputs.
    a_in = keras.Input((4,), name="a_in")
    b_in = keras.Input((3,), name="b_in")
    a = L.Dense(5, activation="relu", name="fa")(a_in)
    b = L.Dense(5, activation="tanh", name="fb")(b_in)
    joined = L.Concatenate(name="join")([a, b])
    out1 = L.Dense(2, activation="softmax", name="out1")(joined)
    out2 = L.Dense(1, name="out2")(L.RepeatVector(2, name="rep")(joined))
    fn = keras.Model([a_in, b_in], [out1, out2], name="two_by_two")
    weights = set_random_weights(fn.layers)
    xa, xb = uniform(3, 4), uniform(3, 3)
    y1, y2 = fn.predict([xa, xb], verbose=0)
    write("functional_two_inputs_two_outputs", {"class_name": "Functional", "weights": weights,
                                                "inputs": [array(xa), array(xb)], "outputs": [array(y1), array(y2)]})
    print("wrote", len(os.listdir(OUT)), "fixtures to", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
