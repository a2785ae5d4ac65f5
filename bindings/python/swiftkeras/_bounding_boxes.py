"""Bounding-box utilities (Keras 3: `keras.utils.bounding_boxes`, from
keras/src/layers/preprocessing/image_preprocessing/bounding_boxes/): format conversion,
clipping, cropping, padding, affine transforms, anchor deltas and IoU, on numpy arrays.

Like Keras's (whose JAX backend turns 64-bit inputs into 32-bit arrays), the results are
float32 or int32 arrays; the arithmetic is Keras's, step for step, so the numbers are its own."""

import math

import numpy as np

from . import backend as _backend
from ._dtypes import as_keras_array

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy",
                     "rel_yxyx", "rel_xywh", "rel_center_xywh")


def _tensor(x, dtype=None):
    """`x` as an array as Keras's JAX backend converts it, or cast to `dtype`."""
    return as_keras_array(x) if dtype is None else as_keras_array(x).astype(dtype)


def _operands(boxes, *others):
    """`boxes` and the numbers combined with them, promoted as JAX promotes them: integer boxes
    with a floating operand become float32 (numpy would give float64); Python numbers stay
    weakly typed."""
    boxes = _tensor(boxes)
    others = [v if v is None or isinstance(v, (int, float)) else _tensor(v) for v in others]
    if boxes.dtype.kind in "iub" and any(isinstance(v, float) or
                                         getattr(v, "dtype", np.dtype("i")).kind in "fc"
                                         for v in others):
        boxes = boxes.astype(np.float32)
    return [boxes] + others


def _split(boxes):
    return [boxes[..., i:i + 1] for i in range(4)]


def _joined(*parts):
    return np.concatenate(parts, axis=-1)


