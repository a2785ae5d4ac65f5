"""Utilities (Keras `keras.utils`): to_categorical, normalize, custom-object scopes and
registration, set_random_seed, data and file helpers, Config."""

from __future__ import annotations

import random
import sys

import numpy as np

from . import _bounding_boxes, _legacy_serialization, _lib, _objects
from ._datasets import (NumpyDataset, PyDataset, Sequence, split_dataset,  # noqa: F401
                        timeseries_dataset_from_array)
from ._custom_steps import unpack_x_y_sample_weight  # noqa: F401
from .random import _reset_global_seed_generator
from ._download import get_file, hash_file, validate_file  # noqa: F401
from ._plot import model_to_dot, plot_model  # noqa: F401
from ._file_utils import (Progbar, array_to_img, audio_dataset_from_directory,  # noqa: F401
                          image_dataset_from_directory,
                          img_to_array, load_img, pad_sequences, save_img,
                          text_dataset_from_directory, disable_interactive_logging,
                          enable_interactive_logging, is_interactive_logging_enabled)
from .backend import clear_session, is_keras_tensor, standardize_dtype  # noqa: F401
from ._config_object import Config  # noqa: F401
from ._feature_space import FeatureSpace  # noqa: F401


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The step data of x, y and sample_weight: `x` alone (a tuple or list `x` as `(x,)`),
    `(x, y)` or `(x, y, sample_weight)`. Keras: `keras.utils.pack_x_y_sample_weight`."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def to_categorical(x, num_classes=None):
    """One-hot encoding of integer class labels. Keras: `keras.utils.to_categorical`."""
    x = np.array(x, dtype="int64")
    input_shape = x.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    x = x.reshape(-1)
    if x.size and x.min() < 0:
        raise ValueError(f"to_categorical: class labels must be non-negative, got {x.min()}")
    if not num_classes:
        num_classes = int(np.max(x)) + 1 if x.size else 0
    elif x.size and x.max() >= num_classes:
        raise ValueError(f"to_categorical: label {x.max()} is out of range for "
                         f"num_classes={num_classes}")
    categorical = np.zeros((x.shape[0], num_classes), dtype="float32")
    categorical[np.arange(x.shape[0]), x] = 1
    return categorical.reshape(input_shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Lp-normalizes an array along an axis. Keras: `keras.utils.normalize`."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


class CustomObjectScope:
    """Makes custom objects (functions, Layer subclasses) findable by name inside a `with`.
    Keras: `keras.utils.CustomObjectScope({"mean_pred": mean_pred})`."""

    def __init__(self, *args):
        self.custom_objects = {}
        for objects in args:
            if not isinstance(objects, dict):
                raise TypeError(f"CustomObjectScope takes dicts of name -> object, got "
                                f"{type(objects).__name__}")
            self.custom_objects.update(objects)

    def __enter__(self):
        _objects.push_scope(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _objects.pop_scope()


def custom_object_scope(*args):
    return CustomObjectScope(*args)


def get_custom_objects():
    """The global custom objects dict (Keras: `keras.utils.get_custom_objects()`)."""
    return _objects._GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function globally as 'package>name' (and by its plain
    name, which is what configs written here carry)."""

    def decorator(obj):
        registered = name or getattr(obj, "__name__", None)
        if registered is None:
            raise ValueError(f"Cannot register {obj!r}: it has no __name__; pass name=")
        _objects._GLOBAL_CUSTOM_OBJECTS[f"{package}>{registered}"] = obj
        _objects._GLOBAL_CUSTOM_OBJECTS[registered] = obj
        obj._registered_name = f"{package}>{registered}"
        return obj

    return decorator


def get_registered_object(name, custom_objects=None, module_objects=None):
    merged = dict(_objects.custom_objects_in_scope())
    merged.update(custom_objects or {})
    merged.update(module_objects or {})
    return merged.get(name)


def serialize_keras_object(obj):
    """Keras `keras.utils.serialize_keras_object` (the saving module's)."""
    from .saving import serialize_keras_object as serialize
    return serialize(obj)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Keras `keras.utils.deserialize_keras_object` (the saving module's)."""
    from .saving import deserialize_keras_object as deserialize
    return deserialize(config, custom_objects=custom_objects, safe_mode=safe_mode, **kwargs)


def get_registered_name(obj):
    """Keras `keras.utils.get_registered_name` (the saving module's)."""
    from .saving import get_registered_name as registered_name
    return registered_name(obj)


def get_source_inputs(tensor):
    """The `keras.Input` tensors a symbolic tensor is computed from, depth first in the
    order of each layer's inputs. Keras: `keras.utils.get_source_inputs`."""
    from .layers import KerasTensor
    found, pending, seen = [], [tensor], set()
    while pending:
        current = pending.pop()
        if not isinstance(current, KerasTensor) or id(current) in seen:
            continue
        seen.add(id(current))
        layer, node, _ = current._keras_history
        inbound = getattr(layer, "__dict__", {}).get("_inbound") or []
        if node >= len(inbound):
            found.append(current)       # an input layer's tensor: nothing before it
            continue
        inputs = inbound[node]
        pending.extend(reversed(inputs) if isinstance(inputs, (list, tuple)) else [inputs])
    return found


def set_random_seed(seed):
    """Seeds Python, numpy and the library's generator. Keras: `keras.utils.set_random_seed`."""
    if not isinstance(seed, int):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    _reset_global_seed_generator()
    if _lib.has("keras_set_random_seed"):
        _lib.keras_set_random_seed(seed)


def _public_module(name, functions):
    """The module `name` (`keras.utils.bounding_boxes`) holding exactly the names Keras exports
    there, `functions.__all__`, importable by that name."""
    import types
    module = types.ModuleType(name, functions.__doc__)
    for exported in functions.__all__:
        setattr(module, exported, getattr(functions, exported))
    module.__all__ = list(functions.__all__)
    sys.modules[name] = module
    return module


bounding_boxes = _public_module(__name__ + ".bounding_boxes", _bounding_boxes)
legacy = _public_module(__name__ + ".legacy", _legacy_serialization)

__all__ = ["bounding_boxes", "legacy", "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "to_categorical", "normalize", "CustomObjectScope", "custom_object_scope",
           "get_custom_objects", "register_keras_serializable", "get_registered_object",
           "serialize_keras_object", "deserialize_keras_object", "get_registered_name",
           "set_random_seed", "PyDataset", "Sequence", "NumpyDataset", "split_dataset",
           "timeseries_dataset_from_array", "Progbar", "pad_sequences", "load_img", "img_to_array",
           "array_to_img", "image_dataset_from_directory", "text_dataset_from_directory", "get_file", "hash_file",
           "validate_file", "model_to_dot", "plot_model", "get_source_inputs", "save_img", "clear_session",
           "is_keras_tensor", "standardize_dtype", "Config", "FeatureSpace", "enable_interactive_logging",
           "disable_interactive_logging", "is_interactive_logging_enabled",
           "audio_dataset_from_directory"]
