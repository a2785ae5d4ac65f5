"""Padding, cropping, upsampling and spatial dropout layers from Python: the classes exist in
swiftkeras.layers, predict Keras's numbers and report bad input naming the layer and argument."""

import numpy as np
import pytest

from conftest import CORE, needs

from swiftkeras import layers
from swiftkeras.models import Sequential

NAMES = ["ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
         "UpSampling1D", "UpSampling2D", "UpSampling3D", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]


def test_classes_exist():
    assert [n for n in NAMES if not hasattr(layers, n)] == []


@needs(*CORE)
def test_model_of_the_family_predicts_by_hand_numbers():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1) + 1           # [[1, 2], [3, 4]]
    m = Sequential([layers.ZeroPadding2D(((1, 0), (0, 1)), input_shape=(2, 2, 1)), layers.Cropping2D(((1, 0), (0, 1))),
                    layers.UpSampling2D(2, interpolation="bilinear"), layers.SpatialDropout2D(0.5)])
    # jax.image.resize's bilinear of [[1, 2], [3, 4]] to 4 x 4 (dropout is off at inference).
    want = np.array([[1, 1.25, 1.75, 2], [1.5, 1.75, 2.25, 2.5], [2.5, 2.75, 3.25, 3.5], [3, 3.25, 3.75, 4]], "float32")
    np.testing.assert_allclose(m.predict(x, verbose=0)[0, :, :, 0], want, atol=1e-6)


@needs(*CORE)
def test_cropping_larger_than_the_input_names_layer_and_argument():
    with pytest.raises(Exception, match="Cropping1D.*cropping"):
        Sequential([layers.Cropping1D((2, 2), input_shape=(4, 3))]).predict(np.zeros((1, 4, 3), "float32"), verbose=0)
