"""Python code the library calls back: callbacks, loss/metric/activation functions (layers
written in Python: _python_layers).

Every trampoline follows toolchain.md §8: it catches BaseException (Ctrl-C included), stashes
it, and returns a failure code; the library stops the loop and returns CALLBACK_FAILED, and
`_native.check` re-raises the original exception with its traceback in the caller's thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import math
import platform
import _signal
import signal
import threading

import numpy as np

from . import _lib, _native
from ._native import stash_exception
from ._objects import custom_objects_in_scope, is_package_alias, record_registration, serialize

FAILED = 1

_EVENTS = {
    _lib.KERAS_TRAIN_BEGIN: ("on_train_begin", False), _lib.KERAS_TRAIN_END: ("on_train_end", False),
    _lib.KERAS_EPOCH_BEGIN: ("on_epoch_begin", True), _lib.KERAS_EPOCH_END: ("on_epoch_end", True),
    _lib.KERAS_TRAIN_BATCH_BEGIN: ("on_train_batch_begin", True),
    _lib.KERAS_TRAIN_BATCH_END: ("on_train_batch_end", True),
    _lib.KERAS_TEST_BEGIN: ("on_test_begin", False), _lib.KERAS_TEST_END: ("on_test_end", False),
    _lib.KERAS_TEST_BATCH_BEGIN: ("on_test_batch_begin", True),
    _lib.KERAS_TEST_BATCH_END: ("on_test_batch_end", True),
    _lib.KERAS_PREDICT_BEGIN: ("on_predict_begin", False),
    _lib.KERAS_PREDICT_END: ("on_predict_end", False),
    _lib.KERAS_PREDICT_BATCH_BEGIN: ("on_predict_batch_begin", True),
    _lib.KERAS_PREDICT_BATCH_END: ("on_predict_batch_end", True),
}
_BATCH_HOOKS = {"on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
                "on_batch_begin", "on_batch_end"}


class PythonCallback:
    """Base of callbacks written in Python (swiftkeras.callbacks.Callback)."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def _overrides(self, hook):
        return getattr(type(self), hook, None) is not getattr(PythonCallback, hook, None)

    # Every hook Keras has; a subclass overrides the ones it needs.
    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class _Interrupt:
    """Ctrl-C during a library call. Python would raise KeyboardInterrupt at the entry of
    whatever Python function runs next, outside any try (ctypes then drops it); instead the
    handler only records it, and the next callback raises it inside its try."""
    requested = False


@contextlib.contextmanager
def interrupt_guard():
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield  # the program has its own SIGINT handling: leave it alone
        return
    _Interrupt.requested = False

    def record(_signum, _frame):
        _Interrupt.requested = True

    signal.signal(signal.SIGINT, record)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if _Interrupt.requested:
            _Interrupt.requested = False
            raise KeyboardInterrupt


class _SigAction(ctypes.Structure):
    """glibc's struct sigaction, opaque but for its first field, the handler (x86_64, aarch64);
    larger than any of them."""
    _fields_ = [("handler", ctypes.c_void_p), ("rest", ctypes.c_char * 248)]


_libc = ctypes.CDLL(None, use_errno=True)
_NATIVE_INTERRUPT = _lib.has("keras_interrupt") and platform.system() == "Linux" and \
    platform.machine() in ("x86_64", "aarch64", "arm64")
if _NATIVE_INTERRUPT:
    _libc.sigaction.argtypes = [ctypes.c_int, ctypes.POINTER(_SigAction), ctypes.POINTER(_SigAction)]
    _libc.sigaction.restype = ctypes.c_int
    _KERAS_INTERRUPT = ctypes.cast(_lib.keras_interrupt, ctypes.c_void_p).value
_ARM = _lib.keras_interrupt_arm if _NATIVE_INTERRUPT and _lib.has("keras_interrupt_arm") else None
# keras_interrupt_install: arming and installing (restoring and disarming) in one crossing.
_INSTALL = _lib.keras_interrupt_install if _NATIVE_INTERRUPT and \
    _lib.has("keras_interrupt_install") else None
