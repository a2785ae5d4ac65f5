"""Models through the C ABI: fit/evaluate/predict, weights, errors as Python exceptions,
Python callbacks (exceptions carried out with their traceback, stop_training, Ctrl-C),
pickling, saving."""

import gc
import json
import os
import pickle
import signal
import threading
import traceback
from pathlib import Path

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import KerasError, layers
from swiftkeras.callbacks import Callback, EarlyStopping, LambdaCallback

pytestmark = needs(*CORE)


def small_model(units=8, inputs=4, outputs=3):
    model = keras.Sequential([layers.Dense(units, activation="relu", input_shape=(inputs,)),
                              layers.Dense(outputs, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data(n=60, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)
    return x, y.clip(0, classes - 1)


def test_fit_returns_history_and_predict_fills_numpy():
    x, y = data()
    model = small_model()
    h = model.fit(x, y, epochs=5, batch_size=16, verbose=0, validation_split=0.2)
    assert sorted(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(h.history["loss"]) == 5 and h.epoch == [0, 1, 2, 3, 4]
    p = model.predict(x, verbose=0)
    assert p.dtype == np.float32 and p.shape == (60, 3)
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)
    loss, acc = model.evaluate(x, y, verbose=0)
    assert loss > 0 and 0 <= acc <= 1


def test_history_read_late_holds_its_own_fit():
    # fit leaves its figures in the library until the History is read: a History read after the
    # model's next fit, after the model's handle was replaced, or pickled still holds its own fit.
    x, y = data()
    model = small_model()
    first = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.2)
    second = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert model.history is second
    assert sorted(first.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(first.history["loss"]) == 3 and first.epoch == [0, 1, 2]
    assert sorted(second.history) == ["accuracy", "loss"] and second.epoch == [0, 1]
    # The late read gives the figures an immediate read gives (the same fit, the same seed).
    keras.utils.set_random_seed(4)
    late = small_model().fit(x, y, epochs=3, batch_size=16, verbose=0)
    keras.utils.set_random_seed(4)
    now = small_model().fit(x, y, epochs=3, batch_size=16, verbose=0).history
    assert late.history == now and all(isinstance(v, float) for v in now["loss"])
    third = model.fit(x, y, epochs=2, verbose=0)
    model.add(layers.Activation("linear"))   # a new library model for the same Python model
    assert len(third.history["loss"]) == 2
    fourth = model.fit(x, y, epochs=1, verbose=0)
    assert pickle.loads(pickle.dumps(fourth)).history == fourth.history
    with pytest.raises(AttributeError):
        fourth.missing


def test_weights_round_trip_and_layer_attributes():
    model = small_model()
    w = model.get_weights()
    assert [a.shape for a in w] == [(4, 8), (8,), (8, 3), (3,)]
    model.set_weights([np.ones_like(a) for a in w])
    np.testing.assert_array_equal(model.layers[0].kernel, np.ones((4, 8)))
    np.testing.assert_array_equal(model.layers[1].bias, np.ones(3))
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3
    with pytest.raises(ValueError):
        model.set_weights(w[:1])
    with pytest.raises(ValueError):
        model.layers[0].set_weights([np.ones((5, 8)), np.ones(8)])


def test_dtypes_are_converted_as_keras_converts():
    x, y = data()
    model = small_model()
    model.fit(x.astype(np.float64), y.astype(np.int32), epochs=1, verbose=0)
    model.fit(x.tolist(), y.tolist(), epochs=1, verbose=0)
    fortran = np.asfortranarray(x)
    assert model.predict(fortran, verbose=0).shape == (60, 3)
    assert model.predict(x[::2], verbose=0).shape == (30, 3)  # a strided view
    with pytest.raises(TypeError):
        model.predict(np.array([["a"] * 4]), verbose=0)


def test_bad_input_is_a_python_exception_with_the_library_message():
    x, y = data()
    model = small_model()
    with pytest.raises((ValueError, KerasError)):
        model.fit(x, y[:10], epochs=1, verbose=0)             # mismatched lengths
    with pytest.raises((ValueError, KerasError)):
        model.predict(np.ones((3, 7), np.float32), verbose=0)  # wrong feature count
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises((ValueError, KerasError), match="(?i)nan"):
        model.fit(bad, y, epochs=1, verbose=0)
    with pytest.raises((ValueError, KerasError)):
        model.compile(optimizer="adam", loss="no_such_loss")
        model.fit(x, y, epochs=1, verbose=0)
    with pytest.raises((ValueError, KerasError)):
        keras.models.model_from_json('{"class_name": "Sequential", "config": {"layers": [{"class_name": "NoSuchLayer", "config": {}}]}}')
    # The model is still usable afterwards.
    small = small_model()
    assert small.predict(x, verbose=0).shape == (60, 3)


def test_exception_in_a_callback_stops_fit_and_keeps_its_traceback():
    x, y = data()
    model = small_model()

    class Boom(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("boom at epoch 2")

    with pytest.raises(RuntimeError, match="boom at epoch 2") as info:
        model.fit(x, y, epochs=10, verbose=0, callbacks=[Boom()])
    frames = traceback.extract_tb(info.value.__traceback__)
    assert any(f.name == "on_epoch_end" for f in frames)
    assert model.predict(x, verbose=0).shape == (60, 3)


def test_stop_training_from_a_python_callback():
    x, y = data()
    model = small_model()
    seen = []

    class Stopper(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, sorted(logs)))
            if epoch == 1:
                self.model.stop_training = True

    h = model.fit(x, y, epochs=10, verbose=0, callbacks=[Stopper()])
    assert len(h.history["loss"]) == 2
    assert seen[0][1] == ["accuracy", "loss"]


def test_lambda_callback_and_batch_hooks():
    x, y = data()
    model = small_model()
    batches = []
    cb = LambdaCallback(on_batch_end=lambda batch, logs: batches.append(batch))
    model.fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[cb])
    assert batches == [0, 1, 2, 0, 1, 2]


def test_builtin_early_stopping_runs_in_the_library():
    x, y = data()
    model = small_model()
    h = model.fit(x, y, epochs=200, verbose=0, validation_split=0.3,
                  callbacks=[EarlyStopping(monitor="loss", patience=0, min_delta=10.0)])
    assert len(h.history["loss"]) == 2  # Keras: the first epoch always improves on inf


def test_models_pickle_by_value():
    x, y = data()
    model = small_model()
    model.fit(x, y, epochs=2, verbose=0)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    clone.fit(x, y, epochs=1, verbose=0)  # compiled too


def test_to_json_model_from_json_and_saving(tmp_path):
    x, y = data()
    model = small_model()
    again = keras.models.model_from_json(model.to_json())
    assert [l.name for l in again.layers] == [l.name for l in model.layers]
    for suffix in (".keras", ".h5"):
        path = tmp_path / f"m{suffix}"
        model.save(str(path))
        loaded = keras.models.load_model(str(path))
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                                   rtol=1e-6)


def test_summary_prints_the_keras_table(capfd):
    model = small_model()
    model.summary()
    out = capfd.readouterr().out
    assert "Total params: 67" in out and "Dense" in out
    calls = []
    model.summary(print_fn=calls.append)
    # Keras 3 hands print_fn the whole table at once (Keras 2 called it line by line).
    assert len(calls) == 1 and "Trainable params" in calls[0] and "Dense" in calls[0]


def test_load_weights_by_name_follows_keras_3(tmp_path):
    model = small_model()
    for name in ("w.weights.h5", "m.keras"):
        path = tmp_path / name
        (model.save_weights if name.endswith(".weights.h5") else model.save)(str(path))
        with pytest.raises(ValueError, match="`by_name` only supports loading legacy '.h5'"):
            model.load_weights(str(path), by_name=True)
    with pytest.raises(ValueError, match="Invalid keyword arguments"):
        model.load_weights(str(tmp_path / "w.weights.h5"), by_nam=True)


def test_calling_a_standalone_layer_on_numpy():
    dense = layers.Dense(3, kernel_initializer="ones")
    out = dense(np.ones((2, 4)))
    np.testing.assert_allclose(out, np.full((2, 3), 4.0))
    assert dense.kernel.shape == (4, 3)


def test_progress_bar_and_epoch_lines(capfd):
    x, y = data()
    model = small_model()
    model.fit(x, y, epochs=2, batch_size=30, verbose=1)
    out = capfd.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "2/2" in out and "loss:" in out


@needs("keras_model_learning_rate", "keras_model_set_learning_rate")
def test_learning_rate_scheduler_as_keras_3(capfd):
    # Numbers from Keras 3.15 (JAX): the same model, data and schedule.
    x = np.linspace(-1, 1, 20, dtype=np.float32).reshape(10, 2)
    y = (x @ np.array([[1.5], [-0.5]], np.float32) + 0.25).astype(np.float32)
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")

    def schedule(epoch, lr):
        return lr if epoch == 0 else lr * 0.5

    h = model.fit(x, y, epochs=4, batch_size=10, shuffle=False, verbose=0,
                  callbacks=[keras.callbacks.LearningRateScheduler(schedule, verbose=1)])
    np.testing.assert_allclose(h.history["loss"], [0.38659971952438354, 0.27988260984420776,
                                                   0.23977401852607727, 0.22227616608142853],
                               rtol=1e-5)
    np.testing.assert_allclose(h.history["learning_rate"], [0.1, 0.05, 0.025, 0.0125], rtol=1e-6)
    out = capfd.readouterr().out
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.05" in out

    def bad(epoch, lr):
        return "fast"

    with pytest.raises(ValueError, match="should be a float"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.LearningRateScheduler(bad)])


