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
             ("Resizing", {"height": 10, "width": 6, "pad_to_aspect_ratio": True, "fill_value": 5.0}),
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
    # (Keras's config of x_factor=0.2 is (-0.2, 0.2), which its own constructor then refuses:
    # from_config fails in both, ours at construction since constructors check their arguments)
    for lib, made in ((sk, layer), (keras, ref)):
        with pytest.raises((TypeError, ValueError), match="-0.2"):
            lib.layers.RandomShear.from_config(made.get_config())
    given = sk.layers.RandomShear(x_factor=(0.1, 0.2), bounding_box_format="yxyx")
    assert sk.layers.RandomShear.from_config(given.get_config()).bounding_box_format == "yxyx"
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


def _box_model(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((HEIGHT, WIDTH, 3)), L.RandomFlip(bounding_box_format="xyxy", seed=1),
                           L.Resizing(8, 8, pad_to_aspect_ratio=True, bounding_box_format="rel_yxyx"),
                           L.RandomGrayscale(0.5, bounding_box_format="center_xywh", seed=2), L.Flatten(), L.Dense(2)])


def _without_names(config):
    if isinstance(config, dict):
        return {k: _without_names(v) for k, v in config.items() if k not in ("name", "build_config")}
    if isinstance(config, list):
        return [_without_names(v) for v in config]
    return config


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_bounding_box_format_is_saved_and_loaded_as_keras(tmp_path, ext):
    """The format is in get_config() and to_json() where Keras writes it (after data_format),
    and .keras/.h5 files keep it both ways; a layer made without one writes none."""
    ours, ref = _box_model(sk), _box_model(keras)
    for a, b in zip(ours.layers[:3], ref.layers[:3]):
        assert list(_without_names(a.get_config()).items()) == list(_without_names(b.get_config()).items())
    assert '"bounding_box_format": "rel_yxyx"' in ours.to_json()
    ours.save(tmp_path / f"ours.{ext}")
    ref.save(tmp_path / f"ref.{ext}")
    in_keras = keras.saving.load_model(tmp_path / f"ours.{ext}", compile=False)
    here = sk.saving.load_model(tmp_path / f"ref.{ext}", compile=False)
    assert [l.bounding_box_format for l in in_keras.layers[:3]] == ["xyxy", "rel_yxyx", "center_xywh"]
    assert [l.bounding_box_format for l in here.layers[:3]] == ["xyxy", "rel_yxyx", "center_xywh"]
    for a, b in zip(here.layers, ref.layers):
        assert _without_names(a.get_config()) == _without_names(b.get_config()), type(a).__name__
    x = IMAGES[:2, :HEIGHT, :WIDTH]
    np.testing.assert_allclose(in_keras.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-4, atol=1e-3)
    # the loaded layer moves boxes by its format
    data = _data("center_xywh", masks=False)
    out = here.layers[1](data)
    want = ref.layers[1](_data("center_xywh", masks=False))
    _same(out["bounding_boxes"]["boxes"], want["bounding_boxes"]["boxes"], "loaded Resizing boxes")
    assert "bounding_box_format" not in sk.layers.Resizing(4, 4).get_config()
    with pytest.raises(TypeError):   # keyword-only, as in Keras (its base class's argument)
        sk.layers.RandomFlip("horizontal", None, None, "xyxy")


def _keras_dict(data):
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}


