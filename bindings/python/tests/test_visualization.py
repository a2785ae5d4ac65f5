"""keras.visualization against real Keras: the drawing functions give Keras's arrays exactly
(boxes in each format, labels and confidences, skipped labels, float images in either range;
masks blended or not, palettes and colour maps, ignored classes, channels_first), the gallery
functions draw the same figure (the pixels matplotlib saves). draw_bounding_boxes needs OpenCV
and the galleries matplotlib, in both libraries: without them both raise Keras's ImportError."""

import importlib.util

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras

HAS_CV2 = importlib.util.find_spec("cv2") is not None
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
needs_cv2 = pytest.mark.skipif(not HAS_CV2, reason="OpenCV (cv2) is not installed")
needs_matplotlib = pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")

RS = np.random.RandomState(3)
IMAGES = RS.uniform(0, 255, size=(2, 40, 48, 3)).astype("float32")
BOXES = {"boxes": np.array([[[4, 6, 30, 20], [10, 12, 40, 36], [0, 0, 5, 5]],
                            [[20, 25, 44, 38], [1, 2, 3, 4], [8, 9, 20, 30]]], "float32"),
         "labels": np.array([[0, 1, -1], [2, 0, 1]]),
         "confidences": np.array([[0.9, 0.25, 0.5], [0.125, 0.75, 0.5]], "float32")}
MASKS = RS.randint(-1, 4, size=(2, 40, 48, 1)).astype("int32")


def _as_format(fmt, boxes):
    """The xyxy boxes written in `fmt` (so every format draws the same rectangles)."""
    keras = real_keras()
    return np.asarray(keras.utils.bounding_boxes.convert_format(
        boxes, "xyxy", fmt, height=IMAGES.shape[1], width=IMAGES.shape[2]))


def _both(call):
    """call(library) for swiftkeras and Keras: the results, or the errors' (type, message)."""
    out = []
    for lib in (sk, real_keras()):
        try:
            out.append(call(lib))
        except (ValueError, TypeError, ImportError) as e:
            out.append((type(e).__name__, str(e)))
    return out


@needs_cv2
@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw",
                                 "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh"])
def test_draw_bounding_boxes_formats_match_keras(fmt):
    boxes = {**BOXES, "boxes": _as_format(fmt, BOXES["boxes"])}
    ours, ref = _both(lambda lib: lib.visualization.draw_bounding_boxes(
        IMAGES, dict(boxes), fmt, class_mapping={0: "cat", 2: "dog"}, color=(255, 0, 0),
        line_thickness=1 + (len(fmt) % 3), font_scale=0.5))
    assert ours.dtype == np.uint8 and ours.shape == IMAGES.shape
    np.testing.assert_array_equal(ours, ref)
    assert not np.array_equal(ours, IMAGES.astype("uint8"))   # it drew something


@needs_cv2
def test_draw_bounding_boxes_ranges_and_errors_match_keras():
    unit = IMAGES / 255.0
    for images, kwargs in ((unit, {}), (IMAGES * 2, {"text_thickness": 2}),
                           (IMAGES.astype("uint8"), {"class_mapping": {1: "x"}})):
        boxes = {k: v for k, v in BOXES.items() if k != "confidences"}
        ours, ref = _both(lambda lib: lib.visualization.draw_bounding_boxes(
            images, dict(boxes), "xyxy", **kwargs))
        np.testing.assert_array_equal(ours, ref)
    for images, boxes in ((IMAGES[0], BOXES), (IMAGES, [1, 2]), (IMAGES, {"boxes": BOXES["boxes"]}),
                          (IMAGES, {"boxes": BOXES["boxes"][..., :3], "labels": BOXES["labels"]})):
        ours, ref = _both(lambda lib: lib.visualization.draw_bounding_boxes(images, boxes, "xyxy"))
        assert ours[0] == ref[0] and (ours[1] == ref[1] or "shape" in ours[1])
    ours, ref = _both(lambda lib: lib.visualization.draw_bounding_boxes(IMAGES, dict(BOXES), "xyz"))
    assert ours == ref


