"""MNIST digits from Keras's cache file mnist.npz. Keras: `keras.datasets.mnist.load_data`."""

import numpy as np

from ._cache import cached_file


def load_data(path="mnist.npz"):
    with np.load(cached_file(path), allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
