"""Keras's image augmentation layers on a dict of `images` with `bounding_boxes`, `labels` and
`segmentation_masks` (Keras 3: `BaseImagePreprocessingLayer.call` and each layer's
`get_random_transformation` / `transform_bounding_boxes` / `transform_segmentation_masks`).

The images go through the library's layer as they always do. The layer's random
transformation is drawn again here, from the layer's seed generator as it stood before the
call, with Keras's draws in Keras's order (`keras_random_draw`: JAX's threefry, bit for bit), so
the boxes and masks get the very transformation the library gave the images; then Keras's box
arithmetic (`keras.utils.bounding_boxes`) moves the boxes, and the masks are resampled with
nearest interpolation as Keras resamples them."""

import random as _py_random

import numpy as np

from . import _bounding_boxes as bb
from ._dtypes import as_keras_array

def box_format(layer):
    """The layer's `bounding_box_format` (Keras's image layers' base argument; the library keeps
    it in the layer's config), or None."""
    return (layer.__dict__.get("_args") or {}).get("bounding_box_format")


def no_box_format(layer):
    """Keras's error for a dict with `bounding_boxes` given to a layer without a box format."""
    return ValueError("You passed an input with a 'bounding_boxes' key, but you didn't specify a bounding box "
                      f"format. Pass a `bounding_box_format` argument to your {type(layer).__name__} layer, "
                      "e.g. `bounding_box_format='xyxy'`.")


def densified(bounding_boxes):
    """Keras's `densify_bounding_boxes` on arrays: checked, boxes float32, labels as JAX holds them."""
    if not isinstance(bounding_boxes, dict) or "labels" not in bounding_boxes or "boxes" not in bounding_boxes:
        raise ValueError("Expected `bounding_boxes` agurment to be a dict with keys 'boxes' and 'labels'. "
                         f"Received: bounding_boxes={bounding_boxes}")
    boxes, labels = np.asarray(bounding_boxes["boxes"]), as_keras_array(bounding_boxes["labels"])
    if boxes.ndim == 2 and labels.ndim not in (1, 2) or boxes.ndim == 3 and labels.ndim not in (2, 3):
        raise ValueError(f"Found bounding_boxes['boxes'].shape={boxes.shape} and expected "
                         f"bounding_boxes['labels'] to have rank {boxes.ndim - 1} or {boxes.ndim}, but received: "
                         f"bounding_boxes['labels'].shape={labels.shape} ")
    if boxes.ndim not in (2, 3):
        raise ValueError("Expected `bounding_boxes['boxes']` to have rank 2 or 3, with shape (num_boxes, 4) or "
                         f"(batch_size, num_boxes, 4). Received: bounding_boxes['boxes'].shape={boxes.shape}")
    return dict(bounding_boxes, boxes=boxes.astype(np.float32), labels=labels)


class _Draws:
    """Keras's draws of one call (keras.random's, keyed as the layer's generator keys them on
    JAX): a SeedGenerator at the state `[seed, counter]` the layer's had before the call,
    the counter moving on by one per draw."""

    def __init__(self, state):
        from .random import SeedGenerator, SeedGeneratorState
        generator = SeedGenerator.__new__(SeedGenerator)   # (made so as to take no automatic name)
        generator.name, generator._initial_seed, generator._layer = "augmentation_draws", None, None
        generator._value = np.array(state, np.uint32)
        generator.state = SeedGeneratorState(generator)
        self.generator = generator

    def uniform(self, shape, minval=0.0, maxval=1.0):
        from . import random
        return random.uniform(shape, minval, maxval, seed=self.generator)

    def randint(self, shape, minval, maxval):
        from . import random
        return random.randint(shape, minval, maxval, seed=self.generator)

    def gamma(self, shape, alpha):
        from . import random
        return random.gamma(shape, alpha, seed=self.generator)

    def beta(self, shape, alpha, beta):
        from . import random
        return random.beta(shape, alpha, beta, seed=self.generator)

    def shuffle(self, x):
        from . import random
        return np.asarray(random.shuffle(x, seed=self.generator))

    def skip(self, count):
        """The generator moves on past `count` draws whose values do not matter here."""
        self.generator._value[1] += np.uint32(count)


def _generator(layer):
    """The layer's library seed generator (the layer built first)."""
    from .random import library_generators
    generators = library_generators(layer)
    if not generators:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': its seed generator could not be found")
    return generators[0]


