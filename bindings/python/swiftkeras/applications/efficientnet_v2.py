"""Keras `keras.applications.efficientnet_v2`: EfficientNetV2B0 to B3, S, M and L (Tan & Le,
2021): fused mobile inverted bottlenecks (a full convolution in place of the expansion and the
depthwise convolution) in the early stages, squeeze-and-excitation bottlenecks after. The models
take pixels in [0, 255] (their first layers rescale them) unless `include_preprocessing=False`."""

import math

from .. import backend, initializers, layers
from . import imagenet_utils as utils
from .efficientnet import _conv_init, _dense_init, squeeze_excite

_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
_HASHES = {  # (with the classifier, without)
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
# The stages: (repeats, filters in, filters out, expansion, squeeze-and-excitation ratio,
# stride, fused); every kernel is 3x3.
_B = ((1, 32, 16, 1, 0, 1, True), (2, 16, 32, 4, 0, 2, True), (2, 32, 48, 4, 0, 2, True),
      (3, 48, 96, 4, 0.25, 2, False), (5, 96, 112, 6, 0.25, 1, False),
      (8, 112, 192, 6, 0.25, 2, False))
_STAGES = {
    "efficientnetv2-b0": _B, "efficientnetv2-b1": _B, "efficientnetv2-b2": _B,
    "efficientnetv2-b3": _B,
    "efficientnetv2-s": ((2, 24, 24, 1, 0, 1, True), (4, 24, 48, 4, 0, 2, True),
                         (4, 48, 64, 4, 0, 2, True), (6, 64, 128, 4, 0.25, 2, False),
                         (9, 128, 160, 6, 0.25, 1, False), (15, 160, 256, 6, 0.25, 2, False)),
    "efficientnetv2-m": ((3, 24, 24, 1, 0, 1, True), (5, 24, 48, 4, 0, 2, True),
                         (5, 48, 80, 4, 0, 2, True), (7, 80, 160, 4, 0.25, 2, False),
                         (14, 160, 176, 6, 0.25, 1, False), (18, 176, 304, 6, 0.25, 2, False),
                         (5, 304, 512, 6, 0.25, 1, False)),
    "efficientnetv2-l": ((4, 32, 32, 1, 0, 1, True), (7, 32, 64, 4, 0, 2, True),
                         (7, 64, 96, 4, 0, 2, True), (10, 96, 192, 4, 0.25, 2, False),
                         (19, 192, 224, 6, 0.25, 1, False), (25, 224, 384, 6, 0.25, 2, False),
                         (7, 384, 640, 6, 0.25, 1, False)),
}
_BN_MOMENTUM = 0.9
_ACTIVATION = "swish"   # (squeeze_excite's too)


def _bn(name):
    return layers.BatchNormalization(axis=utils.channel_axis(3), momentum=_BN_MOMENTUM, name=name)


def _conv(filters, kernel_size, name, strides=1):
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                         kernel_initializer=_conv_init(), name=name)


