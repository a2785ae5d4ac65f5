"""The library's own callbacks on a `train_step(data)` override's Python loop (issue 16 point 2):
EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, CSVLogger, TerminateOnNaN, BackupAndRestore
and an optimizer with use_ema, fired from the Python loop with the logs it computed
(keras_model_callbacks_begin / keras_callback_run_event), against real Keras 3 on its TensorFlow
backend with the same override: the same stopping epoch, restored weights, learning rates,
history, CSV text (to 1e-5), and checkpoint files real Keras loads to its own weights."""

import csv
import json
import os
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import CORE, needs
from test_train_step import _tf_python

import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_model_train_batch", "keras_model_callbacks_begin")

RS = np.random.RandomState(11)
X = RS.normal(size=(48, 5)).astype("float32")
Y = np.stack([X[:, 0] - X[:, 1] * X[:, 2], np.tanh(X[:, 3])], 1).astype("float32")

# The same source runs here with `keras` = swiftkeras and in a TensorFlow process with real
# Keras (run_eagerly=True there, so that its Python runs per batch as it does here).
MODELS = '''
class Stepping(keras.Model):
    """super().train_step on each batch, a figure added to the logs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(6, activation="tanh")
        self.out = keras.layers.Dense(2)
        self.steps_seen = 0

    def call(self, x):
        return self.out(self.hidden(x))

    def train_step(self, data):
        self.steps_seen += 1
        logs = dict(super().train_step(data))
        logs["triple_loss"] = logs["loss"] * 3.0
        return logs


class Order(keras.callbacks.Callback):
    """What a Python callback after the library's sees at each epoch's end."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append([epoch, sorted(logs), float(self.model.optimizer.learning_rate)])


def built(X, optimizer):
    model = Stepping()
    model(X[:2])
    rng = np.random.default_rng(4)
    model.set_weights([rng.normal(scale=0.5, size=np.shape(w)).astype("float32")
                       for w in model.get_weights()])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"], run_eagerly=True)
    return model


def run(case, X, Y, folder):
    order = Order()
    if case == "early_stopping":
        # val_loss falls, so mode="max" finds no improvement after epoch 0: it stops at epoch 2
        # and puts back epoch 0's weights.
        model = built(X, keras.optimizers.Adam(0.02))
        callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", mode="max", patience=2,
                                                   restore_best_weights=True), order]
        history = model.fit(X[:40], Y[:40], batch_size=8, epochs=8, shuffle=False, verbose=0,
                            validation_data=(X[40:], Y[40:]), callbacks=callbacks)
    elif case == "reduce_lr":
        model = built(X, keras.optimizers.SGD(0.1))
        callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="loss", mode="max", patience=1,
                                                       factor=0.5, min_lr=0.02), order]
        history = model.fit(X, Y, batch_size=8, epochs=5, shuffle=False, verbose=0,
                            callbacks=callbacks)
    elif case == "files":
        model = built(X, keras.optimizers.Adam(0.01))
        callbacks = [keras.callbacks.TerminateOnNaN(),
                     keras.callbacks.ModelCheckpoint(folder + "/ckpt_{epoch:02d}.weights.h5",
                                                     save_weights_only=True),
                     keras.callbacks.CSVLogger(folder + "/log.csv"), order]
        history = model.fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                            callbacks=callbacks)
    else:   # use_ema: fit ends with the moving averages in the weights
        model = built(X, keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.8))
        history = model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                            callbacks=[order])
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "epochs": list(history.epoch), "steps": model.steps_seen, "order": order.seen,
            "weights": [np.asarray(w).tolist() for w in model.get_weights()]}


def checkpoint_weights(X, folder):
    """The weights of each checkpoint file in `folder`, loaded into a fresh model."""
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".weights.h5"):
            model = built(X, "sgd")
            model.load_weights(os.path.join(folder, name))
            out[name] = [np.asarray(w).tolist() for w in model.get_weights()]
    return out
'''

CASES = ["early_stopping", "reduce_lr", "files", "use_ema"]


def _scope():
    scope = {"keras": sk, "np": np, "os": os}
    exec(MODELS, scope)  # noqa: S102 — the test's own source
    return scope


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """(ours, real Keras's) for every case; real Keras also loads our checkpoint files."""
    root = tmp_path_factory.mktemp("callbacks")
    ours = {}
    for case in CASES:
        (root / "ours" / case).mkdir(parents=True)
        ours[case] = _scope()["run"](case, X, Y, str(root / "ours" / case))
    np.savez(root / "data.npz", X=X, Y=Y)
    script = root / "reference.py"
    script.write_text(textwrap.dedent('''
        import json, os
        import numpy as np
        import keras
        keras.utils.set_random_seed(0)
    ''') + MODELS + textwrap.dedent(f'''
        data = np.load({str(root / "data.npz")!r})
        out = {{}}
        for case in {CASES!r}:
            os.makedirs({str(root / "keras")!r} + "/" + case)
            out[case] = run(case, data["X"], data["Y"], {str(root / "keras")!r} + "/" + case)
        out["loaded"] = checkpoint_weights(data["X"], {str(root / "ours" / "files")!r})
        out["own"] = checkpoint_weights(data["X"], {str(root / "keras" / "files")!r})
        print(json.dumps(out))
    '''))
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
           "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([_tf_python(), str(script)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return ours, json.loads(done.stdout.strip().splitlines()[-1]), root


