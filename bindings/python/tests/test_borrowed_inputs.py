"""Issue 19, "Inputs are borrowed, not copied": a float32 C-contiguous numpy array reaches the
library's kernels in place (fit, evaluate, predict, sample weights, validation data); anything
else is converted once; both paths train to the same numbers."""

import hashlib
import os

import numpy as np
import pytest

import swiftkeras as keras
from swiftkeras import _native

from conftest import CORE, needs

pytestmark = needs(*CORE, "keras_model_fit_arrays")

ROWS, COLS, UNITS = 65536, 128, 4


def _status_bytes(field):
    """A field of /proc/self/status ("VmHWM:", "VmRSS:") in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} not in /proc/self/status")


def _reset_peak():
    """Resets the peak resident set (VmHWM) to the current one; False where refused."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _model(cols=COLS):
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input((cols,)), keras.layers.Dense(UNITS, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    return model


def _data(rows, cols=COLS):
    rng = np.random.default_rng(3)
    x = rng.uniform(-0.5, 0.5, size=(rows, cols)).astype(np.float32)
    y = np.eye(UNITS, dtype=np.float32)[np.arange(rows) % UNITS]
    w = (0.5 + (np.arange(rows) % 3) / 2).astype(np.float32)
    return x, y, w


def test_float32_c_contiguous_arrays_pass_as_they_are_and_others_convert_once():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert _native.as_float32(x, "x") is x
    for other in (x.astype(np.float64), np.asfortranarray(x), x[:, ::-1], x.astype(np.int64)):
        converted = _native.as_float32(other, "x")
        assert converted.dtype == np.float32 and converted.flags.c_contiguous
        assert not np.shares_memory(converted, other)
        np.testing.assert_array_equal(converted, np.asarray(other, dtype=np.float32))


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux's /proc")
def test_fit_evaluate_predict_of_a_large_array_add_no_copy_of_it():
    x, y, w = _data(ROWS)
    digests = [hashlib.sha1(memoryview(a)).hexdigest() for a in (x, y, w)]
    # Warm-up on a few rows: what the library makes once (thread pools, BLAS buffers) is not measured.
    _model().fit(x[:2048], y[:2048], batch_size=512, epochs=1, verbose=0, validation_split=0.25)
    model = _model()
    reset = _reset_peak()
    before = _status_bytes("VmHWM:" if reset else "VmRSS:")
    model.fit(x, y, sample_weight=w, batch_size=512, epochs=1, verbose=0, validation_split=0.25)
    model.evaluate(x, y, sample_weight=w, batch_size=512, verbose=0)
    p = model.predict(x, batch_size=512, verbose=0)
    grown = _status_bytes("VmHWM:") - before
    # One copy of x is 32 MiB; the predictions (1 MiB) are allocated by the call.
    assert grown < x.nbytes / 4, f"peak RSS grew by {grown >> 10} KiB around fit/evaluate/predict"
    assert p.shape == (ROWS, UNITS)
    assert [hashlib.sha1(memoryview(a)).hexdigest() for a in (x, y, w)] == digests


def test_borrowed_and_copied_inputs_train_to_the_same_numbers():
    x, y, w = _data(640, cols=8)
    runs = []
    # In place; float64 (converted); Fortran order and a strided view (copied once).
    wide = np.zeros((640, 16), np.float32)
    wide[:, ::2] = x
    for xs in (x, x.astype(np.float64), np.asfortranarray(x), wide[:, ::2]):
        model = _model(cols=8)
        history = model.fit(xs, y, sample_weight=w, batch_size=64, epochs=2, verbose=0,
                            validation_split=0.25).history
        runs.append((history, [v.copy() for v in model.get_weights()],
                     model.predict(xs, verbose=0), model.evaluate(xs, y, verbose=0)))
    for history, weights, pred, loss in runs[1:]:
        assert history == runs[0][0]
        for a, b in zip(weights, runs[0][1]):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(pred, runs[0][2])
        assert loss == runs[0][3]
