#!/usr/bin/env python3
"""Writes the layer-graph fixtures with real Keras 3 (JAX backend): a mask from Masking reaching
the loss and metrics (evaluate and one training step), and a functional model whose custom layer
returns two tensors, as Keras writes it with to_json.
Run: KERAS_BACKEND=jax python scripts/make_graph_fixtures.py"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "KerasTests" / "Fixtures" / "graph"


def tensor(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": a.reshape(-1).tolist()}


def write(name, obj):
    with open(OUT / name, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


@keras.saving.register_keras_serializable(package="SwiftKerasTest")
class Halves(keras.layers.Layer):
    """Returns the first and the second half of the last axis: a layer with two outputs (its
    Swift twin is in Tests/KerasTests/Models/GraphTests.swift; Tests/interop imports this one)."""

    def call(self, x):
        k = x.shape[-1] // 2
        return x[..., :k], x[..., k:]

    def compute_output_shape(self, shape):
        k = shape[-1] // 2
        return (tuple(shape[:-1]) + (k,), tuple(shape[:-1]) + (shape[-1] - k,))


def masking_case():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 5, 3)).astype("float32")
    x[0, 3:] = 0  # padded tail
    x[1, 1] = 0  # one padded step in the middle
    x[2, 0, 0] = 0  # one zero feature: not masked
    y = rng.normal(size=(4, 5, 2)).astype("float32")
    kernel = rng.normal(0, 0.5, (3, 2)).astype("float32")
    bias = rng.normal(0, 0.1, (2,)).astype("float32")
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.Masking(mask_value=0.0), keras.layers.Dense(2)])
    model.set_weights([kernel, bias])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    loss, mae = model.evaluate(x, y, batch_size=4, verbose=0)
    pred = model.predict(x, verbose=0)
    unmasked = float(np.mean((pred - y) ** 2))
    step = model.train_on_batch(x, y, return_dict=True)
    after = model.get_weights()
    write("masking_mse.json", {
        "x": tensor(x), "y": tensor(y), "kernel": tensor(kernel), "bias": tensor(bias),
        "evaluate": {"loss": float(loss), "mae": float(mae)}, "unmasked_mse": unmasked, "predict": tensor(pred),
        # Keras's JAX train step computes metrics on a copy of y_pred that lost its mask, so its
        # "mae" is the unmasked mean there (evaluate's is masked, as with the TensorFlow backend).
        "train_step": {"loss": float(step["loss"]), "mae_jax_unmasked": float(step["mae"])},
        "kernel_after": tensor(after[0]), "bias_after": tensor(after[1]),
    })


def concatenate_mask_case():
    """A masked sequence joined in time with an unmasked one: Concatenate's mask reaches the loss."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4, 2)).astype("float32")
    x[0, 2:] = 0
    x[2, 0] = 0
    z = rng.normal(size=(3, 2, 2)).astype("float32")
    z[1, 1] = 0  # zeros in the unmasked input stay unmasked
    y = rng.normal(size=(3, 6, 1)).astype("float32")
    a, b = keras.Input((4, 2)), keras.Input((2, 2))
    joined = keras.layers.Concatenate(axis=1)([keras.layers.Masking()(a), b])
    dense = keras.layers.Dense(1)
    model = keras.Model([a, b], dense(joined))
    weights = [rng.normal(0, 0.5, (2, 1)).astype("float32"), np.array([0.1], "float32")]
    model.set_weights(weights)
    model.compile(optimizer="sgd", loss="mse")
    write("concatenate_mask.json", {
        "x": tensor(x), "z": tensor(z), "y": tensor(y), "kernel": tensor(weights[0]), "bias": tensor(weights[1]),
        "loss": float(model.evaluate([x, z], y, verbose=0)),
    })


def two_output_case():
    rng = np.random.default_rng(4)
    inp = keras.Input((4,), name="x")
    h = keras.layers.Dense(6, activation="tanh", name="h")(inp)
    a, b = Halves(name="halves")(h)
    o1 = keras.layers.Dense(2, name="o1")(a)
    model = keras.Model(inp, [o1, b], name="two_output")
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    x = rng.normal(size=(3, 4)).astype("float32")
    preds = model.predict(x, verbose=0)
    write("two_output.json", {
        "json": model.to_json(), "weights": [tensor(w) for w in model.get_weights()],
        "x": tensor(x), "outputs": [tensor(p) for p in preds],
    })
    # The same model in Keras's files, for loading here.
    model.save(OUT / "two_output.keras")
    model.save(OUT / "two_output.h5")
    # And Keras reads its own file back (the Swift side must produce a config of the same shape).
    again = keras.models.model_from_json(model.to_json())
    again.set_weights(model.get_weights())
    for p, q in zip(preds, again.predict(x, verbose=0)):
        np.testing.assert_allclose(p, q, atol=1e-6)


if __name__ == "__main__":
    masking_case()
    concatenate_mask_case()
    two_output_case()
    print("wrote", sorted(p.name for p in OUT.iterdir()))
