"""Mask leftovers against real Keras 3 (session 19, masks3): `x + x` as Keras's Add node."""

import numpy as np
import pytest

import swiftkeras
from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE)


def _node_kwargs(model):
    """Each layer's class and its nodes' kwargs, the tensors they name by the position of their
    layer (names count the layers made so far in each library)."""
    entries = model.get_config()["layers"]
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