@needs("keras_model_summary_ex")
def test_summary_line_length_as_keras_3():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu", name="hidden"),
                              layers.Dense(3, name="out")], name="tiny")
    calls = []
    model.summary(line_length=60, print_fn=calls.append)
    # What Keras 3.15 prints for the same model and line_length.
    expected = (
        'Model: "tiny"\n┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓\n'
        '┃ Layer (type)             ┃ Output Shape      ┃   Param # ┃\n'
        '┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩\n'
        '│ hidden (Dense)           │ (None, 8)         │        40 │\n'
        '├──────────────────────────┼───────────────────┼───────────┤\n'
        '│ out (Dense)              │ (None, 3)         │        27 │\n'
        '└──────────────────────────┴───────────────────┴───────────┘\n'
        ' Total params: 67 (268.00 B)\n Trainable params: 67 (268.00 B)\n'
        ' Non-trainable params: 0 (0.00 B)\n')
    assert calls[0].rstrip("\n") == expected.rstrip("\n")


@needs("keras_model_summary_ex")
def test_summary_options_print_what_keras_3_prints():
    # Tests/KerasTests/Fixtures/models/summary_options.json: real Keras 3's tables for the same
    # model (scripts/make_summary_option_fixtures.py).
    fixture = Path(__file__).resolve().parents[3] / "Tests/KerasTests/Fixtures/models/summary_options.json"
    expected = json.loads(fixture.read_text())
    model = keras.Sequential([keras.Input((4,)), layers.Dense(5, activation="relu", name="hidden"),
                              layers.Dropout(0.1, name="drop"), layers.Dense(2, name="out")], name="mlp")
    model.layers[0].trainable = False
    # The fixture was written on a 200-column terminal, where Keras's default widths are 88 and
    # 100 with the Trainable column; here the terminal may be narrower, so they are given.
    cases = {"show_trainable": dict(show_trainable=True, line_length=100),
             "positions": dict(positions=[0.5, 0.7, 1.0], line_length=70),
             "layer_range": dict(layer_range=["drop", "out"], line_length=88),
             "all": dict(show_trainable=True, positions=[0.4, 0.8, 1.0], line_length=90,
                         layer_range=["hid", "drop"])}
    for name, options in cases.items():
        calls = []
        model.summary(print_fn=calls.append, **options)
        assert calls[0].rstrip("\n") == expected[name].rstrip("\n"), name
    with pytest.raises(ValueError, match="layer_range"):
        model.summary(layer_range=["nothing", "matches"], print_fn=calls.append)


