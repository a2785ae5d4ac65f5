"""keras.datasets' data sets against real Keras's on the same small fake archives, served by an HTTP server on 127.0.0.1 that the test starts: both libraries' get_file
calls are sent there (with the fake file's hash in place of the real one's), and the
arguments they ask for are compared."""

import gzip
import hashlib
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

import swiftkeras as sk
from conftest import local_http_server, real_keras


def _ragged(rows):
    out = np.empty(len(rows), dtype=object)
    for i, r in enumerate(rows):
        out[i] = list(r)
    return out


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    rng = np.random.RandomState(0)
    rows = lambda n: _ragged([rng.randint(1, 40, rng.randint(1, 12)).tolist() for _ in range(n)])
    np.savez(root / "imdb.npz", x_train=rows(20), y_train=rng.randint(0, 2, 20),
             x_test=rows(15), y_test=rng.randint(0, 2, 15))
    np.savez(root / "reuters.npz", x=rows(30), y=rng.randint(0, 46, 30))
    (root / "imdb_word_index.json").write_text(json.dumps({"the": 1, "film": 2}))
    (root / "reuters_word_index.json").write_text(json.dumps({"said": 1}))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for part, n in (("train", 6), ("test", 4)):
            batch = {b"data": rng.randint(0, 256, (n, 3072)).astype(np.uint8),
                     b"fine_labels": rng.randint(0, 100, n).tolist(),
                     b"coarse_labels": rng.randint(0, 20, n).tolist()}
            payload = pickle.dumps(batch)
            info = tarfile.TarInfo(f"cifar-100-python/{part}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    (root / "cifar-100-python.tar.gz").write_bytes(buf.getvalue())
    images = lambda *shape: rng.randint(0, 256, shape).astype(np.uint8)  # noqa: E731
    np.savez(root / "mnist.npz", x_train=images(5, 28, 28), y_train=rng.randint(0, 10, 5),
             x_test=images(2, 28, 28), y_test=rng.randint(0, 10, 2))
    np.savez(root / "boston_housing.npz", x=rng.rand(13, 3), y=rng.rand(13))
    np.savez(root / "california_housing.npz", x=rng.rand(650, 2), y=rng.rand(650))
    for name, header, payload in (("train-labels-idx1-ubyte.gz", 8, images(4)),
                                  ("train-images-idx3-ubyte.gz", 16, images(4, 28, 28)),
                                  ("t10k-labels-idx1-ubyte.gz", 8, images(3)),
                                  ("t10k-images-idx3-ubyte.gz", 16, images(3, 28, 28))):
        (root / name).write_bytes(gzip.compress(bytes(header) + payload.tobytes()))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for part in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            payload = pickle.dumps({b"data": images(2, 3072), b"labels": rng.randint(0, 10, 2).tolist()})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{part}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    (root / "cifar-10-python.tar.gz").write_bytes(buf.getvalue())
    with local_http_server(root) as url:
        yield url, root


def _redirect(monkeypatch, module, get_file, url, root, cache, calls):
    """`module.get_file` sent to the local server, recording the arguments asked for."""
    def local(fname=None, origin=None, file_hash=None, **kwargs):
        calls.append((fname, origin, file_hash, kwargs))
        name = os.path.basename(origin)
        sha = hashlib.sha256((root / name).read_bytes()).hexdigest()
        return get_file(fname, origin=f"{url}/{name}", file_hash=sha, cache_dir=str(cache),
                        **kwargs)
    monkeypatch.setattr(module, "get_file", local)


@pytest.fixture()
def both(server, tmp_path, monkeypatch):
    """(ours, Keras's) dataset modules, each downloading into its own cache."""
    keras = real_keras()
    import importlib
    url, root = server
    calls = {"ours": [], "keras": []}
    names = ("imdb", "reuters", "cifar100", "cifar10", "mnist", "fashion_mnist", "boston_housing",
             "california_housing")
    for side, mods, get_file in (
            ("ours", [getattr(sk.datasets, n) for n in names], sk.utils.get_file),
            ("keras", [importlib.import_module(f"keras.src.datasets.{n}") for n in names],
             keras.utils.get_file)):
        (tmp_path / side).mkdir()
        for mod in mods:
            _redirect(monkeypatch, mod, get_file, url, root, tmp_path / side, calls[side])
    return sk.datasets, keras.datasets, calls


def _same(ours, theirs):
    (a, b), (c, d) = ours
    (e, f), (g, h) = theirs
    for mine, ref in ((a, e), (c, g)):
        assert mine.dtype == ref.dtype and mine.shape == ref.shape
        assert [list(r) for r in mine] == [list(r) for r in ref]
    for mine, ref in ((b, f), (d, h)):
        assert mine.dtype == ref.dtype and mine.tolist() == ref.tolist()


@pytest.mark.parametrize("kwargs", [
    {}, {"num_words": 20, "skip_top": 4}, {"maxlen": 8, "seed": 7},
    {"start_char": None, "oov_char": None, "index_from": 0, "num_words": 25},
    {"start_char": None, "index_from": 2, "skip_top": 10}])
def test_imdb_and_reuters_match_keras(both, kwargs):
    ours, keras, calls = both
    _same(ours.imdb.load_data(**kwargs), keras.imdb.load_data(**kwargs))
    _same(ours.reuters.load_data(**kwargs), keras.reuters.load_data(**kwargs))
    _same(ours.reuters.load_data(test_split=0.5, **kwargs),
          keras.reuters.load_data(test_split=0.5, **kwargs))
    assert calls["ours"] == calls["keras"]


def test_imdb_maxlen_that_keeps_nothing_is_refused_as_in_keras(both):
    ours, keras, _ = both
    with pytest.raises(ValueError, match="no sequence was kept") as theirs:
        keras.imdb.load_data(maxlen=1)
    with pytest.raises(ValueError, match="no sequence was kept") as mine:
        ours.imdb.load_data(maxlen=1)
    assert str(mine.value) == str(theirs.value)


def test_word_indices_and_label_names_match_keras(both):
    ours, keras, calls = both
    assert ours.imdb.get_word_index() == keras.imdb.get_word_index() == {"the": 1, "film": 2}
    assert ours.reuters.get_word_index() == keras.reuters.get_word_index()
    assert ours.reuters.get_label_names() == keras.reuters.get_label_names()
    assert len(ours.reuters.get_label_names()) == 46
    assert calls["ours"] == calls["keras"]


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras(both, label_mode, tmp_path):
    ours, keras, calls = both
    mine, theirs = ours.cifar100.load_data(label_mode), keras.cifar100.load_data(label_mode)
    for m, t in zip(mine[0] + mine[1], theirs[0] + theirs[1]):
        assert m.dtype == t.dtype and m.shape == t.shape and np.array_equal(m, t)
    assert mine[0][0].shape == (6, 32, 32, 3) and mine[1][1].shape == (4, 1)
    assert calls["ours"] == calls["keras"]
    assert sorted(os.listdir(tmp_path / "ours" / "datasets")) == \
        sorted(os.listdir(tmp_path / "keras" / "datasets"))
    with pytest.raises(ValueError, match="label_mode"):
        ours.cifar100.load_data("medium")


def test_a_pickle_that_would_run_code_is_refused(server, tmp_path, monkeypatch):
    url, root = server

    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))
    bad = np.empty(1, dtype=object)
    bad[0] = Evil()
    np.savez(root / "imdb.npz", x_train=bad, y_train=np.zeros(1), x_test=bad, y_test=np.zeros(1))
    calls = []
    _redirect(monkeypatch, sk.datasets.imdb, sk.utils.get_file, url, root, tmp_path, calls)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to deserialize"):
        sk.datasets.imdb.load_data()


