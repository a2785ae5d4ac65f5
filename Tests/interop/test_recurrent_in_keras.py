"""A Swift-trained Embedding(mask_zero) → LSTM → GRU(reset_after=False) model loads in real Keras 3
and predicts the same. Run by `make test-python`: the Swift test RecurrentInteropExportTests writes
`swift_recurrent.*` into $SWIFTKERAS_INTEROP_OUT.
"""
import keras
import numpy as np
import pytest

from conftest import LOAD_WAYS, load_swift_model, read_expected


def expected():
    e = read_expected("swift_recurrent")
    return np.array(e["inputs"][0], dtype="float32"), np.array(e["outputs"][0])


def check(model):
    # Keras's legacy .h5 loader prefixes the paths with the Sequential's name.
    assert [v.path[v.path.index("lstm/"):] for v in model.get_layer("lstm").weights] == [
        "lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel", "lstm/lstm_cell/bias"]
    assert model.get_layer("embedding").mask_zero
    assert not model.get_layer("gru").reset_after


@pytest.mark.parametrize("how", LOAD_WAYS)
def test_swift_recurrent_model_loads_in_keras(how):
    x, want = expected()
    model = load_swift_model("swift_recurrent", how)
    check(model)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_initial_state_model_loads_in_keras(ext):
    """LSTM(3)(x, initial_state=[h, c]) written by Swift: Keras rebuilds the call and predicts the same."""
    e = read_expected("swift_initial_state")
    model = load_swift_model("swift_initial_state", ext)
    node = model.get_layer("lstm")._inbound_nodes[0]
    assert [t.shape for t in node.arguments.kwargs["initial_state"]] == [(None, 3), (None, 3)]
    xs = [np.array(x, dtype="float32") for x in e["inputs"]]
    np.testing.assert_allclose(model.predict(xs, verbose=0), np.array(e["outputs"][0]), atol=1e-5)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_stacked_cells_model_loads_in_keras(ext):
    """RNN([LSTMCell, GRUCell]) and RNN([GRUCell, SimpleRNNCell]) written by Swift (StackedInteropExportTests)."""
    e = read_expected("swift_stacked")
    model = load_swift_model("swift_stacked", ext)
    cell = model.get_layer("rnn").cell
    assert isinstance(cell, keras.layers.StackedRNNCells)
    assert [type(c).__name__ for c in cell.cells] == ["LSTMCell", "GRUCell"]
    x = np.array(e["inputs"][0], dtype="float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.array(e["outputs"][0]), atol=1e-5)
