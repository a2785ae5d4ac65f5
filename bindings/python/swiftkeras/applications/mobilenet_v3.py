"""Keras `keras.applications.mobilenet_v3`: MobileNetV3Small and MobileNetV3Large (Howard et
al., 2019): inverted residual blocks with squeeze-and-excitation and hard-swish activations,
their width scaled by `alpha`; `minimalistic` drops the squeeze-and-excitation and hard-swish
and uses 3x3 kernels only. The models take pixels in [0, 255] (their first layer rescales them
to [-1, 1]) unless `include_preprocessing=False`."""

import warnings

from .. import layers
from . import imagenet_utils as utils
from .mobilenet_v2 import make_divisible

_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
_HASHES = {  # (with the classifier, without)
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}
# The inverted residual blocks: (expansion, filters, kernel, stride, squeeze-and-excitation,
# activation). A kernel of None is the model's (5, or 3 when minimalistic); "se" blocks have
# squeeze-and-excitation and "hs" blocks hard-swish unless minimalistic.
_SMALL = ((1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"),
          (88 / 24, 24, 3, 1, False, "relu"), (4, 40, None, 2, True, "hs"),
          (6, 40, None, 1, True, "hs"), (6, 40, None, 1, True, "hs"), (3, 48, None, 1, True, "hs"),
          (3, 48, None, 1, True, "hs"), (6, 96, None, 2, True, "hs"), (6, 96, None, 1, True, "hs"),
          (6, 96, None, 1, True, "hs"))
_LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"), (3, 24, 3, 1, False, "relu"),
          (3, 40, None, 2, True, "relu"), (3, 40, None, 1, True, "relu"),
          (3, 40, None, 1, True, "relu"), (6, 80, 3, 2, False, "hs"), (2.5, 80, 3, 1, False, "hs"),
          (2.3, 80, 3, 1, False, "hs"), (2.3, 80, 3, 1, False, "hs"), (6, 112, 3, 1, True, "hs"),
          (6, 112, 3, 1, True, "hs"), (6, 160, None, 2, True, "hs"), (6, 160, None, 1, True, "hs"),
          (6, 160, None, 1, True, "hs"))
_SE_RATIO = 0.25


def _relu(x):
    return layers.ReLU()(x)


def _hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _hard_sigmoid(x):
    """relu6(x + 3) / 6, written as Keras's model writes it: two operations around a ReLU."""
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _bn(name):
    return layers.BatchNormalization(axis=utils.channel_axis(), epsilon=1e-3, momentum=0.999,
                                     name=name)


def _squeeze_excite(inputs, filters, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=prefix + "squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(make_divisible(filters * _SE_RATIO, 8), kernel_size=1, padding="same",
                      name=prefix + "squeeze_excite_conv")(x)
    x = layers.ReLU(name=prefix + "squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=prefix + "squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=prefix + "squeeze_excite_mul")([inputs, x])


def _inverted_residual(x, expansion, filters, kernel_size, stride, se, activation, block_id):
    shortcut = x
    channels = x.shape[utils.channel_axis()]
    expanded = make_divisible(channels * expansion, 8)
    prefix = f"expanded_conv_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(expanded, kernel_size=1, padding="same", use_bias=False,
                          name=prefix + "expand")(x)
        x = _bn(prefix + "expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=utils.correct_pad(x, kernel_size),
                                 name=prefix + "depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=prefix + "depthwise")(x)
    x = _bn(prefix + "depthwise_bn")(x)
    x = activation(x)
    if se:
        x = _squeeze_excite(x, expanded, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=prefix + "project")(x)
    x = _bn(prefix + "project_bn")(x)
    if stride == 1 and channels == filters:
        x = layers.Add(name=prefix + "add")([shortcut, x])
    return x


def _input(input_tensor, input_shape):
    """Keras's MobileNetV3 input rules: `input_shape` defaults to the input tensor's (3
    channels) or to any size; each given side must be at least 32."""
    last = utils.channel_axis() == -1
    if input_shape is not None and input_tensor is not None:
        if not isinstance(input_tensor, layers.KerasTensor):
            raise ValueError(f"input_tensor specified: {input_tensor} is not a keras tensor")
        if input_tensor.shape[2 if last else 1] != input_shape[1]:
            raise ValueError(f"input_shape[1] must equal input_tensor.shape[2].  Received "
                             f"input_shape={input_shape}, input_tensor.shape="
                             f"{input_tensor.shape}" if last else
                             f"When backend.image_data_format()=channels_first, input_shape[1] "
                             f"must equal input_tensor.shape[1].  Received "
                             f"input_shape={input_shape}, input_tensor.shape={input_tensor.shape}")
    if input_shape is None and input_tensor is not None:
        rows, cols = input_tensor.shape[1:3] if last else input_tensor.shape[2:4]
        input_shape = (cols, rows, 3) if last else (3, cols, rows)
    if input_shape is None:
        input_shape = (None, None, 3) if last else (3, None, None)
    rows, cols = utils.image_rows_cols(input_shape)
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape="
                         f"{input_shape}`")
    return input_shape, rows, cols


