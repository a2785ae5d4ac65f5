"""Metrics updated under one name in training and in test mode (a `loss` tracker, a Precision
and a MeanAbsoluteError, updated by a traced `compute_loss`, or by a `train_step` written with
swiftkeras.GradientTape and a `test_step`), against real Keras 3 (jax, its JAX form of those
steps): fit with validation_data, the per-batch logs its callbacks see in training and in
validation, evaluate after fit, the metrics' state after it, and train_on_batch / test_on_batch
in turn (each starts its metrics afresh, as Keras's). The logs' names are in Keras's order
(sorted, as its pythonify_logs gives them; `val_` ones after)."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_metric",
                   "keras_model_traced_metrics", "keras_model_train_batch")

RS = np.random.RandomState(8)
X = RS.normal(size=(44, 5)).astype("float32")
Y = (X[:, :1] - X[:, 1:2] > 0).astype("float32")
VX, VY = X[:12] * 0.7, Y[:12]


def _net(lib):
    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(6, activation="tanh")
            self.out = lib.layers.Dense(1, activation="sigmoid")
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.prec = lib.metrics.Precision(name="prec")
            self.mae = lib.metrics.MeanAbsoluteError(name="mae")

        def call(self, x, training=None):
            return self.out(self.hidden(x))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return lib.ops.mean(lib.ops.square(y - y_pred))

        @property
        def metrics(self):
            return [self.loss_tracker, self.prec, self.mae]

        def _update(self, loss, y, y_pred):
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
    return Net


def _traced(lib):
    class Traced(_net(lib)):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = lib.ops.mean(lib.ops.square(y - y_pred))
            self._update(loss, y, y_pred)
            return loss
    return Traced


def _steps_ours():
    class Steps(_net(sk)):
        def train_step(self, data):
            x, y = data
            with sk.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x, y, y_pred)
            self.optimizer.apply(tape.gradient(loss, self.trainable_variables), self.trainable_variables)
            self._update(loss, y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            self._update(self.compute_loss(x, y, y_pred), y, y_pred)
            return {m.name: m.result() for m in self.metrics}
    return Steps


def _steps_keras():
    """The same steps in Keras's JAX form (stateless_call, value_and_grad, stateless updates)."""
    import jax

    class Steps(_net(keras)):
        def _stateless_update(self, metrics_variables, loss, y, y_pred):
            new, logs = [], {}
            for metric in self.metrics:
                this = metrics_variables[len(new):len(new) + len(metric.variables)]
                this = metric.stateless_update_state(this, loss) if metric.name == "loss" else \
                    metric.stateless_update_state(this, y, y_pred)
                logs[metric.name] = metric.stateless_result(this)
                new += this
            return logs, new

        def train_step(self, state, data):
            trainable, non_trainable, optimizer_variables, metrics_variables = state
            x, y = data[0], data[1]

            def loss_of(trainable, non_trainable):
                y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=True)
                return self.compute_loss(x, y, y_pred), (y_pred, non_trainable)
            (loss, (y_pred, non_trainable)), grads = jax.value_and_grad(loss_of, has_aux=True)(
                trainable, non_trainable)
            trainable, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable)
            logs, metrics_variables = self._stateless_update(metrics_variables, loss, y, y_pred)
            return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)

        def test_step(self, state, data):
            trainable, non_trainable, metrics_variables = state
            x, y = data[0], data[1]
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=False)
            logs, metrics_variables = self._stateless_update(
                metrics_variables, self.compute_loss(x, y, y_pred), y, y_pred)
            return logs, (trainable, non_trainable, metrics_variables)
    return Steps


