"""Keras `keras.preprocessing.sequence`."""

from ..utils import pad_sequences  # noqa: F401

__all__ = ["pad_sequences"]