def test_mix_up_moves_boxes_labels_and_masks_as_keras():
    """Keras's MixUp: each image's boxes followed by its partner's (the box labels concatenated
    along the batch axis, as Keras's code does), labels mixed, masks mixed by Keras's `take`;
    at inference all as given. The same seed draws the same permutation and weights."""
    ours, ref = sk.layers.MixUp(alpha=0.6, bounding_box_format="xyxy", seed=4), \
        keras.layers.MixUp(alpha=0.6, bounding_box_format="xyxy", seed=4)
    for training in (True, False):
        got, want = ours(_data("xyxy"), training=training), ref(_data("xyxy"), training=training)
        assert sorted(got) == sorted(want) and sorted(got["bounding_boxes"]) == sorted(want["bounding_boxes"])
        for key in ("boxes", "labels"):
            _same(got["bounding_boxes"][key], want["bounding_boxes"][key], f"MixUp box {key}", exact=True)
        for key in ("images", "labels", "segmentation_masks"):
            _same(got[key], want[key], f"MixUp {key} {training}", exact=not training)
    assert np.asarray(got["bounding_boxes"]["boxes"]).shape == (3, 4, 4)   # (inference: as given)
    np.testing.assert_array_equal(np.asarray(ours.generator.state), np.asarray(ref.generator.state.numpy()))


def test_cut_mix_pastes_masks_and_refuses_boxes_as_keras():
    """Keras's CutMix: masks pasted with their images' boxes (through the images' channels),
    labels mixed by the boxes' area; bounding boxes not implemented, in Keras as here."""
    data = {k: v for k, v in _data("xyxy").items() if k != "bounding_boxes"}
    ours = sk.layers.CutMix(factor=(0.5, 1.0), bounding_box_format="xyxy", seed=5)
    ref = keras.layers.CutMix(factor=(0.5, 1.0), bounding_box_format="xyxy", seed=5)
    for training in (True, True, False):
        got, want = ours(_keras_dict(data), training=training), ref(_keras_dict(data), training=training)
        assert sorted(got) == sorted(want)
        for key in got:
            _same(got[key], want[key], f"CutMix {key} {training}")
    for lib in (sk, keras):
        with pytest.raises(NotImplementedError):
            lib.layers.CutMix(bounding_box_format="xyxy", seed=1)(_data("xyxy"))


def test_elastic_transform_moves_float_masks_as_keras():
    """Keras's RandomElasticTransform: float masks resampled (nearest) through a field of their
    own drawn after the images', labels as given; integer masks and boxes refused as Keras."""
    data = {k: v for k, v in _data("xyxy").items() if k != "bounding_boxes"}
    data["segmentation_masks"] = data["segmentation_masks"].astype("float32") * 40
    ours = sk.layers.RandomElasticTransform(scale=(1.0, 1.0), bounding_box_format="xyxy", seed=3)
    ref = keras.layers.RandomElasticTransform(scale=(1.0, 1.0), bounding_box_format="xyxy", seed=3)
    for training in (True, False):
        got, want = ours(_keras_dict(data), training=training), ref(_keras_dict(data), training=training)
        assert sorted(got) == sorted(want)
        for key in got:
            _same(got[key], want[key], f"RandomElasticTransform {key} {training}")
        moved = np.mean(np.asarray(got["segmentation_masks"]) != data["segmentation_masks"])
        assert moved > 0.05 if training else moved == 0
    np.testing.assert_array_equal(np.asarray(ours.generator.state), np.asarray(ref.generator.state.numpy()))
    for lib in (sk, keras):
        with pytest.raises(ValueError, match="float"):
            lib.layers.RandomElasticTransform(seed=1)({k: v for k, v in _data("xyxy").items() if k != "bounding_boxes"})
        with pytest.raises(NotImplementedError):
            lib.layers.RandomElasticTransform(bounding_box_format="xyxy", seed=1)(_data("xyxy", masks=False))