def draws_before_call(layer, images):
    """Keras's draws of the layer's next call on `images` (`_Draws`), from its generator's state
    now; a layer not yet in a model is first put in the private one its call runs in (built
    without a call: MixUp draws at inference too)."""
    owner = layer.__dict__.get("_owner")
    if owner is None or owner._handle is None:
        from .models import Sequential
        from ._objects import unique_name
        owner = Sequential(name=unique_name("layer_call"))
        owner._adopt(layer, batch_shape=(None,) + tuple(np.shape(images)[1:]), alone=True)
        owner._ensure_handle()
    return _Draws(_generator(layer).state.numpy())


def _pair(value, lowest=None):
    """A factor as Keras's layers hold it: a pair sorted, a number f the range (-f, f), or
    (max(-f, lowest), f) for a layer whose factors are bounded below by `lowest`."""
    if isinstance(value, (list, tuple)):
        return tuple(sorted(float(v) for v in value))
    f = abs(float(value))
    return (-f if lowest is None else max(-f, lowest)), f


def _split(boxes):
    return [boxes[..., i:i + 1] for i in range(4)]


def _transformed_x_y(transform, x, y):
    """Keras's `get_transformed_x_y`: where the 8-number transform (batch, 8) sends (x, y)."""
    a0, a1, a2, b0, b1, b2, c0, c1 = np.split(transform, 8, axis=-1)
    k = c0 * x + c1 * y + 1
    return (a0 * x + a1 * y + a2) / k, (b0 * x + b1 * y + b2) / k


def _affine_matrix(angle, height, width):
    """Keras's `_compute_affine_matrix` for a rotation by `angle` degrees about the center
    (no translation, scale 1, no shear), (batch, 8)."""
    f32 = np.float32
    rad = angle * f32(np.pi / 180.0)
    width, height = f32(width), f32(height)
    cx, cy = f32(0.5) * (width - 1), f32(0.5) * (height - 1)
    cos, sin = np.cos(rad), np.sin(rad)
    zero, one = np.zeros_like(angle), np.ones_like(angle)
    a0 = one * (cos + zero * sin)
    a1 = one * (-sin + zero * cos)
    a2 = zero + cx - cx * a0 - cy * a1
    b0 = one * (zero * cos + sin)
    b1 = one * (zero * -sin + cos)
    b2 = zero + cy - cx * b0 - cy * b1
    return np.stack([a0, a1, a2, b0, b1, b2, zero, zero], axis=1).astype(f32)


class _Layer:
    """What one layer's Keras transformation needs: its config, its data format, the images' size."""

    def __init__(self, layer, images):
        self.layer = layer
        self.config = layer.get_config()
        self.format = box_format(layer)
        self.first = self.config.get("data_format") == "channels_first"
        shape = images.shape
        self.batch = shape[0] if len(shape) == 4 else 1
        self.height, self.width = (shape[-2], shape[-1]) if self.first else (shape[-3], shape[-2])

    def convert(self, boxes, source, target, height=None, width=None):
        return bb.convert_format(boxes, source, target, height=self.height if height is None else height,
                                 width=self.width if width is None else width)

    def clip(self, boxes, labels, fmt="xyxy", height=None, width=None):
        out = bb.clip_to_image_size({"boxes": boxes, "labels": labels},
                                    height=self.height if height is None else height,
                                    width=self.width if width is None else width, bounding_box_format=fmt)
        return out["boxes"], out["labels"]


def _masks_affine(t, transform, masks):
    """Keras's `_transform_images(masks, transformation, "nearest")` of the affine layers: the
    masks resampled through the 8-number transforms, in their own dtype."""
    from .ops import image
    out = image.affine_transform(masks.astype(np.float32), transform, interpolation="nearest",
                                 fill_mode=t.config["fill_mode"], fill_value=t.config["fill_value"],
                                 data_format=t.config.get("data_format"))
    return np.asarray(out).astype(masks.dtype)


# Each geometric layer: draw(t, draws) -> transformation (None at inference where Keras has
# none); boxes(t, transformation, boxes, labels) -> (boxes, labels) in training;
# masks(t, transformation, masks) -> masks in training.

def _flip_draw(t, draws):
    return draws.uniform((t.batch, 1, 1, 1)) <= 0.5


def _flip_boxes(t, flips, boxes, labels):
    mode = t.config.get("mode", "horizontal_and_vertical")
    boxes = t.convert(boxes, t.format, "rel_xyxy")
    flips = np.squeeze(flips, axis=-1)
    if mode in ("horizontal", "horizontal_and_vertical"):
        x1, x2, x3, x4 = _split(boxes)
        boxes = np.where(flips, np.concatenate([1 - x3, x2, 1 - x1, x4], axis=-1), boxes)
    if mode in ("vertical", "horizontal_and_vertical"):
        x1, x2, x3, x4 = _split(boxes)
        boxes = np.where(flips, np.concatenate([x1, 1 - x4, x3, 1 - x2], axis=-1), boxes)
    boxes, labels = t.clip(boxes, labels)   # (Keras clips these relative boxes as pixels)
    return t.convert(boxes, "rel_xyxy", t.format), labels


