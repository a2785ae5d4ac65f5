"""What Keras's data sets share: files read without running arbitrary pickles (IMDB's and
Reuters' .npz of ragged sequences, CIFAR's pickled batches), the shuffle by seed, and the
word-index sets' re-indexing (start mark, offset, length cut, vocabulary cut with an
out-of-vocabulary mark)."""

import io
import pickle
import zipfile

import numpy as np

# The only globals a numpy object array's pickle needs (numpy < 2 and >= 2 spellings), as
# Keras's npz_utils: a tampered file cannot run code through a pickle's __reduce__.
_ALLOWED = frozenset({("numpy", "ndarray"), ("numpy", "dtype"),
                      ("numpy.core.multiarray", "_reconstruct"),
                      ("numpy._core.multiarray", "_reconstruct")})


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain values, nothing else."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to deserialize `{module}.{name}` while loading a "
                                     f"Keras dataset. The file may be corrupted or malicious.")


def _read_member(fp):
    try:
        return np.lib.format.read_array(fp, allow_pickle=False)
    except ValueError:          # an object array: its pickle, read restricted
        fp.seek(0)
        version = np.lib.format.read_magic(fp)
        if version[0] == 1:
            np.lib.format.read_array_header_1_0(fp)
        elif version[0] in (2, 3):
            np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"Unsupported `.npy` file version: {version}.")
        return RestrictedUnpickler(fp).load()


def load_npz(path):
    """The arrays of an .npz file by name, object arrays included."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[:-len(".npy")]] = _read_member(io.BytesIO(raw.read()))
    return arrays


def load_batch(path, label_key="labels"):
    """A CIFAR batch file: (images as (n, 3, 32, 32) uint8, labels)."""
    with open(path, "rb") as f:
        d = {k.decode("utf8"): v for k, v in RestrictedUnpickler(f, encoding="bytes").load().items()}
    data = np.asarray(d["data"])
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def shuffled(rng, *arrays):
    """The arrays in one permutation drawn from `rng` (Keras's order for a seed)."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [a[indices] for a in arrays]


def offset(xs, start_char, index_from):
    """Each sequence's word indices moved up by `index_from`, after `start_char` if given."""
    head = [] if start_char is None else [start_char]
    return [head + [w + index_from for w in x] for x in xs]


def shorter_than(maxlen, xs, labels):
    """The sequences (and their labels) shorter than `maxlen`."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def vocabulary_cut(xs, num_words, skip_top, oov_char):
    """Words outside [skip_top, num_words) replaced by `oov_char`, or dropped when it is None;
    `num_words` None or 0 keeps every word."""
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def word_index(get_file, fname, origin, file_hash):
    import json
    with open(get_file(fname, origin=origin, file_hash=file_hash)) as f:
        return json.load(f)
