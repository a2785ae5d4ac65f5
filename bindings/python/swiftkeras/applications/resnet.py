"""Keras `keras.applications.resnet`: ResNet50, ResNet101 and ResNet152 (He et al., 2015);
the version-2 models (pre-activation blocks) are in `resnet_v2`, built by the same code."""

from .. import layers
from . import imagenet_utils as utils

_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
_HASHES = {  # (with the classifier, without)
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_BN_EPSILON = 1.001e-5


def _bn(name):
    return layers.BatchNormalization(axis=utils.channel_axis(3), epsilon=_BN_EPSILON, name=name)


def _bottleneck(x, filters, stride=1, shortcut_conv=True, name=None):
    """A version-1 residual block: 1x1, 3x3, 1x1 convolutions, each batch-normalised, added
    to the input (or to its 1x1 projection) before the ReLU."""
    if shortcut_conv:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = _bn(name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = _bn(name + "_1_bn")(x)
    x = layers.Activation("relu", name=name + "_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=name + "_2_conv")(x)
    x = _bn(name + "_2_bn")(x)
    x = layers.Activation("relu", name=name + "_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = _bn(name + "_3_bn")(x)
    x = layers.Add(name=name + "_add")([shortcut, x])
    return layers.Activation("relu", name=name + "_out")(x)


def _preact_bottleneck(x, filters, stride=1, shortcut_conv=False, name=None):
    """A version-2 residual block: batch norm and ReLU come first, the stride is on the 3x3
    convolution, and the identity shortcut of a strided block is a 1x1 max pooling."""
    preact = _bn(name + "_preact_bn")(x)
    preact = layers.Activation("relu", name=name + "_preact_relu")(preact)
    if shortcut_conv:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=name + "_1_conv")(preact)
    x = _bn(name + "_1_bn")(x)
    x = layers.Activation("relu", name=name + "_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=name + "_2_pad")(x)
    x = layers.Conv2D(filters, 3, strides=stride, use_bias=False, name=name + "_2_conv")(x)
    x = _bn(name + "_2_bn")(x)
    x = layers.Activation("relu", name=name + "_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    return layers.Add(name=name + "_out")([shortcut, x])


def _stage(x, filters, blocks, first_stride, name, preact):
    """A stage of `blocks` residual blocks. Version 1 strides its first block (which
    projects the shortcut); version 2 projects in the first block and strides the last."""
    if not preact:
        x = _bottleneck(x, filters, stride=first_stride, name=name + "_block1")
        for i in range(2, blocks + 1):
            x = _bottleneck(x, filters, shortcut_conv=False, name=f"{name}_block{i}")
        return x
    x = _preact_bottleneck(x, filters, shortcut_conv=True, name=name + "_block1")
    for i in range(2, blocks):
        x = _preact_bottleneck(x, filters, name=f"{name}_block{i}")
    return _preact_bottleneck(x, filters, stride=first_stride, name=f"{name}_block{blocks}")


def resnet(stage_blocks, preact, weights_name, include_top, weights, input_tensor, input_shape,
           pooling, classes, classifier_activation, name):
    """A ResNet of four bottleneck stages of 64, 128, 256 and 512 filters (x4 out)."""
    utils.check_weights_argument(weights, include_top, classes)
    img_input = utils.model_input(input_tensor, input_shape, 224, 32, include_top, weights)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    if not preact:
        x = _bn("conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    # Version 1 strides each stage but the first at its start; version 2 each stage but the
    # last at its end.
    strides = (1, 2, 2, 2) if not preact else (2, 2, 2, 1)
    for stage, (filters, blocks, stride) in enumerate(zip((64, 128, 256, 512), stage_blocks,
                                                          strides), start=2):
        x = _stage(x, filters, blocks, stride, f"conv{stage}", preact)
    if preact:
        x = _bn("post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    if include_top:
        x = utils.classifier_head(x, classes, classifier_activation, weights)
    else:
        x = utils.pooling_head(x, pooling, names=("avg_pool", "max_pool"))

    return utils.finish(img_input, input_tensor, x, name, weights, utils.tf_kernels_file(
        _WEIGHTS, weights_name, include_top, _HASHES[weights_name]))


def application(stage_blocks, preact, model_name, doc):
    """The public builder of one ResNet: Keras's arguments, this model's depth and version."""
    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                    pooling=None, classes=1000, classifier_activation="softmax",
                    name=model_name):
        return resnet(stage_blocks, preact, model_name, include_top, weights, input_tensor,
                      input_shape, pooling, classes, classifier_activation, name)
    build.__name__ = build.__qualname__ = doc.split(":")[0]
    build.__doc__ = doc
    return build


ResNet50 = application((3, 4, 6, 3), False, "resnet50",
                       "ResNet50: stages of 3, 4, 6 and 3 blocks.")
ResNet101 = application((3, 4, 23, 3), False, "resnet101",
                        "ResNet101: stages of 3, 4, 23 and 3 blocks.")
ResNet152 = application((3, 8, 36, 3), False, "resnet152",
                        "ResNet152: stages of 3, 8, 36 and 3 blocks.")


def preprocess_input(x, data_format=None):
    """"caffe" preprocessing: RGB to BGR, each channel centred on the ImageNet mean."""
    return utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = utils.decode_predictions
