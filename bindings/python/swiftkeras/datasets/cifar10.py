"""CIFAR-10 (50000 + 10000 32x32 colour images, 10 labels), downloaded into the Keras cache
and extracted. Keras: `keras.datasets.cifar10.load_data`."""

import os

import numpy as np

from .. import backend
from .._download import get_file
from ._sequences import load_batch


def load_data():
    folder = os.path.join(get_file(
        fname="cifar-10-batches-py-target",
        origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", extract=True,
        file_hash="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
        "cifar-10-batches-py")
    parts = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts]).astype("uint8")
    y_train = np.concatenate([np.asarray(p[1]) for p in parts]).astype("uint8").reshape(-1, 1)
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    x_test, y_test = x_test.astype("uint8"), np.asarray(y_test).astype("uint8").reshape(-1, 1)
    if backend.image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
