"""CIFAR-100 (50000 + 10000 32x32 colour images, 100 fine or 20 coarse labels), downloaded
into the Keras cache and extracted. Keras: `keras.datasets.cifar100.load_data(label_mode)`."""

import os

import numpy as np

from .. import backend
from .._download import get_file
from ._sequences import load_batch


def load_data(label_mode="fine"):
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (channels last unless the image
    data format is channels_first) and (n, 1) labels of `label_mode` "fine" or "coarse"."""
    if label_mode not in ["fine", "coarse"]:
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: '
                         f'label_mode={label_mode}.')
    folder = os.path.join(get_file(
        fname="cifar-100-python-target",
        origin="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz", extract=True,
        file_hash="85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"),
        "cifar-100-python")
    x_train, y_train = load_batch(os.path.join(folder, "train"), f"{label_mode}_labels")
    x_test, y_test = load_batch(os.path.join(folder, "test"), f"{label_mode}_labels")
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    if backend.image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
