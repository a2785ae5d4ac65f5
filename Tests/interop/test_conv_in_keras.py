"""A CNN trained by SwiftKeras (ConvInteropExportTests.testWriteCNNForKeras) and models of the
transposed, depthwise and separable convolutions (testWriteConvVariantsForKeras) load in real
Keras 3 from .keras, .h5 and JSON + .weights.h5, and predict the same numbers (1e-5)."""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))


def expected(name="swift_cnn"):
    with open(os.path.join(OUT, f"{name}.expected.json")) as f:
        e = json.load(f)
    def arr(t):
        return np.array(t["data"], dtype="float32").reshape(t["shape"])
    return arr(e["inputs"]), arr(e["outputs"])


def load(name, how):
    if how == "json":
        with open(os.path.join(OUT, f"{name}.json")) as f:
            model = keras.models.model_from_json(f.read())
        model.load_weights(os.path.join(OUT, f"{name}.weights.h5"))
        return model
    return keras.models.load_model(os.path.join(OUT, f"{name}.{how}"))


@pytest.mark.parametrize("how", ["keras", "h5", "json"])
def test_swift_cnn_loads_in_keras(how):
    x, want = expected()
    model = load("swift_cnn", how)
    assert [type(l).__name__ for l in model.layers] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)


VARIANTS = {
    "swift_conv_variants_2d": ["SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "Flatten", "Dense"],
    "swift_conv_variants_1d": ["SeparableConv1D", "DepthwiseConv1D", "Conv1DTranspose", "Flatten", "Dense"],
    "swift_conv_variants_3d": ["Conv3DTranspose", "Flatten", "Dense"],
}


@pytest.mark.parametrize("how", ["keras", "h5", "json"])
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_swift_conv_variants_load_in_keras(name, how):
    x, want = expected(name)
    model = load(name, how)
    assert [type(l).__name__ for l in model.layers] == VARIANTS[name]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)
