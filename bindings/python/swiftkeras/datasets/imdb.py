"""IMDB movie reviews as word-index sequences with sentiment labels, downloaded into the Keras
cache. Keras: `keras.datasets.imdb.load_data` / `get_word_index`."""

import numpy as np

from .._download import get_file
from . import _sequences
from ._cache import ORIGIN


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """`(x_train, y_train), (x_test, y_test)`: reviews as object arrays of word-index lists
    (the most frequent word is `index_from`, `start_char` marks a start, `oov_char` a word cut
    by `num_words` / `skip_top`), shuffled with `seed`, longer than `maxlen` dropped."""
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    f = _sequences.load_npz(get_file(
        fname=path, origin=f"{ORIGIN}imdb.npz",
        file_hash="69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"))
    rng = np.random.RandomState(seed)
    x_train, labels_train = _sequences.shuffled(rng, f["x_train"], f["y_train"])
    x_test, labels_test = _sequences.shuffled(rng, f["x_test"], f["y_test"])
    x_train = _sequences.offset(x_train, start_char, index_from)
    x_test = _sequences.offset(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _sequences.shorter_than(maxlen, x_train, labels_train)
        x_test, labels_test = _sequences.shorter_than(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                             f"sequence was kept. Increase maxlen.")
    xs = _sequences.vocabulary_cut(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    n = len(x_train)
    return ((np.array(xs[:n], dtype="object"), labels[:n]),
            (np.array(xs[n:], dtype="object"), labels[n:]))


def get_word_index(path="imdb_word_index.json"):
    """The word -> index dict (before `index_from` is added)."""
    return _sequences.word_index(get_file, path, f"{ORIGIN}imdb_word_index.json",
                                 "bfafd718b763782e994055a2d397834f")
