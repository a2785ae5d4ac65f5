"""Issue 17 from Python: the mistakes that used to kill or hang the interpreter raise the
exception Keras (or Python's `open`) raises, and leave the model and the files intact
(docs/RELIABILITY.md)."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import KerasError, layers
from swiftkeras.callbacks import Callback

pytestmark = needs(*CORE)


def model():
    m = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    return m


def data(n=40):
    x = (np.arange(n * 4, dtype="float32").reshape(n, 4) % 7) / 7
    return x, (np.arange(n, dtype="float32") % 3).reshape(n, 1)


def test_directories_and_symlinks_to_them_are_refused(tmp_path):
    m = model()
    (tmp_path / "saved_dir").mkdir()
    (tmp_path / "x.keras").mkdir()
    os.symlink(tmp_path / "x.keras", tmp_path / "link.keras")
    with pytest.raises(ValueError, match="is a directory"):
        keras.models.load_model(tmp_path / "saved_dir")
    for name in ["x.keras", "link.keras"]:
        with pytest.raises(OSError, match="is a directory"):
            keras.models.load_model(tmp_path / name)
        with pytest.raises(OSError, match="is a directory"):
            m.load_weights(tmp_path / name)
        with pytest.raises(OSError, match="is a directory"):
            m.save(tmp_path / name)
    assert (tmp_path / "x.keras").is_dir() and not any((tmp_path / "x.keras").iterdir())


def test_paths_with_nul_bytes_raise_value_error_as_open_does(tmp_path):
    m = model()
    with pytest.raises(ValueError, match="embedded null byte"):
        open(str(tmp_path / "a\0b.keras"), "wb")
    for call in [lambda p: m.save(p), lambda p: m.save_weights(p + ".weights.h5"),
                 lambda p: m.load_weights(p), lambda p: keras.models.load_model(p)]:
        with pytest.raises(ValueError, match="embedded null byte"):
            call(str(tmp_path / "a\0b.keras"))
    assert list(tmp_path.iterdir()) == []


def test_batch_size_zero_and_near_2_63():
    m = model()
    x, y = data()
    with pytest.raises(ValueError, match="batch_size must be positive, got 0"):
        m.evaluate(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be positive, got 0"):
        m.predict(x, batch_size=0, verbose=0)
    whole = m.evaluate(x, y, batch_size=40, verbose=0)
    assert m.evaluate(x, y, batch_size=2**63 - 1, verbose=0) == whole
    np.testing.assert_array_equal(m.predict(x, batch_size=2**63 - 1, verbose=0), m.predict(x, batch_size=40, verbose=0))
    assert len(m.fit(x, y, batch_size=2**63 - 1, epochs=2, verbose=0).history["loss"]) == 2


def test_steps_per_epoch_beyond_the_data_ends_each_epoch():
    m = model()
    x, y = data()
    steps = []

    class Count(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            steps.append(0)

        def on_train_batch_end(self, batch, logs=None):
            steps[-1] += 1

    h = m.fit(x, y, batch_size=8, epochs=3, steps_per_epoch=2**63 - 1, verbose=0, callbacks=[Count()])
    assert steps == [5, 5, 5] and len(h.history["loss"]) == 3


def test_zero_rows_raise():
    m = model()
    with pytest.raises(ValueError, match="0 samples"):
        m.fit(np.zeros((0, 4), "float32"), np.zeros((0, 1), "float32"), verbose=0)
    with pytest.raises(ValueError, match="0 samples"):
        m.evaluate(np.zeros((0, 4), "float32"), np.zeros((0, 1), "float32"), verbose=0)


def test_a_keras_file_with_two_config_entries_is_refused(tmp_path):
    m = model()
    good = tmp_path / "good.keras"
    m.save(good)
    bad = tmp_path / "twice.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        with pytest.warns(UserWarning, match="Duplicate name"):
            dst.writestr("config.json", src.read("config.json").replace(b'"units": 1', b'"units": 2'))
    with pytest.raises(OSError, match="'config.json' appears twice"):
        keras.models.load_model(bad)
    assert keras.models.load_model(good).count_params() == 5


def test_nan_weights_in_a_file_are_refused(tmp_path):
    h5py = pytest.importorskip("h5py")
    m = model()
    m.save_weights(tmp_path / "nan.weights.h5")
    with h5py.File(tmp_path / "nan.weights.h5", "r+") as f:
        kernels = []
        f.visititems(lambda name, obj: kernels.append(obj) if isinstance(obj, h5py.Dataset) and obj.ndim == 2 else None)
        kernels[0][0, 0] = np.nan
    before = [w.copy() for w in m.get_weights()]
    with pytest.raises(ValueError, match="NaN or infinite"):
        m.load_weights(tmp_path / "nan.weights.h5")
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_callback_cannot_add_a_layer_to_the_model_it_fits():
    m = model()
    x, y = data(8)

    class Grow(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.add(layers.Dense(2))

    with pytest.raises(KerasError, match="while the model is being fit"):
        m.fit(x, y, epochs=2, verbose=0, callbacks=[Grow()])
    assert len(m.get_weights()) == 2


def test_overwrite_false_never_replaces(tmp_path):
    m = model()
    path = tmp_path / "m.keras"
    m.save(path, overwrite=False)
    before = path.read_bytes()
    with pytest.raises(OSError, match="exists and overwrite is false"):
        model().save(path, overwrite=False)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]


def _fresh_interpreter(code, **env_vars):
    env = dict(os.environ, **env_vars,
               PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_the_memory_budget_refuses_a_huge_config_in_a_fresh_interpreter():
    layers_json = ", ".join(['{"class_name": "Dense", "config": {"units": 1000}}'] * 8)
    config = ('{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", '
              '"config": {"batch_shape": [null, 1000]}}, ' + layers_json + ']}}')
    code = ("import swiftkeras as keras\n"
            "try:\n"
            f"    keras.models.model_from_json({config!r})\n"
            "except Exception as e:\n"
            "    print(type(e).__name__, e)\n")
    out = _fresh_interpreter(code, SWIFTKERAS_MEMORY_BUDGET=str(8 << 20))
    assert "memory budget of 8388608 bytes" in out.stdout, out.stdout + out.stderr


def test_activations_beyond_the_memory_budget_raise_memory_error():
    # Dense(20000): a batch of 32 rows needs 32 * 20001 * 4 = 2,560,128 bytes of activations
    # (twice that to train) against a 2 MiB budget; batches of 8 rows fit.
    code = ("import numpy as np, swiftkeras as keras\n"
            "m = keras.Sequential([keras.Input((10,)), keras.layers.Dense(20000, activation='relu'),"
            " keras.layers.Dense(1)])\n"
            "m.compile(optimizer='sgd', loss='mse')\n"
            "x, y = np.full((40, 10), 0.5, 'float32'), np.ones((40, 1), 'float32')\n"
            "for call in (lambda: m.predict(x, verbose=0), lambda: m.fit(x, y, verbose=0)):\n"
            "    try:\n"
            "        call()\n"
            "    except MemoryError as e:\n"
            "        print('MemoryError:', e)\n"
            "print(m.predict(x, batch_size=8, verbose=0).shape)\n"
            "print(len(m.fit(x, y, batch_size=8, verbose=0).history['loss']))\n")
    out = _fresh_interpreter(code, SWIFTKERAS_MEMORY_BUDGET=str(2 << 20))
    lines = out.stdout.splitlines()
    assert len(lines) == 4, out.stdout + out.stderr
    assert lines[0].startswith("MemoryError: ") and \
        "needs 2560128 bytes, more than the memory budget of 2097152 bytes" in lines[0], lines[0]
    assert "activations and gradients" in lines[1] and "needs 5120256 bytes" in lines[1], lines[1]
    assert lines[2:] == ["(40, 1)", "1"]


def _resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_2000_fit_predict_cycles_stay_under_an_rss_budget():
    """2,000 fit/predict cycles: after a warm-up the resident set grows by at most 512 KiB in
    all (0.5 KB per fit, the leak this test was written for, would be ~900 KB)."""
    import gc
    m = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(2)])
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = (np.arange(64 * 8, dtype="float32").reshape(64, 8) % 13) / 13
    y = (np.arange(64 * 2, dtype="float32").reshape(64, 2) % 3)
    warm = None
    for i in range(1, 2001):
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
        m.predict(x, verbose=0)
        if i == 200:
            gc.collect()
            warm = _resident_bytes()
    gc.collect()
    growth = _resident_bytes() - warm
    assert growth <= 512 << 10, f"RSS grew by {growth} bytes over 1,800 fit/predict cycles"