@needs("keras_model_load_weights_ex")
def test_load_weights_by_name_and_skip_mismatch_from_legacy_h5(tmp_path):
    source = keras.Sequential([keras.Input((4,)), layers.Dense(8, name="a"),
                               layers.Dense(3, name="b")])
    path = str(tmp_path / "legacy.h5")
    source.save_weights(path)
    target = keras.Sequential([keras.Input((4,)), layers.Dense(8, name="a"),
                               layers.Dense(5, name="extra"), layers.Dense(3, name="c")])
    before = target.get_layer("c").get_weights()
    target.load_weights(path, by_name=True)
    for w, v in zip(target.get_layer("a").get_weights(), source.get_layer("a").get_weights()):
        np.testing.assert_array_equal(w, v)
    for w, v in zip(target.get_layer("c").get_weights(), before):
        np.testing.assert_array_equal(w, v)         # no layer "c" in the file
    mismatched = keras.Sequential([keras.Input((4,)), layers.Dense(8, name="z"),
                                   layers.Dense(3, name="b"), layers.Dense(2, name="a")])
    with pytest.raises((ValueError, OSError, KerasError)):
        mismatched.load_weights(path, by_name=True)
    mismatched.load_weights(path, by_name=True, skip_mismatch=True)
    for w, v in zip(mismatched.get_layer("b").get_weights(), source.get_layer("b").get_weights()):
        np.testing.assert_array_equal(w, v)


@needs("keras_interrupt")
def test_ctrl_c_stops_training_cleanly():
    x, y = data(n=4000)
    model = small_model()
    # One short fit first: the signal is meant to land in the training loop, not in the first
    # call's setup (building the library model), which a loaded machine can stretch past 0.3 s.
    model.fit(x[:16], y[:16], epochs=1, verbose=0)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            model.fit(x, y, epochs=100000, batch_size=8, verbose=0)
    finally:
        timer.cancel()
    # The model is usable afterwards, and Python's own handler is back.
    assert np.isfinite(model.predict(x[:5], verbose=0)).all()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    model.fit(x[:10], y[:10], epochs=1, verbose=0)   # usable, and no stale interrupt