@pytest.mark.skipif(HAS_CV2, reason="OpenCV is installed")
def test_draw_bounding_boxes_without_opencv_raises_keras_error():
    ours, ref = _both(lambda lib: lib.visualization.draw_bounding_boxes(IMAGES, BOXES, "xyxy"))
    assert ours == ref and ours[0] == "ImportError"


@pytest.mark.parametrize("kwargs", [
    {}, {"num_classes": 4}, {"num_classes": 3, "alpha": 0.3}, {"blend": False, "num_classes": 4},
    {"ignore_index": 0, "num_classes": 4},
    {"num_classes": 4, "color_mapping": {0: (1, 2, 3), 1: (250, 0, 9), 2: (0, 0, 0), 3: (9, 99, 199)}},
    {"data_format": "channels_first", "num_classes": 4}])
def test_draw_segmentation_masks_matches_keras(kwargs):
    images, masks = IMAGES, MASKS
    if kwargs.get("data_format") == "channels_first":
        images, masks = images.transpose(0, 3, 1, 2), masks.transpose(0, 3, 1, 2)
    ours, ref = _both(lambda lib: lib.visualization.draw_segmentation_masks(images, masks, **kwargs))
    ref = np.asarray(ref)
    assert ours.dtype == ref.dtype and ours.shape == ref.shape
    np.testing.assert_array_equal(ours, ref)
    ours, ref = _both(lambda lib: lib.visualization.draw_segmentation_masks(images, masks.astype("float32")))
    assert ours == ref and ours[0] == "TypeError"
    ours, ref = _both(lambda lib: lib.visualization.draw_segmentation_masks(images[0], masks))
    assert ours == ref and ours[0] == "ValueError"


def _figure_pixels(lib, tmp_path, plot, **kwargs):
    """The PNG a gallery function saves, as an array."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image
    path = tmp_path / f"{lib.__name__}.png"
    plot(lib.visualization)(path=str(path), **kwargs)
    return matplotlib.image.imread(path)


@needs_matplotlib
@pytest.mark.parametrize("case", ["images", "labels", "masks", "boxes"])
def test_galleries_draw_the_figures_keras_draws(case, tmp_path):
    if case == "boxes" and not HAS_CV2:
        pytest.skip("OpenCV (cv2) is not installed")
    label_map = {0: "zero", 1: "one"}
    plots = {
        "images": lambda v: lambda **k: v.plot_image_gallery(IMAGES / 255.0, value_range=(0, 1), **k),
        "labels": lambda v: lambda **k: v.plot_image_gallery(
            np.concatenate([IMAGES] * 3), y_true=np.array([0, 1, 1, 0, 1, 0]),
            y_pred=np.array([1, 1, 0, 0, 1, 1]), label_map=label_map, rows=2, **k),
        "masks": lambda v: lambda **k: v.plot_segmentation_mask_gallery(
            IMAGES, num_classes=4, y_true=MASKS, y_pred=np.roll(MASKS, 3, axis=1), **k),
        "boxes": lambda v: lambda **k: v.plot_bounding_box_gallery(
            IMAGES, "xyxy", y_true=dict(BOXES), y_pred={"boxes": BOXES["boxes"] + 2,
                                                        "labels": BOXES["labels"]},
            class_mapping={0: "a", 1: "b", 2: "c"}, legend=True, **k)}
    ours = _figure_pixels(sk, tmp_path, plots[case])
    ref = _figure_pixels(real_keras(), tmp_path, plots[case])
    np.testing.assert_array_equal(ours, ref)
    assert ours.std() > 0


@needs_matplotlib
def test_gallery_argument_errors_match_keras(tmp_path):
    ours, ref = _both(lambda lib: lib.visualization.plot_image_gallery(
        IMAGES, path=str(tmp_path / "x.png"), show=True))
    assert ours == ref and ours[0] == "ValueError"
    ours, ref = _both(lambda lib: lib.visualization.plot_image_gallery(IMAGES, y_true=[0, 1]))
    assert ours == ref and ours[0] == "ValueError"
    ours, ref = _both(lambda lib: lib.visualization.plot_bounding_box_gallery(
        IMAGES, "xyxy", legend=True, legend_handles=[1]))
    assert ours == ref and ours[0] == "ValueError"
