"""Keras `keras.applications.inception_v3`: Inception V3 (Szegedy et al., 2015), for 299x299
images: modules of parallel convolution branches, concatenated."""

from .. import layers
from . import imagenet_utils as utils

_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"


def _conv(x, filters, rows, cols, padding="same", strides=(1, 1), name=None):
    """A convolution without bias, a batch norm without scale, and a ReLU."""
    x = layers.Conv2D(filters, (rows, cols), strides=strides, padding=padding, use_bias=False,
                      name=name + "_conv" if name else None)(x)
    x = layers.BatchNormalization(axis=utils.channel_axis(3), scale=False,
                                  name=name + "_bn" if name else None)(x)
    return layers.Activation("relu", name=name)(x)


def _concat(branches, name=None):
    return layers.Concatenate(axis=utils.channel_axis(3), name=name)(branches)


def _pool_branch(x, filters):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return _conv(x, filters, 1, 1)


def _module_35(x, pool_filters, name):
    """The 35x35 module: 1x1, 5x5, double 3x3 and pooling branches."""
    branch1x1 = _conv(x, 64, 1, 1)
    branch5x5 = _conv(_conv(x, 48, 1, 1), 64, 5, 5)
    branch3x3dbl = _conv(_conv(_conv(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    return _concat([branch1x1, branch5x5, branch3x3dbl, _pool_branch(x, pool_filters)], name)


def _module_17(x, width, name):
    """The 17x17 module: factorised 7x7 convolutions (1x7 then 7x1) of `width` channels."""
    branch1x1 = _conv(x, 192, 1, 1)
    branch7x7 = _conv(_conv(_conv(x, width, 1, 1), width, 1, 7), 192, 7, 1)
    branch7x7dbl = _conv(x, width, 1, 1)
    for filters, rows, cols in ((width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)):
        branch7x7dbl = _conv(branch7x7dbl, filters, rows, cols)
    return _concat([branch1x1, branch7x7, branch7x7dbl, _pool_branch(x, 192)], name)


def _module_8(x, index):
    """The 8x8 module: its 3x3 branches end in parallel 1x3 and 3x1 convolutions."""
    branch1x1 = _conv(x, 320, 1, 1)
    branch3x3 = _conv(x, 384, 1, 1)
    branch3x3 = _concat([_conv(branch3x3, 384, 1, 3), _conv(branch3x3, 384, 3, 1)],
                        f"mixed9_{index}")
    branch3x3dbl = _conv(_conv(x, 448, 1, 1), 384, 3, 3)
    branch3x3dbl = _concat([_conv(branch3x3dbl, 384, 1, 3), _conv(branch3x3dbl, 384, 3, 1)])
    return _concat([branch1x1, branch3x3, branch3x3dbl, _pool_branch(x, 192)],
                   f"mixed{9 + index}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    """Inception V3: a convolution stem, three 35x35 modules, a reduction, four 17x17
    modules, a reduction and two 8x8 modules."""
    utils.check_weights_argument(weights, include_top, classes)
    img_input = utils.model_input(input_tensor, input_shape, 299, 75, include_top, weights)
    x = _conv(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = _conv(x, 32, 3, 3, padding="valid")
    x = _conv(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _conv(x, 80, 1, 1, padding="valid")
    x = _conv(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for i, pool_filters in enumerate((32, 64, 64)):
        x = _module_35(x, pool_filters, f"mixed{i}")
    branch3x3 = _conv(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = _conv(_conv(_conv(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, strides=(2, 2),
                         padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _concat([branch3x3, branch3x3dbl, branch_pool], "mixed3")
    for i, width in enumerate((128, 160, 160, 192)):
        x = _module_17(x, width, f"mixed{4 + i}")
    branch3x3 = _conv(_conv(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = _conv(x, 192, 1, 1)
    for filters, rows, cols in ((192, 1, 7), (192, 7, 1)):
        branch7x7x3 = _conv(branch7x7x3, filters, rows, cols)
    branch7x7x3 = _conv(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _concat([branch3x3, branch7x7x3, branch_pool], "mixed8")
    for i in range(2):
        x = _module_8(x, i)
    if include_top:
        x = utils.classifier_head(x, classes, classifier_activation, weights)
    else:
        x = utils.pooling_head(x, pooling)

    return utils.finish(img_input, input_tensor, x, name, weights, utils.tf_kernels_file(
        _WEIGHTS, "inception_v3", include_top,
        ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")))


def preprocess_input(x, data_format=None):
    """"tf" preprocessing: pixels scaled from [0, 255] to [-1, 1]."""
    return utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = utils.decode_predictions