def _same_run(ours, ref):
    assert ours["epochs"] == ref["epochs"] and ours["steps"] == ref["steps"]
    assert sorted(ours["history"]) == sorted(ref["history"])
    for key, values in ref["history"].items():
        np.testing.assert_allclose(ours["history"][key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    assert [o[:2] for o in ours["order"]] == [o[:2] for o in ref["order"]]
    np.testing.assert_allclose([o[2] for o in ours["order"]], [o[2] for o in ref["order"]], rtol=1e-6)
    for a, b in zip(ours["weights"], ref["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_early_stopping_stops_at_keras_epoch_with_its_best_weights(results):
    ours, ref, _ = results
    _same_run(ours["early_stopping"], ref["early_stopping"])
    assert ref["early_stopping"]["epochs"] == [0, 1, 2]   # it did stop early


def test_reduce_lr_on_plateau_changes_the_rate_at_keras_epochs(results):
    ours, ref, _ = results
    _same_run(ours["reduce_lr"], ref["reduce_lr"])
    rates = ref["reduce_lr"]["history"]["learning_rate"]
    assert len(set(np.round(rates, 6))) > 1   # it did change the rate


def test_checkpoints_and_csv_as_keras_writes_them(results):
    ours, ref, root = results
    _same_run(ours["files"], ref["files"])
    names = sorted(n for n in os.listdir(root / "ours" / "files") if n.endswith(".weights.h5"))
    assert names == ["ckpt_01.weights.h5", "ckpt_02.weights.h5", "ckpt_03.weights.h5"]
    assert sorted(ref["loaded"]) == sorted(ref["own"]) == names
    for name in names:   # real Keras loads each of our files to its own run's weights
        for a, b in zip(ref["loaded"][name], ref["own"][name]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=name)

    def rows(path):
        with open(path, newline="") as f:
            return list(csv.reader(f))
    mine, theirs = rows(root / "ours" / "files" / "log.csv"), rows(root / "keras" / "files" / "log.csv")
    assert mine[0] == theirs[0] and len(mine) == len(theirs) == 4
    assert [[v == "NA" for v in row] for row in mine] == [[v == "NA" for v in row] for row in theirs]

    def numbers(table):
        return np.asarray([[np.nan if v == "NA" else float(v) for v in row] for row in table[1:]])
    np.testing.assert_allclose(numbers(mine), numbers(theirs), rtol=1e-5, atol=1e-6)


def test_use_ema_puts_the_moving_averages_in_at_the_end(results):
    ours, ref, _ = results
    _same_run(ours["use_ema"], ref["use_ema"])


def _stepping(optimizer="sgd"):
    return _scope()["built"](X, optimizer)


def test_terminate_on_nan_stops_the_python_loop():
    model = _stepping(sk.optimizers.SGD(1e6))
    y = Y * 1e20
    history = model.fit(X, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
                        callbacks=[sk.callbacks.TerminateOnNaN()])
    # Keras's TerminateOnNaN stops after the batch whose loss is not finite
    assert model.stop_training and not np.isfinite(history.history["loss"][-1])
    assert len(history.epoch) == 1 and model.steps_seen < 6


def test_backup_and_restore_resumes_the_python_loop(tmp_path):
    class Fail(sk.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("stopped on purpose")

    backup = str(tmp_path / "backup")
    model = _stepping()
    with pytest.raises(RuntimeError, match="stopped on purpose"):   # before epoch 1's backup
        model.fit(X, Y, batch_size=16, epochs=4, shuffle=False, verbose=0,
                  callbacks=[Fail(), sk.callbacks.BackupAndRestore(backup)])
    again = _stepping()
    history = again.fit(X, Y, batch_size=16, epochs=4, shuffle=False, verbose=0,
                        callbacks=[sk.callbacks.BackupAndRestore(backup)])
    # it resumes at epoch 1 from epoch 0's weights, and ends where a fit never stopped ends
    assert history.epoch == [1, 2, 3] and again.steps_seen == 9
    assert not os.path.exists(backup)
    whole = _stepping()
    whole.fit(X, Y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    for a, b in zip(again.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_library_callback_errors_reach_the_caller_and_free_the_run(tmp_path):
    model = _stepping()
    with pytest.raises(Exception, match="cannot open"):
        model.fit(X, Y, epochs=1, verbose=0,
                  callbacks=[sk.callbacks.CSVLogger(str(tmp_path / "missing" / "log.csv"))])
    assert not model._fitting
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[sk.callbacks.EarlyStopping(monitor="loss")])
    assert model.steps_seen == 2


def test_a_hand_driven_callback_list_fires_the_library_callbacks_as_keras():
    from conftest import real_keras
    keras = real_keras()

    def drive(lib):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        cbs = lib.callbacks.CallbackList(
            [lib.callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5),
             lib.callbacks.EarlyStopping(monitor="loss", patience=2)], model=model)
        cbs.on_train_begin()
        seen = []
        for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.7, 0.8]):
            cbs.on_epoch_begin(epoch)
            logs = {"loss": loss}
            cbs.on_epoch_end(epoch, logs)
            seen.append((epoch, dict(logs), bool(model.stop_training)))
            if model.stop_training:
                break
        cbs.on_train_end()
        return seen, float(np.asarray(model.optimizer.learning_rate))

    (ours, our_rate), (theirs, their_rate) = drive(sk), drive(keras)
    assert [(e, sorted(l), s) for e, l, s in ours] == [(e, sorted(l), s) for e, l, s in theirs]
    for (_, a, _), (_, b, _) in zip(ours, theirs):
        np.testing.assert_allclose([a[k] for k in sorted(a)], [float(b[k]) for k in sorted(b)],
                                   rtol=1e-6)
    assert theirs[-1][2] and len(theirs) < 5   # EarlyStopping did stop it
    assert our_rate == pytest.approx(their_rate, rel=1e-6) and their_rate < 0.1
