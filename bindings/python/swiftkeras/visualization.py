"""Drawing and plotting images with their boxes and masks (Keras 3: `keras.visualization`), on
numpy arrays, as Keras's: the same arrays from the drawing functions, the same figures from the
plotting ones. Like Keras's, `draw_bounding_boxes` draws with OpenCV (`cv2`) and the gallery
functions plot with matplotlib; each raises Keras's ImportError when its package is missing.
Keras: keras/src/visualization/."""

import functools
import math

import numpy as np

from . import backend as _backend
from ._bounding_boxes import convert_format


def _batched(images):
    """`images` as an array, which must be a batch (4-D), as Keras's functions check."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: "
                         f"images.shape={tuple(images.shape)}")
    return images


def _channels_last(batch, data_format):
    return np.transpose(batch, (0, 2, 3, 1)) if data_format == "channels_first" else batch


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None,
                        color=(128, 128, 128), line_thickness=2, text_thickness=1,
                        font_scale=1.0, data_format=None):
    """A uint8 copy of the batch `images` with each box of `bounding_boxes` (a dict with
    "boxes", "labels" and optionally "confidences"; label -1: no box) drawn as a rectangle, and
    its class name from `class_mapping` (with its confidence) written above it. Float images
    whose maximum is at most 1 are scaled to 0..255 first, others clipped to it. Needs OpenCV,
    as Keras's."""
    try:
        import cv2
    except ImportError:
        raise ImportError("The `draw_bounding_boxes` function requires the `cv2` package  "
                          "(OpenCV). Please install it with `pip install opencv-python`.") \
            from None
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = data_format or _backend.image_data_format()
    images = _batched(images)
    if not isinstance(bounding_boxes, dict):
        raise TypeError(f"`bounding_boxes` should be a dict. Received: "
                        f"bounding_boxes={bounding_boxes} of type {type(bounding_boxes)}")
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(f"`bounding_boxes` should be a dict containing 'boxes' and 'labels' "
                         f"keys. Received: bounding_boxes={bounding_boxes}")
    h_axis, w_axis = (-3, -2) if data_format == "channels_last" else (-2, -1)
    boxes = convert_format(np.asarray(bounding_boxes["boxes"]), bounding_box_format, "xyxy",
                           images.shape[h_axis], images.shape[w_axis])
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    images = images.astype("uint8")
    labels = np.asarray(bounding_boxes["labels"])
    confidences = bounding_boxes.get("confidences")
    confidences = None if confidences is None else np.asarray(confidences)
    result = []
    for i in range(images.shape[0]):
        image = images[i]
        for j in range(boxes[i].shape[0]):
            x1, y1, x2, y2 = (int(v) for v in boxes[i][j].astype("int32"))
            c = int(labels[i][j].astype("int32"))
            if c == -1:
                continue
            cv2.rectangle(image, (x1, y1), (x2, y2), color, line_thickness)
            if c in class_mapping:
                label = class_mapping[c]
                if confidences is not None:
                    label = f"{label} | {confidences[i][j]:.2f}"
                cv2.putText(img=image, text=label,
                            org=_text_location(x1, y1, font_scale, text_thickness),
                            fontFace=cv2.FONT_HERSHEY_SIMPLEX, fontScale=font_scale, color=color,
                            thickness=text_thickness)
        result.append(image)
    return np.stack(result, axis=0)


