"""Keras `keras.applications.nasnet`: NASNetMobile and NASNetLarge (Zoph et al., 2018): the
NASNet-A normal and reduction cells found by architecture search, each combining the two
previous cells' outputs through separable convolutions and poolings."""

from .. import backend, layers
from . import imagenet_utils as utils

_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
# The published files: (file name here, file name there, md5) by (default size, with the
# classifier).
_FILES = {
    (224, True): ("nasnet_mobile.h5", "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
    (224, False): ("nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5",
                   "1ed92395b5b598bdda52abe5c0dbfd63"),
    (331, True): ("nasnet_large.h5", "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
    (331, False): ("nasnet_large_no_top.h5", "NASNet-large-no-top.h5",
                   "d81d89dc07e6e56530c4e77faddd61b5"),
}


def _bn(name=None):
    return layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)


def _conv1x1(filters, name):
    return layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", use_bias=False,
                         name=name, kernel_initializer="he_normal")


def _separable(x, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """Twice ReLU, separable convolution (the first with the stride) and batch norm."""
    x = layers.Activation("relu")(x)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=utils.correct_pad(x, kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides,
                               name=f"separable_conv_1_{block_id}",
                               padding="valid" if strides == (2, 2) else "same",
                               use_bias=False)(x)
    x = _bn(f"separable_conv_1_bn_{block_id}")(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}",
                               padding="same", use_bias=False)(x)
    return _bn(f"separable_conv_2_bn_{block_id}")(x)