def _flip_masks(t, flips, masks):
    mode = t.config.get("mode", "horizontal_and_vertical")
    x = masks.astype(np.float32)
    w_axis, h_axis = (-1, -2) if t.first else (-2, -3)
    if mode in ("horizontal", "horizontal_and_vertical"):
        x = np.where(flips, np.flip(x, axis=w_axis), x)
    if mode in ("vertical", "horizontal_and_vertical"):
        x = np.where(flips, np.flip(x, axis=h_axis), x)
    return x


def _translation_draw(t, draws):
    h_lower, h_upper = _pair(t.config["height_factor"])
    w_lower, w_upper = _pair(t.config["width_factor"])
    dy = draws.uniform((t.batch, 1), h_lower, h_upper) * np.float32(t.height)
    dx = draws.uniform((t.batch, 1), w_lower, w_upper) * np.float32(t.width)
    translations = np.concatenate([dx, dy], axis=1).astype(np.float32)
    zeros, ones = np.zeros((t.batch, 1), np.float32), np.ones((t.batch, 1), np.float32)
    return np.concatenate([ones, zeros, -translations[:, 0:1], zeros, ones, -translations[:, 1:],
                           zeros, zeros], axis=1)


def _translation_boxes(t, transform, boxes, labels):
    boxes = t.convert(boxes, t.format, "xyxy")
    w_shift, h_shift = _transformed_x_y(transform, 0, 0)
    if boxes.ndim == 3:
        w_shift, h_shift = w_shift[..., None], h_shift[..., None]
    x1, x2, x3, x4 = _split(boxes)
    boxes = np.concatenate([x1 - w_shift, x2 - h_shift, x3 - w_shift, x4 - h_shift], axis=-1)
    boxes, labels = t.clip(boxes, labels)
    return t.convert(boxes, "xyxy", t.format), labels


def _rotation_draw(t, draws):
    lower, upper = _pair(t.config["factor"])
    return draws.uniform((t.batch,), lower * 360.0, upper * 360.0)


def _rotation_boxes(t, angle, boxes, labels):
    zeros, ones = np.zeros([t.batch], np.float32), np.ones([t.batch], np.float32)
    boxes = bb.affine_transform(boxes, angle, zeros, zeros, ones, zeros, zeros, t.height, t.width)
    boxes, labels = t.clip(boxes, labels)
    return t.convert(boxes, "xyxy", t.format), labels


def _zoom_draw(t, draws):
    h_lower, h_upper = _pair(t.config["height_factor"])
    height_zoom = draws.uniform((t.batch, 1), 1.0 + h_lower, 1.0 + h_upper)
    width_factor = t.config.get("width_factor")
    if width_factor is None:
        width_zoom = height_zoom
    else:
        w_lower, w_upper = _pair(width_factor)
        width_zoom = draws.uniform((t.batch, 1), 1.0 + w_lower, 1.0 + w_upper)
    zooms = np.concatenate([width_zoom, height_zoom], axis=1).astype(np.float32)
    x_offset = ((np.float32(t.width) - 1.0) / 2.0) * (1.0 - zooms[:, 0:1])
    y_offset = ((np.float32(t.height) - 1.0) / 2.0) * (1.0 - zooms[:, 1:])
    zeros = np.zeros((t.batch, 1), np.float32)
    return np.concatenate([zooms[:, 0:1], zeros, x_offset, zeros, zooms[:, 1:], y_offset, zeros, zeros],
                          axis=1).astype(np.float32)


def _zoom_boxes(t, transform, boxes, labels):
    boxes = t.convert(boxes, t.format, "xyxy")
    w_start, h_start = _transformed_x_y(transform, 0, 0)
    w_end, h_end = _transformed_x_y(transform, t.width, t.height)
    starts_ends = [h_end, h_start, w_end, w_start]
    if boxes.ndim == 3:
        starts_ends = [v[..., None] for v in starts_ends]
    he, hs, we, ws = starts_ends
    x1, y1, x2, y2 = _split(boxes)
    boxes = np.concatenate([np.clip(x1, ws, we) - ws, np.clip(y1, hs, he) - hs,
                            np.clip(x2, ws, we) - ws, np.clip(y2, hs, he) - hs], axis=-1)
    height, width = (h_end - h_start)[..., None], (w_end - w_start)[..., None]
    boxes = bb.convert_format(boxes, "xyxy", "rel_xyxy", height=height, width=width)
    boxes, labels = t.clip(boxes, labels, "rel_xyxy", height, width)
    return t.convert(boxes, "rel_xyxy", t.format), labels


