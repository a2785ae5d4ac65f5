"""Reuters newswires as word-index sequences with 46 topic labels, downloaded into the Keras
cache. Keras: `keras.datasets.reuters.load_data` / `get_word_index` / `get_label_names`."""

import numpy as np

from .._download import get_file
from . import _sequences
from ._cache import ORIGIN


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """`(x_train, y_train), (x_test, y_test)`: the newswires shuffled with `seed`, re-indexed
    as IMDB's are, the last `test_split` of them for testing."""
    f = _sequences.load_npz(get_file(
        fname=path, origin=f"{ORIGIN}reuters.npz",
        file_hash="d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"))
    xs, labels = _sequences.shuffled(np.random.RandomState(seed), f["x"], f["y"])
    xs = _sequences.offset(xs, start_char, index_from)
    if maxlen:
        xs, labels = _sequences.shorter_than(maxlen, xs, labels)
    xs = _sequences.vocabulary_cut(xs, num_words, skip_top, oov_char)
    n = int(len(xs) * (1 - test_split))
    return ((np.array(xs[:n], dtype="object"), np.array(labels[:n])),
            (np.array(xs[n:], dtype="object"), np.array(labels[n:])))


def get_word_index(path="reuters_word_index.json"):
    """The word -> index dict (before `index_from` is added)."""
    return _sequences.word_index(get_file, path, f"{ORIGIN}reuters_word_index.json",
                                 "4d44cc38712099c9e383dc6e5f11a921")


def get_label_names():
    """The topic of each label index."""
    return (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
    )
