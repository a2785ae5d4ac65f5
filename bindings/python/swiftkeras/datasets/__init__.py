"""Keras's built-in data sets, downloaded with get_file into the Keras cache
(~/.keras/datasets, or $KERAS_HOME/datasets) and read as Keras reads them."""

from . import (boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
               reuters)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb",
           "mnist", "reuters"]
