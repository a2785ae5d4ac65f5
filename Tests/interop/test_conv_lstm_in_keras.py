"""A Swift-trained ConvLSTM2D model loads in real Keras 3 and predicts the same. Run by
`make test-python`: the Swift test ConvLSTMInteropExportTests writes `swift_conv_lstm.*` into
$SWIFTKERAS_INTEROP_OUT.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))


def tensor(entry):
    return np.array(entry["data"], dtype="float32").reshape(entry["shape"])


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_conv_lstm_model_loads_in_keras(ext):
    with open(os.path.join(OUT, "swift_conv_lstm.expected.json")) as f:
        e = json.load(f)
    keras.backend.clear_session()
    model = keras.models.load_model(os.path.join(OUT, f"swift_conv_lstm.{ext}"))
    layer = model.get_layer("conv_lstm2d_1")
    assert isinstance(layer, keras.layers.ConvLSTM2D) and layer.go_backwards
    assert [v.path[v.path.index("conv_lstm2d/"):] for v in model.get_layer("conv_lstm2d").weights] == [
        "conv_lstm2d/conv_lstm_cell/kernel", "conv_lstm2d/conv_lstm_cell/recurrent_kernel", "conv_lstm2d/conv_lstm_cell/bias"]
    np.testing.assert_allclose(model.predict(tensor(e["inputs"]), verbose=0), tensor(e["outputs"]), atol=1e-5)
