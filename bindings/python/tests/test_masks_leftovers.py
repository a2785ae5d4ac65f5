"""Mask leftovers against real Keras 3 (session 19, masks3): the call defaults Keras writes in
a functional node (`training: false` of the recurrent and dropout layers, `mask: null` of a
call taking mask whose input carries none); `x + x` as Keras's Add node."""

import json

import numpy as np
import pytest

import swiftkeras
from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE)


def _node_kwargs(model):
    """Each layer's class and its nodes' kwargs, the tensors they name by the position of their
    layer (names count the layers made so far in each library), as JSON has them."""
    entries = json.loads(json.dumps(model.get_config()["layers"]))
    position = {entry["name"]: i for i, entry in enumerate(entries)}

    def named(value):
        if isinstance(value, dict):
            if "keras_history" in value:
                history = value["keras_history"]
                return {**value, "keras_history": [position[history[0]], *history[1:]]}
            return {k: named(v) for k, v in value.items()}
        if isinstance(value, list):
            return [named(v) for v in value]
        return value
    return [(entry["class_name"], [named(node.get("kwargs")) for node in entry["inbound_nodes"]])
            for entry in entries]


def _recurrent_model(lib):
    layers = lib.layers
    x = lib.Input((5,), dtype="int32")
    e = layers.Embedding(10, 4, mask_zero=True)(x)
    h = layers.LSTM(3, return_sequences=True)(e)
    h = layers.GRU(3, return_sequences=True)(h)
    h = layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True))(h)
    h = layers.Dropout(0.2)(h)
    h = layers.GaussianNoise(0.1)(h)
    h = layers.GlobalAveragePooling1D()(h)
    return lib.Model(x, h)


def _unmasked_model(lib):
    layers = lib.layers
    x = lib.Input((5, 4))
    h = layers.LSTM(3, return_sequences=True)(x)
    h = layers.SpatialDropout1D(0.1)(h)
    h = layers.TimeDistributed(layers.Dense(2))(h)
    h = layers.Softmax()(h)
    return lib.Model(x, layers.SimpleRNN(2)(h))


@pytest.mark.parametrize("make", [_recurrent_model, _unmasked_model])
def test_nodes_write_the_call_defaults_keras_writes(make, tmp_path):
    keras = real_keras()
    ours, ref = make(swiftkeras), make(keras)
    assert _node_kwargs(ours) == _node_kwargs(ref)
    lstm = dict(_node_kwargs(ref))["LSTM"]
    assert lstm[0]["training"] is False   # (what the comparison is about)
    # Files both ways keep them, and predict the same.
    data = np.random.RandomState(0).randint(0, 10, (3, 5)).astype("int32") if make is _recurrent_model \
        else np.random.RandomState(0).rand(3, 5, 4).astype("float32")
    if make is _recurrent_model:
        data[:, 3:] = 0
    ours.set_weights(ref.get_weights())
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "keras.keras")
    in_keras = keras.saving.load_model(tmp_path / "ours.keras")
    here = swiftkeras.saving.load_model(tmp_path / "keras.keras")
    assert _node_kwargs(in_keras) == _node_kwargs(ref) == _node_kwargs(here)
    expected = np.asarray(ref.predict(data, verbose=0))
    for model in (ours, here):
        np.testing.assert_allclose(model.predict(data, verbose=0), expected, atol=1e-5)
    np.testing.assert_allclose(in_keras.predict(data, verbose=0), expected, atol=1e-5)


# ---- x + x: Keras's Add node of one tensor twice ----------------------------------------------

def _doubled(lib):
    x = lib.Input((3,))
    y = lib.layers.Dense(2)(x + x)
    return lib.Model(x, y * y)


def test_a_tensor_added_to_itself_is_kerass_add_node(tmp_path):
    keras = real_keras()
    ref, ours = _doubled(keras), _doubled(swiftkeras)
    weights = [np.arange(6, dtype="float32").reshape(3, 2) / 10, np.array([0.1, -0.2], "float32")]
    ref.set_weights(weights)
    ours.set_weights(weights)
    assert _node_kwargs(ours) == _node_kwargs(ref)
    entries = ours.get_config()["layers"]
    assert [e["class_name"] for e in entries] == ["InputLayer", "Add", "Dense", "Multiply"]
    assert [a["config"]["keras_history"][0] for a in entries[1]["inbound_nodes"][0]["args"]] == \
        [entries[0]["name"]] * 2
    data = np.array([[1, 2, 3], [-1, 0.5, 2]], "float32")
    expected = np.asarray(ref.predict(data, verbose=0))
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "keras.keras")
    for model in (ours, swiftkeras.saving.load_model(tmp_path / "keras.keras"),
                  swiftkeras.saving.load_model(tmp_path / "ours.keras")):
        np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-5)
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "ours.keras").predict(data, verbose=0),
                               expected, rtol=1e-5)
