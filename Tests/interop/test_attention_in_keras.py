"""A Swift-trained self-attention model (Input → MultiHeadAttention(x, x) →
GlobalAveragePooling1D → Dense) loads in real Keras 3 and predicts the same. Run by
`make test-python`: the Swift test AttentionInteropExportTests writes `swift_attention.*` into
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


def expected():
    with open(os.path.join(OUT, "swift_attention.expected.json")) as f:
        e = json.load(f)
    x = np.array(e["inputs"]["data"], dtype="float32").reshape(e["inputs"]["shape"])
    return x, np.array(e["outputs"], dtype="float32").reshape(-1, 1)


def check(model):
    mha = model.get_layer("mha")
    assert isinstance(mha, keras.layers.MultiHeadAttention)
    assert (mha.num_heads, mha.key_dim) == (2, 4)
    assert [v.path for v in mha.weights] == [
        f"mha/{p}/{w}" for p in ("query", "key", "value", "attention_output") for w in ("kernel", "bias")]


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_attention_model_loads_in_keras(ext):
    x, want = expected()
    keras.backend.clear_session()
    model = keras.models.load_model(os.path.join(OUT, f"swift_attention.{ext}"))
    check(model)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)


def test_swift_attention_json_and_weights_load_in_keras():
    x, want = expected()
    keras.backend.clear_session()
    with open(os.path.join(OUT, "swift_attention.json")) as f:
        model = keras.models.model_from_json(f.read())
    model.load_weights(os.path.join(OUT, "swift_attention.weights.h5"))
    check(model)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)