def _shear_draw(t, draws):
    invert = draws.uniform((t.batch, 1), 0, 1)
    invert = np.where(invert > 0.5, -np.ones_like(invert), np.ones_like(invert))
    shear_y = draws.uniform((t.batch, 1), *_pair(t.config["y_factor"]))
    shear_x = draws.uniform((t.batch, 1), *_pair(t.config["x_factor"]))
    return np.concatenate([shear_x, shear_y], axis=1).astype(np.float32) * invert


def _shear_matrix(shear):
    n = shear.shape[0]
    zeros, ones = np.zeros((n,), np.float32), np.ones((n,), np.float32)
    return np.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], axis=1)


def _shear_boxes(t, shear, boxes, labels):
    boxes = t.convert(boxes, t.format, "rel_xyxy")
    sx, sy = np.split(shear, 2, axis=-1)
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    x1, x2 = (np.where(sx < 0, x1 - sx * y1, x1 - sx * y2), np.where(sx < 0, x2 - sx * y2, x2 - sx * y1))
    y1, y2 = (np.where(sy > 0, y1 - sy * x2, y1 - sy * x1), np.where(sy > 0, y2 - sy * x1, y2 - sy * x2))
    boxes = np.stack([x1, y1, x2, y2], axis=-1)
    boxes, labels = t.clip(boxes, labels, "rel_xyxy")
    return t.convert(boxes, "rel_xyxy", t.format), labels


def _crop_draw(t, draws):
    height, width = int(t.config["height"]), int(t.config["width"])
    if draws is not None and t.height > height and t.width > width:
        h_start = int(draws.uniform((), 0, float(t.height - height + 1)).astype(np.int32))
        w_start = int(draws.uniform((), 0, float(t.width - width + 1)).astype(np.int32))
        return h_start, w_start
    crop_height = max(min(t.height, int(float(t.width * height) / width)), 1)
    crop_width = max(min(t.width, int(float(t.height * width) / height)), 1)
    return int(float(t.height - crop_height) / 2), int(float(t.width - crop_width) / 2)


def _crop_boxes(t, starts, boxes, labels):
    height, width = int(t.config["height"]), int(t.config["width"])
    h_start, w_start = (np.float32(v) for v in starts)
    boxes = t.convert(boxes, t.format, "xyxy", height, width)
    # (Keras's own arithmetic: the top offset comes off the x coordinates and the left off the y)
    boxes = np.stack([np.maximum(boxes[..., 0] - h_start, 0), np.maximum(boxes[..., 1] - w_start, 0),
                      np.maximum(boxes[..., 2] - h_start, 0), np.maximum(boxes[..., 3] - w_start, 0)], axis=-1)
    return t.convert(boxes, "xyxy", t.format, height, width), labels


def _crop_masks(t, starts, masks):
    """RandomCrop's masks, in training or not: cut as its images are in training (float32),
    then resized bilinearly where the cut is smaller than the crop (Keras's transform_images)."""
    height, width = int(t.config["height"]), int(t.config["width"])
    h, w = starts
    x = masks.astype(np.float32)
    x = x[..., h:h + height, w:w + width] if t.first else x[..., h:h + height, w:w + width, :]
    if (x.shape[-2:] if t.first else x.shape[-3:-1]) != (height, width):
        from .ops import image
        x = np.asarray(image.resize(x, (height, width), data_format=t.config.get("data_format")), np.float32)
    return x


def _center_crop_boxes(t, _, boxes, labels):
    height, width = int(t.config["height"]), int(t.config["width"])
    boxes = t.convert(boxes, t.format, "xyxy")
    h_diff, w_diff = t.height - height, t.width - width
    if h_diff >= 0 and w_diff >= 0:
        h_start, w_start = int(h_diff / 2), int(w_diff / 2)
        h_end, w_end = h_start + height, w_start + width
        boxes = _clipped(boxes, h_end, h_start, w_end, w_start)
    else:
        crop_height = max(min(t.height, int(float(t.width * height) / width)), 1)
        crop_width = max(min(t.width, int(float(t.height * width) / height)), 1)
        h_start, w_start = int(float(t.height - crop_height) / 2), int(float(t.width - crop_width) / 2)
        boxes = _clipped(boxes, h_start + crop_height, h_start, w_start + crop_width, w_start)
        boxes = bb.convert_format(boxes, "xyxy", "rel_xyxy", height=crop_height, width=crop_width)
        boxes = bb.convert_format(boxes, "rel_xyxy", "xyxy", height=height, width=width)
    boxes, labels = t.clip(boxes, labels, "xyxy", height, width)
    return t.convert(boxes, "xyxy", t.format, height, width), labels


