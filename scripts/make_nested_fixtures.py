"""Writes the nested-layer fixtures with real Keras 3: a custom block of two Dense layers.

Run: KERAS_BACKEND=jax .venv/bin/python scripts/make_nested_fixtures.py
Output: Tests/KerasTests/Fixtures/saving/nested_block.{keras,h5,weights.h5,json,expected.json}
(a functional model x → TwoDense → Dense), nested_block_seq.{h5,expected.json} (the same in
a Sequential model) and nested_model_seq.{h5,expected.json} (a Sequential inside a Sequential). Besides inputs and predictions, expected.json records what Keras reports
for the nested layer: variable paths, trainable weights with the first layer frozen, the `vars` groups
of the `.keras` weights file and the legacy `.h5` weight names. The Swift twin of `TwoDense` is
in Tests/KerasTests/Layers/NestedLayerTests.swift; Tests/interop/test_nested_in_keras.py imports
the class from here to load the files Swift writes.
"""
import io
import json
import os
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "saving")


@keras.saving.register_keras_serializable(package="swiftkeras_test", name="TwoDense")
class TwoDense(keras.layers.Layer):
    """relu(x W1 + b1) W2 + b2: a layer holding two Dense layers in attributes."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.first = keras.layers.Dense(units, activation="relu")
        self.second = keras.layers.Dense(units)

    def build(self, input_shape):
        self.first.build(input_shape)
        self.second.build(tuple(input_shape[:-1]) + (self.units,))

    def call(self, x):
        return self.second(self.first(x))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def functional():
    x = keras.Input((3,), name="x")
    out = keras.layers.Dense(2, name="head")(TwoDense(4, name="block")(x))
    return keras.Model(x, out, name="nested_block")


def sequential():
    return keras.Sequential([keras.Input((3,)), TwoDense(4, name="block"), keras.layers.Dense(2, name="head")],
                            name="nested_block_seq")


def nested_model():
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)], name="inner")
    return keras.Sequential([keras.Input((3,)), inner, keras.layers.Dense(1, name="head")], name="outer")


def weights_groups(path):
    with zipfile.ZipFile(path) as z:
        f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        groups = []
        f.visititems(lambda n, o: groups.append(n) if n.endswith("vars") and not n.startswith("optimizer") else None)
        return sorted(groups)


def legacy_names(path):
    with h5py.File(path, "r") as f:
        g = f["model_weights"]
        return {n: [w.decode() if isinstance(w, bytes) else w for w in g[n].attrs["weight_names"]]
                for n in g.attrs["layer_names"]}


def write(model, name, formats, rng):
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    x = rng.normal(size=(16, 3)).astype("float32")
    model.fit(x, rng.normal(size=(16, 2)).astype("float32"), epochs=2, batch_size=4, verbose=0)
    block = next(l for l in model.layers if l.name in ("block", "inner"))
    block.trainable = False
    frozen = [v.path for v in model.trainable_weights]
    block.trainable = True
    base = os.path.join(OUT, name)
    for ext in formats:
        if ext == "json":
            with open(base + ".json", "w") as f:
                f.write(model.to_json())
        elif ext == "weights.h5":
            model.save_weights(base + ".weights.h5")
        else:
            model.save(f"{base}.{ext}")
    info = {
        "inputs": [x[:5].tolist()],
        "outputs": [model.predict(x[:5], verbose=0).tolist()],
        "weights": [v.path for v in model.weights],
        "trainable_weights_block_frozen": frozen,
        "h5_weight_names": legacy_names(base + ".h5"),
    }
    if "keras" in formats:
        info["keras_vars_groups"] = weights_groups(base + ".keras")
    with open(base + ".expected.json", "w") as f:
        json.dump(info, f, indent=1)


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(5)
    keras.backend.clear_session()
    write(functional(), "nested_block", ["keras", "h5", "weights.h5", "json"], np.random.default_rng(5))
    keras.backend.clear_session()
    write(sequential(), "nested_block_seq", ["h5"], np.random.default_rng(6))
    keras.backend.clear_session()
    write(nested_model(), "nested_model_seq", ["h5"], np.random.default_rng(7))


if __name__ == "__main__":
    main()