@pytest.mark.parametrize("name, kwargs", [
    ("mnist", {}), ("fashion_mnist", {}), ("boston_housing", {}),
    ("boston_housing", {"test_split": 0.5, "seed": 3}), ("california_housing", {}),
    ("california_housing", {"version": "small", "test_split": 0.1})])
def test_array_data_sets_match_keras(both, name, kwargs):
    ours, keras, calls = both
    mine, theirs = getattr(ours, name).load_data(**kwargs), getattr(keras, name).load_data(**kwargs)
    for m, t in zip(mine[0] + mine[1], theirs[0] + theirs[1]):
        assert m.dtype == t.dtype and m.shape == t.shape and np.array_equal(m, t)
    assert calls["ours"] == calls["keras"]


def test_cifar10_reads_keras_extracted_batches(both, tmp_path):
    # Keras's own reader wants 10000 images per batch file: checked against the pickles here
    ours, _, calls = both
    (x_train, y_train), (x_test, y_test) = ours.cifar10.load_data()
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == \
        ((10, 32, 32, 3), (10, 1), (2, 32, 32, 3), (2, 1))
    folder = tmp_path / "ours" / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    with open(folder / "data_batch_2", "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    np.testing.assert_array_equal(x_train[2:4], batch[b"data"].reshape(2, 3, 32, 32).transpose(0, 2, 3, 1))
    assert y_train[2:4, 0].tolist() == batch[b"labels"] and x_train.dtype == np.uint8
    assert calls["ours"][0][:2] == ("cifar-10-batches-py-target",
                                    "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")
