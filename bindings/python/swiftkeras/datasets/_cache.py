"""Keras's dataset cache (~/.keras/datasets, or $KERAS_HOME/datasets). swiftkeras reads the
files real Keras downloads there; it does not download them itself."""

import os
from pathlib import Path

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def cache_dir() -> Path:
    home = os.environ.get("KERAS_HOME")
    base = Path(home) if home else Path(os.path.expanduser("~")) / ".keras"
    return base / "datasets"


def cached_file(name: str, origin: str | None = None) -> Path:
    path = Path(name) if os.path.isabs(name) else cache_dir() / name
    if not path.exists():
        url = origin or ORIGIN + Path(name).name
        raise FileNotFoundError(
            f"{path} is not there: swiftkeras reads the Keras dataset cache but does not "
            f"download. Fetch it once with real Keras (keras.datasets...load_data()) or "
            f"download {url} to {path}.")
    return path
