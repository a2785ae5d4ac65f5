"""Fashion-MNIST from Keras's cache folder fashion-mnist/ (the four .gz files Keras fetches).
Keras: `keras.datasets.fashion_mnist.load_data`."""

import gzip

import numpy as np

from ._cache import cached_file

_FILES = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
          "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]


def load_data():
    paths = [cached_file(f"fashion-mnist/{f}",
                         f"https://storage.googleapis.com/tensorflow/tf-keras-datasets/{f}")
             for f in _FILES]
    with gzip.open(paths[0], "rb") as f:
        y_train = np.frombuffer(f.read(), np.uint8, offset=8)
    with gzip.open(paths[1], "rb") as f:
        x_train = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(y_train), 28, 28)
    with gzip.open(paths[2], "rb") as f:
        y_test = np.frombuffer(f.read(), np.uint8, offset=8)
    with gzip.open(paths[3], "rb") as f:
        x_test = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