def _adjust(p, ip, filters, block_id):
    """The previous cell's output `p` made to fit this cell's input `ip`: halved in size (two
    offset average poolings of stride 2, each to half the filters) or projected to `filters`
    channels."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = _conv1x1(filters // 2, f"adjust_conv_1_{block_id}")(p1)
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = _conv1x1(filters // 2, f"adjust_conv_2_{block_id}")(p2)
        p = layers.concatenate([p1, p2], axis=-1)
        return _bn(f"adjust_bn_{block_id}")(p)
    if p.shape[-1] != filters:
        p = layers.Activation("relu")(p)
        p = _conv1x1(filters, f"adjust_conv_projection_{block_id}")(p)
        return _bn(f"adjust_bn_{block_id}")(p)
    return p


def _pool(kind, strides, name):
    cls = layers.AveragePooling2D if kind == "avg" else layers.MaxPooling2D
    return cls((3, 3), strides=strides, padding="same" if strides == (1, 1) else "valid",
               name=name)


def _normal_cell(ip, p, filters, block_id):
    p = _adjust(p, ip, filters, block_id)
    h = layers.Activation("relu")(ip)
    h = _conv1x1(filters, f"normal_conv_1_{block_id}")(h)
    h = _bn(f"normal_bn_1_{block_id}")(h)
    x1 = layers.add([_separable(h, filters, (5, 5), block_id=f"normal_left1_{block_id}"),
                     _separable(p, filters, block_id=f"normal_right1_{block_id}")],
                    name=f"normal_add_1_{block_id}")
    x2 = layers.add([_separable(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
                     _separable(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")],
                    name=f"normal_add_2_{block_id}")
    x3 = layers.add([_pool("avg", (1, 1), f"normal_left3_{block_id}")(h), p],
                    name=f"normal_add_3_{block_id}")
    x4 = layers.add([_pool("avg", (1, 1), f"normal_left4_{block_id}")(p),
                     _pool("avg", (1, 1), f"normal_right4_{block_id}")(p)],
                    name=f"normal_add_4_{block_id}")
    x5 = layers.add([_separable(h, filters, block_id=f"normal_left5_{block_id}"), h],
                    name=f"normal_add_5_{block_id}")
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_cell(ip, p, filters, block_id):
    p = _adjust(p, ip, filters, block_id)
    h = layers.Activation("relu")(ip)
    h = _conv1x1(filters, f"reduction_conv_1_{block_id}")(h)
    h = _bn(f"reduction_bn_1_{block_id}")(h)
    h3 = layers.ZeroPadding2D(padding=utils.correct_pad(h, 3),
                              name=f"reduction_pad_1_{block_id}")(h)
    x1 = layers.add([_separable(h, filters, (5, 5), (2, 2), f"reduction_left1_{block_id}"),
                     _separable(p, filters, (7, 7), (2, 2), f"reduction_right1_{block_id}")],
                    name=f"reduction_add_1_{block_id}")
    x2 = layers.add([_pool("max", (2, 2), f"reduction_left2_{block_id}")(h3),
                     _separable(p, filters, (7, 7), (2, 2), f"reduction_right2_{block_id}")],
                    name=f"reduction_add_2_{block_id}")
    x3 = layers.add([_pool("avg", (2, 2), f"reduction_left3_{block_id}")(h3),
                     _separable(p, filters, (5, 5), (2, 2), f"reduction_right3_{block_id}")],
                    name=f"reduction_add3_{block_id}")
    x4 = layers.add([x2, _pool("avg", (1, 1), f"reduction_left4_{block_id}")(x1)])
    x5 = layers.add([_separable(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}"),
                     _pool("max", (2, 2), f"reduction_right5_{block_id}")(h3)],
                    name=f"reduction_add4_{block_id}")
    x = layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


def nasnet(input_shape, penultimate_filters, num_blocks, stem_block_filters, skip_reduction,
           filter_multiplier, include_top, weights, input_tensor, pooling, classes,
           default_size, classifier_activation, name):
    if backend.image_data_format() == "channels_first":
        raise ValueError("NASNet does not support the `channels_first` image data format. "
                         "Switch to `channels_last` by editing your local config file at "
                         "~/.keras/keras.json")
    utils.check_weights_argument(weights, include_top, classes, "nasnet")
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(f"When specifying the input shape of a NASNet and loading `ImageNet` "
                         f"weights, the input_shape argument must be static (no None "
                         f"entries). Got: `input_shape={input_shape}`.")
    img_input = utils.model_input(input_tensor, input_shape, default_size, 32, include_top,
                                  weights)
    if penultimate_filters % (24 * (filter_multiplier**2)) != 0:
        raise ValueError(f"For NASNet-A models, the `penultimate_filters` must be a multiple "
                         f"of 24 * (`filter_multiplier` ** 2). Current value: "
                         f"{penultimate_filters}")
    filters = penultimate_filters // 24
    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid",
                      use_bias=False, name="stem_conv1", kernel_initializer="he_normal")(img_input)
    x = _bn("stem_bn1")(x)
    x, p = _reduction_cell(x, None, filters // (filter_multiplier**2), "stem_1")
    x, p = _reduction_cell(x, p, filters // filter_multiplier, "stem_2")
    for stage in range(3):
        if stage:
            x, p0 = _reduction_cell(x, p, filters * filter_multiplier**stage,
                                    f"reduce_{stage * num_blocks}")
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            block_id = f"{i}" if stage == 0 else f"{stage * num_blocks + i + 1}"
            x, p = _normal_cell(x, p, filters * filter_multiplier**stage, block_id)
    x = layers.Activation("relu")(x)
    if include_top:
        x = utils.classifier_head(x, classes, classifier_activation, weights, pool_name=None)
    else:
        x = utils.pooling_head(x, pooling)

    def imagenet_file():
        if (default_size, include_top) not in _FILES:
            raise ValueError("ImageNet weights can only be loaded with NASNetLarge or "
                             "NASNetMobile")
        file_name, published, file_hash = _FILES[(default_size, include_top)]
        return file_name, _WEIGHTS + published, file_hash
    return utils.finish(img_input, input_tensor, x, name, weights, imagenet_file)


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                 pooling=None, classes=1000, classifier_activation="softmax",
                 name="nasnet_mobile"):
    """NASNet-A (4 @ 1056) for 224x224 images."""
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return nasnet(input_shape, 1056, 4, 32, False, 2, include_top, weights, input_tensor,
                  pooling, classes, 224, classifier_activation, name)


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="nasnet_large"):
    """NASNet-A (6 @ 4032) for 331x331 images."""
    return nasnet(input_shape, 4032, 6, 96, True, 2, include_top, weights, input_tensor,
                  pooling, classes, 331, classifier_activation, name)


def preprocess_input(x, data_format=None):
    """"tf" preprocessing: pixels scaled from [0, 255] to [-1, 1]."""
    return utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = utils.decode_predictions
