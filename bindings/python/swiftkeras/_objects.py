"""Keras objects as the library sees them: `{"class_name", "config"}` dicts.

Optimizers, initializers, regularizers, constraints, built-in callbacks, loss and metric
classes are all a class name plus constructor arguments; this module makes their Python
classes (constructor stores the arguments, get_config returns them, as in Keras) and turns any
argument a user may pass (a string, an object, a Python function) into the JSON the library
reads. Defaults and validation are the library's: an argument Keras does not know is reported
by the library with its message when the object reaches it.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from typing import Any

# Python objects the library must call back into (custom losses, metrics, activations,
# layers), by the name they are registered under; filled by swiftkeras.utils and _plugins.
_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_scope = threading.local()


def custom_objects_in_scope() -> dict[str, Any]:
    merged = dict(_GLOBAL_CUSTOM_OBJECTS)
    for scope in getattr(_scope, "stack", []):
        merged.update(scope)
    return merged


def scope_stack() -> list[dict[str, Any]]:
    """The custom_object_scope dicts open on this thread, outermost first."""
    return list(getattr(_scope, "stack", []))


def push_scope(objects: dict[str, Any]) -> None:
    if not hasattr(_scope, "stack"):
        _scope.stack = []
    _scope.stack.append(dict(objects))


def pop_scope() -> None:
    _scope.stack.pop()


@functools.lru_cache(maxsize=1024)
def snake_case(name: str) -> str:
    """Keras's `to_snake_case`: Dense -> dense, BatchNormalization -> batch_normalization."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s if not s.startswith("_") else "private" + s


_uids: dict[str, int] = {}
_uid_lock = threading.Lock()


def init_arguments(cls, args, kwargs, defaults=False):
    """The arguments a subclass's constructor was given, by name, where they are plain values
    (with the defaults of those not given, for `defaults`): the automatic `get_config` of a
    subclassed model or layer, from which `from_config` makes it again (as Keras's `__new__`
    records them; `name` and `trainable` are the object's own)."""
    import inspect
    try:
        signature = inspect.signature(cls.__init__)
        given = signature.bind_partial(None, *args, **kwargs)
        if defaults:
            given.apply_defaults()
        bound, params = given.arguments, signature.parameters
    except (TypeError, ValueError):
        bound, params = {"self": None, **kwargs}, {}
    found = {}
    for key, value in list(bound.items())[1:]:
        if key in params and params[key].kind == params[key].VAR_KEYWORD:
            found.update(value)
        elif key not in params or params[key].kind != params[key].VAR_POSITIONAL:
            found[key] = value
    return {k: v for k, v in found.items() if k not in ("name", "trainable")
            and isinstance(v, (bool, int, float, str, type(None), list, tuple))}


def unique_name(prefix: str) -> str:
    """Keras's automatic names: dense, dense_1, dense_2, ... per process."""
    with _uid_lock:
        n = _uids.get(prefix, 0)
        _uids[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


class KerasObject:
    """A Keras object known to the library by class name and config."""

    #: the family, for messages and for the library's registry ("optimizer", "loss", ...)
    kind = "object"
    #: positional argument names in Keras order (the rest are keyword-only)
    _positional: tuple[str, ...] = ()
    class_name: str = ""

    def __init__(self, *args, **kwargs):
        if len(args) > len(self._positional):
            raise TypeError(f"{type(self).__name__}() takes at most {len(self._positional)} "
                            f"positional arguments ({len(args)} given)")
        config = dict(zip(self._positional, args))
        for k, v in kwargs.items():
            if k in config:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument '{k}'")
            config[k] = v
        self._config = config

    def get_config(self) -> dict:
        return {k: serialize(v) for k, v in self._config.items()}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __getattr__(self, name):
        config = self.__dict__.get("_config")
        if config is not None and name in config:
            return config[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __eq__(self, other):
        return (type(self) is type(other) and self.get_config() == other.get_config())

    def __hash__(self):
        return hash((type(self).__name__, repr(sorted(self.get_config().items()))))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._config.items())
        return f"{type(self).__name__}({args})"


def make_class(base: type, class_name: str, positional=(), doc: str | None = None,
               module: str = "swiftkeras") -> type:
    cls = type(class_name, (base,), {"class_name": class_name, "_positional": tuple(positional),
                                      "__module__": module,
                                      "__doc__": doc or f"Keras `{class_name}`; arguments as in Keras."})
    return cls


def module_serialization(kind: str, get):
    """A Keras module's `serialize`/`deserialize` pair (`keras.initializers.serialize`, the
    custom layers' `get_config` idiom): the saving module's, so every module writes and reads
    the one form `{"module", "class_name", "config", "registered_name"}`."""
    def serialize(obj):
        from .saving import serialize_keras_object
        return serialize_keras_object(obj)

    def deserialize(config, custom_objects=None):
        from .saving import deserialize_keras_object
        if isinstance(config, str):  # a name: what the module's `get` makes of it, as in Keras
            return get(config)
        return deserialize_keras_object(config, custom_objects=custom_objects)

    serialize.__doc__ = f"Keras `keras.{kind}.serialize`: the object's Keras config."
    deserialize.__doc__ = f"Keras `keras.{kind}.deserialize`: the object a config describes."
    return serialize, deserialize


def serialize(value):
    """Any argument value to its Keras-config JSON form."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, os.PathLike):  # log_dir, filepath: Keras takes paths as str(path)
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [serialize(v) for v in value]
    if isinstance(value, dict):
        return {str(k): serialize(v) for k, v in value.items()}
    if isinstance(value, KerasObject):
        return {"module": _module_of(value), "class_name": value.class_name,
                "config": value.get_config(), "registered_name": None}
    to_config = getattr(value, "_keras_config", None)
    if to_config is not None:
        return to_config()
    if "_args" in getattr(value, "__dict__", {}) and hasattr(value, "get_config"):
        # A built-in layer as an argument (RNN's cell, Bidirectional's layer): its nested config.
        return {"module": "keras.layers", "class_name": value.class_name, "config": value._given_config(),
                "registered_name": None}
    from .layers import Layer
    if isinstance(value, Layer):
        # A layer written in Python as an argument (a custom cell in RNN): its registered entry,
        # its config's values in their config form (a 0-d array as its number), as Keras's.
        entry = value._layer_entry()
        return {**entry, "config": serialize(entry["config"])}
    if callable(value):
        from . import _plugins
        return _plugins.name_of_function(value)
    try:
        import numpy as np
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"{value!r} (of type {type(value).__name__}) cannot be written into a Keras config")


_MODULES = {"optimizer": "keras.optimizers", "loss": "keras.losses", "metric": "keras.metrics",
            "initializer": "keras.initializers", "regularizer": "keras.regularizers",
            "constraint": "keras.constraints", "callback": "keras.callbacks",
            "schedule": "keras.optimizers.schedules"}


def _module_of(obj: KerasObject) -> str:
    return _MODULES.get(obj.kind, "keras")
