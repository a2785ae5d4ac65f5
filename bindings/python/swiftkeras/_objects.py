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
import json
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


def is_package_alias(name: str, obj: Any) -> bool:
    """Whether `name` reaches `obj` only as the plain-name alias register_keras_serializable
    adds here to its 'package>Name' (Keras's registry has no such name), not from a scope."""
    registered = getattr(obj, "_registered_name", None)
    return isinstance(registered, str) and registered.endswith(">" + name) and \
        not any(name in scope for scope in scope_stack())


def push_scope(objects: dict[str, Any]) -> None:
    """Opens a custom object scope on this thread, and the library's with it
    (keras_scope_push): what is registered with the library while it is open (its objects,
    which the binding registers before the library reads a config) lasts until it closes, as
    Keras's custom_objects last for their call or `with` block."""
    journal = _library_scope("keras_scope_push")
    if not hasattr(_scope, "stack"):
        _scope.stack, _scope.journal = [], []
    _scope.stack.append(dict(objects))
    _scope.journal.append(journal)


def pop_scope() -> None:
    """Closes the innermost scope: the library forgets what was registered in it, and the
    binding's records of those registrations are put back as they were before."""
    _scope.stack.pop()
    journal = _scope.journal.pop()
    if journal is None:
        return
    for cache, key, before in reversed(journal):
        # (what the scope registered keeps its thunks alive: the layers and models made with
        # it while it was open still call them)
        _made_in_closed_scopes.append(cache.get(key))
        if before is _UNSET:
            cache.pop(key, None)
        else:
            cache[key] = before
    _library_scope("keras_scope_pop")


_UNSET = object()
_made_in_closed_scopes: list = []


def _library_scope(call):
    """Calls keras_scope_push or keras_scope_pop; the journal of the registrations of a scope
    opened in the library, or None when the library is not loaded (nothing registered)."""
    from . import _lib, _native
    if _lib.load_error is not None:
        return None
    _native.check(getattr(_lib, call)())
    return []


def record_registration(cache: dict, key, value, scoped: bool = True) -> None:
    """Sets `cache[key] = value`, the binding's record of a registration with the library made
    now: one made while a scope is open (`scoped`: it went to the library's innermost scope)
    is undone with the scope."""
    journals = getattr(_scope, "journal", None)
    if scoped and journals and journals[-1] is not None:
        journals[-1].append((cache, key, cache.get(key, _UNSET)))
    cache[key] = value