def _clipped(boxes, h_end, h_start, w_end, w_start):
    x1, y1, x2, y2 = _split(boxes)
    return np.concatenate([np.clip(x1, w_start, w_end) - w_start, np.clip(y1, h_start, h_end) - h_start,
                           np.clip(x2, w_start, w_end) - w_start, np.clip(y2, h_start, h_end) - h_start], axis=-1)


def _resizing_boxes(t, _, boxes, labels):
    f32 = np.float32
    height, width = int(t.config["height"]), int(t.config["width"])
    empty = np.all(boxes == -1, axis=-1) | np.all(boxes == 0, axis=-1)
    boxes = t.convert(boxes, t.format, "xyxy")
    in_h, in_w = f32(t.height), f32(t.width)
    if t.config.get("pad_to_aspect_ratio"):
        ratio = np.minimum(f32(height / in_h), f32(width / in_w))
        y_offset, x_offset = (height - in_h * ratio) // 2, (width - in_w * ratio) // 2
        scale_x = scale_y = ratio
        left, top = -x_offset, -y_offset
    elif t.config.get("crop_to_aspect_ratio"):
        source, target = in_w / in_h, width / height
        new_w = f32(height * source) if source > target else f32(width)
        new_h = f32(height) if source > target else f32(width / source)
        scale_x, scale_y = new_w / in_w, new_h / in_h
        left, top = (new_w - width) // 2, (new_h - height) // 2
    else:
        scale_x, scale_y, left, top = f32(width / in_w), f32(height / in_h), f32(0), f32(0)
    boxes = np.stack([boxes[..., 0] * scale_x - left, boxes[..., 1] * scale_y - top,
                      boxes[..., 2] * scale_x - left, boxes[..., 3] * scale_y - top], axis=-1).astype(f32)
    boxes, labels = t.clip(boxes, labels, "xyxy", height, width)
    boxes = np.where(empty[..., None], np.zeros(4, f32), boxes)
    return t.convert(boxes, "xyxy", t.format, height, width), labels


def _resized_masks(t, masks):
    """Resizing's masks: resized with nearest interpolation, in their own dtype (Keras's
    `_transform_images(masks, None, "nearest")`)."""
    from .ops import image
    c = t.config
    out = image.resize(masks.astype(np.float32), (int(c["height"]), int(c["width"])), interpolation="nearest",
                       crop_to_aspect_ratio=bool(c.get("crop_to_aspect_ratio")),
                       pad_to_aspect_ratio=bool(c.get("pad_to_aspect_ratio")),
                       fill_mode=c.get("fill_mode", "constant"), fill_value=c.get("fill_value", 0.0),
                       data_format=c.get("data_format"))
    return np.asarray(out).astype(masks.dtype)


def _perspective_draw(t, draws):
    lower, upper = _pair(t.config["factor"], lowest=0.0)
    scale = float(t.config.get("scale", 1.0))
    probability = draws.uniform((t.batch,), lower, upper)
    threshold = draws.uniform((t.batch,), 0.0, 1.0)
    factor = draws.uniform((t.batch, 4, 2), -0.5 * scale, 0.5 * scale)
    start = np.array([[[0.0, 0.0], [t.width - 1, 0.0], [0.0, t.height - 1], [t.width - 1, t.height - 1]]],
                     np.float32)
    start = np.repeat(start, t.batch, axis=0)
    return threshold < probability, start, start + start * factor


def _perspective_boxes(t, transformation, boxes, labels):
    from .ops._warp import _homography
    apply, start, end = transformation
    boxes = t.convert(boxes, t.format, "xyxy")
    x0, y0, x1, y1 = _split(boxes)
    h = _homography(start, end).astype(np.float32)[:, None]                      # (batch, 1, 8)
    matrix = np.concatenate([h, np.ones(h.shape[:1] + (1, 1), np.float32)], axis=-1).reshape(-1, 3, 3)
    inverse = np.linalg.inv(matrix).astype(np.float32)
    xs, ys = [], []
    for x, y in ((x0, y0), (x1, y1), (x0, y1), (x1, y0)):
        coords = np.moveaxis(np.concatenate([x, y, np.ones_like(x)], axis=-1), -1, -2)
        moved = np.moveaxis(inverse @ coords, -1, -2)
        xs.append(moved[..., 0] / moved[..., 2])
        ys.append(moved[..., 1] / moved[..., 2])
    xs, ys = np.stack(xs, axis=-1), np.stack(ys, axis=-1)
    moved = np.stack([xs.min(-1), ys.min(-1), xs.max(-1), ys.max(-1)], axis=-1)
    boxes = np.where(apply[:, None, None], moved, boxes)
    return t.clip(boxes, labels)   # (Keras returns these as "xyxy", whatever the layer's format)