def _text_location(x, y, font_scale, thickness):
    """Where a box's label starts: above the box, or inside it when there is no room above."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def _color_palette(num_classes):
    palette = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1])
    return [((i * palette) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None,
                            alpha=0.8, blend=True, ignore_index=-1, data_format=None):
    """The batch `images` with each class of the integer `segmentation_masks` ((batch, height,
    width, 1)) painted in its colour (`color_mapping[class]`, or Keras's palette), blended
    with the image by `alpha` (uint8; pixels whose class is `ignore_index` keep the image), or
    the painted images as float32 when `blend=False`."""
    data_format = data_format or _backend.image_data_format()
    images = _channels_last(_batched(images), data_format).astype("float32")
    masks = _channels_last(np.asarray(segmentation_masks), data_format)
    if masks.dtype.kind not in "iu":
        raise TypeError(f"`segmentation_masks` must be in integer dtype. Received: "
                        f"segmentation_masks.dtype={masks.dtype.name}")
    if masks.ndim != 4 or masks.shape[-1] != 1:
        raise ValueError(f"`segmentation_masks` must have the shape (batch_size, height, width, "
                         f"1). Received: segmentation_masks.shape={masks.shape}")
    if num_classes is None:
        num_classes = int(masks.max())
    colors = _color_palette(num_classes) if color_mapping is None else \
        [color_mapping[i] for i in range(num_classes)]
    valid = (masks != ignore_index)[..., 0]
    painted = images.copy()
    for k, color in enumerate(colors):   # a class outside 0..num_classes-1 paints nothing
        painted[masks[..., 0] == k, ...] = np.array(color, dtype=painted.dtype)[None, :]
    if not blend:
        return painted
    blended = images * (1 - alpha) + painted * alpha
    return np.where(valid[..., None], blended, images).astype("uint8")


def _pyplot(function):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(f"The `{function}` function requires the `matplotlib` package. "
                          f"Please install it with `pip install matplotlib`.") from None
    return plt


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None,
                       value_range=(0, 255), scale=2, path=None, show=None, transparent=True,
                       dpi=60, legend_handles=None, data_format=None):
    """Shows (or saves to `path`) the batch `images` in a `rows` x `cols` grid, each titled
    with its `y_true` / `y_pred` label names from `label_map`. Needs matplotlib, as Keras's."""
    plt = _pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError("If `y_true` or `y_pred` are provided, a `label_map` must also be "
                         "provided.")
    show = show if show is not None else path is None
    data_format = data_format or _backend.image_data_format()
    images = np.asarray(images)
    batch_size = images.shape[0] if images.ndim == 4 else 1
    rows = rows or int(math.ceil(math.sqrt(batch_size)))
    cols = cols or int(math.ceil(batch_size // rows))
    if images.ndim != 4:
        raise ValueError("`plot_images_gallery()` requires you to batch your `np.array` samples "
                         "together.")
    images = images[:min(rows * cols, batch_size), ...]
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    fig, axes = plt.subplots(nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale),
                             frameon=False, layout="tight", squeeze=True, sharex="row",
                             sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    if isinstance(axes, np.ndarray) and len(axes.shape) == 1:
        axes = np.expand_dims(axes, 0 if rows == 1 else -1)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    images = _to_value_range(images, value_range, (0, 255))
    if data_format == "channels_first":   # as Keras's, which transposes twice
        images = images.transpose(0, 2, 3, 1)
    y_true = None if y_true is None else np.asarray(y_true)
    y_pred = None if y_pred is None else np.asarray(y_pred)
    for row in range(rows):
        for col in range(cols):
            index = row * cols + col
            axis = axes[row, col] if isinstance(axes, np.ndarray) else axes
            axis.imshow(images[index].astype("uint8"))
            axis.margins(x=0, y=0)
            axis.axis("off")
            title = []
            if y_true is not None and index < len(y_true):
                title.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
            if y_pred is not None and index < len(y_pred):
                title.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
            if title:
                axis.set_title("  ".join(title), fontsize=8)
    if path is not None:
        plt.savefig(fname=path, pad_inches=0, bbox_inches="tight", transparent=transparent,
                    dpi=dpi)
        plt.close()
    elif show:
        plt.show()
        plt.close()


def _to_value_range(images, original, target):
    """Keras's image layers' value-range transform, in float32."""
    if original[0] == target[0] and original[1] == target[1]:
        return images
    images = images.astype("float32")
    lo, hi = np.float32(original[0]), np.float32(original[1])
    t_lo, t_hi = np.float32(target[0]), np.float32(target[1])
    return (images - lo) / (hi - lo) * (t_hi - t_lo) + t_lo


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None,
                              value_range=(0, 255), true_color=(0, 188, 212),
                              pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None, ground_truth_mapping=None,
                              prediction_mapping=None, legend=False, legend_handles=None,
                              rows=None, cols=None, data_format=None, **kwargs):
    """`plot_image_gallery` of the images with their true and predicted boxes drawn
    (`draw_bounding_boxes`), with a legend of the two colours when `legend`."""
    try:
        from matplotlib import patches
    except ImportError:
        raise ImportError("The `plot_bounding_box_gallery` function requires the  `matplotlib` "
                          "package. Please install it with  `pip install matplotlib`.") from None
    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    data_format = data_format or _backend.image_data_format()
    images = _channels_last(_batched(images), data_format)
    draw = functools.partial(draw_bounding_boxes, bounding_box_format=bounding_box_format,
                             line_thickness=line_thickness, text_thickness=text_thickness,
                             font_scale=font_scale)
    if y_true is not None:
        images = draw(images, y_true, color=true_color, class_mapping=ground_truth_mapping)
    if y_pred is not None:
        images = draw(images, y_pred, color=pred_color, class_mapping=prediction_mapping)
    if legend:
        if legend_handles:
            raise ValueError("Only pass `legend` OR `legend_handles` to "
                             "`keras.visualization.plot_bounding_box_gallery()`.")
        legend_handles = [patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
                          patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction")]
    return plot_image_gallery(images, value_range=value_range, legend_handles=legend_handles,
                              rows=rows, cols=cols, **kwargs)


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None,
                                   y_pred=None, color_mapping=None, blend=True, alpha=0.8,
                                   ignore_index=-1, data_format=None, **kwargs):
    """`plot_image_gallery` with one row per image: the image, then its true and predicted
    masks drawn on it (`draw_segmentation_masks`)."""
    data_format = data_format or _backend.image_data_format()
    images = _channels_last(_batched(images), data_format)
    batch_size = images.shape[0]
    draw = functools.partial(draw_segmentation_masks, num_classes=num_classes,
                             color_mapping=color_mapping, alpha=alpha, ignore_index=ignore_index,
                             blend=blend)
    drawn = []
    for masks in (y_true, y_pred):
        if masks is not None:
            masks = _channels_last(np.asarray(masks), data_format)
            drawn.append(draw(images, masks.astype("int32")))
    gallery = []
    for i in range(batch_size):
        gallery.append(images[i])
        gallery += [d[i] for d in drawn]
    return plot_image_gallery(np.stack(gallery, axis=0), value_range=value_range,
                              rows=batch_size, cols=1 + len(drawn), **kwargs)


__all__ = ["draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery",
           "plot_image_gallery", "plot_segmentation_mask_gallery"]
