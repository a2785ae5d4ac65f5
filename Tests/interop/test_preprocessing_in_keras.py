"""A model with a Swift-adapted Normalization and a CategoryEncoding, trained by SwiftKeras
(PreprocessingInteropExportTests), loads in real Keras 3 from .keras and .h5 with its scaling and
predicts the same numbers (1e-5)."""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))


def arr(t):
    return np.array(t["data"], dtype="float32").reshape(t["shape"])


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_preprocessing_model_loads_in_keras(ext):
    with open(os.path.join(OUT, "swift_preprocessing.expected.json")) as f:
        e = json.load(f)
    # compile=False: Keras's legacy .h5 loader cannot rebuild the string loss "mse" (nor from its own files).
    model = keras.models.load_model(os.path.join(OUT, f"swift_preprocessing.{ext}"), compile=ext == "keras")
    norm = model.get_layer("norm")
    assert type(norm).__name__ == "Normalization"
    x, c = (arr(t) for t in e["inputs"])
    np.testing.assert_allclose(np.asarray(norm.mean).reshape(-1), np.asarray(norm.adapt_mean), atol=1e-6)
    assert np.abs(np.asarray(norm.adapt_mean)).sum() > 0, "the adapted mean travelled"
    np.testing.assert_allclose(model.predict([x, c], verbose=0), arr(e["outputs"]), atol=1e-5)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_image_model_loads_in_keras(ext):
    """Resizing, the augmentations (identity at inference) and CenterCrop, from Swift's files."""
    with open(os.path.join(OUT, "swift_image.expected.json")) as f:
        e = json.load(f)
    model = keras.models.load_model(os.path.join(OUT, f"swift_image.{ext}"), compile=ext == "keras")
    assert [type(l).__name__ for l in model.layers][:6] == ["Resizing", "RandomFlip", "RandomRotation", "RandomZoom",
                                                            "RandomContrast", "CenterCrop"]
    np.testing.assert_allclose(model.predict(arr(e["inputs"]), verbose=0), arr(e["outputs"]), atol=1e-4)
