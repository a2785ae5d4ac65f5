"""Image ops (Keras `keras.ops.image`). Resizing and scale_and_translate are linear in the image:
one constant (out, in) interpolation matrix per spatial axis, built as jax.image.scale_and_translate
builds it (half-pixel centers, the kernel widened by the scale when antialiasing a reduction),
applied by einsum, so a traced layer resizes natively with gradients and values compute the same
way. The colour conversions, crop/pad, patches, blur, Sobel edges and SSIM are compositions of
ops (conv and depthwise_conv with constant kernels), traced the same way. The warps
(affine_transform, perspective_transform, map_coordinates, elastic_transform) gather at
coordinates computed from their arguments: traced as the graph's map_coordinates op
(ops/_warp.py)."""

from __future__ import annotations

import numpy as np

from ._trace import Unsupported, is_symbolic

_f32 = np.float32
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def _ops():
    from .. import ops
    return ops


def _kernel(interpolation, x):
    if interpolation == "bilinear":
        return np.maximum(0.0, 1.0 - x)
    if interpolation == "bicubic":   # Keys' cubic, a = -0.5
        out = ((1.5 * x - 2.5) * x) * x + 1.0
        out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
        return np.where(x >= 2.0, 0.0, out)
    radius = 3 if interpolation == "lanczos3" else 5
    return np.where(x > radius, 0.0, np.sinc(x) * np.sinc(x / radius))


