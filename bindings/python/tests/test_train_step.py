"""`train_step(data)` overrides (issue 16 point 2), against real Keras 3 with its TensorFlow
backend (where `train_step(self, data)` is the method users override): an override that
changes the batch, skips a batch and adds to the logs around `super().train_step(data)` trains
to Keras's weights and history (1e-5), with sample weights, class weights, validation data,
Python callbacks and `steps_per_epoch`; Ctrl-C stops it; overrides that compute gradients
with a backend fail where they hand them over, naming the two routes that work."""

import contextlib
import json
import os
import signal
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_model_train_batch")

RS = np.random.RandomState(5)
X = RS.normal(size=(48, 5)).astype("float32")
Y = np.stack([X[:, 0] - X[:, 1] * X[:, 2], np.tanh(X[:, 3])], 1).astype("float32")
W = (0.5 + (np.arange(48) % 3) / 2).astype("float32")
LABELS = (X[:, 0] > 0).astype("float32")[:, None]

# The same source runs here with `keras` = swiftkeras and in a TensorFlow process with real
# Keras (run_eagerly=True there, so that its Python runs per batch as it does here).
MODELS = '''
class Augmenting(keras.Model):
    """Halves and shifts each batch's inputs before the step, skips the third batch of each
    epoch (returning the running figures untouched) and adds a figure to the logs."""

    def __init__(self, units=2, activation=None, regularize=True, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(
            6, activation="tanh", kernel_regularizer=keras.regularizers.L2(0.01) if regularize else None)
        self.out = keras.layers.Dense(units, activation=activation)
        self.batches = 0

    def call(self, x):
        return self.out(self.hidden(x))

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        self.batches += 1
        if self.batches % 6 == 3:
            return self.get_metrics_result()
        x = x * 0.5 + 0.25
        logs = dict(super().train_step((x, y, sample_weight)))
        logs["double_loss"] = logs["loss"] * 2.0
        return logs


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(["epoch_begin", epoch])

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(["batch_end", batch, float(logs["loss"])])

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(["epoch_end", epoch, sorted(logs)])


def weights_like(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.5, size=np.shape(w)).astype("float32") for w in model.get_weights()]


def run(case, data):
    X, Y, W, LABELS = data["X"], data["Y"], data["W"], data["LABELS"]
    classify = case == "class_weight"
    model = Augmenting(units=1 if classify else 2, activation="sigmoid" if classify else None,
                       regularize=case != "plain")
    model(X[:2])
    model.set_weights(weights_like(model, 3))
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="binary_crossentropy" if classify else "mse",
                  metrics=["accuracy"] if classify else ["mae"], run_eagerly=True)
    recorder = Recorder()
    if case == "validation":
        history = model.fit(X[:40], Y[:40], sample_weight=W[:40], batch_size=8, epochs=3,
                            shuffle=False, verbose=0, callbacks=[recorder],
                            validation_data=(X[40:], Y[40:], W[40:]))
    elif case == "validation_split":
        history = model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                            validation_split=0.25, callbacks=[recorder])
    elif case == "plain":   # a Dense stack on mse: the library's fused step plan, if it takes it
        history = model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                            callbacks=[recorder])
    elif case == "class_weight":
        history = model.fit(X, LABELS, batch_size=8, epochs=2, shuffle=False, verbose=0,
                            class_weight={0: 0.5, 1: 2.0}, callbacks=[recorder])
    else:   # steps_per_epoch: 6 batches a pass, 4 an epoch; the second epoch runs out after 2
        history = model.fit(X, Y, batch_size=8, epochs=3, steps_per_epoch=4, shuffle=False,
                            verbose=0, callbacks=[recorder])
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "epochs": list(history.epoch), "events": recorder.events, "batches": model.batches,
            "weights": [np.asarray(w).tolist() for w in model.get_weights()]}
'''

CASES = ["validation", "validation_split", "class_weight", "steps_per_epoch", "plain"]


def _tf_python():
    """A Python with TensorFlow and Keras 3 (the backend whose train_step(self, data) users
    override): $KERAS_TF_PYTHON, else the project's /work/venv-tf."""
    candidate = os.environ.get("KERAS_TF_PYTHON") or "/work/venv-tf/bin/python"
    if not Path(candidate).exists():
        pytest.skip("no Python with TensorFlow Keras (set KERAS_TF_PYTHON)")
    return candidate


@pytest.fixture(scope="module")
def keras_tf_results(tmp_path_factory):
    """Real Keras's results for every case, from one TensorFlow process."""
    folder = tmp_path_factory.mktemp("keras_tf")
    np.savez(folder / "data.npz", X=X, Y=Y, W=W, LABELS=LABELS)
    script = folder / "reference.py"
    script.write_text(textwrap.dedent('''
        import json, sys
        import numpy as np
        import keras
        keras.utils.set_random_seed(0)
    ''') + MODELS + textwrap.dedent(f'''
        data = np.load({str(folder / "data.npz")!r})
        print(json.dumps({{case: run(case, data) for case in {CASES!r}}}))
    '''))
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
           "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([_tf_python(), str(script)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ours(case):
    scope = {"keras": sk, "np": np}
    exec(MODELS, scope)  # noqa: S102 — the test's own source
    return scope["run"](case, {"X": X, "Y": Y, "W": W, "LABELS": LABELS})


