"""Keras 2's serialization form, kept by Keras 3 as `keras.legacy.saving` (the functions of
`keras.utils.legacy`)."""

from . import _legacy_serialization
from .utils import _public_module

saving = _public_module(__name__ + ".saving", _legacy_serialization)

__all__ = ["saving"]
