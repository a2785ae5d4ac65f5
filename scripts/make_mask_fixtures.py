"""Writes Tests/KerasTests/Fixtures/recurrent/mask_semantics.json from real Keras 3 (jax): what a
recurrent layer outputs on masked steps, for every combination of return_sequences,
go_backwards, zero_output_for_mask and unroll, from non-zero initial states (so that a first
masked step shows which value it carries), for SimpleRNN, LSTM, GRU, a custom cell and a stack.
Each case holds the layer's config, its weights (in order), the inputs (sequences, then the
initial states), the mask and Keras's outputs (output, then the final states, flattened).

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_mask_fixtures.py
"""
import itertools
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from make_layer_fixtures import array  # noqa: E402
from make_recurrent_fixtures import MASK, OUT  # noqa: E402
from make_stacked_rnn_fixtures import MinimalRNNCell, flat  # noqa: E402

L = keras.layers
RNG = np.random.default_rng(20261203)


def layers(flags):
    yield "SimpleRNN", L.SimpleRNN(3, **flags)
    yield "LSTM", L.LSTM(3, **flags)
    yield "GRU", L.GRU(3, **flags)
    yield "custom", L.RNN(MinimalRNNCell(3, name="minimal_rnn_cell"), **flags)
    yield "stacked", L.RNN([L.LSTMCell(2, name="lstm_cell"), L.SimpleRNNCell(3, name="simple_rnn_cell")], **flags)


def main():
    x = RNG.uniform(-1.5, 1.5, size=(3, 5, 4)).astype(np.float32)
    cases = []
    for rs, gb, zo, unroll in itertools.product([False, True], repeat=4):
        flags = dict(return_sequences=rs, return_state=True, go_backwards=gb, zero_output_for_mask=zo, unroll=unroll)
        for kind, layer in layers(flags):
            size = [2, 2, 3] if kind == "stacked" else layer.cell.state_size
            widths = list(size) if isinstance(size, (list, tuple)) else [size]
            states = [RNG.uniform(-1, 1, size=(3, w)).astype(np.float32) for w in widths]
            initial = states if kind != "stacked" else [states[:2], states[2:]]
            layer(x, initial_state=initial, mask=MASK)
            weights = [RNG.uniform(-1, 1, size=w.shape).astype(np.float32) for w in layer.weights]
            layer.set_weights(weights)
            outs = flat(layer(x, initial_state=initial, mask=MASK, training=False))
            name = f"{kind} rs={rs} gb={gb} zo={zo} unroll={unroll}"
            cases.append({"name": name, "class_name": type(layer).__name__, "config": layer.get_config(),
                          "weights": [array(w) for w in weights], "inputs": [array(x)] + [array(s) for s in states],
                          "mask": array(MASK.astype(np.float32)), "outputs": [array(o) for o in outs]})
    with open(os.path.join(OUT, "mask_semantics.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", len(cases), "cases", file=sys.stderr)


if __name__ == "__main__":
    main()
