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
"fun", "rnn", "shf"), flat lists `<name>_x`, `<name>_y` (the data, shapes `<name>_x_shape`, ...), and the
weights in `model.weights` order, concatenated (`<name>_initial`, `<name>_trained`) with their
paths and shapes (`<name>_paths`, `<name>_shapes`); "shf", a Dense model made after a second
set_random_seed(SEED) and fit with shuffling (2 epochs with validation_split=0.2, then 1 more
epoch in a second fit, batches of 3), whose batches follow numpy's global generator
(`shf_numpy_state`: its position and first 4 key words after the fits);
`np_permutations`, numpy's `np.random.permutation(n)` for n = 1, 2, 7, 1000 in turn after
`np.random.seed(SEED)`; "shb", the "shf" fits (data of its own) with shuffle="batch", which
orders the rows inside each batch by numpy's generator (`shb_numpy_state` after), of a
Sequential of Dense, Dropout and Dense; "att" (MultiHeadAttention, LayerNormalization with a random gamma,
EinsumDense, PReLU with a random alpha, BatchNormalization with a random beta,
GroupQueryAttention: seeds taken when built and user-given random initializers), "bid"
(Bidirectional's copies of an LSTM) and "attj" ("att" made by Keras's model_from_json), each
made after set_random_seed(SEED) and fit 2 unshuffled epochs; keras_seeded_attention.json,
"att"'s `to_json()`, which the C test makes "attj" from; and keras_seeded_functional.json, the
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


def describe(name, model, x, y):
    """The data and the initial weights of `model` into `out` under `name`."""
    out[f"{name}_x"], out[f"{name}_x_shape"] = x.ravel().tolist(), list(x.shape)
    out[f"{name}_y"], out[f"{name}_y_shape"] = y.ravel().tolist(), list(y.shape)
    out[f"{name}_paths"] = [w.path for w in model.weights]
    out[f"{name}_shapes"] = [list(w.shape) for w in model.weights]
    out[f"{name}_initial"] = [float(v) for w in model.weights for v in np.ravel(w.numpy())]


for name, model in models.items():
    describe(name, model, *data[name])
for name, model in models.items():
    x, y = data[name]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    out[f"{name}_trained"] = [float(v) for w in model.weights for v in np.ravel(w.numpy())]

# fit's shuffled batches: Keras's array adapter orders each epoch's rows by numpy's global
# np.random.permutation, seeded by set_random_seed; the first fit after compile draws one
# order more, for the batch it peeks at to build the compiled loss. A Dense model (no draws of
# its own but its kernel's) fit twice, 8 of its 10 rows shuffled in batches of 3 (a partial
# last batch), the last 2 validating.
keras.utils.set_random_seed(SEED)
shuffled = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
x, y = rows.rand(10, 3).astype("float32"), rows.rand(10, 2).astype("float32")
describe("shf", shuffled, x, y)
shuffled.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
shuffled.fit(x, y, epochs=2, batch_size=3, shuffle=True, validation_split=0.2, verbose=0)
shuffled.fit(x, y, epochs=1, batch_size=3, shuffle=True, verbose=0)
out["shf_trained"] = [float(v) for w in shuffled.weights for v in np.ravel(w.numpy())]
state = np.random.get_state()   # numpy's generator after the fits' draws: position, first words
out["shf_numpy_state"] = [int(state[2])] + [int(word) for word in state[1][:4]]


def attention_model():
    """Input → MultiHeadAttention (dropout) → LayerNormalization (random gamma) → EinsumDense →
    PReLU (random alpha) → BatchNormalization (random beta) → GroupQueryAttention (dropout):
    the attention layers and EinsumDense take seeds when built (copies of their initializers,
    their Dropout's generator), the others a user-given random initializer's."""
    inputs = keras.Input((4, 3))
    h = layers.MultiHeadAttention(2, 2, dropout=0.25)(inputs, inputs)
    h = layers.LayerNormalization(gamma_initializer="random_normal")(h)
    h = layers.EinsumDense("abc,cd->abd", output_shape=(4, 2), bias_axes="d")(h)
    h = layers.PReLU(alpha_initializer="random_uniform")(h)
    h = layers.BatchNormalization(beta_initializer="random_normal")(h)
    return keras.Model(inputs, layers.GroupQueryAttention(2, 2, 1, dropout=0.25)(h, h))


def bidirectional_model():
    """Bidirectional(LSTM(dropout)) → Dense: Keras's wrapper makes its forward and backward
    copies of the LSTM from its config, each taking new seeds."""
    return keras.Sequential([keras.Input((4, 3)), layers.Bidirectional(layers.LSTM(2, dropout=0.25)),
                             layers.Dense(1)])


# Each made after set_random_seed(SEED) and fit 2 epochs unshuffled (the dropout draws only):
# "att" and "bid" as written above (a layer made, then called), "attj" the attention model made
# again by Keras's model_from_json of "att"'s JSON (every layer made, then each built).
data = {"att": (rows.rand(8, 4, 3).astype("float32"), rows.rand(8, 4, 2).astype("float32")),
        "bid": (rows.rand(8, 4, 3).astype("float32"), rows.rand(8, 1).astype("float32"))}
data["attj"] = data["att"]
keras.utils.set_random_seed(SEED)
built = {"att": attention_model()}
keras.utils.set_random_seed(SEED)
built["bid"] = bidirectional_model()
keras.utils.set_random_seed(SEED)
built["attj"] = keras.models.model_from_json(built["att"].to_json())
for name, model in built.items():
    describe(name, model, *data[name])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(*data[name], epochs=2, batch_size=4, shuffle=False, verbose=0)
    out[f"{name}_trained"] = [float(v) for w in model.weights for v in np.ravel(w.numpy())]

# numpy's permutations themselves, one after another after np.random.seed(SEED).
np.random.seed(SEED)
out["np_permutations"] = [np.random.permutation(n).tolist() for n in (1, 2, 7, 1000)]

# fit(shuffle="batch"): Keras's array adapter keeps the batches in order and orders the rows
# inside each by numpy's np.random.permutation(size) + start, drawn as each batch is taken; the
# first fit after compile draws one for the batch it peeks at. The "shf" fits again (data of
# their own), with shuffle="batch", on a model with a Dropout between two Dense layers (a
# batch's mean gradient depends on its rows' order only through a draw per row).
keras.utils.set_random_seed(SEED)
batch_shuffled = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dropout(0.5), layers.Dense(2)])
x, y = rows.rand(10, 3).astype("float32"), rows.rand(10, 2).astype("float32")
describe("shb", batch_shuffled, x, y)
batch_shuffled.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
batch_shuffled.fit(x, y, epochs=2, batch_size=3, shuffle="batch", validation_split=0.2, verbose=0)
batch_shuffled.fit(x, y, epochs=1, batch_size=3, shuffle="batch", verbose=0)
out["shb_trained"] = [float(v) for w in batch_shuffled.weights for v in np.ravel(w.numpy())]
state = np.random.get_state()
out["shb_numpy_state"] = [int(state[2])] + [int(word) for word in state[1][:4]]

os.makedirs(ROOT, exist_ok=True)
with open(os.path.join(ROOT, "keras_seeded_models.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
with open(os.path.join(ROOT, "keras_seeded_functional.json"), "w") as f:
    f.write(models["fun"].to_json() + "\n")
with open(os.path.join(ROOT, "keras_seeded_attention.json"), "w") as f:
    f.write(built["att"].to_json() + "\n")
