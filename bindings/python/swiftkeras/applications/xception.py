"""Keras `keras.applications.xception`: Xception (Chollet, 2017): depthwise separable
convolutions with residual connections, for 299x299 images."""

from .. import layers
from . import imagenet_utils as utils

_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"


def _bn(name=None):
    return layers.BatchNormalization(axis=utils.channel_axis(), name=name)


def _separable(x, filters, name, activate_first):
    """A ReLU and a 3x3 separable convolution with its batch norm (the ReLU after, in the
    exit flow's last block)."""
    if activate_first:
        x = layers.Activation("relu", name=name + "_act")(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    x = _bn(name + "_bn")(x)
    if not activate_first:
        x = layers.Activation("relu", name=name + "_act")(x)
    return x


def _downsampling_block(x, filters, block, activate_input=True):
    """Two separable convolutions and a strided max pooling, added to the input's strided
    1x1 projection."""
    residual = layers.Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same",
                             use_bias=False)(x)
    residual = _bn()(residual)
    if activate_input:
        x = _separable(x, filters[0], f"block{block}_sepconv1", True)
    else:
        x = layers.SeparableConv2D(filters[0], (3, 3), padding="same", use_bias=False,
                                   name=f"block{block}_sepconv1")(x)
        x = _bn(f"block{block}_sepconv1_bn")(x)
    x = _separable(x, filters[1], f"block{block}_sepconv2", True)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same",
                            name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    """Xception: an entry flow of strided blocks, eight middle blocks of 728 filters, an
    exit flow to 2048 features."""
    utils.check_weights_argument(weights, include_top, classes)
    img_input = utils.model_input(input_tensor, input_shape, 299, 71, include_top, weights)
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = _bn("block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = _bn("block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _downsampling_block(x, (128, 128), 2, activate_input=False)
    x = _downsampling_block(x, (256, 256), 3)
    x = _downsampling_block(x, (728, 728), 4)
    for block in range(5, 13):
        residual = x
        for i in (1, 2, 3):
            x = _separable(x, 728, f"block{block}_sepconv{i}", True)
        x = layers.add([x, residual])
    x = _downsampling_block(x, (728, 1024), 13)
    x = _separable(x, 1536, "block14_sepconv1", False)
    x = _separable(x, 2048, "block14_sepconv2", False)
    if include_top:
        x = utils.classifier_head(x, classes, classifier_activation, weights)
    else:
        x = utils.pooling_head(x, pooling)

    return utils.finish(img_input, input_tensor, x, name, weights, utils.tf_kernels_file(
        _WEIGHTS, "xception", include_top,
        ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")))


def preprocess_input(x, data_format=None):
    """"tf" preprocessing: pixels scaled from [0, 255] to [-1, 1]."""
    return utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = utils.decode_predictions
