"""Callbacks (Keras `keras.callbacks`).

Built-in callbacks (EarlyStopping, ModelCheckpoint, CSVLogger, TerminateOnNaN,
ReduceLROnPlateau, ...) run in the library; their arguments travel as Keras configs. A Python
loop (a `train_step` override's fit, a hand-driven CallbackList) fires them in the library too.
Subclass `Callback` to write one in Python: any hook, `self.model`, `self.params`, and
`self.model.stop_training = True` to end fit after the current step.
"""

import numpy as np

from . import _lib
from ._file_utils import print_msg
from ._objects import KerasObject, make_class
from ._plugins import PythonCallback
from .models import History, _flush_library_output


class Callback(PythonCallback):
    """Base of callbacks written in Python. Keras: `keras.callbacks.Callback`."""


class LambdaCallback(Callback):
    """Keras: `keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ...)`."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 on_batch_begin=None, on_batch_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin or on_batch_begin,
                     on_train_batch_end=on_train_batch_end or on_batch_end, **kwargs)
        self._hooks = {k: v for k, v in hooks.items() if v is not None}
        for name, fn in self._hooks.items():
            setattr(self, name, fn)

    def _overrides(self, hook):
        return hook in self._hooks


class LearningRateScheduler(Callback):
    """Keras: `keras.callbacks.LearningRateScheduler(schedule, verbose=0)`. At the start of each
    epoch the optimizer's learning rate becomes `schedule(epoch, lr)` (or `schedule(epoch)`,
    Keras's older form); `learning_rate` is added to the epoch logs and so to the History."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _next_rate(self, epoch, learning_rate):
        try:
            learning_rate = self.schedule(epoch, learning_rate)
        except TypeError:  # Keras's support for schedule(epoch)
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. "
                             f"Got: {learning_rate}")
        return float(learning_rate)

    def on_epoch_begin(self, epoch, logs=None):
        learning_rate = self._next_rate(epoch, self.model._learning_rate())
        self.model._set_learning_rate(learning_rate)
        if self.verbose > 0:
            _flush_library_output()
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                      f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model._learning_rate()


class BuiltinCallback(KerasObject):
    """A callback the library runs, known by its Keras class name and arguments."""
    kind = "callback"

    def _required_arguments(self) -> tuple:
        from .metrics import _required_of
        return _required_of(_library_callbacks().get(type(self).__dict__.get("class_name"), {}))

    def set_model(self, model):
        """Keras's `set_model`: `callback.model` is the model it was last run on (fit sets it),
        held weakly so that the callback, an estimator's argument, copies and pickles alone."""
        import weakref
        self.__dict__["_model_ref"] = weakref.ref(model)

    def set_params(self, params):
        self.__dict__["params"] = params

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("_model_ref", "_live_handle")}

    # ---- Keras's attributes of the fit's state (EarlyStopping.stopped_epoch, best, ...) ----

    def _follow_fit(self, handle):
        self.__dict__["_live_handle"] = handle

    def _end_fit(self, handle, model):
        """Keeps the state the fit left (keras_callback_state); EarlyStopping's `best_weights`
        are those it restored: the model's weights now."""
        self.__dict__.pop("_live_handle", None)
        try:
            state = _callback_state(handle)
        except Exception:  # noqa: BLE001 — the fit's own error, if any, is the one to see
            return
        if state.pop("has_best_weights", False):
            state["best_weights"] = model.get_weights()
        self.__dict__["_last_fit_state"] = state

    def _fit_state(self):
        live = self.__dict__.get("_live_handle")
        if live is not None:   # read during the fit (from another callback's hook)
            state = _callback_state(live)
        else:
            state = self.__dict__.get("_last_fit_state")
            if state is not None:
                return state
            import ctypes   # before any fit: a fresh callback's
            from ._native import check, dumps
            from ._objects import serialize
            config, h = serialize(self), ctypes.c_void_p()
            check(_lib.keras_callback_from_config(config["class_name"].encode(),
                                                  dumps(config.get("config", {})), ctypes.byref(h)))
            try:
                state = _callback_state(h.value)
            finally:
                _lib.keras_callback_free(h.value)
        if "has_best_weights" in state:   # (the model's weights once the fit restored them)
            state.pop("has_best_weights")
            state["best_weights"] = None
        return state

    def __getattr__(self, name):
        if name == "model":   # None before a fit sets it, as in Keras
            ref = self.__dict__.get("_model_ref")
            return ref() if ref is not None else None
        if name == "params":
            return None
        if name in _STATE_ATTRIBUTES.get(type(self).__dict__.get("class_name"), ()):
            return self._fit_state().get(name)
        # Keras's attributes of the callback are its arguments, the defaults included
        # (`EarlyStopping(patience=2).monitor`): the library's catalogue has them
        if not name.startswith("_") and name not in self.__dict__.get("_config", {}):
            entry = _library_callbacks().get(type(self).__dict__.get("class_name"), {})
            for arg in entry.get("args", []):
                if arg.get("name") == name and "default" in arg:
                    return arg["default"]
        return super().__getattr__(name)


