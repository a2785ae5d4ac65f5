"""Writes the saving fixtures with real Keras 3 (and hand-made Keras 2 style files with h5py).

Run: KERAS_BACKEND=jax .venv/bin/python scripts/make_saving_fixtures.py
Output: Tests/KerasTests/Fixtures/saving/ — for each model NAME: NAME.keras, NAME.h5,
NAME.weights.h5, NAME.json (to_json) and NAME.expected.json ({"inputs": [...], "outputs": [...]}
with Keras's predictions). The Swift tests (Tests/KerasTests/Saving/KerasFixtureTests.swift) load
every file and compare predictions to 1e-5.

Add a model for each new layer kind to MODELS as layers land in the Swift library.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "saving")
rng = np.random.default_rng(7)


@keras.saving.register_keras_serializable(package="Custom")
class Scale(keras.layers.Layer):
    """y = x * w (one weight per feature); the Swift tests define the same layer."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w


def dense_sequential():
    m = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01)),
        keras.layers.Dense(6, activation="tanh", use_bias=False),
        keras.layers.Dense(3, activation="softmax", kernel_initializer="he_normal"),
    ], name="dense_stack")
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(32, 4)).astype("float32")
    m.fit(x, rng.integers(0, 3, 32), epochs=2, batch_size=8, verbose=0)
    return m, [x[:5]]


def functional_two_heads():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    x = keras.layers.Dense(5, activation="sigmoid", name="d1")(a)
    y = keras.layers.Dense(5, activation="elu", name="d2")(b)
    shared = keras.layers.Dense(4, activation="relu", name="shared")
    o1 = keras.layers.Dense(2, name="o1")(shared(x))
    o2 = keras.layers.Dense(1, activation="sigmoid", name="o2")(shared(y))
    m = keras.Model([a, b], [o1, o2], name="two_heads")
    m.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss=["mse", "binary_crossentropy"])
    xa = rng.normal(size=(16, 4)).astype("float32")
    xb = rng.normal(size=(16, 3)).astype("float32")
    m.fit([xa, xb], [rng.normal(size=(16, 2)), rng.integers(0, 2, (16, 1))], epochs=1, verbose=0)
    return m, [xa[:4], xb[:4]]


def custom_layer():
    m = keras.Sequential([keras.Input((3,)), Scale(name="scale"), keras.layers.Dense(2)], name="custom")
    m.compile(optimizer="rmsprop", loss="mse")
    x = rng.normal(size=(8, 3)).astype("float32")
    m.fit(x, rng.normal(size=(8, 2)), epochs=1, verbose=0)
    return m, [x[:3]]


def core_layers():
    L = keras.layers
    m = keras.Sequential([
        keras.Input((2, 3)), L.Rescaling(0.5, offset=0.1), L.Permute((2, 1)), L.Reshape((6,)),
        L.Dense(8), L.LeakyReLU(negative_slope=0.1), L.Dropout(0.2), L.Dense(6), L.ReLU(max_value=5.0),
        L.ELU(alpha=0.7), L.ActivityRegularization(l1=0.01), L.Reshape((2, 3)), L.Flatten(), L.RepeatVector(2),
        L.Flatten(), L.Dense(4), L.PReLU(), L.Dense(3), L.ThresholdedReLU(theta=0.1) if hasattr(L, "ThresholdedReLU") else L.Activation("relu"),
        L.Dense(3), L.Softmax(), L.Activation("linear"),
    ], name="core_layers")
    m.compile(optimizer="adam", loss="categorical_crossentropy")
    x = rng.normal(size=(16, 2, 3)).astype("float32")
    m.fit(x, np.eye(3)[rng.integers(0, 3, 16)], epochs=1, verbose=0)
    return m, [x[:4]]


