"""Keras `keras.preprocessing`: the dataset utilities under their preprocessing names."""

from ..utils import (image_dataset_from_directory, text_dataset_from_directory,  # noqa: F401
                     timeseries_dataset_from_array)
from . import image, sequence  # noqa: F401

__all__ = ["image", "sequence", "image_dataset_from_directory", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