# The attributes of a built-in callback's fit state (keras_callback_state), by class.
_STATE_ATTRIBUTES = {
    "EarlyStopping": ("wait", "stopped_epoch", "best", "best_epoch", "best_weights"),
    "ReduceLROnPlateau": ("wait", "best", "cooldown_counter"),
    "ModelCheckpoint": ("best",),
}


def _callback_state(handle):
    from ._native import take_json
    return take_json(_lib.keras_callback_state, handle)


class CallbackList(Callback):
    """Keras: `keras.callbacks.CallbackList(callbacks=None, add_history=False, add_progbar=False,
    model=None, **params)`. Passed to fit/evaluate/predict, its callbacks run in order (the
    library runs the built-in ones); called by hand (a custom training loop), each hook calls
    every callback's hook in order (the built-in ones fired in the library, on `model`), and
    `History` records the epoch logs when `add_history`."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks.callbacks if isinstance(callbacks, CallbackList) else callbacks or [])
        self._history = None
        if add_history and not any(isinstance(c, _RecordingHistory) for c in self.callbacks):
            self._history = _RecordingHistory()
            self.callbacks.append(self._history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)
        self._driven = None

    def set_model(self, model):
        super().set_model(model)
        self._driven = None   # the library's callbacks bind to the new model at the next hook
        for c in self._python_callbacks():
            c.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for c in self._python_callbacks():
            c.set_params(params)

    def __iter__(self):
        """The callbacks, nested lists flattened (what fit hands to the library)."""
        for c in self.callbacks:
            if isinstance(c, CallbackList):
                yield from c
            else:
                yield c

    def _python_callbacks(self):
        return [c for c in self if isinstance(c, PythonCallback)]

    def _calls(self, hook):
        """Whether any of its callbacks does something in `hook` (a loop that calls the hook at
        each batch skips it, and the logs it would make for it, when none does)."""
        return any(not isinstance(c, PythonCallback) or c._overrides(hook) for c in self)

    def _dispatch(self, hook, *args):
        driven = self.__dict__.get("_driven")
        if driven is None:
            library_run = [c for c in self if not isinstance(c, PythonCallback)]
            if library_run and getattr(self.model, "_ensure_handle", None) is None:
                raise ValueError(
                    f"CallbackList.{hook}: {type(library_run[0]).__name__} runs in the library, "
                    f"on a model: give the list one (CallbackList(callbacks, model=model))")
            # The library's callbacks fire in the library, in their place among the others.
            driven = library_callbacks(list(self), self.model, self.params) if library_run \
                else self._python_callbacks()
            self._driven = driven
        for c in driven:
            getattr(c, hook)(*args)


def _hook(name, indexed):
    # As Keras's CallbackList: the callbacks share one copy of the logs (what one adds, such as
    # ReduceLROnPlateau's learning_rate, the next ones and the History see), not the caller's.
    if indexed:
        def hook(self, index, logs=None):
            self._dispatch(name, index, dict(logs) if logs is not None else {})
    else:
        def hook(self, logs=None):
            self._dispatch(name, dict(logs) if logs is not None else {})
    hook.__name__ = name
    return hook


for _h in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
           "on_predict_end"):
    setattr(CallbackList, _h, _hook(_h, False))
for _h in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
           "on_batch_begin", "on_batch_end", "on_test_batch_begin", "on_test_batch_end",
           "on_predict_batch_begin", "on_predict_batch_end"):
    setattr(CallbackList, _h, _hook(_h, True))


class _LibraryCallbacks(Callback):
    """Built-in callbacks (the library's EarlyStopping, ModelCheckpoint, ...) fired from a Python
    training loop (fit with a `train_step` override): each hook fires theirs in the library
    (keras_model_callbacks_begin / keras_callback_run_event) with the logs the loop computed, and
    they act on the model as in the library's fit: `stop_training`, the learning rate, restored
    or saved weights, figures added to an epoch's logs, the epoch BackupAndRestore resumes from.
    `close()` frees them (their files closed)."""

    def __init__(self, callbacks, model, params):
        super().__init__()
        from ._objects import serialize
        from ._native import check, dumps
        import ctypes
        self._builtin = list(callbacks)
        self._run = None
        handles = []
        try:
            for cb in self._builtin:
                config = serialize(cb)
                if not isinstance(config, dict) or "class_name" not in config:
                    raise TypeError(f"callbacks: {cb!r} is not a Keras callback")
                h = ctypes.c_void_p()
                check(_lib.keras_callback_from_config(config["class_name"].encode(),
                                                      dumps(config.get("config", {})), ctypes.byref(h)))
                handles.append(h.value)
            array = (ctypes.c_void_p * max(len(handles), 1))(*handles)
            wants, run = ctypes.c_int32(), ctypes.c_void_p()
            given = {k: int(v) for k, v in params.items() if k in ("epochs", "steps", "verbose")
                     and v is not None}
            check(_lib.keras_model_callbacks_begin(model._ensure_handle(), array, len(handles),
                                                   dumps(given), ctypes.byref(wants), ctypes.byref(run)))
            self._run, self._batch_hooks = run.value, bool(wants.value)
        except BaseException:
            for h in handles:
                _lib.keras_callback_free(h)
            raise
        # Kept until close: each reports its callback's state (keras_callback_state), read
        # live during the loop and kept on the Python object after it.
        self._handles = list(zip(self._builtin, handles))
        for cb, h in self._handles:
            if hasattr(type(cb), "_follow_fit") and params.get("epochs") is not None:
                cb._follow_fit(h)   # (a fit's: an evaluate leaves a callback's state as it was)
        self.set_model(model)

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_test_begin",
              "on_test_end", "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
              "on_test_batch_end")

    def _overrides(self, hook):
        return hook in self._HOOKS and (self._batch_hooks or "batch" not in hook)

    def close(self):
        handles, self._handles = getattr(self, "_handles", []), []
        for cb, h in handles:
            if cb.__dict__.get("_live_handle") == h:
                cb._end_fit(h, self.model)
            _lib.keras_callback_free(h)
        if getattr(self, "_run", None) is not None:
            _lib.keras_callback_run_free(self._run)
            self._run = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 — at interpreter exit the library may be gone
            pass

    def _fire(self, event, index, logs):
        import json
        from ._native import dumps, take_string
        if self._run is None:
            raise RuntimeError(f"{[type(c).__name__ for c in self._builtin]}: these callbacks were "
                               f"closed at the end of their fit")
        sent = {}
        for k, v in (logs or {}).items():
            value = np.asarray(v) if v is not None else np.asarray(np.nan)
            if value.dtype.kind in "fiub" and value.size:
                sent[k] = float(value.mean())   # a per-class metric: its mean, as the library's fit
        text = take_string(_lib.keras_callback_run_event, self._run, int(event), int(index),
                           dumps({k: (None if v != v else v) for k, v in sent.items()}))
        _flush_library_output()
        result = json.loads(text)
        if result.get("stop_training"):
            self.model._stop_training = True
        if logs is not None:
            for k, v in result.get("logs", {}).items():
                v = float("nan") if v is None else v
                if k not in sent or (sent[k] != v and not (v != v and sent[k] != sent[k])):
                    logs[k] = v
        return result

    def on_train_begin(self, logs=None):
        result = self._fire(_lib.KERAS_TRAIN_BEGIN, -1, logs)
        if result.get("initial_epoch"):
            self.model._resume_epoch = int(result["initial_epoch"])

    def on_train_end(self, logs=None):
        self._fire(_lib.KERAS_TRAIN_END, -1, logs)


def _library_hook(name, event, indexed):
    if "batch" in name:
        def hook(self, index, logs=None):
            if self._batch_hooks:   # else no crossing per batch
                self._fire(getattr(_lib, event), index, logs)
    elif indexed:
        def hook(self, index, logs=None):
            self._fire(getattr(_lib, event), index, logs)
    else:
        def hook(self, logs=None):
            self._fire(getattr(_lib, event), -1, logs)
    hook.__name__ = name
    return hook


for _h, _e, _i in (("on_epoch_begin", "KERAS_EPOCH_BEGIN", True), ("on_epoch_end", "KERAS_EPOCH_END", True),
                   ("on_train_batch_begin", "KERAS_TRAIN_BATCH_BEGIN", True),
                   ("on_train_batch_end", "KERAS_TRAIN_BATCH_END", True),
                   ("on_test_begin", "KERAS_TEST_BEGIN", False), ("on_test_end", "KERAS_TEST_END", False),
                   ("on_test_batch_begin", "KERAS_TEST_BATCH_BEGIN", True),
                   ("on_test_batch_end", "KERAS_TEST_BATCH_END", True)):
    setattr(_LibraryCallbacks, _h, _library_hook(_h, _e, _i))


def library_callbacks(callbacks, model, params):
    """`callbacks` with each run of consecutive built-in ones replaced by one _LibraryCallbacks
    (the order of every hook kept): what a Python training loop fires."""
    out, run = [], []
    try:
        for cb in list(callbacks) + [None]:
            if cb is not None and not isinstance(cb, PythonCallback):
                run.append(cb)
                continue
            if run:
                out.append(_LibraryCallbacks(run, model, params))
                run = []
            if cb is not None:
                out.append(cb)
    except BaseException:
        for c in out:
            if isinstance(c, _LibraryCallbacks):
                c.close()
        raise
    return out


class _EveryMetric(set):
    """Keras 3's progress bar shows each figure as given (no metric is averaged again)."""

    def __contains__(self, name):
        return True


class ProgbarLogger(Callback):
    """Keras: `keras.callbacks.ProgbarLogger()`: the progress bar of a hand-driven loop
    (`CallbackList(add_progbar=True)`), its verbose, epochs and steps from `set_params`. In
    fit/evaluate/predict the library draws the bar (`verbose=`), so this one is not run there."""

    def __init__(self):
        super().__init__()
        self.verbose, self.epochs, self.target = 1, 1, None
        self._in_fit, self._bar, self._seen = False, None, 0

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _start(self):
        from ._file_utils import Progbar
        self._seen = 0
        self._bar = Progbar(self.target, verbose=self.verbose)
        self._bar.stateful_metrics = _EveryMetric()

    def _update(self, batch, logs):
        if self._bar is None:
            self._start()
        self._seen = batch + 1
        if self.verbose == 1:
            self._bar.update(self._seen, list((logs or {}).items()), finalize=False)

    def _finish(self, logs):
        if self._bar is None:
            self._start()
        if self.target is None:
            self.target = self._bar.target = self._seen
        self._bar.update(self.target, list((logs or {}).items()), finalize=True)

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        self._start()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._start()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._start()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finish(None)


class _RecordingHistory(Callback):
    """The History a hand-driven CallbackList(add_history=True) fills: `history.history["loss"]`."""

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


def _library_callbacks():
    """{class name: catalogue entry} of the callbacks the library builds from arguments."""
    from ._catalog import builtin_objects
    return builtin_objects("callbacks")


# Built-in callbacks as the library's catalogue lists them, every argument positional in
# Keras's order (nothing listed here that the library cannot build).
_BUILTINS = {}
for _n, _entry in _library_callbacks().items():
    _BUILTINS[_n] = tuple(a["name"] for a in _entry.get("args", []))
    globals()[_n] = make_class(BuiltinCallback, _n, _BUILTINS[_n], module=__name__)


__all__ = ["Callback", "CallbackList", "ProgbarLogger", "LambdaCallback", "LearningRateScheduler", "History"] + list(_BUILTINS)