def concat_functional():
    a = keras.Input((3,), name="left")
    b = keras.Input((2,), name="right")
    x = keras.layers.Dense(4, activation="relu", name="dl")(a)
    y = keras.layers.Dense(4, activation="tanh", name="dr")(b)
    z = keras.layers.Concatenate(name="cat")([x, y, a])
    out = keras.layers.Dense(1, name="out")(z)
    m = keras.Model([a, b], out, name="concat")
    m.compile(optimizer="rmsprop", loss="mae", metrics=["mse"])
    xa = rng.normal(size=(8, 3)).astype("float32")
    xb = rng.normal(size=(8, 2)).astype("float32")
    m.fit([xa, xb], rng.normal(size=(8, 1)), epochs=1, verbose=0)
    return m, [xa[:3], xb[:3]]


MODELS = {"core_layers": core_layers, "concat_functional": concat_functional, "dense_sequential": dense_sequential, "functional_two_heads": functional_two_heads,
          "custom_layer": custom_layer}


def expected(name, model, inputs):
    outs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
        json.dump({"inputs": [i.tolist() for i in inputs], "outputs": [np.asarray(o).tolist() for o in outs]}, f)


def keras2_files():
    """Keras 2 style files: batch_input_shape on Dense, names like dense/kernel:0, fixed-length
    byte-string attributes, backend tensorflow, and layer_names split into chunks."""
    w1 = rng.normal(size=(4, 5)).astype("float32")
    b1 = rng.normal(size=(5,)).astype("float32")
    w2 = rng.normal(size=(5, 2)).astype("float32")
    b2 = rng.normal(size=(2,)).astype("float32")
    config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
        {"class_name": "Dense", "config": {
            "name": "dense_1", "trainable": True, "batch_input_shape": [None, 4], "dtype": "float32",
            "units": 5, "activation": "relu", "use_bias": True,
            "kernel_initializer": {"class_name": "VarianceScaling",
                                   "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}},
        {"class_name": "Dense", "config": {
            "name": "dense_2", "trainable": True, "units": 2, "activation": "softmax", "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}}]},
        "keras_version": "2.4.0", "backend": "tensorflow"}
    with open(os.path.join(OUT, "keras2_sequential.json"), "w") as f:
        json.dump(config, f)
    training = {"optimizer_config": {"class_name": "SGD", "config": {"name": "SGD", "learning_rate": 0.01,
                "decay": 0.0, "momentum": 0.0, "nesterov": False}}, "loss": "categorical_crossentropy",
                "metrics": ["accuracy"], "weighted_metrics": None, "loss_weights": None, "sample_weight_mode": None}
    with h5py.File(os.path.join(OUT, "keras2_sequential.h5"), "w") as f:
        f.attrs["keras_version"] = b"2.4.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["training_config"] = json.dumps(training).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names0"] = np.array([b"dense_1"])
        g.attrs["layer_names1"] = np.array([b"dense_2"])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.4.0"
        for name, (w, b) in {"dense_1": (w1, b1), "dense_2": (w2, b2)}.items():
            lg = g.create_group(name)
            lg.attrs["weight_names0"] = np.array([f"{name}/kernel:0".encode()])
            lg.attrs["weight_names1"] = np.array([f"{name}/bias:0".encode()])
            lg.create_dataset(f"{name}/kernel:0", data=w)
            lg.create_dataset(f"{name}/bias:0", data=b)
    x = rng.normal(size=(3, 4)).astype("float32")
    h = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    e = np.exp(h - h.max(axis=1, keepdims=True))
    with open(os.path.join(OUT, "keras2_sequential.expected.json"), "w") as f:
        json.dump({"inputs": [x.tolist()], "outputs": [(e / e.sum(axis=1, keepdims=True)).tolist()]}, f)
    # Keras 3 cannot run this file (it rebuilds the Dense with input shape (None, None, 4), see
    # reference/keras-formats.md), so the expected outputs are computed with numpy above.


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make in MODELS.items():
        keras.utils.set_random_seed(1)
        model, inputs = make()
        model.save(os.path.join(OUT, name + ".keras"))
        model.save_weights(os.path.join(OUT, name + ".weights.h5"))
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            f.write(model.to_json())
        expected(name, model, inputs)
        # Saved last: Keras's .h5 writer pops the optimizer out of the live compile config.
        model.save(os.path.join(OUT, name + ".h5"))
    keras2_files()


if __name__ == "__main__":
    main()