def _block(inputs, name, filters_in, filters_out, expansion, se_ratio, strides, fused,
           drop_rate):
    """A mobile inverted bottleneck (fused: the expansion is a 3x3 convolution with the
    stride, and there is no depthwise convolution), with the identity skip where shapes allow.
    As in Keras's model, the skip's Dropout rate is the block's drop-connect rate."""
    filters = filters_in * expansion
    x = inputs
    if expansion != 1:
        x = _conv(filters, 3 if fused else 1, f"{name}expand_conv", strides if fused else 1)(x)
        x = _bn(f"{name}expand_bn")(x)
        x = layers.Activation(_ACTIVATION, name=f"{name}expand_activation")(x)
    if not fused:
        x = layers.DepthwiseConv2D(kernel_size=3, strides=strides,
                                   depthwise_initializer=_conv_init(), padding="same",
                                   use_bias=False,
                                   name=f"{name}dwconv2")(x)
        x = _bn(f"{name}bn")(x)
        x = layers.Activation(_ACTIVATION, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters_in, filters, se_ratio, name)
    # A fused block without expansion has its one 3x3 convolution here.
    alone = fused and expansion == 1
    x = _conv(filters_out, 3 if alone else 1, f"{name}project_conv", strides if alone else 1)(x)
    x = _bn(f"{name}project_bn")(x)
    if fused and expansion == 1:
        x = layers.Activation(_ACTIVATION, name=f"{name}project_activation")(x)
    if strides == 1 and filters_in == filters_out:
        if drop_rate:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def efficientnet_v2(model_name, width, depth, default_size, weights_name, include_top, weights,
                    input_tensor, input_shape, pooling, classes, classifier_activation,
                    include_preprocessing, name, dropout_rate=0.2, drop_connect_rate=0.2,
                    divisor=8):
    utils.check_weights_argument(weights, include_top, classes, "efficientnet_v2")
    stages = _STAGES[model_name]
    input_shape = utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                           data_format=backend.image_data_format(),
                                           require_flatten=include_top, weights=weights)
    img_input = utils.image_input(input_tensor, input_shape)

    def round_filters(filters):
        return int(max(divisor, int(filters * width + divisor / 2) // divisor * divisor))

    x = img_input
    if include_preprocessing:
        channels = input_shape[utils.channel_axis(3) - 1]
        if model_name.split("-")[-1].startswith("b") and channels == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406],
                                     variance=[0.229**2, 0.224**2, 0.225**2],
                                     axis=utils.channel_axis(3))(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    x = _conv(round_filters(stages[0][1]), 3, "stem_conv", 2)(x)
    x = _bn("stem_bn")(x)
    x = layers.Activation(_ACTIVATION, name="stem_activation")(x)
    total = float(sum(stage[0] for stage in stages))
    done = 0
    for i, (repeats, filters_in, filters_out, expansion, se_ratio, stride, fused) in \
            enumerate(stages):
        filters_in, filters_out = round_filters(filters_in), round_filters(filters_out)
        for j in range(int(math.ceil(depth * repeats))):
            x = _block(x, f"block{i + 1}{chr(j + 97)}_", filters_in if j == 0 else filters_out,
                       filters_out, expansion, se_ratio, stride if j == 0 else 1, fused,
                       drop_connect_rate * done / total)
            done += 1
    x = _conv(round_filters(1280), 1, "top_conv")(x)
    x = _bn("top_bn")(x)
    x = layers.Activation(activation=_ACTIVATION, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation,
                         kernel_initializer=_dense_init(),
                         bias_initializer=initializers.Constant(0.0),
                         name="predictions")(x)
    else:
        x = utils.pooling_head(x, pooling, names=("avg_pool", "max_pool"))

    def imagenet_file():
        file_name = name + (".h5" if include_top else "_notop.h5")
        return file_name, _WEIGHTS + file_name, _HASHES[weights_name][0 if include_top else 1]
    return utils.finish(img_input, input_tensor, x, name, weights, imagenet_file)


def _application(suffix, width, depth, size):
    model_name = f"efficientnetv2-{suffix}"

    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              include_preprocessing=True, name=model_name):
        return efficientnet_v2(model_name, width, depth, size,
                               suffix if suffix.startswith("b") else "-" + suffix, include_top,
                               weights, input_tensor, input_shape, pooling, classes,
                               classifier_activation, include_preprocessing, name)
    build.__name__ = build.__qualname__ = f"EfficientNetV2{suffix.upper()}"
    build.__doc__ = (f"{build.__name__}: width x{width}, depth x{depth}, {size}x{size} "
                     f"images.")
    return build


EfficientNetV2B0 = _application("b0", 1.0, 1.0, 224)
EfficientNetV2B1 = _application("b1", 1.0, 1.1, 240)
EfficientNetV2B2 = _application("b2", 1.1, 1.2, 260)
EfficientNetV2B3 = _application("b3", 1.2, 1.4, 300)
EfficientNetV2S = _application("s", 1.0, 1.0, 384)
EfficientNetV2M = _application("m", 1.0, 1.0, 480)
EfficientNetV2L = _application("l", 1.0, 1.0, 480)


def preprocess_input(x, data_format=None):
    """The identity: EfficientNetV2 models rescale their input themselves (kept for API
    compatibility, as in Keras)."""
    return x


decode_predictions = utils.decode_predictions