_MAIN_THREAD = threading.main_thread().ident


def native_interrupt_available() -> bool:
    return _NATIVE_INTERRUPT


def call_with_native_interrupt(call, *args):
    """`call(*args)`, a library call, during which SIGINT calls keras_interrupt
    (async-signal-safe) directly: the running loop stops after its batch and returns
    KERAS_ERR_INTERRUPTED, which `check` raises as KeyboardInterrupt; nothing crosses into Python
    during the call. Python's own handler (and its sigaction flags) come back afterwards. Only on
    the main thread, and only while Python's default SIGINT handling is in place."""
    # _signal.getsignal: signal.getsignal's value without its enum lookup (which raises and
    # catches a ValueError for a function handler: a tenth of a short fit's Python side).
    if threading.get_ident() != _MAIN_THREAD or \
            _signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return call(*args)
    if _INSTALL is None:
        with _native_interrupt_by_sigaction():
            return call(*args)
    try:
        # Arms, then installs (a Ctrl-C landing between here and the call's start, in the
        # arguments' packing or a collection it triggers, stops the call instead of being
        # forgotten). Inside the try: a Ctrl-C that Python took just before is raised right after
        # this returns, and Python's handler must come back then too. A restore without an
        # install (this one failed) changes nothing.
        _INSTALL(1)
        return call(*args)
    finally:
        _INSTALL(0)


@contextlib.contextmanager
def _native_interrupt_by_sigaction():
    """call_with_native_interrupt for a libkeras.so without keras_interrupt_install: the same
    steps, made from Python (five crossings)."""
    previous, ours = _SigAction(), _SigAction()
    if _libc.sigaction(signal.SIGINT, None, ctypes.byref(previous)) != 0:
        yield
        return
    ctypes.memmove(ctypes.byref(ours), ctypes.byref(previous), ctypes.sizeof(_SigAction))
    ours.handler = _KERAS_INTERRUPT
    try:
        if _ARM is not None:
            _ARM(1)
        _libc.sigaction(signal.SIGINT, ctypes.byref(ours), None)
        yield
    finally:
        _libc.sigaction(signal.SIGINT, ctypes.byref(previous), None)
        if _ARM is not None:
            _ARM(0)   # no call consumed the arming (one that failed before it started)


def _check_interrupt():
    if _Interrupt.requested:
        _Interrupt.requested = False
        raise KeyboardInterrupt


def _fail(e: BaseException) -> int:
    stash_exception(e)
    try:
        _lib.keras_callback_error(f"{type(e).__name__}: {e}".encode("utf-8", "replace"))
    except BaseException:  # noqa: BLE001 — the stashed exception is what the caller gets
        pass
    return FAILED


def get_config_thunk(config_of, label):
    """A plugin class's get_config (layer or metric): writes `config_of(state)` as JSON into
    the library's buffer of `size` bytes; a failure is stashed for the caller."""
    def get_config(state, buf, size):
        try:
            text = json.dumps(config_of(state), allow_nan=False,
                              default=_native._json_default).encode("utf-8")
            if len(text) + 1 > size:
                raise ValueError(f"{label}.get_config: the config is {len(text)} bytes, more than "
                                 f"the library's {size - 1}")
            ctypes.memmove(buf, text + b"\0", len(text) + 1)
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)
    return get_config


