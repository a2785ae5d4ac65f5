"""Writes, from real Keras 3 (JAX), the initial and trained weights of two models made after
`keras.utils.set_random_seed(SEED)`: a Sequential (Embedding, LSTM, Dropout, Dense), a
functional model (Conv2D, Flatten, Dropout, Dense) and a Sequential of SimpleRNN and GRU with
dropout (Dense after them), each fit 2 epochs with SGD (no shuffling, so
that only the layers' own draws, Dropout's masks, are random). The library's models made from
Swift (KerasSeedTests) and from C (bindings/c/tests/test_keras_seed.c) after its own
set-random-seed call must get the same weights: the seeds Keras takes from Python's `random`
for each unseeded initializer and generator, in its constructors' order.

    KERAS_BACKEND=jax .venv/bin/python scripts/make_keras_seed_fixtures.py   (from outside the checkout's bindings)

Outputs Tests/KerasTests/Fixtures/random/keras_seeded_models.json: for each model name ("seq",
"fun", "rnn"), flat lists `<name>_x`, `<name>_y` (the data, shapes `<name>_x_shape`, ...), and the
weights in `model.weights` order, concatenated (`<name>_initial`, `<name>_trained`) with their
paths and shapes (`<name>_paths`, `<name>_shapes`); and keras_seeded_functional.json, the
functional model's `to_json()` (unseeded: `"seed": null`), which the C test makes its model from.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

SEED = 1234
ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "random")

layers = keras.layers
keras.utils.set_random_seed(SEED)
models = {
    "seq": keras.Sequential([keras.Input((5,)), layers.Embedding(10, 4), layers.LSTM(3),
                             layers.Dropout(0.5), layers.Dense(2)]),
}
inputs = keras.Input((6, 6, 2))
hidden = layers.Conv2D(3, 3, activation="relu")(inputs)
hidden = layers.Dropout(0.3)(layers.Flatten()(hidden))
models["fun"] = keras.Model(inputs, layers.Dense(1)(hidden))
# SimpleRNNCell makes its generator before its initializers, GRUCell after them.
models["rnn"] = keras.Sequential([keras.Input((4, 3)), layers.SimpleRNN(3, return_sequences=True, dropout=0.25),
                                  layers.GRU(2, recurrent_dropout=0.25), layers.Dense(1)])

rows = np.random.RandomState(0)
data = {"seq": (rows.randint(0, 10, (8, 5)).astype("float32"), rows.rand(8, 2).astype("float32")),
        "fun": (rows.rand(8, 6, 6, 2).astype("float32"), rows.rand(8, 1).astype("float32")),
        "rnn": (rows.rand(8, 4, 3).astype("float32"), rows.rand(8, 1).astype("float32"))}
out = {"seed": SEED, "epochs": 2, "batch_size": 4, "learning_rate": 0.1}
for name, model in models.items():
    x, y = data[name]
    out[f"{name}_x"], out[f"{name}_x_shape"] = x.ravel().tolist(), list(x.shape)
    out[f"{name}_y"], out[f"{name}_y_shape"] = y.ravel().tolist(), list(y.shape)
    out[f"{name}_paths"] = [w.path for w in model.weights]
    out[f"{name}_shapes"] = [list(w.shape) for w in model.weights]
    out[f"{name}_initial"] = [float(v) for w in model.weights for v in np.ravel(w.numpy())]
for name, model in models.items():
    x, y = data[name]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    out[f"{name}_trained"] = [float(v) for w in model.weights for v in np.ravel(w.numpy())]

os.makedirs(ROOT, exist_ok=True)
with open(os.path.join(ROOT, "keras_seeded_models.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
with open(os.path.join(ROOT, "keras_seeded_functional.json"), "w") as f:
    f.write(models["fun"].to_json() + "\n")
