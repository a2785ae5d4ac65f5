"""Keras `keras.applications.imagenet_utils`: ImageNet input preprocessing, decoding of
1000-class predictions, and what every application model shares — its input (the
`input_shape` / `input_tensor` rules of Keras's `obtain_input_shape`), its classifier or
pooling head, and its weights (`weights="imagenet"` downloaded through `get_file` into
`~/.keras/models` with its hash checked, or a path)."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from .. import activations, backend, layers
from .._download import get_file

def own_layers(module: str):
    """The `__getattr__` of an application module (swiftkeras.applications.convnext) that gives
    Keras's own layers of that module (LayerScale, StochasticDepth): the library's layer classes
    whose catalogue module is Keras's module of that name."""
    keras_module = "keras.src." + module.removeprefix(f"{__package__.rpartition('.')[0]}.")

    def __getattr__(name):
        cls = None if name.startswith("__") else layers._layer_class(name)
        if cls is None or cls.__module__ != module:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return cls
    __getattr__.__doc__ = f"Keras's own layers of `{keras_module}`, computed by the library."
    return __getattr__


CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/data/"
                    "imagenet_class_index.json")
_CLASS_INDEX = None

_MODES = {
    # mode: (flip RGB to BGR, scale, mean, std)
    "caffe": (True, 1.0, (103.939, 116.779, 123.68), None),
    "torch": (False, 1 / 255.0, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scales a batch of RGB images in [0, 255] as the ImageNet weights expect: "caffe"
    (BGR, each channel centred on the ImageNet mean), "tf" (to [-1, 1]) or "torch" (to
    [0, 1], then standardised per channel). A float numpy array is changed in place and
    returned, as in Keras; integers are converted to float32 first."""
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. "
                         f"Received: mode={mode}")
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError(f"Expected data_format to be one of `channels_first` or "
                         f"`channels_last`. Received: data_format={data_format}")
    if isinstance(x, layers.KerasTensor):
        return _preprocess_symbolic(x, data_format, mode)
    if not isinstance(x, np.ndarray):
        x = np.array(x)
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    flip, scale, mean, std = _MODES[mode]
    # The channel axis: last, or first of each image (axis 0 of one image, 1 of a batch).
    axis = -1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)
    if flip:
        x = np.flip(x, axis=axis)
    elif scale != 1.0:
        x *= scale
    shape = [1] * x.ndim
    shape[axis] = 3
    x -= np.asarray(mean, dtype=x.dtype).reshape(shape)
    if std is not None:
        x /= np.asarray(std, dtype=x.dtype).reshape(shape)
    return x


def _preprocess_symbolic(x, data_format, mode):
    """`preprocess_input` on a symbolic tensor: the same arithmetic, as graph operations."""
    from .. import ops
    if mode == "tf":
        return x / 127.5 - 1.0
    flip, scale, mean, std = _MODES[mode]
    axis = -1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)
    if flip:
        x = ops.flip(x, axis=axis)
    elif scale != 1.0:
        x = x * scale
    shape = [1] * x.ndim
    shape[axis] = 3
    x = x + ops.convert_to_tensor(-np.asarray(mean, dtype="float32").reshape(shape))
    if std is not None:
        x = x / ops.convert_to_tensor(np.asarray(std, dtype="float32").reshape(shape))
    return x


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each row of `preds` (shape (samples, 1000)) as
    `(class_id, class_name, score)` tuples, best first; the class index is downloaded once
    (`imagenet_class_index.json`, cached in `~/.keras/models`)."""
    global _CLASS_INDEX
    preds = np.asarray(preds)
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError(f"`decode_predictions` expects a batch of predictions (i.e. a 2D "
                         f"array of shape (samples, 1000)). Received array with shape: "
                         f"{preds.shape}")
    if _CLASS_INDEX is None:
        path = get_file("imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
                        file_hash="c2c37ea517e94d9795004a39431a14cb")
        with open(path) as f:
            _CLASS_INDEX = json.load(f)
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        result = [tuple(_CLASS_INDEX[str(i)]) + (pred[i],) for i in best]
        result.sort(key=lambda entry: entry[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """The model's input shape (without the batch) from the user's `input_shape`, checked as
    Keras checks it: a classifier head needs a static shape, ImageNet weights with the head
    need the default size, and each side must be at least `min_size`."""
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn(f"This model usually expects 1 or 3 input channels. However, it "
                          f"was passed an input_shape with {channels} input channels.",
                          stacklevel=2)
        default_shape = ((channels, default_size, default_size) if channels_first
                         else (default_size, default_size, channels))
    else:
        default_shape = ((3, default_size, default_size) if channels_first
                         else (default_size, default_size, 3))
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(f"When setting `include_top=True` and loading `imagenet` "
                             f"weights, `input_shape` should be {default_shape}.  Received: "
                             f"input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels = input_shape[0] if channels_first else input_shape[-1]
        sides = input_shape[1:] if channels_first else input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received "
                             f"`input_shape={input_shape}`")
        if any(side is not None and side < min_size for side in sides):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(f"If `include_top` is True, you should specify a static "
                         f"`input_shape`. Received: input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """The ZeroPadding2D padding that makes a stride-2 'valid' convolution of `kernel_size`
    cover the input as 'same' padding would, for an even or odd input size."""
    first = 2 if backend.image_data_format() == "channels_first" else 1
    size = inputs.shape[first:first + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained weights come with a softmax (or no) classifier activation only."""
    if weights is None:
        return
    if classifier_activation not in (None, "softmax", activations.get("softmax")):
        raise ValueError(f"Only `None` and `softmax` activations are allowed for the "
                         f"`classifier_activation` argument when using pretrained weights, "
                         f"with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


# -- what the application builders share ---------------------------------------------------

_WEIGHTS = ("The `weights` argument should be either `None` (random initialization), "
            "`imagenet` (pre-training on ImageNet), or the path to the weights file to be loaded.")

# Keras's words for a bad `weights` and for `classes` with imagenet weights, as each
# application module writes them (they differ from family to family): (weights, classes).
_WEIGHTS_WORDING = {
    None: ("The `weights` argument should be either `None` (random initialization), 'imagenet' "
           "(pre-training on ImageNet), or the path to the weights file to be loaded.  "
           "Received: weights={weights}",
           "If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
           "Received classes={classes}"),
    "mobilenet_v3": (_WEIGHTS + "  Received weights={weights}",
                     'If using `weights="imagenet"` with `include_top` as true, `classes` should '
                     "be 1000.  Received classes={classes}"),
    "efficientnet_v2": (_WEIGHTS + "Received: weights={weights}",
                        'If using `weights="imagenet"` with `include_top` as true, `classes` '
                        "should be 1000"),
    "convnext": (_WEIGHTS, 'If using `weights="imagenet"` with `include_top=True`, `classes` '
                           "should be 1000. Received classes={classes}"),
    "nasnet": (_WEIGHTS, 'If using `weights` as `"imagenet"` with `include_top` as true, '
                         "`classes` should be 1000"),
}
_WEIGHTS_WORDING["inception_resnet_v2"] = _WEIGHTS_WORDING["convnext"]


def check_weights_argument(weights, include_top, classes, family=None):
    """Keras's checks of `weights` and `classes`, before anything is built, in the words of
    `family`'s Keras module (a key of _WEIGHTS_WORDING)."""
    bad_weights, bad_classes = _WEIGHTS_WORDING[family]
    if not (weights in {"imagenet", None} or (isinstance(weights, (str, os.PathLike))
                                               and os.path.exists(weights))):
        raise ValueError(bad_weights.format(weights=weights))
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(bad_classes.format(classes=classes))


def model_input(input_tensor, input_shape, default_size, min_size, include_top, weights):
    """The tensor the model starts from: a new `Input` of the shape `obtain_input_shape`
    gives, or the user's `input_tensor` (a symbolic tensor, used as is)."""
    input_shape = obtain_input_shape(input_shape, default_size=default_size, min_size=min_size,
                                     data_format=backend.image_data_format(),
                                     require_flatten=include_top, weights=weights)
    return image_input(input_tensor, input_shape)


def image_input(input_tensor, input_shape):
    """A new `Input` of `input_shape`, or the user's `input_tensor`."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not isinstance(input_tensor, layers.KerasTensor):
        raise ValueError(f"`input_tensor` must be a symbolic tensor (a `keras.Input` or a "
                         f"layer's output); received {type(input_tensor).__name__}. Pass "
                         f"`input_shape` for a new input.")
    return input_tensor


def square_size(input_shape, input_tensor, sizes, default=224):
    """The image side the model's published weights are chosen by: the input's side when it
    is square and one of `sizes`, else `default`."""
    if input_shape is not None:
        rows, cols = (input_shape[1:3] if backend.image_data_format() == "channels_first"
                      else input_shape[0:2])
    elif input_tensor is not None:
        rows, cols = (input_tensor.shape[2:4] if backend.image_data_format() == "channels_first"
                      else input_tensor.shape[1:3])
    else:
        return default
    return rows if rows == cols and rows in sizes else default


def image_rows_cols(input_shape):
    first = 1 if backend.image_data_format() == "channels_first" else 0
    return input_shape[first], input_shape[first + 1]


def sized_input(input_tensor, input_shape, include_top, weights, sizes, alphas, alpha):
    """The input of a model published for several square sizes and widths (the MobileNets):
    the input tensor and the image side whose ImageNet weights fit it (224 when none do,
    with Keras's warning)."""
    default_size = square_size(input_shape, input_tensor, sizes)
    input_shape = obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                     data_format=backend.image_data_format(),
                                     require_flatten=include_top, weights=weights)
    rows, cols = image_rows_cols(input_shape)
    if weights == "imagenet":
        if alpha not in alphas:
            raise ValueError(f"If imagenet weights are being loaded, alpha must be one of "
                             f"{', '.join(f'`{a}`' for a in alphas)} only; Received "
                             f"`alpha={alpha}`")
        if rows != cols or rows not in sizes:
            rows = 224
            warnings.warn(f"`input_shape` is undefined or non-square, or `rows` is not in "
                          f"{list(sizes)}. Weights for input shape (224, 224) will be loaded "
                          f"as the default.", stacklevel=3)
    return image_input(input_tensor, input_shape), rows


def channel_axis(last=-1):
    """The channel axis of an image batch; `last` is how the model writes it for
    channels-last images (some Keras models write 3, others -1: their configs say which)."""
    return 1 if backend.image_data_format() == "channels_first" else last


def pooling_head(x, pooling, names=(None, None)):
    """The `pooling` of a headless model: "avg", "max" or None (the feature map itself);
    `names` are the pooling layers' names where the model names them."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=names[0])(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=names[1])(x)
    return x


def classifier_head(x, classes, classifier_activation, weights, pool_name="avg_pool"):
    """The usual ImageNet head: global average pooling and a `predictions` Dense layer."""
    x = layers.GlobalAveragePooling2D(name=pool_name)(x)
    validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def tf_kernels_file(base_url, stem, include_top, hashes):
    """`finish`'s `imagenet_file` for weights published under Keras's usual names,
    `<stem>_weights_tf_dim_ordering_tf_kernels[_notop].h5`, with their md5 `hashes` (with
    the classifier, without)."""
    def imagenet_file():
        file_name = f"{stem}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        return file_name, base_url + file_name, hashes[0 if include_top else 1]
    return imagenet_file


def finish(img_input, input_tensor, outputs, name, weights, imagenet_file):
    """The model from its input to `outputs`, with its weights loaded: `imagenet_file()`
    gives `(file name, url, md5)` of the ImageNet weights for `weights="imagenet"`."""
    from ..models import Model
    from ..utils import get_source_inputs
    inputs = get_source_inputs(input_tensor) if input_tensor is not None else img_input
    model = Model(inputs, outputs, name=name)
    if weights == "imagenet":
        file_name, url, file_hash = imagenet_file()
        model.load_weights(get_file(file_name, url, cache_subdir="models",
                                    file_hash=file_hash))
    elif weights is not None:
        model.load_weights(weights)
    return model
