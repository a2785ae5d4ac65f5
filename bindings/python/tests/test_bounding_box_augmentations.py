"""Keras 3's image augmentation layers with `bounding_box_format`, called on Keras's dict of
`images`, `bounding_boxes`, `labels` and `segmentation_masks`, against real Keras 3 (JAX) on the
same inputs and seeds: the boxes (every format family), their labels (-1 where a box is left
without area), the masks and the images as Keras returns them, in training and at inference,
batched and single images; the photometric layers and AugMix return the boxes as given (AugMix
mixes the masks through its chains' geometric steps); the
argument round-trips through get_config / from_config."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import CORE, needs, real_keras

keras = real_keras()
pytestmark = needs(*CORE)

HEIGHT, WIDTH = 12, 16
RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (3, HEIGHT, WIDTH, 3)).astype("float32")
MASKS = RNG.integers(0, 3, (3, HEIGHT, WIDTH, 1)).astype("uint8")
_X, _Y = RNG.uniform(-2, WIDTH + 2, (3, 4, 2)), RNG.uniform(-2, HEIGHT + 2, (3, 4, 2))
XYXY = np.stack([_X.min(-1), _Y.min(-1), _X.max(-1), _Y.max(-1)], axis=-1).astype("float32")
LABELS = RNG.integers(0, 4, (3, 4)).astype("int32")

# (class, arguments); the random ones are made with seed=7 on both sides
GEOMETRIC = [("RandomFlip", {}), ("RandomFlip", {"mode": "vertical"}),
             ("RandomTranslation", {"height_factor": 0.2, "width_factor": (-0.3, 0.1)}),
             ("RandomRotation", {"factor": 0.2}),
             ("RandomZoom", {"height_factor": (-0.3, 0.2), "width_factor": 0.4}),
             ("RandomShear", {"x_factor": 0.3, "y_factor": 0.3}),
             ("RandomCrop", {"height": 6, "width": 8}), ("CenterCrop", {"height": 6, "width": 8}),
             ("Resizing", {"height": 6, "width": 10}), ("Resizing", {"height": 6, "width": 10, "crop_to_aspect_ratio": True}),
             ("RandomPerspective", {"factor": 0.8}), ("RandAugment", {"num_ops": 3})]
UNSEEDED = {"CenterCrop", "Resizing"}


def _layer(lib, name, kwargs, fmt):
    seed = {} if name in UNSEEDED else {"seed": 7}
    return getattr(lib.layers, name)(bounding_box_format=fmt, **seed, **kwargs)


def _data(fmt, single=False, masks=True):
    boxes = np.asarray(keras.utils.bounding_boxes.convert_format(XYXY, "xyxy", fmt, height=HEIGHT, width=WIDTH))
    data = {"images": IMAGES, "bounding_boxes": {"boxes": boxes, "labels": LABELS},
            "labels": np.eye(3, dtype="float32")}
    if masks:
        data["segmentation_masks"] = MASKS
    if single:
        data = {"images": IMAGES[0], "bounding_boxes": {"boxes": boxes[0], "labels": LABELS[0]}}
    return {k: (dict(v) if isinstance(v, dict) else v.copy()) for k, v in data.items()}


def _same(ours, ref, what, exact=False):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.dtype == ref.dtype and ours.shape == ref.shape, (what, ours.dtype, ref.dtype, ours.shape, ref.shape)
    if exact:
        np.testing.assert_array_equal(ours, ref, err_msg=what)
    else:
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=2e-3, err_msg=what)


def _compare(ours, ref, name):
    assert sorted(ours) == sorted(ref) and sorted(ours["bounding_boxes"]) == sorted(ref["bounding_boxes"])
    _same(ours["bounding_boxes"]["boxes"], ref["bounding_boxes"]["boxes"], f"{name} boxes")
    _same(ours["bounding_boxes"]["labels"], ref["bounding_boxes"]["labels"], f"{name} box labels", exact=True)
    _same(ours["images"], ref["images"], f"{name} images")
    if "labels" in ref:
        _same(ours["labels"], ref["labels"], f"{name} labels", exact=True)
    if "segmentation_masks" in ref:
        masks = np.asarray(ref["segmentation_masks"])   # (AugMix mixes them in float32)
        _same(ours["segmentation_masks"], masks, f"{name} masks", exact=masks.dtype.kind in "iu")


FORMATS = ("xyxy", "rel_center_xywh", "yxyx", "rel_xywh", "center_yxhw", "xywh")


# The slowest of Keras's calls (its eager RandAugment and AugMix: their Equalization's 256-bin
# loops, 20 s of CPU) are read from a fixture: scripts/make_keras_reference_fixtures.py
# bounding_box_augmentations writes these functions' outputs in Keras.
AUGMIX_KWARGS = ({}, {"all_ops": False, "num_chains": 2, "chain_depth": 4})


def _rand_augment_training(lib):
    case = [n for n, _ in GEOMETRIC].index("RandAugment")
    fmt = FORMATS[case % len(FORMATS)]
    return _layer(lib, "RandAugment", GEOMETRIC[case][1], fmt)(_data(fmt), training=True)


def _augmix_training(lib, kwargs):
    import random
    random.seed(3)
    return lib.layers.AugMix(bounding_box_format="xyxy", seed=3, **kwargs)(_data("xyxy"), training=True)


def _keras_output(name):
    """Keras's output dict `name` from the fixture."""
    from conftest import keras_reference
    found = keras_reference("layers", "keras_bounding_box_augmentations.json")[name]
    return {k: ({kk: vv[0] for kk, vv in v.items()} if isinstance(v, dict) else v[0]) for k, v in found.items()}