@pytest.mark.parametrize("case", CASES)
def test_super_train_step_override_trains_as_keras(case, keras_tf_results):
    ref = keras_tf_results[case]
    with pytest.warns(UserWarning, match="ran out of data") if case == "steps_per_epoch" else \
            contextlib.nullcontext():
        ours = _ours(case)
    assert ref["batches"] > 0 and ours["batches"] == ref["batches"]
    assert ours["epochs"] == ref["epochs"]
    assert sorted(ours["history"]) == sorted(ref["history"])
    assert "double_loss" in ref["history"]   # the last step's logs, as Keras keeps them
    for key, values in ref["history"].items():
        np.testing.assert_allclose(ours["history"][key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    assert [e[:2] for e in ours["events"]] == [e[:2] for e in ref["events"]]
    for a, b in zip(ours["events"], ref["events"]):
        if a[0] == "batch_end":
            np.testing.assert_allclose(a[2], b[2], rtol=1e-5, atol=1e-6)
        elif a[0] == "epoch_end":
            assert a[2] == b[2]
    for a, b in zip(ours["weights"], ref["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def _augmenting():
    """A compiled Augmenting model of this library, and the scope its class came from."""
    scope = {"keras": sk, "np": np}
    exec(MODELS, scope)  # noqa: S102 — the test's own source
    model = scope["Augmenting"]()
    model(X[:2])
    model.compile("sgd", "mse")
    return model, scope


def test_train_on_batch_and_evaluate_go_through_the_override():
    model, scope = _augmenting()
    logs = model.train_on_batch(X[:8], Y[:8], return_dict=True)
    assert model.batches == 1 and set(logs) == {"loss", "double_loss"}
    assert logs["double_loss"] == pytest.approx(2 * logs["loss"])
    # the step is the library's on the changed batch: its loss is the batch's before the step
    twin = scope["Augmenting"]()
    twin(X[:2])
    twin.compile("sgd", "mse")
    twin.set_weights(model.get_weights())
    assert twin.evaluate(X[8:16] * 0.5 + 0.25, Y[8:16], verbose=0) == pytest.approx(
        model.train_on_batch(X[8:16], Y[8:16], return_dict=True)["loss"], rel=1e-6)


def test_ctrl_c_stops_the_python_loop_between_steps():
    model, _ = _augmenting()

    class Interrupt(sk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y, batch_size=8, epochs=5, verbose=0, callbacks=[Interrupt()])
    assert model.batches == 2 and not model._fitting
    assert model.predict(X[:3], verbose=0).shape == (3, 2)
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)   # and trains again
    assert model.batches == 8


def _gradient_model(train_step):
    class Manual(sk.Model):
        def __init__(self):
            super().__init__()
            self.dense = sk.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    Manual.train_step = train_step
    model = Manual()
    model(X[:2])
    model.compile("sgd", "mse")
    return model


ROUTES = r"super\(\)\.train_step\(data\).*compute_loss\(self, x, y, y_pred"


def test_gradients_from_a_backend_fail_where_they_are_applied():
    import jax

    def jax_grad_step(self, data):
        x, y = data
        weights = [w.value for w in self.trainable_variables]   # Keras's jax form: the values

        def loss(ws):
            return ((x @ ws[0] + ws[1] - y) ** 2).mean()

        grads = jax.grad(loss)(weights)
        self.optimizer.apply(grads, self.trainable_variables)
        return {"loss": loss(weights)}

    def apply_gradients_step(self, data):
        grads = [np.zeros_like(w) for w in self.trainable_variables]
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {}

    def torch_step(self, data):
        self.zero_grad()
        return {}

    for step, where in ((jax_grad_step, r"optimizer\.apply\(\.\.\.\)"),
                        (apply_gradients_step, r"optimizer\.apply_gradients\(\.\.\.\)"),
                        (torch_step, r"Manual\.zero_grad\(\)")):
        model = _gradient_model(step)
        before = [np.asarray(w).copy() for w in model.get_weights()]
        with pytest.raises(NotImplementedError, match=where + ".*" + ROUTES):
            model.fit(X, Y[:, :1], epochs=1, verbose=0)
        for a, b in zip(before, model.get_weights()):
            np.testing.assert_array_equal(a, b)
        assert not model._fitting


def test_jax_form_train_step_is_refused_before_any_step():
    calls = []

    def stateless_step(self, state, data):
        calls.append(1)
        return {}, state

    model = _gradient_model(stateless_step)
    with pytest.raises(NotImplementedError, match=r"train_step\(state, data\).*JAX form.*" + ROUTES):
        model.fit(X, Y[:, :1], epochs=1, verbose=0)
    assert calls == []


def test_fit_builds_the_model_before_the_first_step():
    seen = []

    class Unbuilt(sk.Model):
        def __init__(self):
            super().__init__()
            self.dense = sk.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):   # Keras builds the model before the first train_step
            seen.append([np.shape(w) for w in self.trainable_variables])
            return super().train_step(data)

    model = Unbuilt()
    model.compile("sgd", "mse")
    model.fit(X, Y[:, :1], batch_size=16, epochs=1, verbose=0)
    assert seen == [[(5, 1), (1,)]] * 3
