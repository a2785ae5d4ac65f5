"""Writes Tests/KerasTests/Fixtures/recurrent/stacked_*.json and Fixtures/saving/recurrent_stacked_*
from real Keras 3: RNN over a list of cells (StackedRNNCells), and RNN over a custom cell (the
Python twin of `MinimalRNNCell` in Tests/KerasTests/Layers/Recurrent/CustomCellTests.swift).

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_stacked_rnn_fixtures.py
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from make_layer_fixtures import array, set_random_weights  # noqa: E402
from make_recurrent_fixtures import MASK, case, save_model, sequences, write  # noqa: E402

L = keras.layers


@keras.saving.register_keras_serializable(package="SwiftKerasTest")
class MinimalRNNCell(L.Layer):
    """Keras's documented custom cell: h = tanh(x W + h U), one state."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        prev = states[0]
        h = keras.ops.tanh(keras.ops.matmul(inputs, self.kernel) + keras.ops.matmul(prev, self.recurrent_kernel))
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def flat(outs):
    """Keras returns a stack's states nested per cell; the Swift layer returns them flattened."""
    result = []
    for o in outs if isinstance(outs, (list, tuple)) else [outs]:
        result.extend(flat(o) if isinstance(o, (list, tuple)) else [o])
    return result


def stacked_case(name, layer, x, mask=None):
    kwargs = {} if mask is None else {"mask": mask}
    layer(x, **kwargs)
    weights = set_random_weights([layer])
    outs = flat(layer(x, training=False, **kwargs))
    payload = {"class_name": type(layer).__name__, "config": layer.get_config(), "weights": weights,
               "inputs": [array(x)], "outputs": [array(o) for o in outs],
               "paths": [v.path for v in layer.weights]}
    if mask is not None:
        payload["mask"] = array(np.asarray(mask, dtype=np.float32))
    write(name, payload)


def main():
    x = sequences()
    stacked_case("stacked_lstm_simple", L.RNN([L.LSTMCell(3, name="lstm_cell"), L.SimpleRNNCell(2, name="simple_rnn_cell")],
                                              return_sequences=True, return_state=True, name="stacked_lstm_simple"), x, mask=MASK)
    stacked_case("stacked_gru_lstm", L.RNN(L.StackedRNNCells([L.GRUCell(3, reset_after=False, name="gru_cell"),
                                                              L.LSTMCell(2, name="lstm_cell")], name="stack"),
                                           go_backwards=True, return_state=True, name="stacked_gru_lstm"), x)
    case("custom_cell", L.RNN(MinimalRNNCell(3, name="minimal_rnn_cell"), return_sequences=True, return_state=True,
                              name="custom_cell"), x, mask=MASK)
    keras.utils.set_random_seed(11)
    save_model(keras.Sequential([keras.Input((5, 4)), L.RNN([L.LSTMCell(3), L.GRUCell(2)], name="rnn"),
                                 L.Dense(1, name="head")], name="recurrent_stacked"), "recurrent_stacked", sequences())
    save_model(keras.Sequential([keras.Input((5, 4)), L.RNN(MinimalRNNCell(3), return_sequences=True, name="rnn"),
                                 L.RNN([L.SimpleRNNCell(2), MinimalRNNCell(2)], name="rnn_1"),
                                 L.Dense(1, name="head")], name="recurrent_custom_cell"), "recurrent_custom_cell", sequences())
    stacked_case("bidirectional_stacked", L.Bidirectional(L.RNN([L.LSTMCell(2, name="lstm_cell"), L.GRUCell(2, name="gru_cell")],
                                                                return_sequences=True, name="rnn"), name="bidirectional_stacked"),
                 sequences(), mask=MASK)
    stacked_case("stacked_custom_zero_output", L.RNN([MinimalRNNCell(3, name="minimal_rnn_cell"), L.SimpleRNNCell(2, name="simple_rnn_cell")],
                                                     return_sequences=True, return_state=True, go_backwards=True,
                                                     zero_output_for_mask=True, name="stacked_custom_zero_output"),
                 sequences(), mask=MASK)


if __name__ == "__main__":
    main()