@pytest.mark.parametrize("case", range(len(GEOMETRIC)), ids=[f"{n}-{i}" for i, (n, _) in enumerate(GEOMETRIC)])
def test_boxes_and_masks_move_as_keras(case):
    name, kwargs = GEOMETRIC[case]
    fmt = FORMATS[case % len(FORMATS)]   # (each case its own format: Keras's calls are the test's time)
    if name == "RandAugment":   # (Keras's RandAugment runs eagerly: slow)
        _compare(_rand_augment_training(sk), _keras_output("RandAugment"), f"{name} training")
        return
    ours, ref = _layer(sk, name, kwargs, fmt), _layer(keras, name, kwargs, fmt)
    # a training call, then one on a single image (boxes (boxes, 4)) from where the generator
    # moved on, then one at inference
    _compare(ours(_data(fmt), training=True), ref(_data(fmt), training=True), f"{name} training")
    _compare(ours(_data(fmt, single=True)), ref(_data(fmt, single=True)), f"{name} single")
    _compare(ours(_data(fmt), training=False), ref(_data(fmt), training=False), f"{name} inference")


def test_the_transforms_have_work_to_do():
    """Not the identity: boxes reach past the image, and a rotation moves and clips them."""
    out = _layer(sk, "RandomRotation", {"factor": 0.3}, "xyxy")(_data("xyxy", masks=False))
    moved = np.asarray(out["bounding_boxes"]["boxes"])
    assert np.abs(moved - XYXY).max() > 1
    assert moved.min() >= 0 and moved[..., 2].max() <= WIDTH and moved[..., 3].max() <= HEIGHT


@pytest.mark.parametrize("name", ["RandomBrightness", "Solarization"])
def test_photometric_layers_return_the_boxes_as_keras(name):
    kwargs = {"factor": 0.2} if name == "RandomBrightness" else {}
    data = _data("center_xywh", masks=False)
    ours = getattr(sk.layers, name)(bounding_box_format="center_xywh", **kwargs)(dict(data), training=True)
    ref = getattr(keras.layers, name)(bounding_box_format="center_xywh", **kwargs)(dict(data), training=True)
    for key in ("boxes", "labels"):
        _same(ours["bounding_boxes"][key], ref["bounding_boxes"][key], f"{name} {key}", exact=True)
    assert np.asarray(ours["images"]).shape == np.asarray(ref["images"]).shape


def test_augmix_masks_mix_as_keras():
    """AugMix's steps are chosen with Python's `random` (seeded alike on both sides): the masks go
    through each chain's geometric steps and are mixed with Keras's weights."""
    for i, kwargs in enumerate(AUGMIX_KWARGS):
        _compare(_augmix_training(sk, kwargs), _keras_output(f"AugMix-{i}"), f"AugMix {kwargs}")


def test_config_round_trip_and_errors_as_keras():
    layer = sk.layers.RandomShear(x_factor=0.2, bounding_box_format="yxyx", seed=1)
    ref = keras.layers.RandomShear(x_factor=0.2, bounding_box_format="yxyx", seed=1)
    assert layer.bounding_box_format == "yxyx"
    assert layer.get_config()["bounding_box_format"] == ref.get_config()["bounding_box_format"]
    assert sk.layers.RandomShear.from_config(layer.get_config()).bounding_box_format == "yxyx"
    assert "bounding_box_format" not in sk.layers.RandomFlip().get_config()
    assert "bounding_box_format" not in keras.layers.RandomFlip().get_config()
    # boxes given to a layer made without a format: Keras's message
    data = _data("xyxy")
    with pytest.raises(ValueError) as theirs:
        keras.layers.RandomFlip()(_data("xyxy"))
    with pytest.raises(ValueError) as mine:
        sk.layers.RandomFlip()(data)
    assert str(mine.value) in str(theirs.value).replace("\x1b[1m", "").replace("\x1b[0m", "")
    with pytest.raises(ValueError, match="dict with keys 'boxes' and 'labels'"):
        sk.layers.RandomFlip(bounding_box_format="xyxy")({"images": IMAGES, "bounding_boxes": {"boxes": XYXY}})