def mobilenet_v3(blocks, last_point_channels, model_type, input_shape, alpha, minimalistic,
                 include_top, weights, input_tensor, classes, pooling, dropout_rate,
                 classifier_activation, include_preprocessing, name):
    utils.check_weights_argument(weights, include_top, classes, "mobilenet_v3")
    input_shape, rows, cols = _input(input_tensor, input_shape)
    if weights == "imagenet":
        if (not minimalistic and alpha not in [0.75, 1.0]) or (minimalistic and alpha != 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of `0.75`, "
                             "`1.0` for non minimalistic or `1.0` for minimalistic only.")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. "
                          "Weights for input shape (224, 224) will be loaded as the default.",
                          stacklevel=3)
    img_input = utils.image_input(input_tensor, input_shape)
    kernel, activation, se_allowed = (3, _relu, False) if minimalistic else (5, _hard_swish, True)
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="conv")(x)
    x = _bn("conv_bn")(x)
    x = activation(x)
    for block_id, (expansion, filters, size, stride, se, kind) in enumerate(blocks):
        x = _inverted_residual(x, expansion, make_divisible(filters * alpha, 8), size or kernel,
                               stride, se and se_allowed, _relu if kind == "relu" else activation,
                               block_id)
    last_conv_channels = make_divisible(x.shape[utils.channel_axis()] * 6, 8)
    if alpha > 1.0:
        last_point_channels = make_divisible(last_point_channels * alpha, 8)
    x = layers.Conv2D(last_conv_channels, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = _bn("conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_channels, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = utils.pooling_head(x, pooling, names=("avg_pool", "max_pool"))

    def imagenet_file():
        model_name = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        file_name = (f"weights_mobilenet_v3_{model_name}.h5" if include_top
                     else f"weights_mobilenet_v3_{model_name}_no_top_v2.h5")
        return file_name, _WEIGHTS + file_name, _HASHES[model_name][0 if include_top else 1]
    return utils.finish(img_input, input_tensor, x, name, weights, imagenet_file)


def _application(blocks, last_point_channels, model_type, model_name):
    def build(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
              weights="imagenet", input_tensor=None, classes=1000, pooling=None,
              dropout_rate=0.2, classifier_activation="softmax", include_preprocessing=True,
              name=model_name):
        return mobilenet_v3(blocks, last_point_channels, model_type, input_shape, alpha,
                            minimalistic, include_top, weights, input_tensor, classes, pooling,
                            dropout_rate, classifier_activation, include_preprocessing, name)
    build.__name__ = build.__qualname__ = model_name
    build.__doc__ = (f"{model_name}: {len(blocks)} inverted residual blocks; `alpha` scales their "
                     f"filters (ImageNet weights for 0.75 and 1.0, or 1.0 minimalistic, at "
                     f"224x224).")
    return build


MobileNetV3Small = _application(_SMALL, 1024, "small", "MobileNetV3Small")
MobileNetV3Large = _application(_LARGE, 1280, "large", "MobileNetV3Large")


def preprocess_input(x, data_format=None):
    """The identity: MobileNetV3 models rescale their input themselves (kept for API
    compatibility, as in Keras)."""
    return x


decode_predictions = utils.decode_predictions
