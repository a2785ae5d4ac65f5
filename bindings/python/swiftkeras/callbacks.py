"""Callbacks (Keras `keras.callbacks`).

Built-in callbacks (EarlyStopping, ModelCheckpoint, CSVLogger, TerminateOnNaN,
ReduceLROnPlateau, ...) run in the library; their arguments travel as Keras configs.
Subclass `Callback` to write one in Python: any hook, `self.model`, `self.params`, and
`self.model.stop_training = True` to end fit after the current step.
"""

from ._objects import KerasObject, make_class
from ._plugins import PythonCallback
from .models import History


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


__all__ = ["Callback", "LambdaCallback", "History"] + list(_BUILTINS)
