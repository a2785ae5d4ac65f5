"""A Swift-trained Embedding(mask_zero) → LSTM → GRU(reset_after=False) model loads in real Keras 3
and predicts the same. Run by `make test-python`: the Swift test RecurrentInteropExportTests writes
`swift_recurrent.*` into $SWIFTKERAS_INTEROP_OUT.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))


def expected():
    with open(os.path.join(OUT, "swift_recurrent.expected.json")) as f:
        e = json.load(f)
    return np.array(e["inputs"][0], dtype="float32"), np.array(e["outputs"][0])


def check(model):
    # Keras's legacy .h5 loader prefixes the paths with the Sequential's name.
    assert [v.path[v.path.index("lstm/"):] for v in model.get_layer("lstm").weights] == [
        "lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel", "lstm/lstm_cell/bias"]
    assert model.get_layer("embedding").mask_zero
    assert not model.get_layer("gru").reset_after


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_recurrent_model_loads_in_keras(ext):
    x, want = expected()
    keras.backend.clear_session()
    model = keras.models.load_model(os.path.join(OUT, f"swift_recurrent.{ext}"))
    check(model)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)


def test_swift_recurrent_json_and_weights_load_in_keras():
    x, want = expected()
    keras.backend.clear_session()
    with open(os.path.join(OUT, "swift_recurrent.json")) as f:
        model = keras.models.model_from_json(f.read())
    model.load_weights(os.path.join(OUT, "swift_recurrent.weights.h5"))
    check(model)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_initial_state_model_loads_in_keras(ext):
    """LSTM(3)(x, initial_state=[h, c]) written by Swift: Keras rebuilds the call and predicts the same."""
    with open(os.path.join(OUT, "swift_initial_state.expected.json")) as f:
        e = json.load(f)
    keras.backend.clear_session()
    model = keras.models.load_model(os.path.join(OUT, f"swift_initial_state.{ext}"))
    node = model.get_layer("lstm")._inbound_nodes[0]
    assert [t.shape for t in node.arguments.kwargs["initial_state"]] == [(None, 3), (None, 3)]
    xs = [np.array(x, dtype="float32") for x in e["inputs"]]
    np.testing.assert_allclose(model.predict(xs, verbose=0), np.array(e["outputs"][0]), atol=1e-5)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_stacked_cells_model_loads_in_keras(ext):
    """RNN([LSTMCell, GRUCell]) and RNN([GRUCell, SimpleRNNCell]) written by Swift (StackedInteropExportTests)."""
    with open(os.path.join(OUT, "swift_stacked.expected.json")) as f:
        e = json.load(f)
    keras.backend.clear_session()
    model = keras.models.load_model(os.path.join(OUT, f"swift_stacked.{ext}"))
    cell = model.get_layer("rnn").cell
    assert isinstance(cell, keras.layers.StackedRNNCells)
    assert [type(c).__name__ for c in cell.cells] == ["LSTMCell", "GRUCell"]
    x = np.array(e["inputs"][0], dtype="float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.array(e["outputs"][0]), atol=1e-5)
