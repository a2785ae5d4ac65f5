"""A text model (string Input -> TextVectorization adapted here -> Embedding -> pooling -> Dense),
trained by SwiftKeras (TextInteropExportTests), loads in real Keras 3 from .keras and .h5 with its
vocabulary and predicts the same numbers (1e-5). Keras's TextVectorization needs TensorFlow: the
test is skipped without it (run it with /work/venv-tf/bin/python -m pytest)."""
import json
import os

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import keras  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_text_model_loads_in_keras(ext):
    with open(os.path.join(OUT, "swift_text.expected.json")) as f:
        e = json.load(f)
    model = keras.models.load_model(os.path.join(OUT, f"swift_text.{ext}"), compile=ext == "keras")
    layer = model.get_layer("vectorize")
    assert type(layer).__name__ == "TextVectorization"
    assert len(layer.get_vocabulary()) > 2, "the adapted vocabulary travelled"
    probe = tf.constant(np.array(e["inputs"]).reshape(-1, 1))
    np.testing.assert_allclose(np.asarray(model.predict(probe, verbose=0)).reshape(-1), e["outputs"], atol=1e-5)
