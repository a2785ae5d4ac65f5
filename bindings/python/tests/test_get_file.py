"""keras.utils.get_file against an HTTP server on 127.0.0.1 that the test starts: cache
layout, progress bar, hash checks (sha256 and md5), re-download of a stale copy, extraction;
paths compared with what real Keras's get_file returns for the same arguments."""

import hashlib
import io
import os
import tarfile

import pytest

import swiftkeras as sk
from conftest import local_http_server, real_keras


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "data.bin").write_bytes(b"swiftkeras" * 1000)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("inner/hello.txt")
        payload = b"hello"
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    (root / "pack.tar.gz").write_bytes(buf.getvalue())
    with local_http_server(root) as url:
        yield url, root


def test_get_file_downloads_checks_and_caches(server, tmp_path, capsys):
    url, root = server
    sha = hashlib.sha256((root / "data.bin").read_bytes()).hexdigest()
    md5 = hashlib.md5((root / "data.bin").read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    cache.mkdir()                 # Keras falls back to /tmp/.keras for a cache_dir not there
    path = sk.utils.get_file(origin=f"{url}/data.bin", file_hash=sha, cache_dir=cache)
    assert path == os.path.join(cache, "datasets", "data.bin")
    assert open(path, "rb").read() == (root / "data.bin").read_bytes()
    out = capsys.readouterr().out
    assert f"Downloading data from {url}/data.bin" in out and "10000/10000" in out
    (root / "data.bin").unlink()                       # cached: no second download
    assert sk.utils.get_file("data.bin", f"{url}/data.bin", md5_hash=md5, cache_dir=cache) == path
    assert sk.utils.hash_file(path) == sha and sk.utils.validate_file(path, md5)
    with open(path, "ab") as f:                        # stale copy: fetched again, and now gone
        f.write(b"x")
    with pytest.raises(Exception, match="URL fetch failure"):
        sk.utils.get_file("data.bin", f"{url}/data.bin", file_hash=sha, cache_dir=cache)
    assert not os.path.exists(path)
    (root / "data.bin").write_bytes(b"other")
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected"):
        sk.utils.get_file("data.bin", f"{url}/data.bin", file_hash=sha, cache_dir=cache)


def test_get_file_extracts_like_keras(server, tmp_path, monkeypatch):
    url, _ = server
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "ref").mkdir()
    folder = sk.utils.get_file("pack.tar.gz", f"{url}/pack.tar.gz", extract=True,
                               cache_subdir="stuff")
    assert folder == str(tmp_path / "home" / "stuff" / "pack_extracted")
    assert open(os.path.join(folder, "inner", "hello.txt")).read() == "hello"
    keras = real_keras()
    ref = keras.utils.get_file("pack.tar.gz", f"{url}/pack.tar.gz", extract=True,
                               cache_dir=str(tmp_path / "ref"), cache_subdir="stuff")
    assert os.path.relpath(ref, tmp_path / "ref") == os.path.relpath(folder, tmp_path / "home")
    assert sorted(os.listdir(ref)) == sorted(os.listdir(folder))