def _perspective_masks(t, transformation, masks):
    from .ops import image
    apply, start, end = transformation
    x = masks.astype(np.float32)
    out = np.asarray(image.perspective_transform(x, start, end, interpolation="nearest",
                                                 fill_value=t.config.get("fill_value", 0.0),
                                                 data_format=t.config.get("data_format")))
    return np.where(apply[:, None, None, None], out, x).astype(masks.dtype)


def _rand_augment_draw(t, draws):
    """RandAugment's transformation: its `num_ops` choices among its augmentations, then each
    augmentation's transformation in Keras's order from the same generator. Only the first
    three (shear, translation, rotation) move boxes and masks; the color ones return them."""
    import copy
    from .layers import _AUGMENT_ORDER
    factor = list(_pair(t.config.get("factor", 0.5), lowest=0.0))
    chosen = draws.randint((int(t.config.get("num_ops", 2)),), 0, len(_AUGMENT_ORDER["RandAugment"]))
    parts = (("RandomShear", {"x_factor": factor, "y_factor": factor}),
             ("RandomTranslation", {"height_factor": factor, "width_factor": factor}),
             ("RandomRotation", {"factor": factor}))
    plan = []
    for name, config in parts:
        draw, move, resample, _ = _TRANSFORMS[name]
        part = copy.copy(t)   # (Keras makes its augmentations with their default fill)
        part.config = dict(t.config, fill_mode="reflect", fill_value=0.0, **config)
        plan.append((part, move, resample, draw(part, draws)))
    return chosen, plan


def _rand_augment_boxes(t, transformation, boxes, labels):
    """Each chosen geometric augmentation moves the boxes once, in the augmentations' order."""
    chosen, plan = transformation
    for index, (part, move, _, drawn) in enumerate(plan):
        if index in chosen:
            boxes, labels = move(part, drawn, boxes, labels)
    return boxes, labels


def _rand_augment_masks(t, transformation, masks):
    """Each choice, in turn, resamples the masks when it is a geometric augmentation."""
    chosen, plan = transformation
    for index in chosen:
        if index < len(plan):
            part, _, resample, drawn = plan[index]
            masks = resample(part, drawn, masks)
    return masks


# The keys each of AugMix's augmentations draws, in Keras's order (AUGMENT_LAYERS_ALL; without
# all_ops the first seven): shear, translation, rotation, posterization, solarization,
# auto-contrast, equalization, brightness, color degeneration, contrast, sharpness.
_AUG_MIX_DRAWS = (3, 2, 1, 1, 2, 0, 0, 1, 1, 1, 1)


def _aug_mix_draw(t, draws):
    """AugMix's transformation: the chains' Dirichlet weights, the mixing weight, then each
    chain step's augmentation chosen with Python's `random` (replayed from its state before the
    call: t.python_state) and drawn from the same generator. Only the geometric steps (the
    first three) touch masks, each with its own transformation."""
    import copy
    import random as python_random
    from .layers import _python_choices
    c = t.config
    chains, depth, alpha = int(c.get("num_chains", 3)), int(c.get("chain_depth", 3)), float(c.get("alpha", 1.0))
    factor = list(_pair(c.get("factor", 0.3), lowest=0.0))
    counts = _AUG_MIX_DRAWS if c.get("all_ops", True) else _AUG_MIX_DRAWS[:7]
    after = python_random.getstate()
    python_random.setstate(t.python_state)
    choices = _python_choices(len(counts), chains * depth)
    python_random.setstate(after)
    gammas = draws.gamma((chains,), alpha)
    weights = gammas / np.sum(gammas, axis=-1, keepdims=True)
    weight = draws.beta((), alpha, alpha)
    parts = (("RandomShear", {"x_factor": factor, "y_factor": factor}),
             ("RandomTranslation", {"height_factor": factor, "width_factor": factor}),
             ("RandomRotation", {"factor": factor}))
    plan = []
    for chain in range(chains):
        steps = []
        for choice in choices[chain * depth:(chain + 1) * depth]:
            if choice < 0:
                continue
            if choice < len(parts):
                draw, _, resample, _ = _TRANSFORMS[parts[choice][0]]
                part = copy.copy(t)
                part.config = dict(c, fill_mode="reflect", fill_value=0.0, **parts[choice][1])
                steps.append((part, resample, draw(part, draws)))
            else:
                draws.skip(counts[choice])   # (a color step: its draws, nothing for the masks)
        plan.append(steps)
    return weights, weight, plan


