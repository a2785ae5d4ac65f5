"""Keras `keras.applications`: the ImageNet models, built from the library's layers with
Keras's layer names and weights layout, so `weights="imagenet"` (downloaded once into
`~/.keras/models`) or a file Keras wrote loads into them."""

from . import (convnext, densenet, efficientnet, efficientnet_v2, imagenet_utils,  # noqa: F401
               inception_resnet_v2, inception_v3, mobilenet, mobilenet_v2, mobilenet_v3, nasnet,
               resnet, resnet50, resnet_v2, vgg16, vgg19, xception)
from .convnext import (ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny,  # noqa: F401
                       ConvNeXtXLarge)
from .densenet import DenseNet121, DenseNet169, DenseNet201  # noqa: F401
from .efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2,  # noqa: F401
                           EfficientNetB3, EfficientNetB4, EfficientNetB5, EfficientNetB6,
                           EfficientNetB7)
from .efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,  # noqa: F401
                              EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M,
                              EfficientNetV2S)
from .inception_resnet_v2 import InceptionResNetV2  # noqa: F401
from .inception_v3 import InceptionV3  # noqa: F401
from .mobilenet import MobileNet  # noqa: F401
from .mobilenet_v2 import MobileNetV2  # noqa: F401
from .mobilenet_v3 import MobileNetV3Large, MobileNetV3Small  # noqa: F401
from .nasnet import NASNetLarge, NASNetMobile  # noqa: F401
from .resnet import ResNet50, ResNet101, ResNet152  # noqa: F401
from .resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2  # noqa: F401
from .vgg16 import VGG16  # noqa: F401
from .vgg19 import VGG19  # noqa: F401
from .xception import Xception  # noqa: F401


# The modules Keras saves its applications' own layers under (a `.keras` entry's "module").
_KERAS_MODULES = ("keras.src.applications.", "keras.applications.")


def _saved_layer_classes(config):
    """The layers of Keras's application modules that a saved model config names (ConvNeXt's
    LayerScale, InceptionResNetV2's CustomScaleLayer), under each name the config gives them:
    Keras's `load_model` finds them by importing their module, so such a file loads there,
    and here, with no custom_objects."""
    from ..layers import Layer
    found = {}

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            module = node.get("module")
            prefix = next((p for p in _KERAS_MODULES if isinstance(module, str) and module.startswith(p)), None)
            if prefix is not None:
                cls = getattr(globals().get(module[len(prefix):]), str(node.get("class_name")), None)
                if isinstance(cls, type) and issubclass(cls, Layer):
                    for name in (node.get("class_name"), node.get("registered_name")):
                        if isinstance(name, str):
                            found[name] = cls
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
    walk(config)
    return found
