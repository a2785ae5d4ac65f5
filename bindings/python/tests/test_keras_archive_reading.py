"""How the members of a `.keras` zip are read. A stored member (Keras writes every member
stored) is read in one piece straight from the file and its CRC-32 checked, as Python's
`zipfile`, Keras's reader, checks it; HDF5 reads the weights member in place. A compressed
member (a zip rewritten with deflate, which Keras also reads) is inflated instead."""
import struct
import zipfile

import numpy as np
import pytest


def _saved(tmp_path):
    import swiftkeras as keras
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(7, activation="relu"),
                              keras.layers.Dense(3)])
    path = tmp_path / "m.keras"
    model.save(path)
    return model, path


def _data_offset(path, name):
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    head = path.read_bytes()[info.header_offset:info.header_offset + 30]
    name_length, extra_length = struct.unpack("<HH", head[26:30])
    return info.header_offset + 30 + name_length + extra_length, info.file_size


def test_a_changed_byte_in_the_weights_member_is_refused_as_zipfile_refuses_it(tmp_path):
    import swiftkeras as keras
    model, path = _saved(tmp_path)
    start, size = _data_offset(path, "model.weights.h5")
    data = bytearray(path.read_bytes())
    data[start + size // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive, pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
        archive.read("model.weights.h5")
    with pytest.raises(Exception, match=r"member 'model.weights.h5' fails its CRC-32 check"):
        keras.saving.load_model(path)
    with pytest.raises(Exception, match=r"member 'model.weights.h5' fails its CRC-32 check"):
        model.load_weights(path)


def test_weights_read_in_place_stay_the_models_after_the_file_is_gone(tmp_path):
    import gc
    import swiftkeras as keras
    model, path = _saved(tmp_path)
    loaded = keras.saving.load_model(path)
    other = keras.models.clone_model(model)
    other.load_weights(path)
    path.unlink()
    gc.collect()
    x = np.random.default_rng(1).normal(size=(4, 6)).astype("float32")
    for m in (loaded, other):
        for got, want in zip(m.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(m.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_deflated_archive_loads_the_same_weights(tmp_path):
    import swiftkeras as keras
    model, path = _saved(tmp_path)
    deflated = tmp_path / "deflated.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info.filename))
    with zipfile.ZipFile(deflated) as archive:
        assert archive.getinfo("model.weights.h5").compress_type == zipfile.ZIP_DEFLATED
    for got, want in zip(keras.saving.load_model(deflated).get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
