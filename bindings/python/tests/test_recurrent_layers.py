"""Recurrent layers from Python: cells and RNN(cell), stacked cells (RNN([cell, cell]),
StackedRNNCells), dropout in training, stateful layers and their batch-size error naming the layer."""

import numpy as np
import pytest

from conftest import CORE, needs

from swiftkeras import layers
from swiftkeras.models import Sequential

NAMES = ["SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "Bidirectional", "TimeDistributed",
         "StackedRNNCells", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]


def test_classes_exist():
    assert [n for n in NAMES if not hasattr(layers, n)] == []


def sequences(n=8):
    return np.random.default_rng(0).uniform(-1, 1, size=(n, 5, 3)).astype("float32")


@needs(*CORE)
def test_rnn_over_a_cell_equals_the_layer_and_dropout_trains():
    x = sequences()
    rnn = Sequential([layers.RNN(layers.LSTMCell(4), input_shape=(5, 3)), layers.Dense(1)])
    lstm = Sequential([layers.LSTM(4, dropout=0.3, recurrent_dropout=0.3, input_shape=(5, 3)), layers.Dense(1)])
    lstm.set_weights(rnn.get_weights())
    np.testing.assert_allclose(lstm.predict(x, verbose=0), rnn.predict(x, verbose=0), atol=1e-6)
    lstm.compile(optimizer="adam", loss="mse")
    history = lstm.fit(x, np.ones((8, 1), "float32"), epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


@needs(*CORE)
def test_stateful_layer_refuses_another_batch_size():
    model = Sequential([layers.LSTM(2, stateful=True, name="carry", input_shape=(5, 3))])
    x = sequences(4)
    first = model.predict(x, batch_size=4, verbose=0)
    assert not np.allclose(model.predict(x, batch_size=4, verbose=0), first)  # the state carried over
    with pytest.raises(ValueError, match="carry"):  # Keras raises ValueError too
        model.predict(sequences(3), batch_size=3, verbose=0)


@needs(*CORE)
def test_rnn_over_a_list_of_cells_stacks_them():
    x = sequences()
    one = Sequential([layers.RNN([layers.LSTMCell(4)], input_shape=(5, 3)), layers.Dense(1)])
    lstm = Sequential([layers.LSTM(4, input_shape=(5, 3)), layers.Dense(1)])
    lstm.set_weights(one.get_weights())
    np.testing.assert_allclose(one.predict(x, verbose=0), lstm.predict(x, verbose=0), atol=1e-6)
    model = Sequential([layers.RNN(layers.StackedRNNCells([layers.LSTMCell(4), layers.GRUCell(2)]), return_sequences=True,
                                   input_shape=(5, 3)),
                        layers.RNN([layers.SimpleRNNCell(3), layers.GRUCell(2)]), layers.Dense(1)])
    assert model.get_config()["layers"][1]["config"]["cell"]["class_name"] == "StackedRNNCells"
    assert [w.shape for w in model.get_weights()][:6] == [(3, 16), (4, 16), (16,), (4, 6), (2, 6), (2, 6)]
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, np.ones((8, 1), "float32"), epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    with pytest.raises(ValueError, match="cells"):
        Sequential([layers.RNN([], input_shape=(5, 3))]).predict(x, verbose=0)


@needs(*CORE)
def test_conv_lstm_trains_and_names_bad_input():
    x = np.random.default_rng(1).uniform(-1, 1, size=(4, 3, 5, 5, 2)).astype("float32")
    model = Sequential([layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, input_shape=(3, 5, 5, 2)),
                        layers.ConvLSTM2D(2, (2, 2), name="last"), layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, np.ones((4, 1), "float32"), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.predict(x, verbose=0).shape == (4, 1)
    with pytest.raises(ValueError, match="short.*kernel_size"):
        Sequential([layers.ConvLSTM1D(2, 4, name="short", input_shape=(3, 3, 2))]).predict(
            np.zeros((2, 3, 3, 2), "float32"), verbose=0)