@functools.lru_cache(maxsize=1024)
def snake_case(name: str) -> str:
    """Keras's `to_snake_case`: Dense -> dense, BatchNormalization -> batch_normalization."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s if not s.startswith("_") else "private" + s


_uids: dict[str, int] = {}
_uid_lock = threading.Lock()


def init_arguments(cls, args, kwargs, defaults=False, keep_trainable=False):
    """The arguments a subclass's constructor was given, by name, where they are plain values
    (with the defaults of those not given, for `defaults`): the automatic `get_config` of a
    subclassed model or layer, from which `from_config` makes it again (as Keras's `__new__`
    records them; `name` and `trainable` are the object's own, `trainable` kept in its place
    for `keep_trainable`)."""
    found = _given_arguments(cls, args, kwargs, defaults)
    dropped = ("name",) if keep_trainable else ("name", "trainable")
    return {k: v for k, v in found.items() if k not in dropped
            and isinstance(v, (bool, int, float, str, type(None), list, tuple))}


def unserializable_arguments(cls, args, kwargs) -> bool:
    """Whether a constructor call gives a value Keras's automatic config refuses (Operation.
    __new__: any leaf of the arguments, defaults included, not a str, int, float, bool or None,
    as a regularizer object): `get_config` of a class without its own then raises."""
    def plain(value):
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        return isinstance(value, (str, int, float, bool, type(None)))
    found = _given_arguments(cls, args, kwargs, True)
    return not all(plain(v) for k, v in found.items() if k != "name")


def _given_arguments(cls, args, kwargs, defaults):
    """The arguments of `cls(*args, **kwargs)` by name (`**kwargs` expanded), without self."""
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
    return found


def unique_name(prefix: str) -> str:
    """Keras's automatic names: dense, dense_1, dense_2, ... per process."""
    with _uid_lock:
        n = _uids.get(prefix, 0)
        _uids[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def missing_arguments_error(class_name: str, missing) -> TypeError:
    """Python's TypeError for a Keras constructor called without required arguments, in its
    wording: `IoU.__init__() missing 2 required positional arguments: 'a' and 'b'`."""
    names = [repr(k) for k in missing]
    listed = names[0] if len(names) == 1 else (
        f"{names[0]} and {names[1]}" if len(names) == 2 else ", ".join(names[:-1]) + f", and {names[-1]}")
    return TypeError(f"{class_name}.__init__() missing {len(names)} required positional "
                     f"argument{'s' if len(names) > 1 else ''}: {listed}")


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
        missing = [k for k in self._required_arguments() if k not in config]
        if missing:
            raise missing_arguments_error(type(self).__name__, missing)
        self._config = config
        if "name" not in config and self._numbers_names():
            self.__dict__["_auto_name"] = unique_name(snake_case(type(self).__name__))

    def _required_arguments(self) -> tuple:
        """The arguments Keras's constructor requires (a TypeError when one is missing)."""
        return ()

    def _numbers_names(self) -> bool:
        """Whether Keras names an instance made without `name` per process, as its base class's
        `auto_name` does (`adam`, `adam_1`, ...): every optimizer, and the metric classes whose
        `name` defaults to None (the catalogue's `auto_name`); the others' default is fixed."""
        return False

    def get_config(self) -> dict:
        """Keras's `get_config()`: every argument of the class in Keras's order, the defaults of
        those not given, as the library's built-in class writes it (`keras_object_config`);
        the arguments given, for a class the library does not have built in."""
        given = self._given_arguments()
        full = builtin_config(self.kind, self.class_name, given) if self._is_builtin() else None
        return given if full is None else full

    def _default_name(self) -> str:
        """The name the object has when none is given: a built-in class's as its config has it
        (Keras's: `fbeta_score`, `logcosh`, `huber_loss`), else the class name in snake_case."""
        name = self.__dict__.get("_auto_name") or self.__dict__.get("_default_name_made")
        if name is None:
            try:
                full = (builtin_config(self.kind, self.class_name, self._given_arguments())
                        if self._is_builtin() else None)
            except ValueError:  # arguments the library refuses: reported where they are used
                full = None
            name = (full or {}).get("name") or snake_case(self.class_name or type(self).__name__)
            self.__dict__["_default_name_made"] = name
        return name

    def _given_arguments(self) -> dict:
        """The arguments the constructor was given, in their config form, with the name Keras
        gave the instance where it numbers names (`adam_1`)."""
        given = {k: serialize(v) for k, v in self._config.items()}
        auto = self.__dict__.get("_auto_name")
        return given if auto is None or "name" in given else {"name": auto, **given}

    def _is_builtin(self) -> bool:
        """Whether this is one of the library's own classes (not a subclass written in Python)."""
        from ._catalog import is_builtin
        family = _FAMILIES.get(self.kind)
        return (family is not None and type(self).__dict__.get("class_name") == self.class_name
                and is_builtin(family, self.class_name))

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def _custom_entry(self):
        """Keras's entry `{"module", "class_name", "config", "registered_name"}` of a class
        written in Python that the library learns from the binding; None for the others."""
        return None

    def __getattr__(self, name):
        config = self.__dict__.get("_config")
        if config is not None and name in config:
            return config[name]
        if config is not None and not name.startswith("_") and self._is_builtin():
            # Keras's attributes of a built-in object are its arguments, the defaults included
            # (`Adam().beta_1`, `MaxNorm(1.0).axis`, `L2().l2`, `BinaryCrossentropy().from_logits`)
            try:
                full = builtin_config(self.kind, self.class_name, self._given_arguments())
            except ValueError:   # arguments the library refuses: reported where they are used
                full = None
            if full is not None and name in full:
                return full[name]
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
        if isinstance(config, dict) and "module" not in config:
            # the legacy form ({"class_name", "config"}): a class of this module first, as
            # Keras looks it up (a metric MeanSquaredError, not the loss)
            config = {**config, "module": f"keras.{kind}"}
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
    if isinstance(value, KerasObject) and (custom := value._custom_entry()) is not None:
        return custom   # a class written in Python: Keras's entry of a custom object
    if isinstance(value, KerasObject):
        # Keras's config where it holds every argument given; else (Huber's delta, which Keras's
        # config leaves out; Keras 2's lr and decay) the arguments given, so that the library
        # makes the object that was given; arguments the library refuses go as given too, for
        # the call that uses the object (compile, a layer) to report them.
        given = value._given_arguments()
        try:
            config = value.get_config()
        except ValueError:
            if not value._is_builtin():
                raise
            config = given
        if any(k not in config for k in given):
            config = given
        return {"module": _module_of(value), "class_name": value.class_name,
                "config": config, "registered_name": None}
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
        # Keras's config is get_config()'s: the name the library's entry adds goes where
        # get_config leaves it out.
        entry = value._layer_entry()
        config = entry["config"]
        if "name" not in value.get_config():
            config = {k: v for k, v in config.items() if k != "name"}
        return {**entry, "config": serialize(config)}
    if hasattr(value, "_as_layer"):
        # A model as a layer's argument (TimeDistributed(Sequential([...]))): its entry as
        # a nested model.
        entry = value._as_layer()._layer_entry()
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


_FAMILIES = {"optimizer": "optimizers", "loss": "losses", "metric": "metrics",
             "initializer": "initializers", "regularizer": "regularizers",
             "constraint": "constraints", "schedule": "schedules"}


_builtin_configs: dict[tuple, str] = {}
_ANY_NAME = "\x00name"   # (builtin_config's stand-in for a name given as a string)


def _library_config(kind: str, class_name: str, given: dict) -> dict:
    """The library's config of its built-in `class_name` of `kind` made from `given` (config
    form), a new dict. Its answer depends only on the request: asked once (a metric's config is
    read at each `result()` of a train_step's tracker), parsed anew each time (callers own it)."""
    from . import _lib, _native
    request = _native.dumps({"class_name": class_name, "config": given})
    text = _builtin_configs.get((kind, request))
    if text is None:
        text = _native.take_string(_lib.keras_object_config, kind.encode(), request)
        if len(_builtin_configs) > 256:
            _builtin_configs.clear()
        _builtin_configs[kind, request] = text
    return json.loads(text)["config"]


def builtin_config(kind: str, class_name: str, given: dict) -> dict | None:
    """Keras's `get_config()` of the library's built-in `class_name` of `kind` made from the
    arguments `given` (config form), or None when the library cannot say (not loaded, or too old
    to have `keras_object_config`). Every key and its order and every default are the library's
    (Keras's); a value given is kept as given where the library holds it in another form (an int
    given as 2 stays 2, a float the library keeps in float32 stays the Python float), except where
    Keras itself rounds it to float32 (an optimizer's learning_rate, L1's l1) or makes it a float
    (the regularizers' factors)."""
    from . import _lib
    if _lib.load_error is not None or not _lib.has("keras_object_config"):
        return None
    name = given.get("name")
    if isinstance(name, str):
        # The library writes a name given as a string back as given, so one answer serves every
        # name (each compile's optimizer is another `adam_N`): asked with a stand-in name, which
        # the answer must hold where the name goes; else (or on an error, whose message may
        # name the object) asked with the name itself.
        try:
            config = _library_config(kind, class_name, {**given, "name": _ANY_NAME})
        except Exception:   # (the error is the name's own request's, asked next)
            config = None
        if config is not None and config.get("name") == _ANY_NAME:
            config["name"] = name
        else:
            config = _library_config(kind, class_name, given)
    else:
        config = _library_config(kind, class_name, given)
    keep_floats = kind == "regularizer"
    return {k: _as_given(v, given[k], keep_floats) if k in given else v for k, v in config.items()}


def _as_given(value, given, keep_floats=False):
    """`value` (the library's) in the form of `given` (the user's) where they are one number."""
    if isinstance(value, list) and isinstance(given, list) and len(value) == len(given):
        return [_as_given(v, g, keep_floats) for v, g in zip(value, given)]
    if given is None and value == "none":
        return None   # Keras keeps reduction=None as None, the library reads it as "none"
    numbers = (int, float)
    if (isinstance(value, bool) or isinstance(given, bool) or not isinstance(value, numbers)
            or not isinstance(given, numbers)):
        return value
    if isinstance(given, int):
        return value if keep_floats or value != given else given
    import numpy as np
    if value != given and value == float(np.float32(given)):
        return value   # Keras keeps it in float32 too
    return given if np.float32(value) == np.float32(given) else value


def keras_form(value):
    """A serialized structure (a compile config) as Keras writes it: each built-in object's
    config is Keras's `get_config()` of it, where `serialize` gave the library the arguments
    themselves because Keras's config loses one (Huber's delta, Keras 2's lr)."""
    if isinstance(value, list):
        return [keras_form(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "function" and isinstance(value.get("config"), str):
        # Keras writes every function's module so (the library's entry names a Python
        # function's own module: _plugins._function_entry)
        return {**value, "module": "builtins"}
    kind = next((k for k, m in _MODULES.items() if m == value.get("module")), None)
    family = _FAMILIES.get(kind)
    if family is not None and isinstance(value.get("config"), dict):
        from ._catalog import builtin_objects
        if value.get("class_name") in builtin_objects(family):
            try:
                full = builtin_config(kind, value["class_name"], value["config"])
            except ValueError:   # arguments the library refuses: as given
                full = None
            if full is not None:
                return {**value, "config": full}
    return {k: keras_form(v) for k, v in value.items()}


def _module_of(obj: KerasObject) -> str:
    return _MODULES.get(obj.kind, "keras")
