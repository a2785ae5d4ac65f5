"""Keras `keras.applications`: the ImageNet models, built from the library's layers with
Keras's layer names and weights layout, so `weights="imagenet"` (downloaded once into
`~/.keras/models`) or a file Keras wrote loads into them."""

from . import (densenet, efficientnet, imagenet_utils, inception_v3,  # noqa: F401
               mobilenet, mobilenet_v2, resnet, resnet50, resnet_v2, vgg16, vgg19, xception)
from .densenet import DenseNet121, DenseNet169, DenseNet201  # noqa: F401
from .efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2,  # noqa: F401
                           EfficientNetB3, EfficientNetB4, EfficientNetB5, EfficientNetB6,
                           EfficientNetB7)
from .inception_v3 import InceptionV3  # noqa: F401
from .mobilenet import MobileNet  # noqa: F401
from .mobilenet_v2 import MobileNetV2  # noqa: F401
from .resnet import ResNet50, ResNet101, ResNet152  # noqa: F401
from .resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2  # noqa: F401
from .vgg16 import VGG16  # noqa: F401
from .vgg19 import VGG19  # noqa: F401
from .xception import Xception  # noqa: F401

# Keras's application models that are not built here yet: asking for one names it.
_NOT_YET = {
    "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
    "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L", "InceptionResNetV2",
    "MobileNetV3Small", "MobileNetV3Large", "NASNetMobile", "NASNetLarge",
    "convnext", "efficientnet_v2", "inception_resnet_v2", "mobilenet_v3", "nasnet",
}


def __getattr__(name):
    if name in _NOT_YET:
        raise AttributeError(f"keras.applications.{name} exists in Keras but not yet in "
                             f"swiftkeras; the applications here are: "
                             f"{', '.join(n for n in sorted(globals()) if n[0].isupper())}")
    raise AttributeError(f"module 'swiftkeras.applications' has no attribute '{name}'")
