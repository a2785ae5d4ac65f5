"""Keras `keras.applications.efficientnet`: EfficientNetB0 to B7 (Tan & Le, 2019): mobile
inverted bottlenecks with squeeze-and-excitation, scaled in width, depth and resolution.
The models take pixels in [0, 255]: their first layers rescale and normalise."""

import math

from .. import layers
from . import imagenet_utils as utils

_WEIGHTS = "https://storage.googleapis.com/keras-applications/"
_HASHES = {  # (with the classifier, without)
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
# (kernel size, repeats, filters in, filters out, expansion, stride) of the seven stages of
# B0; every block has an identity skip where shapes allow and squeeze-and-excitation 0.25.
_STAGES = ((3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2),
           (3, 3, 40, 80, 6, 2), (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2),
           (3, 1, 192, 320, 6, 1))
_SE_RATIO = 0.25
_IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def _conv_init():
    return {"class_name": "VarianceScaling",
            "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}


def _dense_init():
    return {"class_name": "VarianceScaling",
            "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}


def _bn(name):
    return layers.BatchNormalization(axis=utils.channel_axis(3), name=name)


def squeeze_excite(x, filters_in, filters, ratio, name):
    """Squeeze and excitation (EfficientNet and EfficientNetV2): `x` times a per-channel gate
    computed from its global average (a swish bottleneck of `filters_in * ratio` channels,
    then a sigmoid)."""
    squeezed = max(1, int(filters_in * ratio))
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (filters, 1, 1) if utils.channel_axis() == 1 else (1, 1, filters)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(squeezed, 1, padding="same", activation="swish",
                       kernel_initializer=_conv_init(), name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=_conv_init(), name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _block(inputs, drop_rate, name, filters_in, filters_out, kernel_size, strides,
           expand_ratio):
    """A mobile inverted bottleneck: 1x1 expansion, depthwise convolution, squeeze and
    excitation, 1x1 projection, and the identity skip (with drop-connect) where it fits."""
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(filters, 1, padding="same", use_bias=False,
                          kernel_initializer=_conv_init(), name=f"{name}expand_conv")(x)
        x = _bn(f"{name}expand_bn")(x)
        x = layers.Activation("swish", name=f"{name}expand_activation")(x)
    if strides == 2:
        x = layers.ZeroPadding2D(padding=utils.correct_pad(x, kernel_size),
                                 name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides,
                               padding="valid" if strides == 2 else "same", use_bias=False,
                               depthwise_initializer=_conv_init(), name=f"{name}dwconv")(x)
    x = _bn(f"{name}bn")(x)
    x = layers.Activation("swish", name=f"{name}activation")(x)
    x = squeeze_excite(x, filters_in, filters, _SE_RATIO, name)
    x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False,
                      kernel_initializer=_conv_init(), name=f"{name}project_conv")(x)
    x = _bn(f"{name}project_bn")(x)
    if strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def efficientnet(width, depth, default_size, dropout_rate, weights_name, include_top, weights,
                 input_tensor, input_shape, pooling, classes, classifier_activation, name,
                 drop_connect_rate=0.2, divisor=8):
    utils.check_weights_argument(weights, include_top, classes)
    img_input = utils.model_input(input_tensor, input_shape, default_size, 32, include_top,
                                  weights)

    def round_filters(filters):
        filters *= width
        rounded = max(divisor, int(filters + divisor / 2) // divisor * divisor)
        return int(rounded + divisor if rounded < 0.9 * filters else rounded)

    def round_repeats(repeats):
        return int(math.ceil(depth * repeats))

    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=utils.channel_axis(3))(x)
    if weights == "imagenet":
        # The published weights' normalisation divides by the variance: this completes it.
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in _IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(round_filters(32), 3, strides=2, padding="valid", use_bias=False,
                      kernel_initializer=_conv_init(), name="stem_conv")(x)
    x = _bn("stem_bn")(x)
    x = layers.Activation("swish", name="stem_activation")(x)
    total = float(sum(round_repeats(stage[1]) for stage in _STAGES))
    done = 0
    for i, (kernel, repeats, filters_in, filters_out, expansion, stride) in enumerate(_STAGES):
        filters_in, filters_out = round_filters(filters_in), round_filters(filters_out)
        for j in range(round_repeats(repeats)):
            x = _block(x, drop_connect_rate * done / total, f"block{i + 1}{chr(j + 97)}_",
                       filters_in if j == 0 else filters_out, filters_out, kernel,
                       stride if j == 0 else 1, expansion)
            done += 1
    x = layers.Conv2D(round_filters(1280), 1, padding="same", use_bias=False,
                      kernel_initializer=_conv_init(), name="top_conv")(x)
    x = _bn("top_bn")(x)
    x = layers.Activation("swish", name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation,
                         kernel_initializer=_dense_init(), name="predictions")(x)
    else:
        x = utils.pooling_head(x, pooling, names=("avg_pool", "max_pool"))

    def imagenet_file():
        file_name = name + (".h5" if include_top else "_notop.h5")
        return (file_name, _WEIGHTS + file_name,
                _HASHES[weights_name][0 if include_top else 1])
    return utils.finish(img_input, input_tensor, x, name, weights, imagenet_file)


def _application(variant, width, depth, size, dropout_rate):
    model_name = f"efficientnet{variant}"

    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=model_name):
        return efficientnet(width, depth, size, dropout_rate, variant, include_top, weights,
                            input_tensor, input_shape, pooling, classes,
                            classifier_activation, name)
    build.__name__ = build.__qualname__ = f"EfficientNet{variant.upper()}"
    build.__doc__ = (f"{build.__name__}: width x{width}, depth x{depth}, {size}x{size} "
                     f"images, dropout {dropout_rate} before the classifier.")
    return build


EfficientNetB0 = _application("b0", 1.0, 1.0, 224, 0.2)
EfficientNetB1 = _application("b1", 1.0, 1.1, 240, 0.2)
EfficientNetB2 = _application("b2", 1.1, 1.2, 260, 0.3)
EfficientNetB3 = _application("b3", 1.2, 1.4, 300, 0.3)
EfficientNetB4 = _application("b4", 1.4, 1.8, 380, 0.4)
EfficientNetB5 = _application("b5", 1.6, 2.2, 456, 0.4)
EfficientNetB6 = _application("b6", 1.8, 2.6, 528, 0.5)
EfficientNetB7 = _application("b7", 2.0, 3.1, 600, 0.5)


def preprocess_input(x, data_format=None):
    """The identity: EfficientNet models scale their input themselves (kept for API
    compatibility, as in Keras)."""
    return x


decode_predictions = utils.decode_predictions