def interpolation_matrix(n_in, n_out, interpolation="bilinear", antialias=False, scale=None,
                         translation=0.0):
    """The (n_out, n_in) matrix resizing one axis, as jax.image.resize computes it (scale
    n_out / n_in), or with a given scale and translation as jax.image.scale_and_translate."""
    if interpolation == "nearest":
        src = np.floor((np.arange(n_out) + 0.5) * n_in / n_out).astype(np.int64)
        m = np.zeros((n_out, n_in), np.float64)
        m[np.arange(n_out), np.minimum(src, n_in - 1)] = 1.0
        return m.astype(_f32)
    inv_scale = n_in / n_out if scale is None else 1.0 / float(scale)
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(n_out) + 0.5) * inv_scale - float(translation) * inv_scale - 0.5
    x = np.abs(sample[np.newaxis, :] - np.arange(n_in)[:, np.newaxis]) / kernel_scale
    w = _kernel(interpolation, x)
    total = w.sum(axis=0, keepdims=True)
    w = np.where(np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                 w / np.where(total != 0, total, 1), 0.0)
    w = np.where(((sample >= -0.5) & (sample <= n_in - 0.5))[np.newaxis, :], w, 0.0)
    return w.T.astype(_f32)


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Keras `ops.image.resize` for rank-3 (one image) or rank-4 (a batch) images."""
    from ..backend import image_data_format
    ops = _ops()
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                         f"{INTERPOLATIONS}. Received: interpolation={interpolation}")
    if fill_mode != "constant":
        raise ValueError(f"Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
                         f"Received: fill_mode={fill_mode}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
    if len(size) != 2:
        raise ValueError(f"Argument `size` must be a tuple of two elements (height, width). "
                         f"Received: size={size}")
    symbolic = is_symbolic(images)
    x = images if symbolic else ops._value(images)
    rank = len(x.shape)
    if rank not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
                         f"images). Received input with shape: images.shape={tuple(x.shape)}")
    last = (data_format or image_data_format()) == "channels_last"
    h_axis = rank - 3 if last else rank - 2
    height, width = x.shape[h_axis], x.shape[h_axis + 1]
    if height is None or width is None:
        raise Unsupported(f"ops.image.resize of images of shape {tuple(x.shape)}: the height and "
                          f"width must be known at trace time")
    th, tw = int(size[0]), int(size[1])
    if crop_to_aspect_ratio:
        ch = max(min(height, int(float(width * th) / tw)), 1)
        cw = max(min(width, int(float(height * tw) / th)), 1)
        hs, ws = int(float(height - ch) / 2), int(float(width - cw) / 2)
        lead = (slice(None),) * h_axis
        x = ops.getitem(x, lead + (slice(hs, hs + ch), slice(ws, ws + cw)))
        height, width = ch, cw
    elif pad_to_aspect_ratio:
        # Keras's: the short axis gets the same margin of fill_value on both sides, half of
        # what it lacks of the target's aspect ratio rounded down.
        hs = int(float(max(height, int(float(width * th) / tw)) - height) / 2)
        ws = int(float(max(width, int(float(height * tw) / th)) - width) / 2)
        pads = [(0, 0)] * rank
        if hs > 0:
            pads[h_axis], height = (hs, hs), height + 2 * hs
        elif ws > 0:
            pads[h_axis + 1], width = (ws, ws), width + 2 * ws
        if hs > 0 or ws > 0:
            x = ops.pad(x, pads, constant_values=fill_value)
    mh = interpolation_matrix(height, th, interpolation, antialias)
    mw = interpolation_matrix(width, tw, interpolation, antialias)
    if last:
        y = ops.einsum("hH,...HWc->...hWc", mh, x)
        return ops.einsum("wW,...hWc->...hwc", mw, y)
    y = ops.einsum("hH,...HW->...hW", mh, x)
    return ops.einsum("wW,...hW->...hw", mw, y)


_SCALE_METHODS = {"linear": "bilinear", "bilinear": "bilinear", "trilinear": "bilinear",
                  "cubic": "bicubic", "bicubic": "bicubic", "tricubic": "bicubic",
                  "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _last(data_format):
    from ._window import _channels_first
    return not _channels_first(data_format)


def _rank_3_or_4(images, name="images"):
    shape = _shape(images)
    if len(shape) not in (3, 4):
        raise ValueError(f"Invalid {name} rank: expected rank 3 (single image) or rank 4 (batch of "
                         f"images). Received input with shape: {name}.shape={shape}")
    return shape


def _input(images):
    """The traced tensor, or the value as an array in its own dtype."""
    return images if is_symbolic(images) else np.asarray(_ops()._value(images) if not isinstance(
        images, np.ndarray) else images)


def _as(x, y):
    """An eager result in the input's dtype (Keras's image ops keep it)."""
    if isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and y.dtype != x.dtype:
        return y.astype(x.dtype)
    return y


def _float_only(images, op):
    if not is_symbolic(images) and np.asarray(images).dtype.kind != "f":
        raise ValueError(f"Invalid images dtype: expected float dtype. Received: "
                         f"images.dtype={np.asarray(images).dtype}")


def rgb_to_grayscale(images, data_format=None):
    """Keras `ops.image.rgb_to_grayscale`: 0.2989 R + 0.5870 G + 0.1140 B, keeping the channel
    axis (a grayscale input comes back as is)."""
    ops = _ops()
    images = _input(images)
    shape = _rank_3_or_4(images)
    axis = -1 if _last(data_format) else -3
    if shape[axis] not in (1, 3):
        raise ValueError(f"Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received input "
                         f"with shape: images.shape={shape}")
    if shape[axis] == 1:
        return images
    weights = np.array([0.2989, 0.5870, 0.1140], _f32)
    y = ops.expand_dims(ops.tensordot(images, weights, axes=[[len(shape) + axis], [0]]), axis)
    return _as(images, y)


def _planes(op, images, data_format, zero_tiny=False):
    """(channel axis, the three channel planes) of float images; `zero_tiny`: |v| < eps as 0."""
    ops = _ops()
    images = _input(images)
    _rank_3_or_4(images)
    _float_only(images, op)
    axis = -1 if _last(data_format) else -3
    if zero_tiny:
        images = ops.where(ops.less(ops.abs(images), float(np.finfo(np.float32).eps)), 0.0, images)
    return axis, [ops.squeeze(p, axis=axis) for p in ops.split(images, 3, axis=axis)]


def rgb_to_hsv(images, data_format=None):
    """Keras `ops.image.rgb_to_hsv` (dm_pix's formulas), float images, hue in [0, 1)."""
    ops = _ops()
    axis, (r, g, b) = _planes("rgb_to_hsv", images, data_format, zero_tiny=True)
    value = ops.maximum(ops.maximum(r, g), b)
    spread = ops.subtract(value, ops.minimum(ops.minimum(r, g), b))
    positive = ops.greater(value, 0.0)
    saturation = ops.where(positive, ops.divide(spread, ops.where(positive, value, 1.0)), 0.0)
    norm = ops.divide(1.0, ops.multiply(ops.where(ops.greater(spread, 0.0), spread, 1.0), 6.0))
    hue = ops.where(ops.equal(value, g), ops.add(ops.multiply(norm, ops.subtract(b, r)), 2.0 / 6.0),
                    ops.add(ops.multiply(norm, ops.subtract(r, g)), 4.0 / 6.0))
    hue = ops.where(ops.equal(value, r), ops.multiply(norm, ops.subtract(g, b)), hue)
    hue = ops.add(ops.where(ops.greater(spread, 0.0), hue, 0.0), ops.where(ops.less(hue, 0.0), 1.0, 0.0))
    return ops.stack([hue, saturation, value], axis=axis)


def hsv_to_rgb(images, data_format=None):
    """Keras `ops.image.hsv_to_rgb` (dm_pix's formulas), float images."""
    ops = _ops()
    axis, (hue, saturation, value) = _planes("hsv_to_rgb", images, data_format)
    dh = ops.multiply(ops.mod(hue, 1.0), 6.0)
    dr = ops.clip(ops.subtract(ops.abs(ops.subtract(dh, 3.0)), 1.0), 0.0, 1.0)
    dg = ops.clip(ops.subtract(2.0, ops.abs(ops.subtract(dh, 2.0))), 0.0, 1.0)
    db = ops.clip(ops.subtract(2.0, ops.abs(ops.subtract(dh, 4.0))), 0.0, 1.0)
    rest = ops.subtract(1.0, saturation)
    return ops.stack([ops.multiply(value, ops.add(rest, ops.multiply(saturation, d))) for d in (dr, dg, db)],
                     axis=axis)


def _edges(kind, first, second, target, size):
    """Keras's crop/pad arguments of one axis: exactly two of (first, second, target) given."""
    names = {"pad": ("top_padding", "bottom_padding", "target_height"),
             "pad_w": ("left_padding", "right_padding", "target_width"),
             "crop": ("top_cropping", "bottom_cropping", "target_height"),
             "crop_w": ("left_cropping", "right_cropping", "target_width")}[kind]
    given = [first, second, target]
    if given.count(None) != 1:
        raise ValueError(f"Must specify exactly two of {', '.join(names)}. Received: "
                         + ", ".join(f"{n}={v}" for n, v in zip(names, given)))
    for n, v in zip(names, given):
        if v is not None and v < 0:
            raise ValueError(f"{n} must be >= 0. Received: {n}={v}")
    if size is None and (first is None or second is None or (kind.startswith("crop") and target is None)):
        raise ValueError(f"When the size of the images is unknown, `{names[2]}` and both "
                         f"`{names[0]}` and `{names[1]}` cannot be inferred: give them.")
    sign = 1 if kind.startswith("pad") else -1
    if first is None:
        first = (target - size) * sign - second
    if second is None:
        second = (target - size) * sign - first
    for n, v in zip(names, (first, second)):
        if v < 0:
            raise ValueError(f"{n} must be >= 0. Received: {n}={v}")
    return int(first), int(second)


def _margins(kind, images, data_format, top, left, bottom, right, target_height, target_width):
    """(images, shape, height axis, (top, bottom), (left, right)) of a pad or crop."""
    images = _input(images)
    shape = _rank_3_or_4(images)
    h = len(shape) - 3 if _last(data_format) else len(shape) - 2
    return (images, shape, h, _edges(kind, top, bottom, target_height, shape[h]),
            _edges(kind + "_w", left, right, target_width, shape[h + 1]))


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Keras `ops.image.pad_images`: zeros around the height and width."""
    images, shape, h, rows, cols = _margins("pad", images, data_format, top_padding, left_padding,
                                            bottom_padding, right_padding, target_height, target_width)
    pads = [(0, 0)] * len(shape)
    pads[h], pads[h + 1] = rows, cols
    return _as(images, _ops().pad(images, pads))


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Keras `ops.image.crop_images`: a window of the height and width."""
    images, shape, h, (top, bottom), (left, right) = _margins(
        "crop", images, data_format, top_cropping, left_cropping, bottom_cropping, right_cropping,
        target_height, target_width)
    height = shape[h] - top - bottom if target_height is None else int(target_height)
    width = shape[h + 1] - left - right if target_width is None else int(target_width)
    if height < 0 or width < 0:
        raise ValueError(f"target_height and target_width must be >= 0. Received: "
                         f"target_height={height}, target_width={width}")
    key = (slice(None),) * h + (slice(top, top + height), slice(left, left + width))
    return _as(images, _ops().getitem(images, key))


def _patches(op, images, size, strides, dilation_rate, padding, data_format, r):
    ops = _ops()
    from ._window import conv
    images = _input(images)
    shape = _shape(images)
    if len(shape) not in (r + 1, r + 2):
        raise ValueError(f"ops.image.{op}: expects a rank {r + 1} or {r + 2} input, got shape {shape}")
    sizes = tuple(int(i) for i in ((size,) * r if isinstance(size, int) else size))
    if len(sizes) != r:
        raise TypeError(f"Invalid `size` argument. Expected an int or a tuple of length {r}. "
                        f"Received: size={size}")
    channels = shape[-1] if _last(data_format) else shape[-(r + 1)]
    if channels is None:
        raise ValueError(f"ops.image.{op}: the channel count must be known, got shape {shape}")
    out = int(np.prod(sizes)) * channels
    kernel = np.eye(out, dtype=_f32).reshape(sizes + (channels, out))
    unbatched = len(shape) == r + 1
    x = ops.expand_dims(images, 0) if unbatched else images
    y = conv(x, kernel, strides=sizes if not strides else strides, padding=padding,
             data_format=data_format, dilation_rate=dilation_rate)
    return _as(images, ops.squeeze(y, 0) if unbatched else y)


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Keras `ops.image.extract_patches`: each (size..., channels) patch flattened into the
    channels (a conv with a one-hot kernel); a `size` of three extracts 3-d patches."""
    r = 3 if not isinstance(size, int) and len(size) == 3 else 2
    return _patches("extract_patches", images, size, strides, dilation_rate, padding, data_format, r)


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Keras `ops.image.extract_patches_3d`: 3-d patches of (batches of) volumes."""
    if isinstance(strides, (tuple, list)) and len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument. Got: {strides}")
    return _patches("extract_patches_3d", volumes, size, strides, dilation_rate, padding, data_format, 3)


def _gaussian_1d(size, sigma):
    x = np.arange(size, dtype=_f32) - _f32((size - 1) / 2)
    k = np.exp(_f32(-0.5) * (x / _f32(sigma)) ** 2)
    return k / k.sum()


def _depthwise(op, images, kernel2d, padding, data_format):
    """`kernel2d` applied to every channel of a rank-4 (or rank-3) image batch."""
    ops = _ops()
    from ._window import depthwise_conv
    images = _input(images)
    shape = _rank_3_or_4(images)
    last = _last(data_format)
    channels = shape[-1] if last else shape[-3]
    if channels is None:
        raise ValueError(f"ops.image.{op}: the channel count must be known, got shape {shape}")
    kernel = np.repeat(np.asarray(kernel2d, _f32)[:, :, None, None], channels, axis=2)
    unbatched = len(shape) == 3
    x = ops.expand_dims(images, 0) if unbatched else images
    y = depthwise_conv(x, kernel, padding=padding, data_format=data_format)
    return ops.squeeze(y, 0) if unbatched else y


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Keras `ops.image.gaussian_blur`: a normalised Gaussian kernel on every channel, "same"
    padding (the kernel is outer(k(kernel_size[1], sigma[1]), k(kernel_size[0], sigma[0])) over
    (height, width), as Keras's jax backend builds it)."""
    ks = tuple(int(i) for i in kernel_size)
    sg = tuple(float(i) for i in sigma)
    kernel = np.outer(_gaussian_1d(ks[1], sg[1]), _gaussian_1d(ks[0], sg[0]))
    images = _input(images)
    return _as(images, _depthwise("gaussian_blur", images, kernel, "same", data_format))


def sobel_edges(images, data_format=None):
    """Keras `ops.image.sobel_edges`: (..., 2) with the vertical [dy] and horizontal [dx] Sobel
    responses of every channel, "same" padding, batches of images only."""
    ops = _ops()
    images = _input(images)
    shape = _shape(images)
    if len(shape) != 4:
        raise ValueError(f"Invalid images rank: expected rank 4 (batch of images). Received: "
                         f"images.shape={list(shape)}")
    sx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], _f32)
    dy = _depthwise("sobel_edges", images, sx.T, "same", data_format)
    dx = _depthwise("sobel_edges", images, sx, "same", data_format)
    return _as(images, ops.stack([dy, dx], axis=-1))


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """Keras `ops.image.ssim`: the mean structural similarity per image (Gaussian-weighted
    local means, variances and covariance over "valid" windows, averaged over the channels)."""
    ops = _ops()
    a, b = _input(image1), _input(image2)
    _rank_3_or_4(a, "image1")
    _rank_3_or_4(b, "image2")
    g = _gaussian_1d(int(filter_size), float(filter_sigma))
    kernel = np.outer(g, g)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2

    def blur(x):
        return _depthwise("ssim", x, kernel, "valid", data_format)

    mu1, mu2 = blur(a), blur(b)
    mu11, mu22, mu12 = ops.multiply(mu1, mu1), ops.multiply(mu2, mu2), ops.multiply(mu1, mu2)
    s11 = ops.subtract(blur(ops.multiply(a, a)), mu11)
    s22 = ops.subtract(blur(ops.multiply(b, b)), mu22)
    s12 = ops.subtract(blur(ops.multiply(a, b)), mu12)
    num = ops.multiply(ops.add(ops.multiply(mu12, 2.0), c1), ops.add(ops.multiply(s12, 2.0), c2))
    den = ops.multiply(ops.add(ops.add(mu11, mu22), c1), ops.add(ops.add(s11, s22), c2))
    rank = len(_shape(a))
    return _as(a, ops.mean(ops.divide(num, den), axis=list(range(rank - 3, rank))))


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """Keras `ops.image.scale_and_translate`: resampling of `spatial_dims` to `output_shape`
    at (x * scale + translation), one constant interpolation matrix per axis (scale and
    translation must be values, not traced tensors)."""
    ops = _ops()
    if method not in _SCALE_METHODS:
        raise ValueError(f"Invalid value for argument `method`. Expected of one "
                         f"{set(_SCALE_METHODS)}. Received: method={method}")
    if is_symbolic(scale) or is_symbolic(translation):
        raise Unsupported("ops.image.scale_and_translate with a traced scale or translation is not "
                          "traceable here: give them as values (the resampling matrices are built "
                          "from them)")
    images = _input(images)
    shape = _shape(images)
    scale = np.asarray(ops._value(scale), np.float64).reshape(-1)
    translation = np.asarray(ops._value(translation), np.float64).reshape(-1)
    dims = [int(d) % len(shape) for d in spatial_dims]
    if not len(dims) == len(scale) == len(translation) or len(output_shape) != len(shape):
        raise ValueError(f"ops.image.scale_and_translate: {len(dims)} spatial_dims need as many "
                         f"scales and translations (got {len(scale)}, {len(translation)}) and an "
                         f"output_shape of rank {len(shape)} (got {tuple(output_shape)})")
    x = images
    for d, s, t in zip(dims, scale, translation):
        if shape[d] is None:
            raise Unsupported(f"ops.image.scale_and_translate: axis {d} of {shape} must be known")
        m = interpolation_matrix(shape[d], int(output_shape[d]), _SCALE_METHODS[method], antialias,
                                 scale=s, translation=t)
        x = ops.moveaxis(ops.tensordot(m, x, axes=[[1], [d]]), 0, d)
    return x


from ._warp import affine_transform, elastic_transform, map_coordinates, perspective_transform  # noqa: E402

__all__ = ["resize", "rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb", "pad_images", "crop_images",
           "extract_patches", "extract_patches_3d", "gaussian_blur", "sobel_edges", "ssim",
           "scale_and_translate", "affine_transform", "perspective_transform", "map_coordinates",
           "elastic_transform"]
