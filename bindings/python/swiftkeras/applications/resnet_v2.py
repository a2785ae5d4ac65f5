"""Keras `keras.applications.resnet_v2`: ResNet50V2, ResNet101V2 and ResNet152V2 (He et al.,
2016: pre-activation residual blocks)."""

from . import imagenet_utils as utils
from .resnet import application

ResNet50V2 = application((3, 4, 6, 3), True, "resnet50v2",
                         "ResNet50V2: stages of 3, 4, 6 and 3 blocks.")
ResNet101V2 = application((3, 4, 23, 3), True, "resnet101v2",
                          "ResNet101V2: stages of 3, 4, 23 and 3 blocks.")
ResNet152V2 = application((3, 8, 36, 3), True, "resnet152v2",
                          "ResNet152V2: stages of 3, 8, 36 and 3 blocks.")


def preprocess_input(x, data_format=None):
    """"tf" preprocessing: pixels scaled from [0, 255] to [-1, 1]."""
    return utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = utils.decode_predictions
