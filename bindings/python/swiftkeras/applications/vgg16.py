"""Keras `keras.applications.vgg16`: VGG16 (Simonyan & Zisserman, 2014)."""

from . import imagenet_utils
from ._vgg import vgg

_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """The 16-layer VGG model: five blocks of 3x3 convolutions (2, 2, 3, 3, 3 layers)."""
    return vgg((2, 2, 3, 3, 3), _WEIGHTS, "vgg16", ("64373286793e3c8b2b4e3219cbf3544b",
                                                    "6d6bbae143d832006294945121d1f1fc"),
               include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)


def preprocess_input(x, data_format=None):
    """"caffe" preprocessing: RGB to BGR, each channel centred on the ImageNet mean."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