def callback_trampoline(cb: PythonCallback, model):
    """The C function the library calls for every hook of `cb` (keras_callback_new)."""
    overridden = {h for h, _ in _EVENTS.values() if cb._overrides(h)}
    legacy = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}
    for new, old in legacy.items():
        if cb._overrides(old) and not cb._overrides(new):
            overridden.add(new)
    events = {code: (hook, indexed) for code, (hook, indexed) in _EVENTS.items()
              if hook in overridden}
    # A hook may change a layer's `trainable` flag during fit: each epoch's start checks the
    # flags the epoch would train with (Model._flags_changed_in_fit), as Keras's next step does.
    fit_check = getattr(model, "_flags_changed_in_fit", None) if overridden else None
    if fit_check is not None:
        events.setdefault(_lib.KERAS_EPOCH_BEGIN, (None, True))

    def on_event(_user, event, index, logs_json):
        entry = events.get(event)
        if entry is None:
            return 0
        try:
            _check_interrupt()
            hook, indexed = entry
            if event == _lib.KERAS_EPOCH_BEGIN and fit_check is not None:
                if hook is not None:
                    getattr(cb, hook)(int(index), json.loads(ctypes.string_at(logs_json)) if logs_json else {})
                fit_check()
                return 0
            logs = json.loads(ctypes.string_at(logs_json)) if logs_json else {}
            if logs and hasattr(model, "_user_log_names"):
                logs = model._user_log_names(logs)   # the figures as history names them
            method = getattr(cb, hook)
            if hook in legacy and not cb._overrides(hook):
                method = getattr(cb, legacy[hook])
            if event == _lib.KERAS_EPOCH_END:
                before = dict(logs)
                method(int(index), logs)
                # Keras's History records the logs after every callback has seen them.
                changed = {k: v for k, v in logs.items() if k not in before or before[k] != v}
                if changed:
                    model._epoch_log_updates.setdefault(int(index), {}).update(changed)
            elif indexed:
                if event == _lib.KERAS_PREDICT_BATCH_END and "outputs" in logs:
                    # Keras's logs["outputs"]: the batch's predictions, shaped as predict's.
                    outs = [np.array(o, np.float32) for o in logs["outputs"]]
                    shape = getattr(model, "_structured_outputs", None)
                    logs["outputs"] = shape(outs) if shape else outs[0] if len(outs) == 1 else outs
                method(int(index), logs)
            else:
                method(logs)
            return 0
        except BaseException as e:  # noqa: BLE001 — carried back to the caller
            return _fail(e)

    mask = 0
    for code in events:
        mask |= _lib.KERAS_EVENT_BIT(code)
    return _lib.keras_callback_fn(on_event), mask


def new_callback(name, fn, events, out):
    """keras_callback_new_masked when the library has it (fn is called only for `events`),
    else keras_callback_new (every hook crosses into Python)."""
    if _lib.has("keras_callback_new_masked"):
        return _lib.keras_callback_new_masked(name.encode(), fn, None, _lib.keras_free_fn(),
                                              events, out)
    return _lib.keras_callback_new(name.encode(), fn, None, _lib.keras_free_fn(), out)


def native_lr_scheduler(cb):
    """A LearningRateScheduler run by the library (keras_callback_lr_scheduler_new), its
    schedule called here. Returns (handle, thunk to keep alive)."""
    def schedule(_user, epoch, lr, out):
        try:
            _check_interrupt()
            out[0] = cb._next_rate(int(epoch), float(lr))
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    thunk = _lib.keras_schedule_fn(schedule)
    h = ctypes.c_void_p()
    _native.check(_lib.keras_callback_lr_scheduler_new(thunk, None, _lib.keras_free_fn(),
                                                       int(cb.verbose), ctypes.byref(h)))
    return h.value, thunk


def _interrupt_probe(_user, _event, _index, _logs):
    # Any Python code running on the main thread lets the interpreter run the SIGINT handler
    # (interrupt_guard's `record`); this is the least code that can (no logs decoded).
    if _Interrupt.requested:
        _Interrupt.requested = False
        return _fail(KeyboardInterrupt())
    return 0


