"""Global settings (Keras 3: `keras.config`), the same settings as `keras.backend`'s: one
module-level value each, kept in `backend`."""

from .backend import (backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                      set_image_data_format)

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format"]
