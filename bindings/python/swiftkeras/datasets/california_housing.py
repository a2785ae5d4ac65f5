"""California housing, downloaded into the Keras cache and split as Keras splits it.
Keras: `keras.datasets.california_housing.load_data(version="large", path, test_split=0.2,
seed=113)`."""

import numpy as np

from .._download import get_file
from ._cache import ORIGIN
from ._sequences import shuffled


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: "
                         f"version={version}")
    path = get_file(path, origin=f"{ORIGIN}california_housing.npz",
                    file_hash="1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f")
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    x, y = shuffled(np.random.RandomState(seed), x, y)
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))