_INTERRUPT_PROBE = _lib.keras_callback_fn(_interrupt_probe)
_interrupt_handles: dict[int, int] = {}
# Where the probe runs (a crossing costs a few microseconds): fits at each epoch's end, or also
# after every training batch when epochs are long; long evaluate/predict calls after batches.
PROBE_FIT_EPOCHS = _lib.KERAS_EVENT_BIT(_lib.KERAS_EPOCH_END)
PROBE_FIT_BATCHES = PROBE_FIT_EPOCHS | _lib.KERAS_EVENT_BIT(_lib.KERAS_TRAIN_BATCH_END)
PROBE_TEST = _lib.KERAS_EVENT_BIT(_lib.KERAS_TEST_BATCH_END)
PROBE_PREDICT = _lib.KERAS_EVENT_BIT(_lib.KERAS_PREDICT_BATCH_END)


def interrupt_callback(events):
    """The callback handle that makes Ctrl-C stop a running fit/evaluate/predict cleanly at
    `events`: one handle per set of events for the process."""
    if not _lib.has("keras_callback_new_masked"):
        events = _lib.KERAS_EVENTS_ALL
    handle = _interrupt_handles.get(events)
    if handle is None:
        with _lock:
            handle = _interrupt_handles.get(events)
            if handle is None:
                h = ctypes.c_void_p()
                _native.check(new_callback("KeyboardInterrupt", _INTERRUPT_PROBE, events,
                                           ctypes.byref(h)))
                handle = _interrupt_handles[events] = h.value
    return handle


# ---- functions: losses, metrics, activations ---------------------------------------------

_registered: dict[tuple[str, str], object] = {}   # (kind, name) -> (fn, ctypes thunk)
_lock = threading.Lock()


def name_of_function(fn) -> str:
    """The name configs give a Python function: its own, or for a `lambda` (or a callable
    without __name__) one made unique here, '<lambda>', '<lambda>_1', ... (saving refuses those)."""
    name = getattr(fn, "__name__", None)
    if name and name != "<lambda>":
        return name
    given = _lambda_names.get(id(fn))
    if given is None or given[0] is not fn:
        from ._objects import unique_name
        given = _lambda_names[id(fn)] = (fn, unique_name("<lambda>"))
    return given[1]


_lambda_names: dict[int, tuple] = {}


def _per_sample(value, batch):
    v = np.asarray(value, dtype=np.float32)
    if v.ndim == 0:
        return np.full(batch, float(v), np.float32)
    if v.shape[0] != batch:
        raise ValueError(f"a loss or metric function must return one value per sample "
                         f"(shape ({batch},)) or a scalar, got shape {v.shape}")
    return v.reshape(batch, -1).mean(axis=1)


def _array_at(ptr, ndim, shape_p):
    shape = tuple(shape_p[k] for k in range(ndim))
    if not ptr or math.prod(shape) == 0:
        return np.zeros(shape, np.float32)
    return np.ctypeslib.as_array(ptr, shape=shape)


