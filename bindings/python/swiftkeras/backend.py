"""The Keras backend functions Keras code uses inside custom losses, metrics and activations
(`import keras.backend as K`; `K.mean(y_pred)`, `activation=K.tanh`).

Inside a Python plugin the library hands numpy arrays, so these are numpy operations; the
activations among them are the same objects as `swiftkeras.activations`, so
`Dense(64, activation=K.tanh)` builds the library's own tanh layer.
"""

import numpy as np

from . import activations as _act

tanh = _act.tanh
sigmoid = _act.sigmoid
hard_sigmoid = _act.hard_sigmoid
relu = _act.relu
elu = _act.elu
softmax = _act.softmax
softplus = _act.softplus
softsign = _act.softsign

_EPSILON = 1e-7
_FLOATX = "float32"


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def floatx():
    return _FLOATX


def set_floatx(value):
    """Keras `set_floatx`. The library computes in float32, so that is the one accepted."""
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of {{'float16', "
                         f"'bfloat16', 'float32', 'float64'}}")
    if value != "float32":
        raise ValueError(f"set_floatx('{value}'): swiftkeras computes in float32 only")
    _FLOATX = value


def backend():
    return "swiftkeras"


_IMAGE_DATA_FORMAT = "channels_last"


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Keras `set_image_data_format`: the `data_format` layers created afterwards get when
    they are not given one."""
    global _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in ("channels_first", "channels_last"):
        raise ValueError(f"The `data_format` argument must be one of {{'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    _IMAGE_DATA_FORMAT = value


def clear_session(free_memory=True):
    """Keras `clear_session`: layer-name counters and session settings (interactive logging,
    traceback filtering, flash attention, safe mode, the dtype policy) back to their defaults;
    with `free_memory`, a garbage collection, which frees the library models no longer used."""
    from . import _global_state, _objects
    _objects._uids.clear()
    _global_state.clear()
    if free_memory:
        import gc
        gc.collect()


def get_uid(prefix=""):
    """The prefix's next number, on the counter that names layers (1 for a prefix never used,
    then 2, 3, ...; 2 after a first `dense` layer was named) until clear_session. Keras:
    `keras.backend.get_uid`."""
    from . import _objects
    with _objects._uid_lock:
        _objects._uids[prefix] = _objects._uids.get(prefix, 0) + 1
        return _objects._uids[prefix]


def is_keras_tensor(x):
    """Whether `x` is a symbolic tensor (a keras.Input or a layer's output on one). Keras:
    `keras.backend.is_keras_tensor`."""
    from .layers import KerasTensor
    return isinstance(x, KerasTensor)


def standardize_dtype(dtype):
    from ._dtypes import standardize_dtype as standardize
    return standardize(dtype)


def is_float_dtype(dtype):
    from ._dtypes import is_float_dtype as is_float
    return is_float(dtype)


def is_int_dtype(dtype):
    from ._dtypes import is_int_dtype as is_int
    return is_int(dtype)


def result_type(*dtypes):
    from ._dtypes import result_type as result
    return result(*dtypes)


def mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001 (Keras's name)
    return np.sum(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return np.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return np.min(x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return np.std(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return np.var(x, axis=axis, keepdims=keepdims)


def abs(x):  # noqa: A001
    return np.abs(x)


def square(x):
    return np.square(x)


def sqrt(x):
    return np.sqrt(x)


def exp(x):
    return np.exp(x)


def log(x):
    return np.log(x)


def pow(x, a):  # noqa: A001
    return np.power(x, a)


def clip(x, min_value, max_value):
    return np.clip(x, min_value, max_value)


def maximum(x, y):
    return np.maximum(x, y)


def minimum(x, y):
    return np.minimum(x, y)


def round(x):  # noqa: A001
    return np.round(x)


def argmax(x, axis=-1):
    return np.argmax(x, axis=axis)


def equal(x, y):
    return np.equal(x, y)


def cast(x, dtype):
    return np.asarray(x).astype(dtype)


def dot(x, y):
    return np.dot(x, y)


def constant(value, dtype=None, shape=None):
    a = np.asarray(value, dtype=dtype or _FLOATX)
    return np.broadcast_to(a, shape).copy() if shape is not None else a


def zeros(shape, dtype=None):
    return np.zeros(shape, dtype or _FLOATX)


def ones(shape, dtype=None):
    return np.ones(shape, dtype or _FLOATX)


def shape(x):
    return np.shape(x)


def int_shape(x):
    return tuple(np.shape(x))


def ndim(x):
    return np.ndim(x)


def flatten(x):
    return np.reshape(x, (-1,))


def reshape(x, shape):
    return np.reshape(x, shape)


def concatenate(tensors, axis=-1):
    return np.concatenate(tensors, axis=axis)


def binary_crossentropy(target, output, from_logits=False):
    if from_logits:
        output = 1 / (1 + np.exp(-output))
    output = np.clip(output, _EPSILON, 1 - _EPSILON)
    return -(target * np.log(output) + (1 - target) * np.log(1 - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    if from_logits:
        output = softmax(output, axis)
    output = output / np.sum(output, axis=axis, keepdims=True)
    return -np.sum(target * np.log(np.clip(output, _EPSILON, 1 - _EPSILON)), axis=axis)
