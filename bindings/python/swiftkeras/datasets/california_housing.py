"""California housing from Keras's cache file california_housing.npz, split as Keras splits
it. Keras: `keras.datasets.california_housing.load_data(version="large", path, test_split=0.2,
seed=113)`."""

import numpy as np

from ._cache import cached_file


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: "
                         f"version={version}")
    with np.load(cached_file(path), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x))
    rng.shuffle(indices)
    x, y = x[indices], y[indices]
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))
