"""A `keras.regularizers.Regularizer` subclass written in Python with `keras.ops` (keras.io's
PointNet `OrthogonalRegularizer`): its `__call__` is traced once per shape of tensor it is given
into a function graph of the library (keras_register_regularizer_graph), which runs it natively
at every step and differentiates it with its own autodiff; Python is not entered per step.

In a layer's config it is Keras's entry for a custom object, `{"module", "class_name", "config",
"registered_name"}` with `get_config()` as config, and the library writes it so in files; a file
names its class, which is found again through `register_keras_serializable` or `custom_objects`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import weakref

from . import _lib, _native

_lock = threading.Lock()
# registered name -> the class the library knows under it
_registered: dict[str, type] = {}
# Every thunk given to the library: regularizers made from a replaced registration (a class
# defined again under the same name) still call theirs, so none is ever freed.
_thunks: list = []
# (registered name, config text) -> the live object the config came from, so that the trace
# calls the very object given to the layer (its attributes as they are, not as rebuilt); held
# weakly: the layer given it holds it while it may be traced again
_live: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_tokens = itertools.count()
# The config of an object whose get_config is Keras's base (which raises NotImplementedError, as
# the keras.io example's does): the object itself is found by this key; saving it raises as Keras.
TOKEN_KEY = "swiftkeras_unserializable_object"


def is_traced(obj) -> bool:
    """Whether `obj` is a Regularizer subclass written in Python (not one of the library's)."""
    from .regularizers import Regularizer
    return isinstance(obj, Regularizer) and is_traced_class(type(obj))


def is_traced_class(cls) -> bool:
    """Whether the Regularizer class `cls` is written in Python: a subclass of the base, not of a
    built-in (L2: its penalty is the library's)."""
    from .regularizers import Regularizer
    return not cls.class_name and cls.__module__.split(".")[0] != Regularizer.__module__.split(".")[0]


def entry(obj) -> dict:
    """Keras's serialized form of the Python regularizer `obj`, its class known to the library."""
    from ._objects import serialize
    from .saving import get_registered_name
    cls = type(obj)
    registered = get_registered_name(cls)
    try:
        config = serialize(obj.get_config())
    except NotImplementedError:
        config = obj.__dict__.get("_swiftkeras_token")
        if config is None:
            config = obj.__dict__["_swiftkeras_token"] = {TOKEN_KEY: next(_tokens)}
    module = None if cls.__module__ == "__main__" else cls.__module__
    register_class(cls, registered)
    with _lock:
        _live[(registered, json.dumps(config, sort_keys=True))] = obj
        if isinstance(config, dict) and TOKEN_KEY in config:
            _live[_token_key(config[TOKEN_KEY])] = obj
    return {"module": module, "class_name": cls.__name__, "config": config,
            "registered_name": registered}


def register_class(cls, registered=None):
    """Makes the Python Regularizer class `cls` known to the library under its registered name."""
    from .saving import get_registered_name
    registered = registered or get_registered_name(cls)
    with _lock:
        if _registered.get(registered) is cls:
            return
        thunk = _lib.keras_regularizer_trace_fn(_trace_thunk(cls, registered))
        module = None if cls.__module__ == "__main__" else cls.__module__
        text = json.dumps({"module": module, "class_name": cls.__name__, "registered_name": registered})
        _native.check(_lib.keras_register_regularizer_graph(text.encode(), thunk, None, _lib.keras_free_fn()))
        _thunks.append(thunk)
        _registered[registered] = cls


def _object_for(cls, registered, config):
    """The live object `config` was written from, else a new one from the config (a loaded file)."""
    with _lock:
        found = _live.get((registered, json.dumps(config, sort_keys=True)))
    if found is not None:
        return found
    if isinstance(config, dict) and TOKEN_KEY in config:
        raise ValueError(f"{cls.__name__}: this regularizer's get_config() is not implemented, so "
                         f"it cannot be made again from its config (Keras raises "
                         f"NotImplementedError saving it)")
    return cls.from_config(config)


def _trace_thunk(cls, registered):
    def trace(_user, config_json, builder, argument, penalty):
        from ._plugins import _fail
        from .ops import _trace
        try:
            obj = _object_for(cls, registered, json.loads(config_json.decode()))
            tracer = _trace.Trace(builder, None)
            previous = _trace.active()
            _trace._state.trace = tracer
            try:
                value = obj(tracer._tensor(argument))
                node = tracer.node_of(value)
            except (_trace.NotTraceable, _trace.Unsupported) as e:
                raise type(e)(f"{cls.__name__}: a regularizer's __call__ is traced into the "
                              f"library's op graph, so it must be written with keras.ops: {e}") from None
            finally:
                _trace._state.trace = previous
            penalty[0] = node
            return 0
        except BaseException as e:  # noqa: BLE001 — reported to the library, raised in Python
            return _fail(e)
    return trace


def refuse_unserializable(config_text):
    """Raises Keras's NotImplementedError when a model's config (its JSON text) holds a Python
    regularizer whose get_config is the base's: Keras fails so saving it."""
    found = re.search(rf'"{TOKEN_KEY}":\s*(\d+)', config_text)
    if found is None:
        return
    with _lock:
        obj = _live.get(_token_key(int(found.group(1)))) or "a regularizer"
    raise NotImplementedError(f"{obj} does not implement get_config()")


def _token_key(token):
    return None, json.dumps({TOKEN_KEY: token}, sort_keys=True)