def test_grayscale_returns_boxes_labels_and_masks_as_keras_transforms():
    """RandomGrayscale on a dict: the images as Keras's layer gives them under the same seed, the
    rest as its transform_bounding_boxes / transform_labels / transform_segmentation_masks
    return them (Keras 3.15's own call fails on a dict: its draw reads the dict's `.shape`)."""
    ours = sk.layers.RandomGrayscale(0.5, bounding_box_format="xyxy", seed=6)
    ref = keras.layers.RandomGrayscale(0.5, bounding_box_format="xyxy", seed=6)
    got = ours(_data("xyxy"), training=True)
    data = _data("xyxy")
    _same(got["images"], ref(data["images"], training=True), "RandomGrayscale images")
    want = ref.transform_bounding_boxes(dict(data["bounding_boxes"]))
    for key in ("boxes", "labels"):
        _same(got["bounding_boxes"][key], want[key], f"RandomGrayscale box {key}", exact=True)
    _same(got["labels"], ref.transform_labels(data["labels"]), "RandomGrayscale labels", exact=True)
    _same(got["segmentation_masks"], ref.transform_segmentation_masks(data["segmentation_masks"]),
          "RandomGrayscale masks", exact=True)


@pytest.mark.parametrize("shape,size,kwargs", [
    ((2, 8, 12, 3), (10, 10), {}), ((2, 12, 8, 2), (6, 10), {"fill_value": -3.0, "interpolation": "nearest"}),
    ((2, 3, 9, 13), (8, 8), {"data_format": "channels_first", "fill_value": 1}), ((9, 13, 2), (12, 5), {}),
    ((2, 8, 8, 1), (8, 8), {"fill_value": 9.0})])
def test_resizing_pads_to_the_aspect_ratio_as_keras(shape, size, kwargs):
    x = RNG.uniform(0, 255, shape).astype("float32")
    ours, ref = (lib.layers.Resizing(*size, pad_to_aspect_ratio=True, **kwargs) for lib in (sk, keras))
    for training in (True, False):
        np.testing.assert_allclose(np.asarray(ours(x, training=training)), np.asarray(ref(x, training=training)),
                                   rtol=1e-5, atol=1e-3)
    assert ours.get_config() | {"name": None} == ref.get_config() | {"name": None}
    for lib in (sk, keras):   # Keras's resize pads with a constant only, refused when called
        with pytest.raises(ValueError, match="fill_mode"):
            lib.layers.Resizing(4, 4, pad_to_aspect_ratio=True, fill_mode="reflect")(x)


def _padding_model(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((6, 10, 2)), L.Resizing(8, 8, pad_to_aspect_ratio=True, fill_value=0.5),
                           L.Conv2D(2, 3, kernel_initializer="ones"), L.Flatten(),
                           L.Dense(1, kernel_initializer="glorot_uniform")])


def test_resizing_with_padding_trains_and_saves_as_keras(tmp_path):
    """A model holding the padding Resizing: the same fit as Keras's from the same weights, and
    its .keras file loads in Keras with the same predictions (and Keras's loads here)."""
    x = RNG.uniform(0, 1, (8, 6, 10, 2)).astype("float32")
    y = RNG.uniform(0, 1, (8, 1)).astype("float32")
    ours, ref = _padding_model(sk), _padding_model(keras)
    ours.set_weights(ref.get_weights())
    for model in (ours, ref):
        model.compile(keras.optimizers.SGD(0.01) if model is ref else sk.optimizers.SGD(0.01), "mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    in_keras = keras.saving.load_model(tmp_path / "ours.keras")
    here = sk.saving.load_model(tmp_path / "ref.keras")
    np.testing.assert_allclose(in_keras.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(here.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    assert here.layers[0].get_config()["pad_to_aspect_ratio"] is True


@pytest.mark.parametrize("shape,size,data_format", [((2, 8, 12, 3), (10, 10), "channels_last"),
                                                    ((3, 9, 13), (8, 8), "channels_first")])
def test_ops_image_resize_pads_to_the_aspect_ratio_as_keras(shape, size, data_format):
    x = RNG.uniform(0, 255, shape).astype("float32")
    for interpolation in ("bilinear", "nearest"):
        got, want = (lib.ops.image.resize(x, size, interpolation=interpolation, pad_to_aspect_ratio=True,
                                          fill_value=7.0, data_format=data_format) for lib in (sk, keras))
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-3)
