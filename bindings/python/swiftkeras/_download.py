"""Keras `keras.utils.get_file`: downloads a file into the Keras cache (`~/.keras/<subdir>`,
or `$KERAS_HOME`) with a progress bar, checks its hash, reuses a cached copy whose hash
matches, and extracts tar/zip archives; `hash_file` / `validate_file` as in Keras."""

from __future__ import annotations

import os

from ._file_utils import Progbar

# hashlib, tarfile, tempfile, urllib and zipfile are imported where they are used: together
# (ssl and libcrypto behind urllib.request and hashlib) they add ~8 MiB to every process that
# imports swiftkeras, and most never download a file.


def keras_home():
    home = os.environ.get("KERAS_HOME")
    return home if home else os.path.join(os.path.expanduser("~"), ".keras")


def _hasher(algorithm, file_hash=None):
    import hashlib
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None
                                 and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of a file (sha256 or md5). Keras: `keras.utils.hash_file`."""
    hasher = algorithm if not isinstance(algorithm, str) else _hasher(algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether a file's hash is `file_hash`. Keras: `keras.utils.validate_file`."""
    return str(hash_file(fpath, _hasher(algorithm, file_hash), chunk_size)) == str(file_hash)


def _extract(path, target, archive_format):
    import tarfile
    import zipfile
    formats = {"auto": ("tar", "zip"), None: ()}.get(archive_format, (archive_format,)) \
        if not isinstance(archive_format, (list, tuple)) else tuple(archive_format)
    for kind in formats:
        opener, valid = (tarfile.open, tarfile.is_tarfile) if kind == "tar" else \
            (zipfile.ZipFile, zipfile.is_zipfile)
        if valid(path):
            with opener(path) as archive:
                try:    # Python 3.12+ (and 3.11.4+): no links or paths outside `target`
                    archive.extractall(target, filter="data") if kind == "tar" else \
                        archive.extractall(target)
                except TypeError:
                    archive.extractall(target)
            return True
    return False


class _Progress:
    """urlretrieve's report hook drawing a Progbar, as Keras's."""

    def __init__(self):
        self.bar, self.finished = None, False

    def __call__(self, block, block_size, total):
        total = None if total == -1 else total
        if self.bar is None:
            self.bar = Progbar(total)
        current = block * block_size
        if total is None or current < total:
            self.bar.update(current)
        elif not self.finished:
            self.bar.update(total)
            self.finished = True


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """The local path of `origin`, downloaded into the cache unless a copy with the right
    hash is there (extracted folder for `extract=True`). Keras: `keras.utils.get_file`."""
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    import tempfile
    import urllib.error
    import urllib.parse
    import urllib.request
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    if not os.access(base, os.W_OK):  # as Keras: also when it does not exist yet
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    given = os.fspath(fname) if fname is not None else None
    name = given or os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'."
                         f"Please specify the `fname` argument.")
    if given and os.sep in name:
        raise ValueError(f"Paths are no longer accepted as the `fname` argument. To specify "
                         f"the file's parent directory, use the `cache_dir` argument. "
                         f"Received: fname={name}")
    if extract or untar:
        if given and "." in name:
            target = os.path.join(datadir, name)
            extraction_dir = os.path.join(datadir, f"{name[:name.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, name)
            target = os.path.join(datadir, f"{name}_archive")
    else:
        target = os.path.join(datadir, name)
    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and \
            not validate_file(target, file_hash, hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because the "
              f"{hash_algorithm} file hash does not match the original value of {file_hash} "
              f"so we will re-download the data.")
        download = True
    if download:
        print(f"Downloading data from {origin}")
        try:
            try:
                urllib.request.urlretrieve(origin, target, _Progress())
            except urllib.error.HTTPError as e:
                raise Exception(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
            except urllib.error.URLError as e:
                raise Exception(f"URL fetch failure on {origin}: {e.errno} -- {e.reason}") from e
        except (Exception, KeyboardInterrupt):
            if os.path.exists(target):
                os.remove(target)
            raise
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            raise ValueError(f"Incomplete or corrupted file detected. The {hash_algorithm} file "
                             f"hash does not match the provided value of {file_hash}.")
    if extract or untar:
        if not _extract(target, extraction_dir, "tar" if untar else archive_format):
            import warnings
            warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return target
