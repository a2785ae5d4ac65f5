"""Metric objects updated inside a traced `compute_loss` (Keras 3's `self.loss_tracker.
update_state(loss)`, `self.mae_metric.update_state(y, y_pred)`), against real Keras 3 (jax):
the updates are traced into the library's graph (keras_layer_builder_metric), computed natively
every step, and fit's History, evaluate's results and the metric objects after them carry
Keras's keys and values, with `metrics` overridden or not, compiled metrics or not, sample
weights and a last batch of another size (a scalar's Mean counts batches, MeanAbsoluteError
rows)."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_metric",
                   "keras_model_traced_metrics")

RS = np.random.RandomState(4)
X = RS.normal(size=(44, 5)).astype("float32")   # batches of 8: the last has 4 rows
Y = np.stack([X[:, 0] - X[:, 1] * X[:, 2], np.tanh(X[:, 3])], 1).astype("float32")
W = (0.5 + (np.arange(44) % 3) / 2).astype("float32")


def _classes(lib):
    class Tracked(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(6, activation="tanh")
            self.out = lib.layers.Dense(2)
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.mae_metric = lib.metrics.MeanAbsoluteError(name="mae")
            self.weighted = lib.metrics.Mean(name="weighted_sq")
            self.total = lib.metrics.Sum(name="total_abs")

        def call(self, x):
            return self.out(self.hidden(x))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            ops = lib.ops
            loss = ops.mean(ops.square(y - y_pred))
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            self.weighted.update_state(ops.square(y - y_pred), sample_weight=sample_weight)
            self.total.update_state(ops.abs(y_pred[:, 0]))
            return loss

    class Listed(Tracked):   # keras.io's form: the logs are these metrics' results only
        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    class Untouched(Tracked):   # a listed metric never updated logs its result, 0
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.never = lib.metrics.Mean(name="never")

        @property
        def metrics(self):
            return [self.loss_tracker, self.never]

    return {"Tracked": Tracked, "Listed": Listed, "Untouched": Untouched}


def _model(lib, name, compile_kwargs):
    model = _classes(lib)[name]()
    model(X[:1])
    rng = np.random.default_rng(7)
    model.set_weights([rng.normal(scale=0.5, size=np.shape(w)).astype("float32")
                       for w in model.get_weights()])
    model.compile(lib.optimizers.SGD(0.05), loss="mse", **compile_kwargs)
    return model


def _run(lib, name, compile_kwargs, weighted):
    model = _model(lib, name, compile_kwargs)
    fit = dict(sample_weight=W) if weighted else {}
    history = model.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0,
                        validation_data=(X[:12], Y[:12]), **fit)
    listed = model.evaluate(X, Y, batch_size=16, verbose=0)
    as_dict = model.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    state = {"loss": (float(model.loss_tracker.result()), float(np.asarray(model.loss_tracker.count))),
             "mae": float(model.mae_metric.result()), "total_abs": float(model.total.result())}
    return ({k: [float(v) for v in vs] for k, vs in history.history.items()}, listed, as_dict, state,
            [np.asarray(w) for w in model.get_weights()])


@pytest.mark.parametrize("name,compile_kwargs,weighted", [
    ("Tracked", {"metrics": ["mae"]}, False),
    ("Tracked", {}, True),
    ("Listed", {}, False),
    ("Untouched", {"metrics": ["mae"]}, False),
])
def test_metrics_updated_in_compute_loss_log_as_keras(name, compile_kwargs, weighted):
    ours = _run(sk, name, compile_kwargs, weighted)
    ref = _run(keras, name, compile_kwargs, weighted)
    (ours_h, ours_list, ours_dict, ours_state, ours_w), (ref_h, ref_list, ref_dict, ref_state, ref_w) = ours, ref
    assert sorted(ours_h) == sorted(ref_h)
    for key in ref_h:
        np.testing.assert_allclose(ours_h[key], ref_h[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert sorted(ours_dict) == sorted(ref_dict)
    for key in ref_dict:
        np.testing.assert_allclose(ours_dict[key], ref_dict[key], rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(np.ravel(ours_list), np.ravel(ref_list), rtol=1e-5, atol=1e-6)
    # The metric objects hold the library's state after the last evaluate, as Keras's do.
    for key in ref_state:
        np.testing.assert_allclose(ours_state[key], ref_state[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_batch_logs_of_python_callbacks_carry_the_running_tracker():
    """A Python callback sees the tracker's running value after each batch, and the metric
    object follows it (Keras: the metric variables after each step)."""
    seen = {}
    for lib in (sk, keras):
        model = _model(lib, "Listed", {})
        got = []

        class Watch(lib.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                got.append((float(logs["loss"]), float(logs["mae"])))

        model.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0, callbacks=[Watch()])
        seen[lib] = got
    np.testing.assert_allclose(seen[sk], seen[keras], rtol=1e-5, atol=1e-6)


def test_trackers_in_a_train_step_override_follow_each_batch():
    """Keras's TensorFlow/torch form: a train_step override updates its trackers per batch (on
    numpy here, around super().train_step) and returns `{m.name: m.result() for m in
    self.metrics}`; the epoch's figures are the trackers' (a scalar's Mean over batches, the
    mean absolute error over rows), checked against the same steps taken one by one."""

    class Stepped(sk.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = sk.layers.Dense(2)
            self.loss_tracker = sk.metrics.Mean(name="loss")
            self.mae_metric = sk.metrics.MeanAbsoluteError(name="mae")

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = sk.ops.mean(sk.ops.square(y - y_pred))
            super().train_step(data)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    def fresh(weights=None):
        model = Stepped()
        model(X[:1])
        if weights is not None:
            model.set_weights(weights)
        model.compile(sk.optimizers.SGD(0.05), loss="mse")
        return model

    model = fresh()
    start = [np.asarray(w) for w in model.get_weights()]
    history = model.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    by_hand = fresh(start)
    for epoch in range(2):
        losses, errors = [], 0.0
        for i in range(0, len(X), 8):
            pred = by_hand.predict(X[i:i + 8], verbose=0)
            losses.append(np.mean((Y[i:i + 8] - pred) ** 2))
            errors += np.abs(Y[i:i + 8] - pred).mean(axis=1).sum()
            by_hand.train_on_batch(X[i:i + 8], Y[i:i + 8])
        np.testing.assert_allclose(history["loss"][epoch], np.mean(losses), rtol=1e-5)
        np.testing.assert_allclose(history["mae"][epoch], errors / len(X), rtol=1e-5)
    assert sorted(history) == ["loss", "mae"]


@pytest.mark.parametrize("name", ["Tracked", "Listed"])
def test_batch_calls_return_keras_figures_in_keras_order(name):
    """train_on_batch and test_on_batch: the dicts and Keras's lists (`_flatten_metrics_in_order`:
    a name listed twice in `model.metrics`, "loss", "mae", gives its value twice)."""
    got = []
    for lib in (sk, keras):
        model = _model(lib, name, {"metrics": ["mae"]})
        got.append([model.train_on_batch(X[:8], Y[:8]),
                    model.train_on_batch(X[8:12], Y[8:12], return_dict=True),
                    model.test_on_batch(X[:8], Y[:8]),
                    model.test_on_batch(X[:8], Y[:8], return_dict=True)])
    ours, ref = got
    for i in (0, 2):
        np.testing.assert_allclose(np.ravel(ours[i]), np.ravel(ref[i]), rtol=1e-5, atol=1e-6)
    for i in (1, 3):
        assert sorted(ours[i]) == sorted(ref[i])
        for key in ref[i]:
            np.testing.assert_allclose(ours[i][key], ref[i][key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_the_progress_line_shows_the_listed_metrics_as_keras(capfd):
    """With `metrics` overridden, Keras's logs (and its progress line) are those metrics'; an
    update of a metric left out is lost, as in Keras's jax step."""
    lines = []
    for lib in (sk, keras):
        model = _model(lib, "Listed", {"metrics": ["mae"]})
        capfd.readouterr()
        model.fit(X, Y, epochs=1, batch_size=8, verbose=2, shuffle=False)
        out = capfd.readouterr().out
        lines.append([line.split("step - ", 1)[1] for line in out.splitlines() if "step - " in line])
        assert float(model.total.result()) == 0.0   # not in model.metrics: never updated
    assert lines[0] == lines[1] and lines[0]