def _loss_thunk(fn, differentiable):
    """keras_loss_fn: per-sample values of fn(y_true, y_pred) and, for a loss, their derivative
    with respect to y_pred (fn.gradient if given, else central differences)."""
    from .losses import _same_rank

    def call(_user, yt_p, tnd, tshape, yp_p, pnd, pshape, out_p, grad_p):
        try:
            _check_interrupt()
            yt = _array_at(yt_p, tnd, tshape).copy()
            yp = _array_at(yp_p, pnd, pshape).copy()
            batch = yp.shape[0]

            def value(pred):   # Keras's loss wrapper first matches the ranks (a last axis of 1)
                return np.asarray(fn(*_same_rank(yt, pred)), np.float32)
            first = value(yp)
            out = np.ctypeslib.as_array(out_p, shape=(batch,))
            out[:] = _per_sample(first, batch)
            if not grad_p:
                return 0
            grad = np.ctypeslib.as_array(grad_p, shape=yp.shape)
            exact = getattr(fn, "gradient", None)
            if exact is not None:
                grad[...] = np.asarray(exact(yt, yp), np.float32)
                return 0
            flat = yp.reshape(batch, -1).astype(np.float64)
            g = np.empty_like(flat)
            if first.ndim == 0:
                # A function that reduces the batch itself (keras.io's contrastive loss, an
                # ops.mean of everything): every sample's value is that mean, so each element's
                # derivative is taken on its own, times the batch (the samples are averaged).
                for i in range(batch):
                    for j in range(flat.shape[1]):
                        h = 1e-3 * max(1.0, abs(flat[i, j]))
                        up, down = flat.copy(), flat.copy()
                        up[i, j] += h
                        down[i, j] -= h
                        g[i, j] = batch * (float(value(up.reshape(yp.shape).astype(np.float32))) -
                                           float(value(down.reshape(yp.shape).astype(np.float32)))) / (2 * h)
                grad[...] = g.reshape(yp.shape).astype(np.float32)
                return 0
            # Central differences, one column for the whole batch at a time: valid because each
            # sample's value depends only on its own row (the per-sample contract).
            for j in range(flat.shape[1]):
                h = 1e-3 * np.maximum(1.0, np.abs(flat[:, j]))
                up, down = flat.copy(), flat.copy()
                up[:, j] += h
                down[:, j] -= h
                fu = _per_sample(value(up.reshape(yp.shape).astype(np.float32)), batch)
                fd = _per_sample(value(down.reshape(yp.shape).astype(np.float32)), batch)
                g[:, j] = (fu.astype(np.float64) - fd) / (2 * h)
            grad[...] = g.reshape(yp.shape).astype(np.float32)
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    return _lib.keras_loss_fn(call)


def _loss_trace_thunk(fn):
    """keras_loss_trace_fn: fn traced into the library's graph (_custom_steps.trace_compiled_loss)."""
    def trace(_user, builder, _tnd, _tshape, _pnd, _pshape):
        try:
            from ._custom_steps import trace_compiled_loss
            trace_compiled_loss(fn, builder)
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    return _lib.keras_loss_trace_fn(trace)


def _loss_reduction(fn):
    """How the library reduces fn's values: a Loss subclass's own `reduction` (none: as Keras's
    CompileLoss, the mean), a function's values averaged (Keras's LossFunctionWrapper)."""
    loss = getattr(fn, "_loss_object", None)
    reduction = None if loss is None else loss._config.get("reduction", "sum_over_batch_size")
    return "sum_over_batch_size" if reduction in (None, "none") else reduction


def _activation_thunk(fn):
    """keras_activation_fn: y = fn(x) elementwise and dy/dx (fn.gradient, else central
    differences; activations registered this way are elementwise by the ABI's contract)."""
    def call(_user, x_p, n, y_p, dydx_p):
        try:
            _check_interrupt()
            x = np.ctypeslib.as_array(x_p, shape=(n,)).copy() if n else np.zeros(0, np.float32)
            if y_p and n:
                np.ctypeslib.as_array(y_p, shape=(n,))[:] = np.asarray(fn(x), np.float32).reshape(n)
            if dydx_p and n:
                exact = getattr(fn, "gradient", None)
                if exact is not None:
                    d = np.asarray(exact(x), np.float32)
                else:
                    x64 = x.astype(np.float64)
                    h = 1e-3 * np.maximum(1.0, np.abs(x64))
                    up = np.asarray(fn((x64 + h).astype(np.float32)), np.float64)
                    down = np.asarray(fn((x64 - h).astype(np.float32)), np.float64)
                    d = (up - down) / (2 * h)
                np.ctypeslib.as_array(dydx_p, shape=(n,))[:] = np.asarray(d, np.float32).reshape(n)
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    return _lib.keras_activation_fn(call)


# Python functions and layer classes known by their module ((kind, 'module>name') -> (object,
# ctypes thunk or layer table)): known to the library only while it reads a config that names
# them (functions_by_module), with the number of such reads under way. Registered for good, the
# library would find a function by its bare name where it has no built-in of that name (a user's
# `mean_squared_error` in place of Keras's in a file loaded later), and a layer class by its
# module in any later file, model_from_json or from_config, where Keras locates an unregistered
# class by nothing (its TypeError "Could not locate class"): only custom_objects, a scope or a
# registration make a config's class name mean it.
_by_module: dict[tuple[str, str], tuple] = {}
_reading: dict[tuple[str, str], int] = {}
_replaced_thunks: list[tuple] = []   # (fn, thunk) registrations replaced under the same name


