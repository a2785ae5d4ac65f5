"""Callbacks (Keras `keras.callbacks`).

Built-in callbacks (EarlyStopping, ModelCheckpoint, CSVLogger, TerminateOnNaN,
ReduceLROnPlateau, ...) run in the library; their arguments travel as Keras configs.
Subclass `Callback` to write one in Python: any hook, `self.model`, `self.params`, and
`self.model.stop_training = True` to end fit after the current step.
"""

import numpy as np

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
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model._learning_rate()


class BuiltinCallback(KerasObject):
    """A callback the library runs, known by its Keras class name and arguments."""
    kind = "callback"


_BUILTINS = {
    "EarlyStopping": ("monitor", "min_delta", "patience", "verbose", "mode", "baseline",
                      "restore_best_weights", "start_from_epoch"),
    "ModelCheckpoint": ("filepath", "monitor", "verbose", "save_best_only", "save_weights_only",
                        "mode", "save_freq", "initial_value_threshold"),
    "CSVLogger": ("filename", "separator", "append"),
    "TerminateOnNaN": (),
    "ReduceLROnPlateau": ("monitor", "factor", "patience", "verbose", "mode", "min_delta",
                          "cooldown", "min_lr"),
    "ProgbarLogger": (),
    "BackupAndRestore": ("backup_dir", "save_freq", "delete_checkpoint"),
}
for _n, _p in _BUILTINS.items():
    globals()[_n] = make_class(BuiltinCallback, _n, _p, module=__name__)


__all__ = ["Callback", "LambdaCallback", "LearningRateScheduler", "History"] + list(_BUILTINS)
