"""A `keras.regularizers.Regularizer` subclass written in Python with `keras.ops` (keras.io's
PointNet `OrthogonalRegularizer`): its `__call__` is traced once per shape of tensor it is given
into a function graph of the library (keras_register_regularizer_graph), which runs it natively
at every step and differentiates it with its own autodiff; Python is not entered per step.
A `keras.optimizers.schedules.LearningRateSchedule` subclass written in Python (the Transformer
tutorials' warm-up schedule) is traced the same way, once, its argument the step count
(keras_register_schedule_graph): kind "schedule" below.

In a layer's config it is Keras's entry for a custom object, `{"module", "class_name", "config",
"registered_name"}` with `get_config()` as config, and the library writes it so in files; a file
names its class, which is found again through `register_keras_serializable` or `custom_objects`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import types
import weakref

import numpy as np

from . import _lib, _native
from ._objects import record_registration

_lock = threading.Lock()
# (kind, registered name) -> the class the library knows under it
_registered: dict[tuple, type] = {}
# Every thunk given to the library: regularizers made from a replaced registration (a class
# defined again under the same name) still call theirs, so none is ever freed.
_thunks: list = []
# (registered name, config text) -> the live object the config came from, so that the trace
# calls the very object given to the layer (its attributes as they are, not as rebuilt); held
# weakly: the layer given it holds it while it may be traced again
_live: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_tokens = itertools.count()
_unserializable: dict[int, str] = {}   # token -> the NotImplementedError get_config raised
# The config of an object whose get_config is Keras's base (which raises NotImplementedError, as
# the keras.io example's does): the object itself is found by this key; saving it raises as Keras.
TOKEN_KEY = "swiftkeras_unserializable_object"


def is_traced(obj) -> bool:
    """Whether `obj` is a Regularizer subclass written in Python (not one of the library's)."""
    from .regularizers import Regularizer
    return isinstance(obj, Regularizer) and is_traced_class(type(obj))


def is_traced_class(cls) -> bool:
    """Whether the Regularizer class `cls` is written in Python: a subclass of the base, or of
    a built-in whose penalty Python writes with ops (L1, L2, L1L2, OrthogonalRegularizer: its
    own __call__ or theirs, saved under its own name, as Keras does)."""
    from .regularizers import Regularizer
    if cls.__module__.split(".")[0] == Regularizer.__module__.split(".")[0]:
        return False
    return not cls.class_name or builtin_base(cls) is not None


def builtin_base(cls):
    """The built-in class (L1, L2, L1L2, OrthogonalRegularizer) that the Python class `cls`
    extends; None for the others (the built-ins themselves, subclasses of the base)."""
    from . import regularizers
    if cls.__module__.split(".")[0] == regularizers.__name__.split(".")[0]:
        return None
    for base in cls.__mro__[1:]:
        if base in (regularizers.L1, regularizers.L2, regularizers.L1L2,
                    regularizers.OrthogonalRegularizer):
            return base
    return None


def entry(obj, kind="regularizer") -> dict:
    """Keras's serialized form of the Python regularizer (or schedule: `kind`) `obj`, its class
    known to the library."""
    from ._objects import serialize
    from .saving import get_registered_name
    cls = type(obj)
    registered = get_registered_name(cls)
    try:
        config = serialize(obj.get_config())
    except NotImplementedError as e:
        config = obj.__dict__.get("_swiftkeras_token")
        if config is None:
            config = obj.__dict__["_swiftkeras_token"] = {TOKEN_KEY: next(_tokens)}
            _unserializable[config[TOKEN_KEY]] = str(e)   # (Keras's message, raised at saving)
    module = None if cls.__module__ == "__main__" else cls.__module__
    register_class(cls, registered, kind)
    with _lock:
        _live[(registered, json.dumps(config, sort_keys=True))] = obj
        if isinstance(config, dict) and TOKEN_KEY in config:
            _live[_token_key(config[TOKEN_KEY])] = obj
    return {"module": module, "class_name": cls.__name__, "config": config,
            "registered_name": registered}


def register_class(cls, registered=None, kind="regularizer"):
    """Makes the Python Regularizer (or LearningRateSchedule: `kind` "schedule") class `cls`
    known to the library under its registered name."""
    from .saving import get_registered_name
    registered = registered or get_registered_name(cls)
    module = None if cls.__module__ == "__main__" else cls.__module__
    _register({"module": module, "class_name": cls.__name__, "registered_name": registered}, cls,
              cls.__name__, lambda config: _object_for(cls, registered, config), kind)


def _register(entry, owner, what, resolve, kind="regularizer"):
    """Registers the traced regularizer (or schedule) `entry` with the library (once per
    `owner`: a class, or the functions' marker), its penalty (rate) traced from
    `resolve(config)`'s call."""
    registered = entry["registered_name"]
    with _lock:
        if _registered.get((kind, registered)) is owner:
            return
        thunk = _lib.keras_regularizer_trace_fn(_trace_thunk(what, resolve, kind))
        register = _lib.keras_register_schedule_graph if kind == "schedule" else \
            _lib.keras_register_regularizer_graph
        _native.check(register(json.dumps(entry).encode(), thunk, None, _lib.keras_free_fn()))
        _thunks.append(thunk)
        record_registration(_registered, (kind, registered), owner)


# -- plain functions as regularizers ---------------------------------------------------------
# Keras takes any callable as a regularizer (`kernel_regularizer=lambda w: ...`, a def) and
# saves it as serialize_keras_object does: a def by its registered name,
# {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"},
# found again through custom_objects; a lambda as its marshalled code,
# {"class_name": "__lambda__", "config": {"value": [code, defaults, closure]}}, which Keras
# writes (warning) but cannot read back. Both are traced as a Regularizer subclass is.
_FUNCTION = {"module": "builtins", "class_name": "function", "registered_name": "function"}
_LAMBDA = {"module": None, "class_name": "__lambda__", "registered_name": "__lambda__"}
_FUNCTIONS_MARK = object()
# (registered name, config text) -> the function a config was written from; held strongly: a
# layer's config names it for as long as the layer lives
_functions: dict = {}


def is_function(value) -> bool:
    """Whether `value` is a plain function given as a regularizer (not a Regularizer)."""
    from .regularizers import Regularizer
    return callable(value) and not isinstance(value, (Regularizer, type))


def function_entry(fn) -> dict:
    """Keras's serialized form of the function regularizer `fn`, made known to the library."""
    register_functions()
    if getattr(fn, "__name__", None) == "<lambda>":
        import codecs
        import marshal
        code = codecs.encode(marshal.dumps(fn.__code__), "base64").decode("ascii")
        defaults = None if fn.__defaults__ is None else [_closure_value(d) for d in fn.__defaults__]
        closure = [_closure_value(c.cell_contents) for c in fn.__closure__] if fn.__closure__ else None
        config = {"value": [code, defaults, closure]}
        with _lock:
            _functions[("__lambda__", json.dumps(config, sort_keys=True))] = fn
        return {"class_name": "__lambda__", "config": config}
    from .saving import get_registered_name
    name = get_registered_name(fn) if hasattr(fn, "__name__") else None
    if not isinstance(name, str):
        raise ValueError(f"Could not interpret regularizer identifier: {fn!r}")
    with _lock:
        _functions[("function", json.dumps(name))] = fn
    return {**_FUNCTION, "config": name}


def _closure_value(value):
    """A value a lambda closes over, as serialize_keras_object writes it (a module, function or
    class: by name, as Keras's `{"module": "builtins", "class_name": "module", ...}`)."""
    from ._objects import serialize
    if isinstance(value, (types.ModuleType, types.FunctionType, type)):
        kind = type(value).__name__
        return {"module": "builtins", "class_name": kind, "config": value.__name__, "registered_name": kind}
    return serialize(value)


def warn_lambdas(config_text):
    """Keras's UserWarning for each lambda regularizer a config (its JSON text) being
    serialized holds: it could not be read back."""
    if '"__lambda__"' not in config_text:
        return
    import inspect
    import warnings

    def walk(node):
        if isinstance(node, dict):
            if node.get("class_name") == "__lambda__" and isinstance(node.get("config"), dict):
                with _lock:
                    fn = _functions.get(("__lambda__", json.dumps(node["config"], sort_keys=True)))
                try:
                    source = inspect.getsource(fn)
                except (OSError, TypeError):
                    source = repr(fn)
                warnings.warn("The object being serialized includes a `lambda`. This is unsafe. "
                              "In order to reload the object, you will have to pass "
                              "`safe_mode=False` to the loading function. Please avoid using "
                              "`lambda` in the future, and use named Python functions instead. "
                              f"This is the `lambda` being serialized: {source}", stacklevel=4)
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(json.loads(config_text))


def register_functions():
    """Makes the library know function regularizers (a def's entry and a lambda's)."""
    _register(_FUNCTION, _FUNCTIONS_MARK, "function", lambda config: _function_for("function", config))
    _register(_LAMBDA, _FUNCTIONS_MARK, "lambda", lambda config: _function_for("__lambda__", config))


def _function_for(registered, config):
    with _lock:
        found = _functions.get((registered, json.dumps(config, sort_keys=True)))
    if found is not None:
        return found
    raise TypeError(f"Could not interpret regularizer identifier: "
                    f"{_entry_of(registered, config)}")


def function_of(entry):
    """The function a config's function regularizer entry names (a layer's attribute, as Keras
    gives it), or Keras's TypeError."""
    registered = "__lambda__" if entry.get("class_name") == "__lambda__" else "function"
    return _function_for(registered, entry.get("config"))


def _entry_of(registered, config):
    return {"class_name": "__lambda__", "config": config} if registered == "__lambda__" \
        else {**_FUNCTION, "config": config}


def resolve_saved_functions(config):
    """Before a model is loaded from `config` (a file's model config): each function
    regularizer it names is found as Keras finds it (custom_objects, then registered functions)
    and held for the trace; a lambda, or a name not found, raises Keras's TypeError."""
    from ._objects import custom_objects_in_scope
    found = None

    def walk(node):
        nonlocal found
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("regularizer") and isinstance(value, dict) and \
                        value.get("class_name") in ("function", "__lambda__"):
                    if found is None:
                        found = custom_objects_in_scope()
                    name = value.get("config")
                    fn = found.get(name) if value["class_name"] == "function" and \
                        isinstance(name, str) else None
                    if fn is None:
                        raise TypeError(f"Could not interpret regularizer identifier: {value}")
                    with _lock:
                        _functions[("function", json.dumps(name))] = fn
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    if config is not None:
        register_functions()
        walk(config)


def _object_for(cls, registered, config):
    """The live object `config` was written from, else a new one from the config (a loaded file)."""
    with _lock:
        found = _live.get((registered, json.dumps(config, sort_keys=True)))
    if found is not None:
        return found
    if isinstance(config, dict) and TOKEN_KEY in config:
        raise ValueError(f"{cls.__name__}: this {cls.kind}'s get_config() is not implemented, so "
                         f"it cannot be made again from its config (Keras raises "
                         f"NotImplementedError saving it)")
    return cls.from_config(config)


def _trace_thunk(what, resolve, kind):
    noun = "learning rate schedule" if kind == "schedule" else "regularizer"

    def trace(_user, config_json, builder, argument, penalty):
        from ._plugins import _fail
        from .ops import _trace
        try:
            obj = resolve(json.loads(config_json.decode()))
            tracer = _trace.Trace(builder, None)
            previous = _trace.active()
            _trace._state.trace = tracer
            try:
                value = obj(tracer._tensor(argument))
                if kind == "schedule" and not isinstance(value, (_trace.SymbolicTensor, int, float,
                                                                 np.number, np.ndarray)):
                    raise TypeError(f"{what}: a learning rate schedule's __call__(step) must "
                                    f"return the learning rate, a scalar tensor or number; got "
                                    f"{type(value).__name__} {value!r:.80}")
                node = tracer.node_of(value)
            except (_trace.NotTraceable, _trace.Unsupported) as e:
                raise type(e)(f"{what}: a {noun}'s __call__ is traced into the "
                              f"library's op graph, so it must be written with keras.ops: {e}") from None
            finally:
                _trace._state.trace = previous
            penalty[0] = node
            return 0
        except BaseException as e:  # noqa: BLE001 — reported to the library, raised in Python
            return _fail(e)
    return trace


_unchecked = threading.local()


class unchecked:
    """A context in which refuse_unserializable refuses nothing: the binding reading a config
    for the library (which makes the regularizer from its token all the same)."""
    def __enter__(self):
        _unchecked.depth = getattr(_unchecked, "depth", 0) + 1

    def __exit__(self, *exc):
        _unchecked.depth -= 1


def reading() -> bool:
    """Whether the binding is reading a config for the library (inside `unchecked`)."""
    return bool(getattr(_unchecked, "depth", 0))


def refuse_unserializable(config_text):
    """Raises Keras's NotImplementedError when a config (its JSON text) holds a Python
    regularizer whose get_config is the base's: Keras's get_config, to_json and save fail so."""
    if reading():
        return
    warn_lambdas(config_text)
    found = re.search(rf'"{TOKEN_KEY}":\s*(\d+)', config_text)
    if found is None:
        return
    token = int(found.group(1))
    with _lock:
        obj = _live.get(_token_key(token)) or "a regularizer"
    raise NotImplementedError(_unserializable.get(token) or f"{obj} does not implement get_config()")


def _token_key(token):
    return None, json.dumps({TOKEN_KEY: token}, sort_keys=True)
