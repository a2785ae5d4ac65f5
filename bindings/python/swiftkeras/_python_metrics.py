"""Metrics written in Python (`keras.metrics.Metric` subclasses), as the library sees them: a
keras_metric_class (include/keras.h) whose update_state, result and reset_state call the
Python object's, once per batch, from the library's own fit/evaluate loop. The object a user
compiled is the one updated (claimed while compile runs), so `metric.result()` after `fit`
reads what training left, as in Keras. Exceptions follow _plugins' trampoline pattern: stashed,
re-raised by the caller with their type and message."""

from __future__ import annotations

import ctypes
import json
import math
import threading

import numpy as np

from . import _lib, _native
from ._objects import record_registration
from ._plugins import _array_at, _check_interrupt, _fail, get_config_thunk

_lock = threading.Lock()
_tables: dict[str, tuple] = {}     # registered name -> (class, keras_metric_class, thunks)
# Every table ever registered: the library's live instances of a class registered again (a class
# defined anew) still call the earlier thunks (destroy, when a model is freed).
_all_tables: list = []
_instances: dict[int, object] = {}
_next_key = [0]
_claims = threading.local()        # the user's metric objects a compile being sent adopts


def class_name(cls) -> str:
    """The name a Python metric class is registered under (Keras: 'package>Name' when
    registered with register_keras_serializable, else the class name)."""
    return cls.__dict__.get("_registered_name") or cls.__name__


class claiming:
    """While the library reads a compile config, each Python metric it makes is the very object
    the user passed to compile (matched by class and name, in order), not a copy."""

    def __init__(self, metrics):
        self.metrics = list(metrics)

    def __enter__(self):
        self.previous = getattr(_claims, "queue", None)
        _claims.queue = list(self.metrics)

    def __exit__(self, *exc):
        _claims.queue = self.previous


def _claimed(cls, config):
    queue = getattr(_claims, "queue", None) or []
    for i, metric in enumerate(queue):
        if type(metric) is cls and metric.name == config.get("name", metric.name):
            return queue.pop(i)
    return None


def _metric(state):
    metric = _instances.get(state)
    if metric is None:
        raise RuntimeError(f"the library called a Python metric instance ({state}) that no longer exists")
    return metric


def _figure(metric):
    """result() as the library logs it (keras_metric_class.result_json): a number, a list (one
    value per class, as F1Score(average=None)), or a dict of those, whose keys the logs carry
    in place of the metric's name (Keras merges a dict result into the logs)."""
    value = metric.result()
    if isinstance(value, dict):
        return {str(key): _values(metric, v, key) for key, v in value.items()}
    return _values(metric, value)


def _values(metric, value, key=None):
    what = f"{type(metric).__name__}.result()" + ("" if key is None else f"[{key!r}]")
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} returned {type(value).__name__}: a metric compiled into a model "
                        f"reports a number, an array or a dict of them") from e
    values = [float(v) if math.isfinite(v) else None for v in arr.ravel().tolist()]   # JSON: null
    return values[0] if arr.size == 1 else values


def _table(cls, label):
    """The keras_metric_class of a Python Metric subclass (its thunks live as long as the
    process: the library may call them until it ends)."""

    def create(_user, config_json, state_p):
        try:
            config = json.loads(config_json) if config_json else {}
            metric = _claimed(cls, config)
            if metric is None:
                metric = cls.from_config(config) if config else cls()
            with _lock:
                _next_key[0] += 1
                key = _next_key[0]
                _instances[key] = metric
            state_p[0] = key
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    def update_state(state, yt_p, tnd, tshape, yp_p, pnd, pshape, sw_p, wnd, wshape):
        try:
            _check_interrupt()
            metric = _metric(state)
            y_true = _array_at(yt_p, tnd, tshape).copy()
            y_pred = _array_at(yp_p, pnd, pshape).copy()
            if sw_p:
                metric.update_state(y_true, y_pred, _array_at(sw_p, wnd, wshape).copy())
            else:
                metric.update_state(y_true, y_pred)
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    def reset_state(state):
        try:
            _metric(state).reset_state()
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    def config_of(state):
        from ._objects import serialize
        return serialize(_metric(state).get_config())

    def destroy(state):
        with _lock:
            _instances.pop(state, None)

    get_config = get_config_thunk(config_of, label)
    result_json = get_config_thunk(lambda state: _figure(_metric(state)), f"{label}.result")

    thunks = (_lib.keras_layer_create_fn(create), _lib.keras_metric_update_fn(update_state),
              _lib.keras_layer_get_config_fn(result_json), _lib.keras_metric_reset_fn(reset_state),
              _lib.keras_layer_get_config_fn(get_config), _lib.keras_layer_destroy_fn(destroy))
    table = _lib.keras_metric_class()
    (table.create, table.update_state, table.result_json, table.reset_state, table.get_config,
     table.destroy) = thunks
    module = module_of(cls)
    table.module = None if module is None else module.encode()
    return table, thunks


def module_of(cls):
    """The `module` Keras writes for the class: its Python module, None for `__main__`;
    `keras.metrics` for Keras's own classes that run here (MeanMetricWrapper of a Python
    function), which Keras writes with no registered name."""
    if cls.__module__ == __package__ + ".metrics":
        return "keras.metrics"
    return None if cls.__module__ == "__main__" else cls.__module__


def register_class(cls, name=None):
    """Makes a Python Metric subclass known to the library (keras_register_metric_class) under
    `name` (a custom object's name in scope) or the key of its use, as a layer class's
    (_python_layers._library_key: its registered 'package>Name', else 'module>Name', so that a
    user's `Accuracy` leaves the built-in to every other compile); returns that name."""
    from ._python_layers import _library_key
    registered = name or _library_key(cls)
    if not _lib.has("keras_register_metric_class"):
        raise _native.KerasError(f"{registered}: this libkeras.so has no keras_register_metric_class, "
                                 f"so metrics written in Python cannot be compiled; rebuild it")
    with _lock:
        known = _tables.get(registered)
        if known is not None and known[0] is cls:
            return registered
    table, thunks = _table(cls, registered.split(">")[-1])
    _native.check(_lib.keras_register_metric_class(registered.encode(), ctypes.byref(table)))
    with _lock:
        # (one by use is the library's for good, outside any scope: keras_register_metric_class)
        record_registration(_tables, registered, (cls, table, thunks),
                            scoped=name is not None or registered == class_name(cls))
        _all_tables.append((table, thunks))
    return registered


def compile_entry(metric):
    """How Keras's compile config lists a metric written in Python: `{"module": its Python
    module, "class_name", "config": get_config(), "registered_name"}`; its class is registered
    with the library so that the entry resolves to it."""
    from ._objects import serialize
    register_class(type(metric))
    module = module_of(type(metric))
    return {"module": module, "class_name": type(metric).__name__,
            "config": serialize(metric.get_config()),
            "registered_name": None if module == "keras.metrics" else class_name(type(metric))}


def python_metrics_in(values, in_python=True):
    """The metric objects written in Python among compile's metrics (lists, dicts, nested);
    with `in_python` False, those the library computes (`keras.metrics.AUC()`, ...)."""
    from .metrics import Metric
    found = []

    def visit(value):
        if isinstance(value, dict):
            for v in value.values():
                visit(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v)
        elif isinstance(value, Metric) and value._runs_in_python() == in_python:
            found.append(value)
    visit(values)
    return found
