"""Keras `keras.applications.inception_resnet_v2`: InceptionResNetV2 (Szegedy et al., 2017):
Inception modules whose output is scaled and added to their input (`x + scale * r`, Keras's
`CustomScaleLayer`), in three kinds of blocks (35x35, 17x17 and 8x8 at 299x299 images)."""

from .. import layers
from . import imagenet_utils as utils

_WEIGHTS = ("https://storage.googleapis.com/tensorflow/keras-applications/"
            "inception_resnet_v2/")
_HASHES = ("e693bd0210a403b3192acc6073ad2e96", "d19885ff4a710c122648d3b5c3b684e4")


# Keras's CustomScaleLayer (`inputs[0] + inputs[1] * scale`): the library's layer.
__getattr__ = utils.own_layers(__name__)


def _conv_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu",
             use_bias=False, name=None):
    """A convolution, a batch norm without scale (none when the convolution has a bias) and
    the activation; `name` names the three (`name`, `name_bn`, `name_ac`)."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
                      name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=utils.channel_axis(3), scale=False,
                                      name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


# The branches of each block kind: the (filters, kernel) convolutions in a row.
_BRANCHES = {
    "block35": (((32, 1),), ((32, 1), (32, 3)), ((32, 1), (48, 3), (64, 3))),
    "block17": (((192, 1),), ((128, 1), (160, [1, 7]), (192, [7, 1]))),
    "block8": (((192, 1),), ((192, 1), (224, [1, 3]), (256, [3, 1]))),
}


def _residual_block(x, scale, block_type, block_idx, activation="relu"):
    branches = []
    for branch in _BRANCHES[block_type]:
        y = x
        for filters, kernel in branch:
            y = _conv_bn(y, filters, kernel)
        branches.append(y)
    name = f"{block_type}_{block_idx}"
    axis = utils.channel_axis(3)
    mixed = layers.Concatenate(axis=axis, name=f"{name}_mixed")(branches)
    up = _conv_bn(mixed, x.shape[axis], 1, activation=None, use_bias=True, name=f"{name}_conv")
    x = __getattr__("CustomScaleLayer")(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_ac")(x)
    return x


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                      pooling=None, classes=1000, classifier_activation="softmax",
                      name="inception_resnet_v2"):
    """InceptionResNetV2 for 299x299 images (any side of at least 75 without the
    classifier)."""
    utils.check_weights_argument(weights, include_top, classes, "inception_resnet_v2")
    img_input = utils.model_input(input_tensor, input_shape, 299, 75, include_top, weights)
    axis = utils.channel_axis(3)
    x = _conv_bn(img_input, 32, 3, strides=2, padding="valid")
    x = _conv_bn(x, 32, 3, padding="valid")
    x = _conv_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = _conv_bn(x, 80, 1, padding="valid")
    x = _conv_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    # mixed_5b: the first Inception module (35x35).
    branch_0 = _conv_bn(x, 96, 1)
    branch_1 = _conv_bn(_conv_bn(x, 48, 1), 64, 5)
    branch_2 = _conv_bn(_conv_bn(_conv_bn(x, 64, 1), 96, 3), 96, 3)
    branch_pool = _conv_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)
    x = layers.Concatenate(axis=axis, name="mixed_5b")([branch_0, branch_1, branch_2,
                                                        branch_pool])
    for block_idx in range(1, 11):
        x = _residual_block(x, 0.17, "block35", block_idx)
    # mixed_6a: reduction to 17x17.
    branch_0 = _conv_bn(x, 384, 3, strides=2, padding="valid")
    branch_1 = _conv_bn(_conv_bn(_conv_bn(x, 256, 1), 256, 3), 384, 3, strides=2,
                        padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=axis, name="mixed_6a")([branch_0, branch_1, branch_pool])
    for block_idx in range(1, 21):
        x = _residual_block(x, 0.1, "block17", block_idx)
    # mixed_7a: reduction to 8x8.
    branch_0 = _conv_bn(_conv_bn(x, 256, 1), 384, 3, strides=2, padding="valid")
    branch_1 = _conv_bn(_conv_bn(x, 256, 1), 288, 3, strides=2, padding="valid")
    branch_2 = _conv_bn(_conv_bn(_conv_bn(x, 256, 1), 288, 3), 320, 3, strides=2,
                        padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=axis, name="mixed_7a")([branch_0, branch_1, branch_2,
                                                        branch_pool])
    for block_idx in range(1, 10):
        x = _residual_block(x, 0.2, "block8", block_idx)
    x = _residual_block(x, 1.0, "block8", 10, activation=None)
    x = _conv_bn(x, 1536, 1, name="conv_7b")
    if include_top:
        x = utils.classifier_head(x, classes, classifier_activation, weights)
    else:
        x = utils.pooling_head(x, pooling)
    return utils.finish(img_input, input_tensor, x, name, weights, utils.tf_kernels_file(
        _WEIGHTS, "inception_resnet_v2", include_top, _HASHES))


def preprocess_input(x, data_format=None):
    """"tf" preprocessing: pixels scaled from [0, 255] to [-1, 1]."""
    return utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = utils.decode_predictions