def _aug_mix_masks(t, transformation, masks):
    """Keras's AugMix masks: each chain's geometric steps resample a copy, the copies summed with
    the chain weights, mixed with the masks by the mixing weight (float32, as JAX promotes)."""
    weights, weight, plan = transformation
    mixed = np.zeros_like(masks)
    for chain, steps in enumerate(plan):
        copied = masks.copy()
        for part, resample, drawn in steps:
            copied = resample(part, drawn, copied)
        mixed = mixed + copied * weights[chain]
    return (weight * masks + (1 - weight) * mixed).astype(np.float32)


_TRANSFORMS = {
    # class: (draw, boxes, masks, transforms at inference too)
    "RandomFlip": (_flip_draw, _flip_boxes, _flip_masks, False),
    "RandomTranslation": (_translation_draw, _translation_boxes, _masks_affine, False),
    "RandomRotation": (_rotation_draw, _rotation_boxes,
                       lambda t, angle, m: _masks_affine(t, _affine_matrix(angle, t.height, t.width), m), False),
    "RandomZoom": (_zoom_draw, _zoom_boxes, _masks_affine, False),
    "RandomShear": (_shear_draw, _shear_boxes, lambda t, s, m: _masks_affine(t, _shear_matrix(s), m), False),
    "RandomCrop": (_crop_draw, _crop_boxes, None, False),
    "CenterCrop": (None, _center_crop_boxes, None, True),
    "Resizing": (None, _resizing_boxes, None, True),
    "RandomPerspective": (_perspective_draw, _perspective_boxes, _perspective_masks, False),
    "RandAugment": (_rand_augment_draw, _rand_augment_boxes, _rand_augment_masks, False),
    "AugMix": (_aug_mix_draw, None, _aug_mix_masks, False),   # (its boxes as given, as Keras's)
}
# The layers whose dict calls come here.
DICT_LAYERS = frozenset(_TRANSFORMS)


def _images_of(data):
    """Keras's dict's images, refused as Keras refuses them: absent, or not rank 3 or 4."""
    if "images" not in data:
        raise KeyError("images")
    images = np.asarray(data["images"])
    if images.ndim not in (3, 4):
        raise ValueError(f"Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
                         f"Received: data.shape={images.shape}")
    return images


def augment(layer, data, training, call_images):
    """The layer on Keras's dict: `call_images(images)` runs the library's layer on the images;
    boxes, labels and masks follow as Keras's `call` transforms them."""
    images = _images_of(data)
    name = layer.class_name
    training = True if training is None else bool(training)
    boxes = None
    if "bounding_boxes" in data:
        if not box_format(layer):
            raise no_box_format(layer)
        boxes = densified(data["bounding_boxes"])
    draw, move, resample, always = _TRANSFORMS.get(name, (None, None, None, False))
    transformation = None
    if training and draw is not None:
        draws = draws_before_call(layer, images)
    python_state = _py_random.getstate()   # (AugMix chooses its steps with Python's random)
    out = dict(data)
    out["images"] = call_images(images, training)
    t = _Layer(layer, images)
    t.python_state = python_state
    if training and draw is not None:
        transformation = draw(t, draws)
    moves = move is not None and (training or always)
    if boxes is not None:
        if moves:
            single = images.ndim == 3
            given_boxes = boxes["boxes"][None] if single else boxes["boxes"]
            given_labels = boxes["labels"][None] if single else boxes["labels"]
            moved, labels = move(t, transformation, given_boxes, given_labels)
            moved = np.asarray(moved, np.float32)
            boxes = dict(boxes, boxes=moved[0] if single else moved, labels=labels[0] if single else labels)
            if name == "RandomCrop":
                boxes = {"boxes": boxes["boxes"], "labels": boxes["labels"]}
        out["bounding_boxes"] = boxes
    if "labels" in data:
        out["labels"] = as_keras_array(data["labels"])
    if "segmentation_masks" in data and name in _TRANSFORMS:
        masks = np.asarray(data["segmentation_masks"])
        if name == "CenterCrop":   # (Keras: its transform_images, float32)
            out["segmentation_masks"] = call_images(masks.astype(np.float32), training)
        elif name == "Resizing":
            out["segmentation_masks"] = _resized_masks(t, masks)
        elif name == "RandomCrop":   # (Keras cuts the masks at inference too, at the center)
            single = masks.ndim == 3
            m = _crop_masks(t, transformation if training else _crop_draw(t, None), masks[None] if single else masks)
            out["segmentation_masks"] = m[0] if single else m
        elif not training and name == "RandomFlip":   # (Keras's transform_images: float32)
            out["segmentation_masks"] = masks.astype(np.float32)
        elif training and resample is not None:
            single = masks.ndim == 3
            m = masks[None] if single else masks
            m = resample(t, transformation, m)
            out["segmentation_masks"] = m[0] if single else m
    return out


