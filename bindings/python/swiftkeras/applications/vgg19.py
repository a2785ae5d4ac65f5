"""Keras `keras.applications.vgg19`: VGG19 (Simonyan & Zisserman, 2014)."""

from . import imagenet_utils
from ._vgg import vgg

_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """The 19-layer VGG model: five blocks of 3x3 convolutions (2, 2, 4, 4, 4 layers)."""
    return vgg((2, 2, 4, 4, 4), _WEIGHTS, "vgg19", ("cbe5617147190e668d6c5d5026f83318",
                                                    "253f8cb515780f3b799900260a226db6"),
               include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)


def preprocess_input(x, data_format=None):
    """"caffe" preprocessing: RGB to BGR, each channel centred on the ImageNet mean."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
