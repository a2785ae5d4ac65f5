"""A CNN trained by SwiftKeras (ConvModelTests.testWriteCNNForKeras) loads in real Keras 3 from
.keras, .h5 and JSON + .weights.h5, and predicts the same numbers (1e-5)."""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))


def expected():
    with open(os.path.join(OUT, "swift_cnn.expected.json")) as f:
        e = json.load(f)
    def arr(t):
        return np.array(t["data"], dtype="float32").reshape(t["shape"])
    return arr(e["inputs"]), arr(e["outputs"])


@pytest.mark.parametrize("how", ["keras", "h5", "json"])
def test_swift_cnn_loads_in_keras(how):
    x, want = expected()
    if how == "json":
        with open(os.path.join(OUT, "swift_cnn.json")) as f:
            model = keras.models.model_from_json(f.read())
        model.load_weights(os.path.join(OUT, "swift_cnn.weights.h5"))
    else:
        model = keras.models.load_model(os.path.join(OUT, f"swift_cnn.{how}"))
    assert [type(l).__name__ for l in model.layers] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)