def _module_key(fn):
    """'module>name' of a function written in Python: the key the library knows it by while it
    reads a config naming it (a layer's activation, a compile entry's loss or metric: its
    `module` and name). Registered under its bare name, a user's function would take that name
    from every later model of the process (a `relu` or `mse` of the user's in place of the
    built-in; `activation="doubled"` working where Keras's lookup fails); configs still write
    the bare name, as Keras's do."""
    return f"{getattr(fn, '__module__', None) or '__main__'}>{name_of_function(fn)}"


@functools.lru_cache(maxsize=4096)
def _needles(kind, key):
    """The JSON strings a config names the object of `key` with, all of them: an activation by
    its key (what the layer's config holds), a loss or metric by its module and name (its
    compile entry's), a layer class by its name and module (null for `__main__`, as Keras
    writes it). (Made once per key: every model built reads its configs through them.)"""
    if kind == "activation":
        return (b'"' + key.encode() + b'"',)
    module, _, name = key.partition(">")
    if kind == "layer" and module == "__main__":
        return (b'"' + name.encode() + b'"',)
    return b'"' + name.encode() + b'"', b'"' + module.encode() + b'"'


@contextlib.contextmanager
def functions_by_module(config):
    """While the library reads `config` (a model or compile config made here, JSON text or
    bytes): the Python functions and layer classes known by their module (_module_key,
    _python_layers._library_key) that it names, registered under their 'module>name';
    unregistered afterwards, so that no other config finds them (a bare name, or a later file's
    entry of that module). The layers, losses and metrics made keep their function or class."""
    text = config.encode() if isinstance(config, str) else bytes(config)
    with _lock:
        read = _read_in(text)
        for key, (fn, thunk) in read.items():
            if _reading.get(key, 0) == 0:
                _register_with_library(*key, thunk, fn)
            _reading[key] = _reading.get(key, 0) + 1
    try:
        yield
    finally:
        with _lock:
            for kind, name in read:
                _reading[(kind, name)] -= 1
                if _reading[(kind, name)] == 0:
                    _lib.keras_unregister(kind.encode(), name.encode())


def _read_in(text):
    """{(kind, key): (fn, thunk)} of the functions known by their module that `text` names."""
    return {key: entry for key, entry in _by_module.items()
            if all(needle in text for needle in _needles(*key))}


def _thunk(kind, fn):
    """The ctypes callback(s) through which the library calls `fn` as a `kind`."""
    if kind == "activation":
        return _activation_thunk(fn)
    if kind == "loss":
        # Traced once per pair of shapes into the library's op graph (its autodiff, no Python
        # per step); the numpy thunk computes a loss that needs values, as before.
        return _loss_trace_thunk(fn), _loss_thunk(fn, True)
    if kind == "metric":
        return _loss_thunk(fn, False)
    raise ValueError(f"unknown plugin kind {kind}")


def _register_with_library(kind, name, thunk, fn):
    if kind == "layer":   # (thunk: the class's keras_layer_class and the functions it holds)
        _native.check(_lib.keras_register_layer(name.encode(), ctypes.byref(thunk[0])))
    elif kind == "activation":
        _native.check(_lib.keras_register_activation(name.encode(), thunk, None, _lib.keras_free_fn()))
    elif kind == "loss":
        options = json.dumps({"reduction": _loss_reduction(fn)})
        _native.check(_lib.keras_register_loss_graph(name.encode(), thunk[0], thunk[1],
                                                     options.encode(), None, _lib.keras_free_fn()))
    else:
        _native.check(_lib.keras_register_metric(name.encode(), thunk, None, _lib.keras_free_fn()))


