"""Keras 3's photometric image layers (those whose labels, bounding boxes and segmentation masks
pass unchanged: RandomColorJitter, RandomInvert, AutoContrast, ...) called on Keras's dict of
`images`, `labels` and `segmentation_masks` (the keras.io docstring example), against real
Keras 3: the same keys, the images as Keras's where the layer is deterministic (AutoContrast)
and of Keras's shape elsewhere, the labels and masks as Keras returns them, and Keras's error
for bounding boxes without a box format."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import CORE, needs, real_keras
from swiftkeras.layers import _PHOTOMETRIC

keras = real_keras()
pytestmark = needs(*CORE)

RNG = np.random.RandomState(0)
DATA = {"images": RNG.randint(0, 255, (3, 6, 5, 3)).astype("float32"),
        "labels": np.eye(3, dtype="float32")[[0, 2, 1]],
        "segmentation_masks": RNG.randint(0, 3, (3, 6, 5, 1)).astype("uint8")}
# Arguments where the layer needs some (the docstrings' value range of 0-255 images).
ARGS = {"RandomBrightness": {"factor": 0.2, "value_range": (0, 255)},
        "RandomContrast": {"factor": 0.2, "value_range": (0, 255)},
        "RandomColorDegeneration": {"factor": 0.5, "value_range": (0, 255)},
        "RandomHue": {"factor": 0.5, "value_range": (0, 255)},
        "RandomSaturation": {"factor": 0.5, "value_range": (0, 255)},
        "RandomSharpness": {"factor": 0.5, "value_range": (0, 255)},
        "RandomPosterization": {"factor": (1, 4), "value_range": (0, 255)},
        "Solarization": {"addition_factor": 0.2, "threshold_factor": 0.3, "value_range": (0, 255)},
        "RandomGrayscale": {"factor": 0.5}}   # (Keras's takes no value_range)


def _args(name):
    return ARGS.get(name, {"value_range": (0, 255)})


@pytest.mark.parametrize("name", sorted(_PHOTOMETRIC))
def test_keras_passes_their_labels_boxes_and_masks_unchanged(name):
    """The list itself: Keras's layer returns what its three transforms are given."""
    layer, given = getattr(keras.layers, name)(**_args(name)), object()
    for transform in ("transform_labels", "transform_bounding_boxes", "transform_segmentation_masks"):
        assert getattr(layer, transform)(given, transformation=None) is given, (name, transform)


# (each Keras call compiles its layer: a few of the list, the docstrings' ones among them)
@pytest.mark.parametrize("name", ["AutoContrast", "RandomColorJitter", "RandomInvert", "Solarization"])
def test_dict_call_passes_labels_and_masks_as_keras(name):
    ours = getattr(sk.layers, name)(**_args(name))({k: v.copy() for k, v in DATA.items()}, training=True)
    ref = getattr(keras.layers, name)(**_args(name))({k: v.copy() for k, v in DATA.items()}, training=True)
    assert sorted(ours) == sorted(ref)
    assert np.asarray(ours["images"]).shape == np.asarray(ref["images"]).shape
    for key in ("labels", "segmentation_masks"):
        np.testing.assert_array_equal(np.asarray(ours[key]), np.asarray(ref[key]), err_msg=f"{name} {key}")
    if name == "AutoContrast":   # (no random draw)
        np.testing.assert_allclose(np.asarray(ours["images"]), np.asarray(ref["images"]), rtol=1e-5, atol=1e-3)


def test_bounding_boxes_without_a_format_are_refused_as_keras():
    data = dict(DATA, bounding_boxes={"boxes": np.zeros((3, 1, 4), "float32"), "labels": np.zeros((3, 1), "int32")})
    with pytest.raises(ValueError) as ref:
        keras.layers.RandomInvert(value_range=(0, 255))(dict(data))
    with pytest.raises(ValueError) as ours:
        sk.layers.RandomInvert(value_range=(0, 255))(dict(data))
    assert str(ours.value) in str(ref.value).replace("\x1b[1m", "").replace("\x1b[0m", "")
