"""Writes Tests/KerasTests/Fixtures/recurrent/*.json and Fixtures/saving/recurrent_* from real Keras 3.

Each JSON holds one layer: its get_config(), its weights (by layer name), the inputs, the mask
(when the case has one), Keras's outputs (a list: several with return_state) and, for Embedding
with mask_zero, the mask it computes. The saving fixtures are recurrent models Keras wrote as
.keras / .h5 / .weights.h5 / .json, with their inputs and predictions in `*.expected.json`.

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_recurrent_fixtures.py
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from make_layer_fixtures import array, set_random_weights, uniform  # noqa: E402

HERE = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures")
OUT = os.path.join(HERE, "recurrent")
SAVING = os.path.join(HERE, "saving")
L = keras.layers
RNG = np.random.default_rng(20261202)


def write(name, payload):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(payload, f, indent=None, separators=(",", ":"))
        f.write("\n")


def case(name, layer, x, mask=None, extra=None):
    kwargs = {} if mask is None else {"mask": mask}
    layer(x, **kwargs)
    weights = set_random_weights([layer])
    out = layer(x, training=False, **kwargs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    payload = {"class_name": type(layer).__name__, "config": layer.get_config(), "weights": weights,
               "inputs": [array(x)], "outputs": [array(o) for o in outs]}
    if mask is not None:
        payload["mask"] = array(np.asarray(mask, dtype=np.float32))
    payload.update(extra or {})
    write(name, payload)


def sequences(b=3, t=5, f=4):
    return RNG.uniform(-1.5, 1.5, size=(b, t, f)).astype(np.float32)


MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 1, 0], [0, 0, 1, 1, 1]], dtype=bool)


def embedding_cases():
    ids = np.array([[1, 0, 6, 2], [3, 3, 0, 5]], dtype=np.int32)
    case("embedding", L.Embedding(7, 3, name="embedding"), ids)
    layer = L.Embedding(7, 3, mask_zero=True, name="embedding_mask_zero")
    layer(ids)
    mask = layer.compute_mask(ids)
    case("embedding_mask_zero", layer, ids, extra={"computed_mask": array(np.asarray(mask, dtype=np.float32))})


def recurrent_cases():
    x = sequences()
    case("simple_rnn", L.SimpleRNN(3, name="simple_rnn"), x)
    case("simple_rnn_seq_relu", L.SimpleRNN(3, activation="relu", return_sequences=True, name="simple_rnn_seq_relu"), x)
    case("lstm", L.LSTM(3, name="lstm"), x)
    case("lstm_seq_state", L.LSTM(3, return_sequences=True, return_state=True, name="lstm_seq_state"), x)
    case("lstm_backwards", L.LSTM(3, go_backwards=True, return_state=True, name="lstm_backwards"), x)
    case("lstm_masked", L.LSTM(3, return_sequences=True, return_state=True, name="lstm_masked"), x, mask=MASK)
    case("lstm_no_bias", L.LSTM(3, use_bias=False, activation="relu", recurrent_activation="hard_sigmoid",
                                name="lstm_no_bias"), x)
    case("gru", L.GRU(3, return_sequences=True, return_state=True, name="gru"), x)
    case("gru_reset_before", L.GRU(3, reset_after=False, return_sequences=True, name="gru_reset_before"), x)
    case("gru_masked_backwards", L.GRU(3, go_backwards=True, return_sequences=True, name="gru_masked_backwards"),
         x, mask=MASK)
    case("simple_rnn_masked", L.SimpleRNN(3, return_sequences=True, return_state=True, name="simple_rnn_masked"),
         x, mask=MASK)
    # Default configs (untouched initializers) for config equality.
    for cls in (L.SimpleRNN, L.LSTM, L.GRU):
        layer = cls(5)
        layer(x)
        write(f"{cls.__name__.lower()}_default_config", {"config": layer.get_config()})


def bidirectional_cases():
    x = sequences()
    case("bidirectional_concat_masked", L.Bidirectional(L.LSTM(3, return_sequences=True, name="lstm"),
                                                         name="bidirectional_concat_masked"),
         x, mask=MASK)
    case("bidirectional_sum", L.Bidirectional(L.GRU(2, name="gru"), merge_mode="sum", name="bidirectional_sum"), x)
    case("bidirectional_ave_state", L.Bidirectional(L.LSTM(2, return_state=True, name="lstm_1"), merge_mode="ave",
                                                    name="bidirectional_ave_state"), x)
    case("bidirectional_mul_seq", L.Bidirectional(L.SimpleRNN(2, return_sequences=True, name="simple_rnn"), merge_mode="mul",
                                                  name="bidirectional_mul_seq"), x)
    case("bidirectional_none", L.Bidirectional(L.GRU(2, return_sequences=True, return_state=True, name="gru_1"), merge_mode=None,
                                               name="bidirectional_none"), x, mask=MASK)


def save_model(model, name, x):
    model.compile(optimizer="adam", loss="mean_squared_error")
    set_random_weights(model.layers)
    base = os.path.join(SAVING, name)
    model.save(base + ".keras")
    model.save(base + ".h5")
    model.save_weights(base + ".weights.h5")
    with open(base + ".json", "w") as f:
        f.write(model.to_json())
    with open(base + ".expected.json", "w") as f:
        json.dump({"inputs": [x.tolist()], "outputs": [model.predict(x, verbose=0).tolist()],
                   "weights": [v.path for v in model.weights]}, f, indent=1)


def saving_cases():
    keras.utils.set_random_seed(3)
    ids = np.array([[1, 4, 9, 0, 0, 0], [2, 2, 3, 5, 7, 1], [8, 0, 0, 0, 0, 0]], dtype=np.float32)
    save_model(keras.Sequential([keras.Input((6,)), L.Embedding(10, 4, mask_zero=True, name="embedding"),
                                 L.LSTM(3, name="lstm"), L.Dense(1, name="head")], name="recurrent_embedding_lstm"),
               "recurrent_embedding_lstm", ids)
    x = sequences(3, 5, 4)
    save_model(keras.Sequential([keras.Input((5, 4)), L.GRU(3, return_sequences=True, name="gru"),
                                 L.GRU(2, reset_after=False, name="gru_1"), L.Dense(1, name="head")],
                                name="recurrent_gru"), "recurrent_gru", x)


def bidirectional_saving_cases():
    keras.utils.set_random_seed(4)
    ids = np.array([[1, 4, 9, 0, 0, 0], [2, 2, 3, 5, 7, 1], [8, 0, 0, 0, 0, 0]], dtype=np.float32)
    save_model(keras.Sequential([keras.Input((6,)), L.Embedding(10, 4, mask_zero=True, name="embedding"),
                                 L.Bidirectional(L.LSTM(3, name="lstm"), name="bidirectional"), L.Dense(1, name="head")],
                                name="recurrent_bilstm"), "recurrent_bilstm", ids)


def time_distributed_cases():
    case("time_distributed", L.TimeDistributed(L.Dense(2, name="dense"), name="time_distributed"), sequences())
    keras.utils.set_random_seed(6)
    save_model(keras.Sequential([keras.Input((5, 4)), L.LSTM(3, return_sequences=True, name="lstm"),
                                 L.TimeDistributed(L.Dense(2, name="dense"), name="time_distributed")],
                                name="recurrent_time_distributed"), "recurrent_time_distributed", sequences())


def dropout_cases():
    # Dropout acts in training only: these are inference outputs (and configs with the rates).
    x = sequences()
    case("simple_rnn_dropout", L.SimpleRNN(3, dropout=0.5, recurrent_dropout=0.25, return_sequences=True,
                                           name="simple_rnn_dropout"), x)
    case("lstm_dropout", L.LSTM(3, dropout=0.3, recurrent_dropout=0.2, seed=5, return_sequences=True,
                                name="lstm_dropout"), x, mask=MASK)
    case("gru_dropout", L.GRU(3, dropout=0.4, recurrent_dropout=0.1, reset_after=False, seed=2,
                              name="gru_dropout"), x)


def state_case(name, layer, x, states, mask=None):
    kwargs = {} if mask is None else {"mask": mask}
    layer(x, initial_state=states, **kwargs)
    weights = set_random_weights([layer])
    out = layer(x, initial_state=states, training=False, **kwargs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    payload = {"class_name": type(layer).__name__, "config": layer.get_config(), "weights": weights,
               "inputs": [array(x)] + [array(s) for s in states], "outputs": [array(o) for o in outs]}
    if mask is not None:
        payload["mask"] = array(np.asarray(mask, dtype=np.float32))
    write(name, payload)


def state_cases():
    x = sequences()
    h, c = (RNG.uniform(-1, 1, size=(3, 3)).astype(np.float32) for _ in range(2))
    state_case("lstm_initial_state", L.LSTM(3, return_sequences=True, return_state=True, name="lstm_initial_state"),
               x, [h, c], mask=MASK)
    state_case("gru_initial_state", L.GRU(3, return_state=True, go_backwards=True, name="gru_initial_state"), x, [h])
    state_case("simple_rnn_initial_state", L.SimpleRNN(3, return_sequences=True, name="simple_rnn_initial_state"),
               x, [h], mask=MASK)
    # Stateful: two batches in a row, then again after reset_states().
    layer = L.LSTM(3, stateful=True, return_sequences=True, name="lstm_stateful")
    x2 = sequences()
    layer(x)
    weights = set_random_weights([layer])
    layer.reset_states()
    first, second = layer(x), layer(x2)
    layer.reset_states()
    again = layer(x2)
    write("lstm_stateful", {"class_name": "LSTM", "config": layer.get_config(), "weights": weights,
                            "inputs": [array(x), array(x2)], "outputs": [array(first), array(second), array(again)]})
    # A functional model passing initial_state, as Keras writes it.
    keras.utils.set_random_seed(8)
    xi, hi, ci = keras.Input((5, 4), name="x"), keras.Input((3,), name="h"), keras.Input((3,), name="c")
    y = L.LSTM(3, name="lstm")(xi, initial_state=[hi, ci])
    model = keras.Model([xi, hi, ci], L.Dense(1, name="head")(y), name="recurrent_initial_state")
    model.compile(optimizer="adam", loss="mean_squared_error")
    set_random_weights(model.layers)
    base = os.path.join(SAVING, "recurrent_initial_state")
    model.save(base + ".keras")
    model.save(base + ".h5")
    with open(base + ".json", "w") as f:
        f.write(model.to_json())
    ins = [x, h, c]
    with open(base + ".expected.json", "w") as f:
        json.dump({"inputs": [i.tolist() for i in ins], "outputs": [model.predict(ins, verbose=0).tolist()],
                   "weights": [v.path for v in model.weights]}, f, indent=1)


def cell_cases():
    x = sequences()
    case("rnn_lstm_cell", L.RNN(L.LSTMCell(3, name="lstm_cell"), return_sequences=True, return_state=True, name="rnn_lstm_cell"),
         x, mask=MASK)
    case("rnn_gru_cell", L.RNN(L.GRUCell(3, reset_after=False, dropout=0.2, seed=4, name="gru_cell"), go_backwards=True,
                               name="rnn_gru_cell"), x)
    case("rnn_simple_rnn_cell", L.RNN(L.SimpleRNNCell(2, activation="relu", name="simple_rnn_cell"), return_state=True,
                                      name="rnn_simple_rnn_cell"), x)
    write("cell_configs", {"configs": [L.SimpleRNNCell(2, name="simple_rnn_cell").get_config(),
                                       L.LSTMCell(3, unit_forget_bias=False, name="lstm_cell").get_config(),
                                       L.GRUCell(4, recurrent_dropout=0.5, name="gru_cell").get_config()]})
    keras.utils.set_random_seed(9)
    save_model(keras.Sequential([keras.Input((5, 4)), L.RNN(L.LSTMCell(3), name="rnn"), L.Dense(1, name="head")],
                                name="recurrent_rnn_lstm_cell"), "recurrent_rnn_lstm_cell", sequences())


def main():
    os.makedirs(OUT, exist_ok=True)
    if sys.argv[1:] == ["cells"]:
        cell_cases()
        return
    if sys.argv[1:] == ["state"]:
        state_cases()
        return
    if sys.argv[1:] == ["dropout"]:
        dropout_cases()
        return
    if sys.argv[1:] == ["time_distributed"]:
        time_distributed_cases()
        return
    if sys.argv[1:] == ["bidirectional"]:
        bidirectional_cases()
        bidirectional_saving_cases()
        return
    embedding_cases()
    recurrent_cases()
    saving_cases()
    bidirectional_cases()
    bidirectional_saving_cases()
    time_distributed_cases()
    print("wrote", len(os.listdir(OUT)), "fixtures to", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
