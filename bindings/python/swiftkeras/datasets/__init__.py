"""Keras's built-in data sets in the Keras cache (~/.keras/datasets): imdb, reuters and
cifar100 download into it with get_file; the others read what real Keras downloaded there."""

from . import (boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
               reuters)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb",
           "mnist", "reuters"]
