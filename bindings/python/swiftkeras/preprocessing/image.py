"""Keras `keras.preprocessing.image`."""

from ..utils import array_to_img, img_to_array, load_img  # noqa: F401

__all__ = ["array_to_img", "img_to_array", "load_img"]