# Each format to [left, top, right, bottom] and back; the relative ones scale by the image size.
def _to_xyxy(boxes, source, height, width):
    a, b, c, d = _split(boxes)
    if source == "xyxy":
        return boxes
    if source == "yxyx":
        return _joined(b, a, d, c)
    if source == "xywh":
        return _joined(a, b, a + c, b + d)
    if source in ("center_xywh", "center_yxhw"):
        cx, cy, w, h = (a, b, c, d) if source == "center_xywh" else (b, a, d, c)
        half_w, half_h = w / 2.0, h / 2.0
        return _joined(cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    if source == "rel_xyxy":
        return _joined(a * width, b * height, c * width, d * height)
    if source == "rel_yxyx":
        return _joined(b * width, a * height, d * width, c * height)
    if source == "rel_xywh":
        return _joined(a * width, b * height, (a + c) * width, (b + d) * height)
    half_w, half_h = c / 2.0, d / 2.0      # rel_center_xywh
    return _joined((a - half_w) * width, (b - half_h) * height, (a + half_w) * width,
                   (b + half_h) * height)


def _from_xyxy(boxes, target, height, width):
    x1, y1, x2, y2 = _split(boxes)
    if target == "xyxy":
        return boxes
    if target == "yxyx":
        return _joined(y1, x1, y2, x2)
    if target == "xywh":
        return _joined(x1, y1, x2 - x1, y2 - y1)
    if target in ("center_xywh", "center_yxhw"):
        cx, cy = x1 + ((x2 - x1) / 2.0), y1 + ((y2 - y1) / 2.0)
        w, h = x2 - x1, y2 - y1
        return _joined(cx, cy, w, h) if target == "center_xywh" else _joined(cy, cx, h, w)
    if target == "rel_xyxy":
        return _joined(x1 / width, y1 / height, x2 / width, y2 / height)
    if target == "rel_yxyx":
        return _joined(y1 / height, x1 / width, y2 / height, x2 / width)
    if target == "rel_xywh":
        return _joined(x1 / width, y1 / height, (x2 - x1) / width, (y2 - y1) / height)
    return _joined((x1 + ((x2 - x1) / 2.0)) / width, (y1 + ((y2 - y1) / 2.0)) / height,   # rel_center_xywh
                   (x2 - x1) / width, (y2 - y1) / height)


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """`boxes` (last axis 4; or a dict whose "boxes" are converted in place) from the format
    `source` to `target`, in `dtype`. Formats (case-insensitive): xyxy, yxyx, xywh, center_xywh,
    center_yxhw and the relative rel_xyxy, rel_yxyx, rel_xywh, rel_center_xywh, which need the
    image's `height` and `width`. Keras: `keras.utils.bounding_boxes.convert_format`."""
    if isinstance(boxes, dict):
        boxes["boxes"] = convert_format(boxes["boxes"], source=source, target=target,
                                        height=height, width=width, dtype=dtype)
        return boxes
    boxes = _tensor(boxes)
    if boxes.shape[-1:] != (4,):
        raise ValueError(f"`boxes` must be a tensor with the last dimension of 4. Received: "
                         f"boxes.shape={boxes.shape}")
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: "
                         f"{SUPPORTED_FORMATS}")
    if (source.startswith("rel_") or target.startswith("rel_")) and \
            (width is None or height is None):
        raise ValueError(f"convert_format() must receive `height` and `width` transforming "
                         f"between relative and absolute formats.convert_format() received "
                         f"source=`{source}`, target=`{target}, but height={height} and "
                         f"width={width}.")
    boxes = boxes.astype(dtype)
    if source == target:
        return boxes
    width = None if width is None else _tensor(width, dtype)
    height = None if height is None else _tensor(height, dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[len("rel_"):], target[len("rel_"):]
    return _from_xyxy(_to_xyxy(boxes, source, height, width), target, height, width)


def _area(boxes):
    x1, y1, x2, y2 = _split(boxes)
    return (x2 - x1) * (y2 - y1)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """A copy of the dict `bounding_boxes` with its "boxes" clipped to the image (`height` by
    `width` pixels for "xyxy", [0, 1] for "rel_xyxy") and the "labels" of boxes left without
    area set to -1. Keras: `keras.utils.bounding_boxes.clip_to_image_size`."""
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(f"clip_to_image_size: bounding_box_format must be 'xyxy' or "
                                  f"'rel_xyxy' (as in Keras). Received: "
                                  f"bounding_box_format={bounding_box_format!r}")
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = _tensor(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels", None)
    if bounding_box_format == "xyxy":
        high_x, high_y = _tensor(width, boxes.dtype), _tensor(height, boxes.dtype)
    else:
        boxes, high_x, high_y = _operands(boxes, 1.0, 1.0)
    x1, y1, x2, y2 = _split(boxes)
    boxes = _joined(np.clip(x1, 0, high_x), np.clip(y1, 0, high_y), np.clip(x2, 0, high_x),
                    np.clip(y2, 0, high_y))
    if labels is not None:
        labels = np.where(np.squeeze(_area(boxes), axis=-1) > 0, _tensor(labels), -1)
    result = bounding_boxes.copy()
    result["boxes"] = boxes
    if labels is not None:
        result["labels"] = labels
    return result


def _inverse_affine_matrices(center_x, center_y, angle, translate_x, translate_y, scale,
                             shear_x, shear_y, height, width):
    """The (batch, 3, 3) inverse affine matrices of the transforms (TF's
    `_get_inverse_affine_matrix`, as Keras computes it)."""
    dtype = angle.dtype
    angle, shear_x, shear_y = -angle, -shear_x, -shear_y
    # (plain products: a Python number stays weakly typed, as in Keras, not a float64 scalar)
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    rot = angle * (1.0 / 180.0 * math.pi)
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    sx, sy = shear_x * (1.0 / 180.0 * math.pi), shear_y * (1.0 / 180.0 * math.pi)
    cos_sy, tan_sx, rot_minus_sy = np.cos(sy), np.tan(sx), rot - sy
    cx_plus_tx, cy_plus_ty = cx + tx, cy + ty
    # rotation and shear without the scale; its determinant is 1, so the inverse is the adjugate
    a = np.cos(rot_minus_sy) / cos_sy
    b = a * tan_sx + np.sin(rot)
    c = -np.sin(rot_minus_sy) / cos_sy
    d = np.cos(rot) - c * tan_sx
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * cx_plus_tx - a1 * cy_plus_ty
    b2 = cy - b0 * cx_plus_tx - b1 * cy_plus_ty
    batch = angle.shape[0]
    zeros, ones = np.zeros([batch], dtype), np.ones([batch], dtype)
    matrix = np.stack(np.broadcast_arrays(a0, a1, a2, b0, b1, b2, zeros, zeros, ones), axis=-1)
    return matrix.astype(dtype).reshape(batch, 3, 3)


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height,
                     width, center_x=None, center_y=None, bounding_box_format="xyxy"):
    """The smallest "xyxy" boxes holding `boxes` (batch, boxes, 4) after each image's affine
    transform: `angle`, `shear_x`, `shear_y` in degrees, `translate_x`, `translate_y` and the
    center (default 0.5) as fractions of the `width` and `height`, `scale` a factor; each an
    array of one value per image. Keras: `keras.utils.bounding_boxes.affine_transform`."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError(f"affine_transform: bounding_box_format must be 'xyxy' (as in "
                                  f"Keras). Received: bounding_box_format={bounding_box_format!r}")
    angle = _tensor(angle)
    if angle.ndim != 1:
        raise ValueError(f"affine_transform: `angle` must hold one angle per image, shape "
                         f"(batch,). Received: angle.shape={angle.shape}")
    parts = [_tensor(v) for v in (translate_x, translate_y, scale, shear_x, shear_y)]
    matrix = _inverse_affine_matrices(0.5 if center_x is None else _tensor(center_x),
                                      0.5 if center_y is None else _tensor(center_y),
                                      angle, *parts, height, width)
    boxes = _tensor(boxes).astype(matrix.dtype)
    if boxes.ndim != 3 or boxes.shape[-1] != 4 or boxes.shape[0] != matrix.shape[0]:
        raise ValueError(f"affine_transform: `boxes` must have shape (batch, boxes, 4) with the "
                         f"batch of `angle` ({matrix.shape[0]}). Received: boxes.shape="
                         f"{boxes.shape}")
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    corners = np.stack([x1, y1, x2, y1, x2, y2, x1, y2], axis=-1)
    corners = corners.reshape(boxes.shape[0], boxes.shape[1], 4, 2)
    corners = np.concatenate([corners, np.ones(corners.shape[:-1] + (1,), corners.dtype)], axis=-1)
    moved = np.einsum("bnxy,byz->bnxz", corners, np.transpose(matrix[:, :2, :], [0, 2, 1]))
    return np.concatenate([moved.min(axis=2), moved.max(axis=2)], axis=-1)


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """The "xyxy" `boxes` in the crop of `height` by `width` pixels at (`top`, `left`),
    clipped to it. Keras: `keras.utils.bounding_boxes.crop`."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError(f"crop: bounding_box_format must be 'xyxy' (as in Keras). "
                                  f"Received: bounding_box_format={bounding_box_format!r}")
    boxes, top, left, height, width = _operands(boxes, top, left, height, width)
    x1, y1, x2, y2 = _split(boxes)
    return _joined(np.clip(x1 - left, 0, width), np.clip(y1 - top, 0, height),
                   np.clip(x2 - left, 0, width), np.clip(y2 - top, 0, height))


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """The "xyxy" `boxes` moved by padding of `top` and `left` pixels. Keras:
    `keras.utils.bounding_boxes.pad`."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError(f"pad: bounding_box_format must be 'xyxy' (as in Keras). "
                                  f"Received: bounding_box_format={bounding_box_format!r}")
    boxes, top, left = _operands(boxes, top, left)
    x1, y1, x2, y2 = _split(boxes)
    return _joined(x1 + left, y1 + top, x2 + left, y2 + top)


def _image_size(image_shape):
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def _variance(variance):
    if variance is None:
        return None
    variance = _tensor(variance, "float32")
    if variance.shape[-1:] != (4,):
        raise ValueError(f"`variance` must be length 4, got {variance}")
    return variance


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format, encoding_format="center_yxhw",
                         variance=None, image_shape=None):
    """The deltas of `boxes` from `anchors`: center offsets over the anchor's size and the log
    of the size ratio, in `encoding_format` ("center_yxhw" or "center_xywh"), divided by
    `variance`. Keras: `keras.utils.bounding_boxes.encode_box_to_deltas`."""
    variance = _variance(variance)
    if encoding_format not in ["center_xywh", "center_yxhw"]:
        raise ValueError(f"`encoding_format` should be one of 'center_xywh' or 'center_yxhw', "
                         f"got {encoding_format}")
    height, width = _image_size(image_shape)
    anchors = convert_format(anchors, source=anchor_format, target=encoding_format,
                             height=height, width=width)
    boxes = convert_format(boxes, source=box_format, target=encoding_format, height=height,
                           width=width)
    anchor_sizes = np.maximum(anchors[..., 2:], np.float32(_backend.epsilon()))
    box_sizes = np.maximum(boxes[..., 2:], np.float32(_backend.epsilon()))
    deltas = np.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_sizes,
                             np.log(box_sizes / anchor_sizes)], axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format,
                           encoded_format="center_yxhw", variance=None, image_shape=None):
    """The boxes, in `box_format`, that `boxes_delta` (as `encode_box_to_deltas` makes them)
    give from `anchors`; dicts of levels give a dict. Keras:
    `keras.utils.bounding_boxes.decode_deltas_to_boxes`."""
    variance = _variance(variance)
    if encoded_format not in ["center_xywh", "center_yxhw"]:
        raise ValueError(f"`encoded_format` should be 'center_xywh' or 'center_yxhw', but got "
                         f"'{encoded_format}'.")
    height, width = _image_size(image_shape)

    def decode(anchor, delta):
        anchor = convert_format(anchor, source=anchor_format, target=encoded_format,
                                height=height, width=width)
        delta = _tensor(delta)
        if variance is not None:
            delta = delta * variance
        box = np.concatenate([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                              np.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1)
        return convert_format(box, source=encoded_format, target=box_format, height=height,
                              width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1,
                image_shape=None):
    """The IoU of each box of `boxes1` (N, 4) or (batch, N, 4) with each of `boxes2`: an
    (N, M) or (batch, N, M) table; with `use_masking`, `mask_val` where either box is padding
    (all coordinates negative). Keras: `keras.utils.bounding_boxes.compute_iou`."""
    ranks = (np.ndim(boxes1), np.ndim(boxes2))
    for which, rank in (("boxes1", ranks[0]), ("boxes2", ranks[1])):
        if rank not in (2, 3):
            raise ValueError(f"compute_iou() expects {which} to be batched, or to be unbatched. "
                             f"Received len(boxes1.shape)={ranks[0]}, len(boxes2.shape)="
                             f"{ranks[1]}. Expected either len({which}.shape)=2 AND or "
                             f"len({which}.shape)=3.")
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(f"When using relative bounding box formats (e.g. `rel_yxyx`) the "
                         f"`image_shape` argument must be provided.Received `image_shape`: "
                         f"{image_shape}")
    height, width = _image_size(image_shape)
    boxes1 = convert_format(boxes1, source=bounding_box_format, target="yxyx", height=height,
                            width=width)
    boxes2 = convert_format(boxes2, source=bounding_box_format, target="yxyx", height=height,
                            width=width)
    y_min1, x_min1, y_max1, x_max1 = _split(boxes1)
    y_min2, x_min2, y_max2, x_max2 = (np.swapaxes(v, -1, -2) for v in _split(boxes2))
    zero = np.float32(0)
    intersect_height = np.maximum(zero, np.minimum(y_max1, y_max2) - np.maximum(y_min1, y_min2))
    intersect_width = np.maximum(zero, np.minimum(x_max1, x_max2) - np.maximum(x_min1, x_min2))
    intersection = intersect_height * intersect_width
    area1 = (y_max1 - y_min1) * (x_max1 - x_min1)                         # (..., N, 1)
    area2 = (y_max2 - y_min2) * (x_max2 - x_min2)                         # (..., 1, M)
    union = area1 + area2 - intersection
    iou = intersection / (union + np.float32(_backend.epsilon()))
    if not use_masking:
        return iou
    background = (boxes1.max(axis=-1, keepdims=True) < 0) | \
        np.swapaxes(boxes2.max(axis=-1, keepdims=True) < 0, -1, -2)
    return np.where(background, np.asarray(mask_val, iou.dtype), iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """The Complete IoU of each box of `boxes1` with the box of `boxes2` at the same place (the
    IoU less the normalized distance of the centers and an aspect-ratio term). Keras:
    `keras.utils.bounding_boxes.compute_ciou`, which refuses relative formats."""
    if "rel" in bounding_box_format:
        raise ValueError(f"When using relative bounding box formats (e.g. `rel_yxyx`) the "
                         f"`image_shape` argument must be provided.Received `image_shape`: "
                         f"{image_shape}")
    height, width = _image_size(image_shape)
    boxes1 = convert_format(boxes1, source=bounding_box_format, target="xyxy", height=height,
                            width=width)
    boxes2 = convert_format(boxes2, source=bounding_box_format, target="xyxy", height=height,
                            width=width)
    eps = np.float32(_backend.epsilon())
    x_min1, y_min1, x_max1, y_max1 = _split(boxes1)
    x_min2, y_min2, x_max2, y_max2 = _split(boxes2)
    width_1, height_1 = x_max1 - x_min1, y_max1 - y_min1 + eps
    width_2, height_2 = x_max2 - x_min2, y_max2 - y_min2 + eps
    intersection = np.maximum(np.minimum(x_max1, x_max2) - np.maximum(x_min1, x_min2), 0) * \
        np.maximum(np.minimum(y_max1, y_max2) - np.maximum(y_min1, y_min2), 0)
    union = width_1 * height_1 + width_2 * height_2 - intersection + eps
    iou = np.squeeze(intersection / (union + eps), axis=-1)
    convex_width = np.maximum(x_max1, x_max2) - np.minimum(x_min1, x_min2)
    convex_height = np.maximum(y_max1, y_max2) - np.minimum(y_min1, y_min2)
    diagonal_squared = np.squeeze(convex_width ** 2 + convex_height ** 2 + eps, axis=-1)
    centers_squared = np.squeeze(((x_min1 + x_max1) / 2 - (x_min2 + x_max2) / 2) ** 2 +
                                 ((y_min1 + y_max1) / 2 - (y_min2 + y_max2) / 2) ** 2, axis=-1)
    v = np.squeeze((4 / math.pi ** 2) *
                   np.power(np.arctan(width_2 / height_2) - np.arctan(width_1 / height_1), 2),
                   axis=-1)
    alpha = v / (v - iou + (1 + eps))
    return iou - (centers_squared / diagonal_squared + v * alpha)


__all__ = ["affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou",
           "convert_format", "crop", "decode_deltas_to_boxes", "encode_box_to_deltas", "pad"]
