"""Keras's session settings (keras/src/backend/common/global_state.py): per-thread attributes
(interactive logging, traceback filtering, flash attention, safe mode, the dtype policy) that
`clear_session()` returns to their defaults."""

import threading

_STATE = threading.local()


def set_global_attribute(name, value):
    setattr(_STATE, name, value)


def get_global_attribute(name, default=None):
    value = getattr(_STATE, name, None)
    return default if value is None else value


def clear():
    global _STATE
    _STATE = threading.local()
