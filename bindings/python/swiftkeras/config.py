"""Global settings (Keras 3: `keras.config`): floatx, epsilon and the image data format (kept
in `backend`), interactive logging, the debugging caps on fit (max_epochs,
max_steps_per_epoch), the dtype policy (float32: the library computes in float32), and the
settings swiftkeras records for Keras code that sets them (traceback filtering, flash
attention, unsafe deserialization)."""

import os
import warnings

from . import _global_state
from . import backend as _backend
from ._file_utils import (disable_interactive_logging, enable_interactive_logging,  # noqa: F401
                          is_interactive_logging_enabled)
from .dtype_policies import dtype_policy, set_dtype_policy  # noqa: F401
from .backend import (backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                      set_image_data_format)

_MAX_EPOCHS = int(os.environ["KERAS_MAX_EPOCHS"]) if "KERAS_MAX_EPOCHS" in os.environ else None
_MAX_STEPS_PER_EPOCH = int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"]) \
    if "KERAS_MAX_STEPS_PER_EPOCH" in os.environ else None


def set_max_epochs(max_epochs):
    """Caps the epochs of every fit (None: no cap), for quick debugging runs; also read from
    $KERAS_MAX_EPOCHS. Keras: `keras.config.set_max_epochs`."""
    global _MAX_EPOCHS
    _MAX_EPOCHS = max_epochs


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Caps the batches of every fit epoch, validation, evaluate and predict (None: no cap);
    also read from $KERAS_MAX_STEPS_PER_EPOCH. Keras: `keras.config.set_max_steps_per_epoch`."""
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = max_steps_per_epoch


def max_epochs():
    return _MAX_EPOCHS


def max_steps_per_epoch():
    return _MAX_STEPS_PER_EPOCH


def _capped_epochs(epochs):
    """`epochs` under the max_epochs cap, warning as Keras's fit warns when it lowers them."""
    if _MAX_EPOCHS and _MAX_EPOCHS < epochs:
        warnings.warn(f"Limiting epochs to {_MAX_EPOCHS}", stacklevel=3)
        return _MAX_EPOCHS
    return epochs


def _capped_steps(steps):
    """A loop's `steps` (None: all batches) under the max_steps_per_epoch cap, warning as
    Keras's epoch iterator warns when it lowers them."""
    if _MAX_STEPS_PER_EPOCH and (not steps or _MAX_STEPS_PER_EPOCH < steps):
        warnings.warn(f"Limiting steps_per_epoch to {_MAX_STEPS_PER_EPOCH}", stacklevel=3)
        return _MAX_STEPS_PER_EPOCH
    return steps


def enable_traceback_filtering():
    """Recorded for Keras code that sets it; swiftkeras's tracebacks hold no backend frames to
    filter, so they are the same either way. Keras: `keras.config.enable_traceback_filtering`."""
    _global_state.set_global_attribute("traceback_filtering", True)


def disable_traceback_filtering():
    _global_state.set_global_attribute("traceback_filtering", False)


def is_traceback_filtering_enabled():
    return _global_state.get_global_attribute("traceback_filtering", True)


def enable_flash_attention():
    """Recorded as Keras records it (None: flash attention where the backend supports it); the
    library's attention is computed the same way either way. Keras:
    `keras.config.enable_flash_attention`."""
    _global_state.set_global_attribute("flash_attention", None)


def disable_flash_attention():
    _global_state.set_global_attribute("flash_attention", False)


def is_flash_attention_enabled():
    """None (Keras's "use it where supported") unless disabled, then False."""
    return _global_state.get_global_attribute("flash_attention")


def enable_unsafe_deserialization():
    """Keras's global opt-out of safe mode, recorded. Safe mode in Keras refuses to load a
    Python lambda's bytecode; swiftkeras never writes or reads bytecode (a lambda is refused
    when saving), so nothing it loads depends on this. Keras:
    `keras.config.enable_unsafe_deserialization`."""
    _global_state.set_global_attribute("safe_mode_saving", False)


def is_nnx_enabled():
    """False: Flax NNX is a JAX-backend feature. Keras: `keras.config.is_nnx_enabled`."""
    return False


def set_backend(backend):
    """Keras's switch between its backends. swiftkeras has one, its own library ("swiftkeras"):
    asking for it does nothing; any other name is refused, as Keras refuses a backend it cannot
    import (without clearing the loaded modules first)."""
    if backend == _backend.backend():
        return
    raise ValueError(f"Unable to import backend : {backend}. swiftkeras runs on its own library "
                     f"only (keras.config.backend() is 'swiftkeras'); to run on "
                     f"{backend!r}, import real Keras with KERAS_BACKEND={backend}.")


__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format", "enable_interactive_logging", "disable_interactive_logging",
           "is_interactive_logging_enabled", "max_epochs", "set_max_epochs",
           "max_steps_per_epoch", "set_max_steps_per_epoch", "enable_traceback_filtering",
           "disable_traceback_filtering", "is_traceback_filtering_enabled",
           "enable_flash_attention", "disable_flash_attention", "is_flash_attention_enabled",
           "enable_unsafe_deserialization", "is_nnx_enabled", "set_backend", "dtype_policy",
           "set_dtype_policy"]