@needs("keras_interrupt")
def test_ctrl_c_in_the_first_fits_setup_is_not_lost(monkeypatch):
    # CI once lost a Ctrl-C that landed in a first fit's setup and ran 100,000 epochs. The
    # collector runs at any allocation there, and Python drops a KeyboardInterrupt raised in a
    # finalizer ("Exception ignored in"). Here the SIGINT arrives while an earlier model's library
    # model is freed after the collector found it: the fit must raise it.
    from swiftkeras import _lib
    x, y = data(n=64)
    old = small_model()
    old.fit(x[:16], y[:16], epochs=1, verbose=0)
    old.cycle = old             # freed only by the collector, as models with layers often are
    del old
    real_free, pressed = _lib.keras_model_free, []

    def free_pressing_ctrl_c(handle):
        real_free(handle)
        if not pressed:
            pressed.append(handle)
            signal.raise_signal(signal.SIGINT)

    free_pressing_ctrl_c.available = True
    monkeypatch.setattr(_lib, "keras_model_free", free_pressing_ctrl_c)
    model = small_model()
    with pytest.raises(KeyboardInterrupt):
        gc.collect()            # as at any allocation of the fit's setup
        model.fit(x, y, epochs=2000, batch_size=8, verbose=0)
    assert pressed
    monkeypatch.undo()
    model.fit(x[:10], y[:10], epochs=1, verbose=0)   # usable afterwards
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@needs("keras_interrupt_arm")
@pytest.mark.parametrize("one_call", [True, False], ids=["keras_interrupt_install", "by_sigaction"])
def test_ctrl_c_between_the_handlers_installation_and_the_fits_start_is_not_lost(monkeypatch, one_call):
    # Between installing keras_interrupt as the SIGINT handler and the library call's start (the
    # arguments' packing; longer when a collection runs there) the handler records a Ctrl-C that
    # the call's start used to forget. Here the SIGINT lands in the packing of the fit's arrays.
    # Armed and installed in one call (keras_interrupt_install), or, for a library without it,
    # by the binding's own sigaction calls.
    from swiftkeras import _native, _plugins
    if one_call and _plugins._INSTALL is None:
        pytest.skip("this libkeras.so lacks keras_interrupt_install")
    if not one_call:
        monkeypatch.setattr(_plugins, "_INSTALL", None)
    x, y = data(n=64)
    model = small_model()
    model.fit(x[:16], y[:16], epochs=1, verbose=0)
    real_pack, pressed = _native.pack, []

    def pack_pressing_ctrl_c(arrays):
        if not pressed:
            pressed.append(True)
            signal.raise_signal(signal.SIGINT)
        return real_pack(arrays)

    monkeypatch.setattr(_native, "pack", pack_pressing_ctrl_c)
    before = model.get_weights()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=20000, batch_size=8, verbose=0)
    assert pressed
    # Stopped after its first batch: the weights moved by one step, not by 20,000 epochs.
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    monkeypatch.undo()
    model.fit(x[:10], y[:10], epochs=1, verbose=0)   # usable, and no stale interrupt
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_while_the_library_prints_is_not_lost(monkeypatch):
    # The library prints through a ctypes callback, where Python drops an exception; a Ctrl-C
    # handled there is raised by the call that printed.
    import _thread

    class Console:
        def write(self, text):
            _thread.interrupt_main()   # Ctrl-C: Python's handler runs on the next call
            return len(text)

        def flush(self):
            pass

    x, y = data(n=64)
    model = small_model()
    model.fit(x[:16], y[:16], epochs=1, verbose=0)
    monkeypatch.setattr("sys.stdout", Console())
    with pytest.raises(KeyboardInterrupt):
        model.evaluate(x, y, verbose=1)
    monkeypatch.undo()
    assert np.isfinite(model.evaluate(x, y, verbose=0)[0])


@pytest.mark.parametrize("split", [True, False])
def test_validation_batch_size_batches_the_validation_as_keras(split):
    """model.fit's validation_batch_size: the validation (of validation_split or
    validation_data) runs in batches of that size, as in real Keras (a callback counts the
    test batches of each epoch); unset, in batches of batch_size."""
    from conftest import real_keras
    real = real_keras()
    rng = np.random.RandomState(0)
    x, y = rng.rand(50, 3).astype(np.float32), rng.rand(50, 1).astype(np.float32)

    def counts(lib, **kw):
        seen = []

        class Count(lib.callbacks.Callback):
            def on_test_batch_end(self, batch, logs=None):
                seen.append(batch)
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        data = dict(validation_split=0.4) if split else dict(validation_data=(x[:20], y[:20]))
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[Count()], **data, **kw)
        return len(seen)
    for kw in ({"validation_batch_size": 3}, {"validation_batch_size": 20}, {}):
        assert counts(keras, **kw) == counts(real, **kw), kw
    assert counts(keras, validation_batch_size=3) == 2 * 7
