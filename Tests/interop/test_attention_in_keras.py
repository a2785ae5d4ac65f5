"""A Swift-trained self-attention model (Input → MultiHeadAttention(x, x) →
GlobalAveragePooling1D → Dense) loads in real Keras 3 and predicts the same. Run by
`make test-python`: the Swift test AttentionInteropExportTests writes `swift_attention.*` into
$SWIFTKERAS_INTEROP_OUT.
"""
import keras
import numpy as np
import pytest

from conftest import LOAD_WAYS, load_swift_model, read_expected


def expected():
    e = read_expected("swift_attention")
    x = np.array(e["inputs"]["data"], dtype="float32").reshape(e["inputs"]["shape"])
    return x, np.array(e["outputs"], dtype="float32").reshape(-1, 1)


def check(model):
    mha = model.get_layer("mha")
    assert isinstance(mha, keras.layers.MultiHeadAttention)
    assert (mha.num_heads, mha.key_dim) == (2, 4)
    assert [v.path for v in mha.weights] == [
        f"mha/{p}/{w}" for p in ("query", "key", "value", "attention_output") for w in ("kernel", "bias")]


@pytest.mark.parametrize("how", LOAD_WAYS)
def test_swift_attention_model_loads_in_keras(how):
    x, want = expected()
    model = load_swift_model("swift_attention", how)
    check(model)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)
