"""Saving and object registration (Keras `keras.saving`): register_keras_serializable,
custom_object_scope, get_custom_objects, serialize_keras_object / deserialize_keras_object,
load_model / save_model, save_weights / load_weights, KerasFileEditor."""

from __future__ import annotations

import importlib
import json

from . import _objects
from ._file_editor import KerasFileEditor
from .models import save_model  # noqa: F401  (one function, in both modules as in Keras)
from .utils import (CustomObjectScope, custom_object_scope, get_custom_objects,
                    get_registered_object, register_keras_serializable)

# Keras module names in configs -> the swiftkeras module that has those classes.
_MODULES = {"keras.layers": "layers", "keras.optimizers": "optimizers", "keras.losses": "losses",
            "keras.metrics": "metrics", "keras.initializers": "initializers",
            "keras.regularizers": "regularizers", "keras.constraints": "constraints",
            "keras.callbacks": "callbacks", "keras.activations": "activations",
            "keras.optimizers.schedules": "optimizers.schedules"}


def get_registered_name(obj):
    """'package>name' for a registered object, else its class or function name."""
    return getattr(obj, "_registered_name", None) or getattr(obj, "__name__", type(obj).__name__)


def save_weights(model, filepath, overwrite=True, **kwargs):
    """Keras `keras.saving.save_weights(model, filepath)`: the same as
    `model.save_weights(filepath)`, to a `.weights.h5` file."""
    return model.save_weights(filepath, overwrite=overwrite, **kwargs)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Keras `keras.saving.load_weights(model, filepath)`: the same as
    `model.load_weights(filepath)` (`.weights.h5`, `.keras` or legacy `.h5`)."""
    return model.load_weights(filepath, skip_mismatch=skip_mismatch, **kwargs)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Keras `keras.saving.load_model`: a model from a `.keras` or `.h5` file."""
    from .models import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def serialize_keras_object(obj):
    """Keras's serialized form: `{"module", "class_name", "config", "registered_name"}` for
    objects, the name for functions, and plain values as they are."""
    from .layers import Layer
    from .models import Model
    if isinstance(obj, Model):
        config = json.loads(obj.to_json())
        return {"module": "keras", "class_name": config["class_name"], "config": config["config"],
                "registered_name": None}
    if isinstance(obj, Layer):
        # Keras's form: its get_config() (the entry the library is sent holds the arguments
        # given) and, once built, its build config.
        entry = {**obj._layer_entry(), "config": _objects.serialize(obj.get_config())}
        build = obj.get_build_config()
        if build is not None:
            entry["build_config"] = build
        return entry
    if isinstance(obj, (list, tuple)):   # each item in its form, as Keras's
        items = [serialize_keras_object(v) for v in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    from .losses import LossFunction
    if isinstance(obj, LossFunction):   # a built-in loss or metric function, as Keras writes one
        return {"module": "builtins", "class_name": "function", "config": obj.__name__,
                "registered_name": "function"}
    if callable(obj) and not isinstance(obj, type) and not hasattr(obj, "_keras_config") and \
            not isinstance(obj, _objects.KerasObject):
        # Keras 3's form for a function: its registered name as the config ('builtins'
        # and 'function' for the class it sees, a function's)
        return {"module": "builtins", "class_name": "function", "config": get_registered_name(obj),
                "registered_name": "function"}
    return _objects.serialize(obj)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object `serialize_keras_object` described (a registered or custom object by its
    registered name, a built-in by module and class name)."""
    if config is None or isinstance(config, (bool, int, float)):
        return config
    with CustomObjectScope(custom_objects or {}):
        found = _objects.custom_objects_in_scope()
        if isinstance(config, str):
            # Keras: a registered or custom object of that name, else one of `module_objects`,
            # else the string itself ("SGD" stays "SGD", as `compile` takes it).
            module_objects = kwargs.get("module_objects") or {}
            return found.get(config) or module_objects.get(config) or config
        if isinstance(config, (list, tuple)):
            return [deserialize_keras_object(c) for c in config]
        if not isinstance(config, dict) or "class_name" not in config:
            raise TypeError(f"deserialize_keras_object: expected a dict with 'class_name', got "
                            f"{config!r}")
        class_name, inner = config["class_name"], config.get("config")
        if class_name == "function":
            fn = found.get(inner) or found.get(config.get("registered_name") or "") or \
                (_builtin(config.get("module"), inner) if _locatable_function(config) else None)
            if fn is None:
                raise not_located("function", inner, config)
            return fn
        if class_name in ("Sequential", "Functional", "Model"):
            from .models import model_from_json
            return model_from_json(json.dumps({"class_name": class_name, "config": inner}))
        cls = found.get(config.get("registered_name") or "") or found.get(class_name) or \
            _builtin(config.get("module"), class_name)
        if cls is None:
            raise not_located("class", class_name, config)
        return from_config(cls, config)


def from_config(cls, entry):
    """`cls.from_config` of a serialized entry's config, a TypeError (a constructor that does
    not take what get_config gave) told as Keras tells it."""
    try:
        return cls.from_config(entry.get("config") or {})
    except TypeError as e:
        raise not_deserialized(cls, entry, e) from e


def not_deserialized(cls, config, cause):
    """Keras's TypeError for an object `cls` whose `config` could not be made again."""
    return TypeError(f"{cls} could not be deserialized properly. Please ensure that components "
                     f"that are Python object instances (layers, models, etc.) returned by "
                     f"`get_config()` are explicitly deserialized in the model's "
                     f"`from_config()` method.\n\nconfig={config}.\n\nException encountered: "
                     f"{cause}")


def _builtin(module, name):
    """A built-in class or function of swiftkeras by Keras module and name."""
    candidates = [_MODULES[module]] if module in _MODULES else list(dict.fromkeys(_MODULES.values()))
    for mod in candidates:
        try:
            found = getattr(importlib.import_module(f"swiftkeras.{mod}"), name, None)
        except AttributeError:
            found = None
        if found is not None:
            return found
    return None


def _locatable_function(entry):
    """Whether a function entry may name a built-in: Keras finds one for module `builtins` by
    its canonical name only (the catalogue's builtin_functions: `mean_squared_error`, not
    `mse`)."""
    from ._catalog import builtin_objects
    return entry.get("module") != "builtins" or entry.get("config") in builtin_objects("builtin_functions", [])


def not_located(what, name, config):
    """Keras's TypeError for a class or function (`what`) a config names that is neither
    registered nor in custom objects (serialization_lib's `_retrieve_class_or_fn`)."""
    return TypeError(f"Could not locate {what} '{name}'. Make sure custom classes and functions "
                     f"are decorated with `@keras.saving.register_keras_serializable()`. If they "
                     f"are already decorated, make sure they are all imported so that the "
                     f"decorator is run before trying to load them. Full object config: {config}")


__all__ = ["register_keras_serializable", "custom_object_scope", "CustomObjectScope",
           "get_custom_objects", "get_registered_object", "get_registered_name",
           "serialize_keras_object", "deserialize_keras_object", "load_model", "save_model",
           "save_weights", "load_weights", "KerasFileEditor"]
