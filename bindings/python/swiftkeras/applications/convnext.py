"""Keras `keras.applications.convnext`: ConvNeXtTiny, Small, Base, Large and XLarge (Liu et
al., 2022): a patchify stem and three downsampling blocks (each a small Sequential model, as
Keras builds them), and between them blocks of a 7x7 depthwise convolution, layer
normalization, an inverted bottleneck of two Dense layers and a learned per-channel scale
(`LayerScale`) on a residual path. The models take pixels in [0, 255] (their first layer
normalizes them with the ImageNet mean and variance) unless `include_preprocessing=False`."""

from .. import backend, layers
from . import imagenet_utils as utils

_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
_HASHES = {  # sha256 (with the classifier, without)
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}
# (blocks per stage, channels per stage) of each size; every size takes 224x224 images.
_SIZES = {
    "tiny": ((3, 3, 9, 3), (96, 192, 384, 768)),
    "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
    "base": ((3, 3, 27, 3), (128, 256, 512, 1024)),
    "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
    "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048)),
}
_LAYER_SCALE_INIT = 1e-6


# Keras's LayerScale and StochasticDepth: the library's layers.
__getattr__ = utils.own_layers(__name__)


def _block(x, channels, name):
    """A ConvNeXt block: depthwise 7x7 convolution, layer norm, Dense to 4x the channels,
    GELU, Dense back, the layer scale; added to the block's input."""
    inputs = x
    x = layers.Conv2D(filters=channels, kernel_size=7, padding="same", groups=channels,
                      name=f"{name}_depthwise_conv")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * channels, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(channels, name=f"{name}_pointwise_conv_2")(x)
    x = __getattr__("LayerScale")(_LAYER_SCALE_INIT, channels, name=f"{name}_layer_scale")(x)
    # The applications use no stochastic depth: the residual path is an identity.
    return inputs + layers.Activation("linear", name=f"{name}_identity")(x)


def _downsampling(channels, i, name):
    """The stem (i = 0: a 4x4 patchify convolution, then layer norm) or the downsampling block
    before stage i (layer norm, then a 2x2 convolution of stride 2), a Sequential model."""
    from ..models import Sequential
    if i == 0:
        return Sequential([layers.Conv2D(channels, kernel_size=4, strides=4,
                                         name=f"{name}_stem_conv"),
                           layers.LayerNormalization(epsilon=1e-6,
                                                     name=f"{name}_stem_layernorm")],
                          name=f"{name}_stem")
    return Sequential([layers.LayerNormalization(epsilon=1e-6,
                                                 name=f"{name}_downsampling_layernorm_{i - 1}"),
                       layers.Conv2D(channels, kernel_size=2, strides=2,
                                     name=f"{name}_downsampling_conv_{i - 1}")],
                      name=f"{name}_downsampling_block_{i - 1}")


def convnext(size, weights_name, include_top, include_preprocessing, weights, input_tensor,
             input_shape, pooling, classes, classifier_activation, name):
    if backend.image_data_format() == "channels_first":
        raise ValueError("ConvNeXt does not support the `channels_first` image data format. "
                         "Switch to `channels_last` by editing your local config file at "
                         "~/.keras/keras.json")
    utils.check_weights_argument(weights, include_top, classes, "convnext")
    depths, channels = _SIZES[size]
    input_shape = utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                           data_format=backend.image_data_format(),
                                           require_flatten=include_top, weights=weights)
    img_input = utils.image_input(input_tensor, input_shape)
    x = img_input
    if include_preprocessing and input_shape[-1] == 3:
        x = layers.Normalization(mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
                                 variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2,
                                           (0.225 * 255) ** 2],
                                 name=f"{name}_prestem_normalization")(x)
    for i, depth in enumerate(depths):
        x = _downsampling(channels[i], i, name)(x)
        for j in range(depth):
            x = _block(x, channels[i], f"{name}_stage_{i}_block_{j}")
    if include_top:
        utils.validate_activation(classifier_activation, weights)
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation,
                         name=f"{name}_head_dense")(x)
    else:
        x = utils.pooling_head(x, pooling)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
    if weights == "imagenet" and weights_name not in name:
        raise ValueError(f'Model name "{name}" does not match weights variant '
                         f'"{weights_name}". When using imagenet weights, model name must '
                         f'contain the weights variant (e.g., "convnext_{size}").')

    def imagenet_file():
        file_name = name + (".h5" if include_top else "_notop.h5")
        return file_name, _WEIGHTS + file_name, _HASHES[weights_name][0 if include_top else 1]
    return utils.finish(img_input, input_tensor, x, name, weights, imagenet_file)


def _application(size):
    model_name = f"convnext_{size}"

    def build(include_top=True, include_preprocessing=True, weights="imagenet",
              input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=model_name):
        return convnext(size, model_name, include_top, include_preprocessing, weights,
                        input_tensor, input_shape, pooling, classes, classifier_activation, name)
    depths, channels = _SIZES[size]
    build.__name__ = build.__qualname__ = f"ConvNeXt{size.capitalize().replace('large', 'Large')}"
    build.__doc__ = (f"{build.__name__}: stages of {', '.join(map(str, depths))} blocks of "
                     f"{', '.join(map(str, channels))} channels.")
    return build


ConvNeXtTiny = _application("tiny")
ConvNeXtSmall = _application("small")
ConvNeXtBase = _application("base")
ConvNeXtLarge = _application("large")
ConvNeXtXLarge = _application("xlarge")


def preprocess_input(x, data_format=None):
    """The identity: ConvNeXt models normalize their input themselves (kept for API
    compatibility, as in Keras)."""
    return x


decode_predictions = utils.decode_predictions