def mix_up_extras(layer, data, draws, training):
    """MixUp's `bounding_boxes` and `segmentation_masks` as Keras's transform_* give them, from
    the call's permutation and Beta weights (`draws`, the layer's generator before the call):
    in training each image's boxes followed by its partner's, the box labels concatenated along
    the batch axis (Keras's axis 0), and the masks mixed with Keras's `take` without an axis
    (the flat masks' first values, broadcast over the last axis); at inference as given."""
    out = {}
    images = np.asarray(data["images"])
    single = images.ndim == 3
    batch = 1 if single else images.shape[0]
    if training:
        alpha = float(layer.alpha)
        order = draws.shuffle(np.arange(batch, dtype=np.int64))
        weight = np.asarray(draws.beta((batch,), alpha, alpha), np.float32)
    if "bounding_boxes" in data:
        if not box_format(layer):
            raise no_box_format(layer)
        boxes = densified(data["bounding_boxes"])
        if training:
            b, labels = (boxes["boxes"][None], boxes["labels"][None]) if single else (boxes["boxes"], boxes["labels"])
            b = np.concatenate([b, np.take(b, order, axis=0)], axis=1)
            labels = np.concatenate([labels, np.take(labels, order, axis=0)], axis=0)
            boxes = {"boxes": np.squeeze(b, 0) if single else b, "labels": np.squeeze(labels, 0) if single else labels}
        out["bounding_boxes"] = boxes
    if "segmentation_masks" in data and training:
        masks = as_keras_array(data["segmentation_masks"])
        m = masks[None] if single else masks
        w = weight.reshape(-1, 1, 1, 1)
        m = w * m + (np.float32(1.0) - w) * np.take(m, order)
        out["segmentation_masks"] = np.squeeze(m, 0) if single else m
    return out


def elastic(layer, data, training, call_images):
    """RandomElasticTransform on Keras's dict: the images through the layer, labels as given,
    bounding boxes refused as Keras refuses them (its transform_bounding_boxes is not
    implemented), and in training float segmentation masks resampled with nearest
    interpolation through a field of their own: Keras's mask transform draws its noise from the
    layer's generator after the images' (the generator moves on once more)."""
    images = _images_of(data)
    training = True if training is None else bool(training)
    if "bounding_boxes" in data:
        if not box_format(layer):
            raise no_box_format(layer)
        raise NotImplementedError(f"{type(layer).__name__} does not transform bounding boxes (Keras's "
                                  "RandomElasticTransform.transform_bounding_boxes is not implemented)")
    t = _Layer(layer, images)
    factor, scale = _pair(t.config["factor"], lowest=0.0), _pair(t.config["scale"], lowest=0.0)
    transforms = training and factor[1] != 0 and scale[1] != 0
    masks = data.get("segmentation_masks")
    if transforms and masks is not None:
        masks = as_keras_array(masks)
        if masks.dtype.kind not in "fc":
            raise ValueError(f"dtype argument to `normal` must be a float or complex dtype, got {masks.dtype}")
        draws = draws_before_call(layer, images)
    out = dict(data)
    out["images"] = call_images(images, training)
    if "labels" in data:
        out["labels"] = as_keras_array(data["labels"])
    if transforms and masks is not None:
        from .ops import image
        single = images.ndim == 3
        m = masks[None] if single else masks
        apply = draws.uniform((t.batch,), *factor) > draws.uniform((t.batch,), 0.0, 1.0)
        distortion = np.float32(draws.uniform((), *scale))
        draws.skip(1)   # (the images' noise)
        f32 = np.float32
        alpha, sigma = f32(max(t.height, t.width)) * (f32(0.1) * distortion), f32(min(t.height, t.width)) * (f32(0.05) * distortion)
        moved = np.asarray(image.elastic_transform(m, alpha=alpha, sigma=sigma, interpolation="nearest",
                                                   fill_mode=t.config["fill_mode"], fill_value=t.config["fill_value"],
                                                   seed=draws.generator, data_format=t.config.get("data_format")))
        low, high = t.config.get("value_range", (0, 255))
        m = np.clip(np.where(apply[:, None, None, None], moved, m), low, high).astype(np.float32)
        out["segmentation_masks"] = m[0] if single else m
        generator = _generator(layer)   # (Keras's generator has drawn the masks' noise too)
        state = generator.state.numpy()
        generator.state.assign([state[0], state[1] + 1])
    return out