def known_by_module(kind, key, obj, make_thunk):
    """Keeps `obj` (a function, a layer class) as known by its module under `key`
    ('module>name'): registered with the library by functions_by_module while it reads a config
    naming it. `make_thunk()`: what the library calls it through, made once per object. Returns
    `key`."""
    with _lock:
        known = _by_module.get((kind, key))
        if known is None or known[0] is not obj:
            if known is not None:   # (the models made with it still call it)
                _replaced_thunks.append(known)
            _by_module[(kind, key)] = (obj, make_thunk())
    return key


def register_function(kind: str, fn, name=None) -> str:
    """Makes a Python function known to the library as a loss, metric or activation: under
    `name` (a custom object's name in scope, a registered 'package>name'); without one, under its
    'module>name', known to the library while it reads configs naming it (functions_by_module).
    Returns the name the library knows it by."""
    if not _lib.has(f"keras_register_{kind}"):
        raise _native.KerasError(
            f"{name or name_of_function(fn)}: Python {kind} functions need the C ABI's plugin "
            f"registration, which this binding does not call yet (bindings/python/ABI_REQUESTS.md item 4)")
    if name is None:
        return known_by_module(kind, _module_key(fn), fn, lambda: _thunk(kind, fn))
    with _lock:
        key = (kind, name)
        if key in _registered and _registered[key][0] is fn:
            return name
        if key in _registered:
            # Another function of that name (a closure made again, as each build of a keras.io
            # model makes its activation): the models made with the earlier one still call its
            # thunk, which must outlive this registration.
            _replaced_thunks.append(_registered[key])
        thunk = _thunk(kind, fn)
        _register_with_library(kind, name, thunk, fn)
        record_registration(_registered, key, (fn, thunk))
    return name


def _is_builtin(obj) -> bool:
    return hasattr(obj, "_keras_config") or hasattr(obj, "get_config")


def serialize_loss(loss):
    if loss is None:
        return None
    if isinstance(loss, dict):
        return {k: serialize_loss(v) for k, v in loss.items()}
    if isinstance(loss, (list, tuple)):
        return [serialize_loss(v) for v in loss]
    if callable(loss) and not _is_builtin(loss):
        return _function_entry("loss", loss)
    subclass_call = _subclass_loss_call(loss)
    if subclass_call is not None:
        return register_function("loss", subclass_call, subclass_call.__name__)
    return serialize(loss)


def _subclass_loss_call(loss):
    """A `keras.losses.Loss` subclass written in Python (Keras: its `call(y_true, y_pred)` gives
    the per-sample values the reduction averages): its `call` as a loss function named as the
    loss (`name=`), kept on the object so that compiling again finds it registered; None for
    any other loss."""
    from .losses import Loss
    own_call = getattr(type(loss), "call", None)   # (not Loss.call: a built-in's values)
    if not isinstance(loss, Loss) or not callable(loss.__dict__.get("call") or
                                                  (None if own_call is Loss.call else own_call)):
        return None
    fn = loss.__dict__.get("_call_as_function")
    if fn is None:
        def fn(y_true, y_pred):
            return loss.call(y_true, y_pred)
        fn.__name__ = loss.name
        # Keras's Loss.__call__ reduces `call`'s values as the object's `reduction` says, and
        # (unlike a function's wrapper) does not match the ranks of y_true and y_pred first: the
        # traced form of the compiled loss (_custom_steps.python_loss_values) reads these.
        fn._loss_object = loss
        loss.__dict__["_call_as_function"] = fn
    return fn


def _function_entry(kind, fn):
    """The compile entry of a loss or metric given as a function, as the library reads it: a
    registered one by its registered name ('package>name', found by its bare name too); any
    other by its module and name, registered as 'module>name' (the library's
    ObjectRegistry.lookupFunction), so that using a function puts no bare name in the library's
    registry (a user's `mse` leaves `loss="mse"` to the built-in in every other compile, as
    Keras's). Keras writes every function's module as 'builtins' (_objects.keras_form)."""
    registered = getattr(fn, "_registered_name", None)
    if isinstance(registered, str):
        return {"module": "builtins", "class_name": "function",
                "config": register_function(kind, fn, registered), "registered_name": "function"}
    module, _, name = register_function(kind, fn).partition(">")
    return {"module": module, "class_name": "function", "config": name,
            "registered_name": "function"}


