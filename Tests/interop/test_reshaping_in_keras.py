"""A model of padding, cropping, upsampling (nearest and bilinear) and spatial dropout layers
trained by SwiftKeras (ReshapingInteropExportTests) loads in real Keras 3 from .keras and .h5
and predicts the same numbers (1e-5)."""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_reshaping_model_loads_in_keras(ext):
    with open(os.path.join(OUT, "swift_reshaping.expected.json")) as f:
        e = json.load(f)
    x, want = (np.array(e[k]["data"], dtype="float32").reshape(e[k]["shape"]) for k in ("inputs", "outputs"))
    # Keras 3 cannot compile a legacy .h5 whose loss is "mse", even one it wrote itself
    # ("Could not deserialize 'keras.metrics.mse'"), so that file is loaded uncompiled.
    model = keras.models.load_model(os.path.join(OUT, f"swift_reshaping.{ext}"), compile=ext != "h5")
    assert [type(l).__name__ for l in model.layers] == [
        "ZeroPadding2D", "Conv2D", "Cropping2D", "UpSampling2D", "UpSampling2D", "SpatialDropout2D",
        "GlobalAveragePooling2D", "Dense"]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)
