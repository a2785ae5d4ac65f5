"""Transposed, depthwise and separable convolutions from Python: the classes exist in
swiftkeras.layers, a layer built from Keras's config with Keras's weights predicts Keras's
numbers (Tests/KerasTests/Fixtures/conv, scripts/make_conv_variant_fixtures.py), and bad
arguments name the layer and argument."""

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import CORE, needs

from swiftkeras import layers
from swiftkeras.models import Sequential

NAMES = ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution2DTranspose", "DepthwiseConv1D",
         "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "SeparableConvolution2D"]
FIXTURES = Path(__file__).resolve().parents[3] / "Tests/KerasTests/Fixtures/conv"


def test_classes_exist():
    assert [n for n in NAMES if not hasattr(layers, n)] == []


def _array(t):
    return np.array(t["data"], dtype="float32").reshape(t["shape"])


@needs(*CORE)
@pytest.mark.parametrize("name", ["conv2d_transpose_same_output_padding_tanh", "conv3d_transpose_channels_first",
                                  "depthwise_conv2d_same_multiplier_relu", "separable_conv1d_same_relu"])
def test_layer_predicts_keras_numbers(name):
    f = json.loads((FIXTURES / f"{name}.json").read_text())
    config = {k: v for k, v in f["config"].items() if k not in ("dtype", "trainable")}
    x = _array(f["inputs"][0])
    model = Sequential([getattr(layers, f["class_name"])(input_shape=x.shape[1:], **config)])
    model.predict(x, verbose=0)  # builds the model, so that its layer has weights to set
    model.layers[0].set_weights([_array(w) for w in f["weights"][name]])
    np.testing.assert_allclose(model.predict(x, verbose=0), _array(f["outputs"][0]), atol=1e-5)


@needs(*CORE)
def test_output_padding_not_below_strides_names_layer_and_argument():
    with pytest.raises(Exception, match="Conv2DTranspose.*output_padding"):
        Sequential([layers.Conv2DTranspose(2, 3, strides=2, output_padding=2, input_shape=(4, 4, 1))]).predict(
            np.zeros((1, 4, 4, 1), "float32"), verbose=0)
