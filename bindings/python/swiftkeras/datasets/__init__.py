"""Keras's built-in data sets, read from the Keras cache (~/.keras/datasets)."""

from . import boston_housing, california_housing, cifar10, fashion_mnist, mnist

__all__ = ["boston_housing", "california_housing", "cifar10", "fashion_mnist", "mnist"]
