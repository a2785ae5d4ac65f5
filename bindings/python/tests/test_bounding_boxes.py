"""keras.utils.bounding_boxes against real Keras (JAX backend): the same exported names, and the
same numbers and dtypes on random boxes for every function, format and argument, with Keras's
errors on bad input."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras

FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
           "rel_xywh", "rel_center_xywh")
HEIGHT, WIDTH = 48, 64


def _keras_boxes():
    return real_keras().utils.bounding_boxes


def _random_xyxy(rng, *batch, count=7):
    """Boxes in pixels, some reaching past the image so that clipping has work to do."""
    x = rng.uniform(-10, WIDTH + 10, batch + (count, 2))
    y = rng.uniform(-10, HEIGHT + 10, batch + (count, 2))
    return np.stack([x.min(-1), y.min(-1), x.max(-1), y.max(-1)], axis=-1)


def _same(ours, theirs, rtol=1e-6, atol=1e-5):
    theirs = np.asarray(theirs)
    assert isinstance(ours, np.ndarray)
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def _same_error(call):
    """Both libraries raise the same exception type with the same message."""
    errors = []
    for lib in (sk.utils.bounding_boxes, _keras_boxes()):
        with pytest.raises(Exception) as info:
            call(lib)
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1])
    assert str(errors[0]) == str(errors[1])


def test_exports_exactly_keras_names():
    import swiftkeras.utils.bounding_boxes as imported
    ours = sorted(n for n in dir(sk.utils.bounding_boxes) if not n.startswith("_"))
    theirs = sorted(n for n in dir(_keras_boxes()) if not n.startswith("_"))
    assert ours == theirs
    assert imported is sk.utils.bounding_boxes


@pytest.mark.parametrize("source", FORMATS)
def test_convert_format_between_every_pair_matches_keras(source):
    rng = np.random.default_rng(1)
    xyxy = _random_xyxy(rng, 3)
    kb = _keras_boxes()
    boxes = np.asarray(kb.convert_format(xyxy, "xyxy", source, height=HEIGHT, width=WIDTH))
    for target in FORMATS:
        ours = sk.utils.bounding_boxes.convert_format(boxes, source, target, height=HEIGHT,
                                                      width=WIDTH)
        _same(ours, kb.convert_format(boxes, source, target, height=HEIGHT, width=WIDTH))
    # upper case names, float64 and integer boxes, another dtype, unbatched boxes
    for given, kwargs in ((boxes[0], {}), (boxes.astype("float64"), {}),
                          (np.rint(xyxy).astype("int64"), {"dtype": "float16"})):
        ours = sk.utils.bounding_boxes.convert_format(given, source.upper(), "CENTER_YXHW",
                                                      height=HEIGHT, width=WIDTH, **kwargs)
        _same(ours, kb.convert_format(given, source.upper(), "CENTER_YXHW", height=HEIGHT,
                                      width=WIDTH, **kwargs), rtol=1e-3 if kwargs else 1e-6)


def test_convert_format_on_a_dict_converts_its_boxes_in_place():
    rng = np.random.default_rng(2)
    boxes = _random_xyxy(rng, 2)
    ours = {"boxes": boxes.copy(), "labels": np.arange(7)}
    result = sk.utils.bounding_boxes.convert_format(ours, "xyxy", "rel_xywh", height=HEIGHT,
                                                    width=WIDTH)
    theirs = _keras_boxes().convert_format({"boxes": boxes.copy(), "labels": np.arange(7)},
                                           "xyxy", "rel_xywh", height=HEIGHT, width=WIDTH)
    assert result is ours
    _same(ours["boxes"], theirs["boxes"])


def test_convert_format_errors_match_keras():
    boxes = np.ones((2, 4))
    _same_error(lambda b: b.convert_format(np.ones((2, 3)), "xyxy", "yxyx"))
    _same_error(lambda b: b.convert_format(boxes, "xyxy", "corners"))
    _same_error(lambda b: b.convert_format(boxes, "xyxy", "rel_xyxy", height=10))
    _same_error(lambda b: b.convert_format(boxes, "rel_yxyx", "xywh"))


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
def test_clip_to_image_size_matches_keras(fmt):
    rng = np.random.default_rng(3)
    boxes = _random_xyxy(rng, 2, count=20).astype("float32")
    boxes[0, :3] = [[-5, -5, -1, 10], [70, 1, 80, 9], [3, 50, 9, 60]]   # left, right of, below it
    if fmt == "rel_xyxy":
        boxes = boxes / np.array([WIDTH, HEIGHT, WIDTH, HEIGHT], "float32")
    labels = rng.integers(0, 5, (2, 20))
    data = {"boxes": boxes, "labels": labels, "extra": "kept"}
    size = {"height": HEIGHT, "width": WIDTH} if fmt == "xyxy" else {}
    ours = sk.utils.bounding_boxes.clip_to_image_size(dict(data), bounding_box_format=fmt, **size)
    theirs = _keras_boxes().clip_to_image_size(dict(data), bounding_box_format=fmt, **size)
    assert sorted(ours) == sorted(theirs) and ours["extra"] == "kept"
    _same(ours["boxes"], theirs["boxes"], rtol=0, atol=0)
    _same(ours["labels"], theirs["labels"], rtol=0, atol=0)
    assert (ours["labels"][0, :3] == -1).all()
    # without labels, and integer boxes
    ints = {"boxes": np.rint(boxes * (1 if fmt == "xyxy" else 100)).astype("int64")}
    _same(sk.utils.bounding_boxes.clip_to_image_size(ints, bounding_box_format=fmt, **size)["boxes"],
          _keras_boxes().clip_to_image_size(ints, bounding_box_format=fmt, **size)["boxes"])


def test_clip_to_image_size_errors_match_keras():
    data = {"boxes": np.ones((2, 4), "float32")}
    _same_error(lambda b: b.clip_to_image_size(data, height=4))
    with pytest.raises(NotImplementedError):
        sk.utils.bounding_boxes.clip_to_image_size(data, 4, 4, bounding_box_format="yxyx")
    with pytest.raises(NotImplementedError):
        _keras_boxes().clip_to_image_size(data, 4, 4, bounding_box_format="yxyx")


@pytest.mark.parametrize("center", [None, (0.3, 0.7)])
def test_affine_transform_matches_keras(center):
    rng = np.random.default_rng(4)
    batch = 3
    boxes = _random_xyxy(rng, batch, count=5).astype("float32")
    params = [rng.uniform(-30, 30, batch), rng.uniform(-0.2, 0.2, batch),
              rng.uniform(-0.2, 0.2, batch), rng.uniform(0.7, 1.3, batch),
              rng.uniform(-20, 20, batch), rng.uniform(-20, 20, batch)]
    params = [p.astype("float32") for p in params]
    kwargs = {} if center is None else {"center_x": np.full(batch, center[0], "float32"),
                                        "center_y": np.full(batch, center[1], "float32")}
    ours = sk.utils.bounding_boxes.affine_transform(boxes, *params, HEIGHT, WIDTH, **kwargs)
    theirs = _keras_boxes().affine_transform(boxes, *params, HEIGHT, WIDTH, **kwargs)
    _same(ours, theirs, rtol=1e-5, atol=1e-3)
    assert np.abs(ours - boxes).max() > 1   # it moved them


def test_affine_transform_identity_keeps_the_boxes_and_errors_are_clear():
    boxes = np.array([[[1.0, 2.0, 10.0, 20.0]]], "float32")
    zero, one = np.zeros(1, "float32"), np.ones(1, "float32")
    out = sk.utils.bounding_boxes.affine_transform(boxes, zero, zero, zero, one, zero, zero, 32, 32)
    np.testing.assert_allclose(out, boxes, atol=1e-5)
    with pytest.raises(NotImplementedError):
        sk.utils.bounding_boxes.affine_transform(boxes, zero, zero, zero, one, zero, zero, 32, 32,
                                                 bounding_box_format="yxyx")
    with pytest.raises(ValueError, match="boxes.shape=\\(1, 4\\)"):
        sk.utils.bounding_boxes.affine_transform(boxes[0], zero, zero, zero, one, zero, zero, 32, 32)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_crop_and_pad_match_keras(dtype):
    rng = np.random.default_rng(5)
    boxes = _random_xyxy(rng, 2).astype(dtype)
    kb = _keras_boxes()
    for top, left, height, width in ((3, 5, 30, 40), (0, 0, None, None), (2.5, 1.5, 20.0, 10.0)):
        _same(sk.utils.bounding_boxes.crop(boxes, top, left, height, width),
              kb.crop(boxes, top, left, height, width), rtol=0, atol=0)
        _same(sk.utils.bounding_boxes.pad(boxes, top, left), kb.pad(boxes, top, left),
              rtol=0, atol=0)
    for call in (lambda b: b.crop(boxes, 1, 1, 5, 5, bounding_box_format="xywh"),
                 lambda b: b.pad(boxes, 1, 1, bounding_box_format="xywh")):
        for lib in (sk.utils.bounding_boxes, kb):
            with pytest.raises(NotImplementedError):
                call(lib)


@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "center_xywh", "rel_xyxy", "rel_yxyx"])
@pytest.mark.parametrize("ranks", [(2, 2), (3, 3), (3, 2), (2, 3)])
def test_compute_iou_matches_keras(fmt, ranks):
    rng = np.random.default_rng(6)
    kb = _keras_boxes()
    shape = (HEIGHT, WIDTH, 3)

    def make(rank, count):
        xyxy = _random_xyxy(rng, *((2,) if rank == 3 else ()), count=count)
        xyxy[..., 0, :] = -1   # a padding box
        return np.array(kb.convert_format(xyxy, "xyxy", fmt, height=HEIGHT, width=WIDTH))
    boxes1, boxes2 = make(ranks[0], 5), make(ranks[1], 6)
    boxes2[..., 1, :] = boxes1[..., 1, :] if ranks[0] <= ranks[1] else boxes1[0, 1]   # IoU 1
    for masking in ({}, {"use_masking": True}, {"use_masking": True, "mask_val": -7}):
        if masking and ranks[0] != ranks[1]:
            continue   # Keras's masking transposes for boxes1's rank only
        ours = sk.utils.bounding_boxes.compute_iou(boxes1, boxes2, fmt, image_shape=shape, **masking)
        theirs = kb.compute_iou(boxes1, boxes2, fmt, image_shape=shape, **masking)
        _same(ours, theirs)
    assert ours.shape[-2:] == (5, 6)
    assert (np.abs(ours - 1) < 1e-5).any()   # the overlapping pair


def test_compute_iou_errors_match_keras():
    boxes = np.ones((2, 4), "float32")
    _same_error(lambda b: b.compute_iou(np.ones((4,)), boxes, "xyxy"))
    _same_error(lambda b: b.compute_iou(boxes, np.ones((1, 1, 2, 4)), "xyxy"))
    _same_error(lambda b: b.compute_iou(boxes, boxes, "rel_xyxy"))


@pytest.mark.parametrize("fmt", ["xyxy", "xywh", "center_yxhw"])
def test_compute_ciou_matches_keras(fmt):
    rng = np.random.default_rng(7)
    kb = _keras_boxes()
    boxes1 = np.asarray(kb.convert_format(_random_xyxy(rng, 2, count=9), "xyxy", fmt))
    boxes2 = np.asarray(kb.convert_format(_random_xyxy(rng, 2, count=9), "xyxy", fmt))
    _same(sk.utils.bounding_boxes.compute_ciou(boxes1, boxes2, fmt),
          kb.compute_ciou(boxes1, boxes2, fmt), rtol=1e-5, atol=1e-5)
    _same_error(lambda b: b.compute_ciou(boxes1, boxes2, "rel_xyxy", image_shape=(4, 4, 3)))


@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_encode_and_decode_deltas_match_keras(encoding, variance):
    rng = np.random.default_rng(8)
    kb = _keras_boxes()
    anchors = _random_xyxy(rng, count=6).astype("float32")
    boxes = np.asarray(kb.convert_format(_random_xyxy(rng, 2, count=6), "xyxy", "rel_xywh",
                                         height=HEIGHT, width=WIDTH))
    shape = (HEIGHT, WIDTH, 3)
    args = dict(anchor_format="xyxy", box_format="rel_xywh", variance=variance, image_shape=shape)
    ours = sk.utils.bounding_boxes.encode_box_to_deltas(anchors, boxes, encoding_format=encoding, **args)
    theirs = kb.encode_box_to_deltas(anchors, boxes, encoding_format=encoding, **args)
    _same(ours, theirs, rtol=1e-5, atol=1e-5)
    decoded = sk.utils.bounding_boxes.decode_deltas_to_boxes(anchors, ours, encoded_format=encoding, **args)
    _same(decoded, kb.decode_deltas_to_boxes(anchors, theirs, encoded_format=encoding, **args),
          rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(decoded, boxes, atol=1e-4)   # decoding undoes encoding
    levels = {"P3": anchors, "P4": anchors[:3]}
    deltas = {"P3": ours[0], "P4": ours[0, :3]}
    ours_levels = sk.utils.bounding_boxes.decode_deltas_to_boxes(levels, deltas, encoded_format=encoding, **args)
    theirs_levels = kb.decode_deltas_to_boxes(levels, deltas, encoded_format=encoding, **args)
    assert sorted(ours_levels) == ["P3", "P4"]
    for level in levels:
        _same(ours_levels[level], theirs_levels[level], rtol=1e-5, atol=1e-5)


def test_delta_errors_match_keras():
    anchors = np.ones((2, 4), "float32")
    _same_error(lambda b: b.encode_box_to_deltas(anchors, anchors, "xyxy", "xyxy", variance=[1, 2, 3]))
    _same_error(lambda b: b.encode_box_to_deltas(anchors, anchors, "xyxy", "xyxy", encoding_format="xyxy"))
    _same_error(lambda b: b.decode_deltas_to_boxes(anchors, anchors, "xyxy", "xyxy", encoded_format="yxyx"))
