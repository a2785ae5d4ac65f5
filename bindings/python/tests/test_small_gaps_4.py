"""Small gaps against real Keras 3 (session 18, gaps4): the application families' own words
for bad arguments."""

import pytest

import swiftkeras
from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE)

# Arguments Keras refuses before building anything (nothing is downloaded).
_BAD_APPLICATION_ARGUMENTS = {
    "weights": dict(weights="no_such_weights_file.h5"),
    "classes": dict(weights="imagenet", classes=10),
    "small": dict(weights=None, input_shape=(16, 16, 3), include_top=False),
    "small_top": dict(weights=None, input_shape=(16, 16, 3)),
    "imagenet_shape": dict(weights="imagenet", input_shape=(100, 100, 3)),
}


def _error(build, kwargs):
    with pytest.raises(ValueError) as info:
        build(**kwargs)
    return str(info.value)


@pytest.mark.parametrize("family", ["MobileNetV3Small", "MobileNetV3Large", "EfficientNetV2B0",
                                    "EfficientNetV2S", "ConvNeXtTiny", "InceptionResNetV2",
                                    "NASNetMobile", "NASNetLarge"])
def test_application_errors_are_keras_words(family):
    keras = real_keras()
    for case, kwargs in _BAD_APPLICATION_ARGUMENTS.items():
        if family.startswith("MobileNetV3") and case == "imagenet_shape":
            continue   # Keras's MobileNetV3 accepts any size there (and downloads its weights)
        assert _error(getattr(swiftkeras.applications, family), kwargs) == \
            _error(getattr(keras.applications, family), kwargs), (family, case)

