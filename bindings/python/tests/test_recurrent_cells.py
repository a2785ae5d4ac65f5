"""Recurrent cells called on one step, `out, states = cell(inputs, states)`, as Keras allows it:
on numpy arrays and inside a functional model, equal to real Keras 3 with the same weights."""

import json

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

import swiftkeras
from swiftkeras import layers

CELLS = [("SimpleRNNCell", {}), ("LSTMCell", {}), ("GRUCell", {}), ("GRUCell", {"reset_after": False}),
         ("SimpleRNNCell", {"activation": "relu", "use_bias": False})]


def step_data(states):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (6, 5)).astype("float32")
    return x, [rng.uniform(-1, 1, (6, 4)).astype("float32") for _ in range(states)]


def keras_cell(keras, name, args, weights):
    cell = getattr(keras.layers, name)(4, **args)
    x, states = step_data(2 if name == "LSTMCell" else 1)
    cell(x, states)  # builds it
    cell.set_weights(weights)
    return cell


@needs(*CORE)
@pytest.mark.parametrize("name,args", CELLS)
def test_cell_on_one_step_equals_keras(name, args):
    keras = real_keras()
    count = 2 if name == "LSTMCell" else 1
    x, states = step_data(count)
    cell = getattr(layers, name)(4, **args)
    out, new = cell(x, states)
    assert isinstance(new, list) and len(new) == count
    weights = cell.get_weights()
    assert [w.shape for w in weights] == [w.shape for w in keras_cell(keras, name, args, weights).get_weights()]
    k_out, k_new = keras_cell(keras, name, args, weights)(x, states)
    np.testing.assert_allclose(out, np.asarray(k_out), atol=1e-5)
    for ours, theirs in zip(new, k_new):
        np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-5)
    # A second call keeps the cell's weights (a step of a hand-written loop).
    again, _ = cell(x * 0.5, new)
    k_again, _ = keras_cell(keras, name, args, weights)(x * 0.5, [np.asarray(s) for s in k_new])
    np.testing.assert_allclose(again, np.asarray(k_again), atol=1e-5)
    assert all(np.array_equal(a, b) for a, b in zip(cell.get_weights(), weights))


@needs(*CORE)
def test_bare_state_and_cell_attributes_as_keras():
    keras = real_keras()
    x, (h,) = step_data(1)
    gru = layers.GRUCell(4)
    out, new = gru(x, h)  # a bare state comes back bare
    k_out, k_new = keras_cell(keras, "GRUCell", {}, gru.get_weights())(x, h)
    assert isinstance(new, np.ndarray)
    np.testing.assert_allclose(new, np.asarray(k_new), atol=1e-5)
    np.testing.assert_allclose(out, np.asarray(k_out), atol=1e-5)
    lstm, k_lstm = layers.LSTMCell(3), keras.layers.LSTMCell(3)
    assert lstm.state_size == k_lstm.state_size == [3, 3]
    assert gru.state_size == keras.layers.GRUCell(4).state_size == 4
    assert lstm.output_size == k_lstm.output_size == 3
    assert [s.shape for s in lstm.get_initial_state(2)] == [tuple(s.shape) for s in k_lstm.get_initial_state(2)]
    with pytest.raises(ValueError, match="lstm_cell.*states"):
        lstm(x, h)  # LSTMCell takes [h, c]
    with pytest.raises(ValueError, match="GRUCell"):
        gru(x, [h[:3]])  # the batch of a state differs from the inputs'


@needs(*CORE)
def test_cell_in_a_functional_model_equals_keras_and_round_trips():
    keras = real_keras()
    x, (h, c) = step_data(2)
    ins = [layers.Input((5,)), layers.Input((4,)), layers.Input((4,))]
    cell = layers.LSTMCell(4, name="step")
    out, new = cell(ins[0], ins[1:])
    model = swiftkeras.Model(ins, [out, *new])
    ours = model.predict([x, h, c], verbose=0)
    # The config holds the call as Keras writes it: cell(inputs, [h, c]).
    node = next(e for e in json.loads(model.to_json())["config"]["layers"] if e["name"] == "step")["inbound_nodes"][0]
    assert [a["config"]["keras_history"][0] if isinstance(a, dict) else len(a) for a in node["args"]] == \
        [ins[0].name, 2]
    k_model = keras.models.model_from_json(model.to_json())
    k_model.set_weights(model.get_weights())
    for a, b in zip(ours, k_model.predict([x, h, c], verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-5)
    # A model Keras built loads here with equal predictions.
    k_ins = [keras.Input((5,)), keras.Input((4,))]
    k_out, k_new = keras.layers.GRUCell(4)(k_ins[0], [k_ins[1]])
    k_gru = keras.Model(k_ins, [k_out, k_new[0]])
    loaded = swiftkeras.models.model_from_json(k_gru.to_json())
    loaded.set_weights(k_gru.get_weights())
    for a, b in zip(loaded.predict([x, h], verbose=0), k_gru.predict([x, h], verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-5)
