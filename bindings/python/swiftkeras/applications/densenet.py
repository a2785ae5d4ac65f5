"""Keras `keras.applications.densenet`: DenseNet121, DenseNet169 and DenseNet201 (Huang et
al., 2017): each convolution block's output is concatenated to everything before it."""

from .. import layers
from . import imagenet_utils as utils

_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
_HASHES = {  # (with the classifier, without)
    "densenet121": ("9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": ("d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": ("1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
_GROWTH = 32
_EPSILON = 1.001e-5


def _bn_relu(x, name):
    x = layers.BatchNormalization(axis=utils.channel_axis(3), epsilon=_EPSILON,
                                  name=name + "_bn")(x)
    return layers.Activation("relu", name=name + "_relu")(x)


def _conv_block(x, name):
    """Batch norm, ReLU, a 1x1 bottleneck convolution to 4 x growth, batch norm, ReLU and a
    3x3 convolution to `growth` channels, concatenated to the block's input."""
    y = _bn_relu(x, name + "_0")
    y = layers.Conv2D(4 * _GROWTH, 1, use_bias=False, name=name + "_1_conv")(y)
    y = _bn_relu(y, name + "_1")
    y = layers.Conv2D(_GROWTH, 3, padding="same", use_bias=False, name=name + "_2_conv")(y)
    return layers.Concatenate(axis=utils.channel_axis(3), name=name + "_concat")([x, y])


def _transition(x, name):
    """Halves the channels (1x1 convolution) and the image (2x2 average pooling)."""
    x = _bn_relu(x, name)
    channels = x.shape[utils.channel_axis()]
    x = layers.Conv2D(int(channels * 0.5), 1, use_bias=False, name=name + "_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=name + "_pool")(x)


def densenet(blocks, model_name, include_top, weights, input_tensor, input_shape, pooling,
             classes, classifier_activation, name):
    utils.check_weights_argument(weights, include_top, classes)
    img_input = utils.model_input(input_tensor, input_shape, 224, 32, include_top, weights)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn_relu(x, "conv1")
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        for i in range(1, count + 1):
            x = _conv_block(x, f"conv{stage}_block{i}")
        if stage < len(blocks) + 1:
            x = _transition(x, f"pool{stage}")
    x = layers.BatchNormalization(axis=utils.channel_axis(3), epsilon=_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    if include_top:
        x = utils.classifier_head(x, classes, classifier_activation, weights)
    else:
        x = utils.pooling_head(x, pooling, names=("avg_pool", "max_pool"))

    return utils.finish(img_input, input_tensor, x, name, weights, utils.tf_kernels_file(
        _WEIGHTS, model_name, include_top, _HASHES[model_name]))


def _application(blocks, model_name):
    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=model_name):
        return densenet(blocks, model_name, include_top, weights, input_tensor, input_shape,
                        pooling, classes, classifier_activation, name)
    build.__name__ = build.__qualname__ = model_name.replace("densenet", "DenseNet")
    build.__doc__ = (f"{build.__name__}: dense blocks of {', '.join(map(str, blocks[:-1]))} "
                     f"and {blocks[-1]} convolution blocks.")
    return build


DenseNet121 = _application((6, 12, 24, 16), "densenet121")
DenseNet169 = _application((6, 12, 32, 32), "densenet169")
DenseNet201 = _application((6, 12, 48, 32), "densenet201")


def preprocess_input(x, data_format=None):
    """"torch" preprocessing: pixels scaled to [0, 1], then standardised per channel."""
    return utils.preprocess_input(x, data_format=data_format, mode="torch")


decode_predictions = utils.decode_predictions