def _record(lib, cls):
    def rounded(logs):
        return [(k, round(float(v), 5)) for k, v in (logs or {}).items()]   # names in order

    class Recorder(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_train_batch_end(self, batch, logs=None):
            self.seen.append(("train", batch, rounded(logs)))

        def on_test_batch_end(self, batch, logs=None):
            self.seen.append(("test", batch, rounded(logs)))

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append(("epoch", epoch, rounded(logs)))

    model = cls()
    model(X[:1])
    rng = np.random.default_rng(4)
    model.set_weights([rng.normal(scale=0.5, size=np.shape(w)).astype("float32")
                       for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(0.05))
    recorder = Recorder()
    history = model.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0,
                        validation_data=(VX, VY), callbacks=[recorder])
    seen = {"history": [(k, [round(float(v), 5) for v in vs]) for k, vs in history.history.items()],
            "callbacks": recorder.seen}
    seen["evaluate"] = rounded(model.evaluate(VX, VY, verbose=0, return_dict=True))
    seen["state"] = [(m.name, round(float(np.asarray(m.result())), 5)) for m in model.metrics]
    seen["batches"] = [rounded(model.train_on_batch(X[:8], Y[:8], return_dict=True)),
                       rounded(model.test_on_batch(VX, VY, return_dict=True)),
                       rounded(model.train_on_batch(X[8:16], Y[8:16], return_dict=True))]
    return seen


@pytest.mark.parametrize("form", ["traced_compute_loss", "train_and_test_steps"])
def test_metrics_updated_in_both_modes_log_as_keras(form):
    if form == "traced_compute_loss":
        ours, ref = _record(sk, _traced(sk)), _record(keras, _traced(keras))
    else:
        ours, ref = _record(sk, _steps_ours()), _record(keras, _steps_keras())
    assert [k for k, _ in ours["history"]] == [k for k, _ in ref["history"]]
    for (key, a), (_, b) in zip(ours["history"], ref["history"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5, err_msg=key)
    for part in ("evaluate", "state", "batches"):
        assert _names(ours[part]) == _names(ref[part]), part
        np.testing.assert_allclose(_values(ours[part]), _values(ref[part]), rtol=1e-4, atol=2e-5,
                                   err_msg=part)
    assert [c[:2] for c in ours["callbacks"]] == [c[:2] for c in ref["callbacks"]]
    for a, b in zip(ours["callbacks"], ref["callbacks"]):
        assert _names(a[2]) == _names(b[2]), a[:2]
        np.testing.assert_allclose(_values(a[2]), _values(b[2]), rtol=1e-4, atol=2e-5,
                                   err_msg=str(a[:2]))


def _names(part):
    if part and isinstance(part[0], list):
        return [_names(p) for p in part]
    return [k for k, _ in part]


def _values(part):
    if part and isinstance(part[0], list):
        return [v for p in part for v in _values(p)]
    return [v for _, v in part]


def test_compiled_metrics_log_names_in_keras_order():
    """A compiled model's logs (no step of the user's): History, each batch's logs and
    evaluate's dict name the figures in Keras's order (sorted), with Keras's values."""
    def run(lib):
        model = lib.Sequential([lib.Input((5,)), lib.layers.Dense(1, activation="sigmoid")])
        model.set_weights([np.full((5, 1), 0.3, np.float32), np.zeros(1, np.float32)])
        model.compile(lib.optimizers.SGD(0.1), "mse", metrics=["mae", "accuracy"])
        batches = []

        class Recorder(lib.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                batches.append(list(logs))
        history = model.fit(X, Y, epochs=1, batch_size=16, verbose=0, shuffle=False,
                            validation_data=(VX, VY), callbacks=[Recorder()])
        return history.history, batches, model.evaluate(VX, VY, verbose=0, return_dict=True)
    (ours_h, ours_b, ours_e), (ref_h, ref_b, ref_e) = run(sk), run(keras)
    assert list(ours_h) == list(ref_h)
    assert ours_b == ref_b
    assert list(ours_e) == list(ref_e) == ["accuracy", "loss", "mae"]
    for key in ref_e:
        np.testing.assert_allclose(ours_e[key], ref_e[key], rtol=1e-5, atol=1e-6, err_msg=key)
