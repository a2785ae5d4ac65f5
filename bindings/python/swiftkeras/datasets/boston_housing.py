"""Boston housing, downloaded into the Keras cache and split as Keras splits it.
Keras: `keras.datasets.boston_housing.load_data(path, test_split=0.2, seed=113)`."""

import numpy as np

from .._download import get_file
from ._cache import ORIGIN
from ._sequences import shuffled


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split}")
    path = get_file(path, origin=f"{ORIGIN}boston_housing.npz",
                    file_hash="f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5")
    with np.load(path, allow_pickle=False) as f:
        x, y = shuffled(np.random.RandomState(seed), f["x"], f["y"])
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))