def function_of_entry(kind, entry):
    """The Python function registered for a compile entry (_function_entry's, or a name), or
    None."""
    if isinstance(entry, dict) and entry.get("class_name") == "function":
        module, entry = entry.get("module"), entry.get("config")
        if isinstance(entry, str) and module not in (None, "builtins"):
            found = _by_module.get((kind, f"{module}>{entry}"))
            return None if found is None else found[0]
    found = _registered.get((kind, entry)) if isinstance(entry, str) else None
    return None if found is None else found[0]


def _registered_function_name(fn):
    """Keras's name of a function in configs: 'package>name' when registered, else its own."""
    registered = getattr(fn, "_registered_name", None)
    return registered if isinstance(registered, str) else name_of_function(fn)


def serialize_metrics(metrics):
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {k: serialize_metrics(v) for k, v in metrics.items()}
    if isinstance(metrics, (list, tuple)):
        return [serialize_metrics(m) for m in metrics]
    if callable(metrics) and not _is_builtin(metrics) and not isinstance(metrics, type):
        return _function_entry("metric", metrics)
    return serialize(metrics)


def register_scope_objects():
    """Before the library reads a config: every custom object in scope becomes known to it
    (a function as loss, metric and activation, since a config names it in any of these;
    a Layer subclass as a layer class; Keras's MeanMetricWrapper, which a saved compile
    config names and whose function runs here; and Lambda, whose function is Python's)."""
    from .metrics import MeanMetricWrapper
    from ._python_metrics import register_class as register_metric_class
    from . import _lambda_layer
    register_metric_class(MeanMetricWrapper)
    _lambda_layer.register()   # (Keras's Lambda entries name a Python function)
    objects = custom_objects_in_scope()
    if not objects:   # every fit of a new model asks
        return
    from ._python_layers import register_layer_class
    from .layers import Layer
    from .metrics import Metric
    from .optimizers import LearningRateSchedule, _written_in_python
    from .regularizers import Regularizer
    from ._traced_regularizers import is_traced_class, register_class as register_regularizer_class
    for name, obj in objects.items():
        if isinstance(obj, type) and issubclass(obj, Layer):
            if is_package_alias(name, obj):
                # The plain-name alias of a 'package>Name' class: the library finds a bare name
                # through its package name, and the alias must not take the name from another
                # class of the same name in use (its own entry registers it).
                continue
            register_layer_class(obj, name)
        elif isinstance(obj, type) and issubclass(obj, Regularizer) and is_traced_class(obj):
            register_regularizer_class(obj, name)   # a Regularizer subclass written in Python
        elif isinstance(obj, type) and issubclass(obj, Metric) and obj.__module__ != Metric.__module__:
            register_metric_class(obj, name)   # a Metric subclass written in Python
        elif isinstance(obj, type) and issubclass(obj, LearningRateSchedule) and \
                _written_in_python(obj):
            # a schedule written in Python, under its registered name ('package>Name', which
            # the library finds by its bare name too: not under the plain-name alias)
            if not is_package_alias(name, obj):
                register_regularizer_class(obj, name, "schedule")
        elif callable(obj) and not isinstance(obj, type) and not _is_builtin(obj):
            for kind in ("loss", "metric", "activation"):
                if _lib.has(f"keras_register_{kind}"):
                    register_function(kind, obj, name)
            for kind in ("loss", "metric"):
                if _lib.has(f"keras_register_{kind}") and _registered_function_name(obj) != name_of_function(obj):
                    # A saved compile config names a loss or metric function as Keras does, 'package>name'.
                    register_function(kind, obj, _registered_function_name(obj))
