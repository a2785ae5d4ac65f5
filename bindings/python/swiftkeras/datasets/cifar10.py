"""CIFAR-10 from Keras's extracted cache folder cifar-10-batches-py.
Keras: `keras.datasets.cifar10.load_data`."""

import pickle

import numpy as np

from ._cache import cached_file


def _batch(path):
    with open(path, "rb") as f:
        d = pickle.load(f, encoding="bytes")
    labels = d.get(b"labels", d.get("labels"))
    data = d.get(b"data", d.get("data"))
    return np.asarray(data, np.uint8).reshape(-1, 3, 32, 32), np.asarray(labels, np.uint8)


def load_data():
    folder = cached_file("cifar-10-batches-py",
                         "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")
    parts = [_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts]).transpose(0, 2, 3, 1)
    y_train = np.concatenate([p[1] for p in parts]).reshape(-1, 1)
    x_test, y_test = _batch(folder / "test_batch")
    return (x_train, y_train), (x_test.transpose(0, 2, 3, 1), y_test.reshape(-1, 1))
