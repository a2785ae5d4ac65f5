"""A CNN trained by SwiftKeras (ConvInteropExportTests.testWriteCNNForKeras) and models of the
transposed, depthwise and separable convolutions (testWriteConvVariantsForKeras) load in real
Keras 3 from .keras, .h5 and JSON + .weights.h5, and predict the same numbers (1e-5)."""
import numpy as np
import pytest

from conftest import LOAD_WAYS, load_swift_model, read_expected


def expected(name="swift_cnn"):
    e = read_expected(name)
    def arr(t):
        return np.array(t["data"], dtype="float32").reshape(t["shape"])
    return arr(e["inputs"]), arr(e["outputs"])


@pytest.mark.parametrize("how", LOAD_WAYS)
def test_swift_cnn_loads_in_keras(how):
    x, want = expected()
    model = load_swift_model("swift_cnn", how)
    assert [type(l).__name__ for l in model.layers] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)


VARIANTS = {
    "swift_conv_variants_2d": ["SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "Flatten", "Dense"],
    "swift_conv_variants_1d": ["SeparableConv1D", "DepthwiseConv1D", "Conv1DTranspose", "Flatten", "Dense"],
    "swift_conv_variants_3d": ["Conv3DTranspose", "Flatten", "Dense"],
}


@pytest.mark.parametrize("how", LOAD_WAYS)
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_swift_conv_variants_load_in_keras(name, how):
    x, want = expected(name)
    model = load_swift_model(name, how)
    assert [type(l).__name__ for l in model.layers] == VARIANTS[name]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)
