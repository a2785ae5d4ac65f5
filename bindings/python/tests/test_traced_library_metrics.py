"""Library metrics whose state is not a running mean (AUC, Precision, Recall, the
confusion-matrix metrics) updated inside a traced `compute_loss`, against real Keras 3 (jax):
the traced step records each as the library's own metric object with the nodes of y_true,
y_pred and the sample weights (keras_layer_builder_metric_object), so fit's History (and its
validation figures), the per-batch logs a callback sees, evaluate's results and the metric
objects after them carry Keras's values."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_metric_object",
                   "keras_model_traced_metrics")

RS = np.random.RandomState(11)
X = RS.normal(size=(44, 4)).astype("float32")   # batches of 8: the last has 4 rows
Y = ((X[:, 0] - 0.5 * X[:, 1] + 0.3 * RS.normal(size=44)) > 0).astype("float32")[:, None]
W = (0.5 + (np.arange(44) % 3) / 2).astype("float32")


def _model(lib, weighted, listed):
    class Ranked(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(5, activation="tanh")
            self.out = lib.layers.Dense(1, activation="sigmoid")
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.auc = lib.metrics.AUC(name="auc")
            self.pr_auc = lib.metrics.AUC(curve="PR", num_thresholds=50, name="pr_auc")
            self.precision = lib.metrics.Precision(name="precision")
            self.recall = lib.metrics.Recall(thresholds=0.3, name="recall")
            self.tp = lib.metrics.TruePositives(name="tp")
            self.fn = lib.metrics.FalseNegatives(thresholds=0.4, name="fn")

        def call(self, x):
            return self.out(self.hidden(x))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            ops = lib.ops
            loss = ops.mean(ops.square(y - y_pred))
            self.loss_tracker.update_state(loss)
            self.auc.update_state(y, y_pred, sample_weight=sample_weight if weighted else None)
            self.pr_auc.update_state(y, y_pred)
            self.precision.update_state(y, y_pred, sample_weight=sample_weight if weighted else None)
            self.recall.update_state(y, y_pred)
            self.tp.update_state(y, y_pred)
            self.fn.update_state(y, y_pred)
            return loss

    class Listed(Ranked):
        @property
        def metrics(self):
            return [self.loss_tracker, self.auc, self.precision, self.fn]

    return _built_compiled(lib, (Listed if listed else Ranked)(), seed=3)


def _built_compiled(lib, model, seed):
    """`model` built on a batch, given random weights of `seed` (the same in both libraries)
    and compiled with SGD and mse, as each test here prepares its model."""
    model(X[:1])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=0.7, size=np.shape(w)).astype("float32")
                       for w in model.get_weights()])
    model.compile(lib.optimizers.SGD(0.1), loss="mse")
    return model


def _run(lib, weighted, listed):
    model = _model(lib, weighted, listed)
    batches = []

    class Watch(lib.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append({k: float(v) for k, v in logs.items()})

    fit = dict(sample_weight=W) if weighted else {}
    history = model.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                        validation_data=(X[:20], Y[:20]), callbacks=[Watch()], **fit)
    as_dict = model.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    after = {m: float(np.asarray(getattr(model, m).result()))
             for m in ("auc", "pr_auc", "precision", "recall", "tp", "fn")}
    return ({k: [float(v) for v in vs] for k, vs in history.history.items()}, batches, as_dict,
            after, [np.asarray(w) for w in model.get_weights()])


def _close(ours, ref, what):
    assert sorted(ours) == sorted(ref), what
    for key in ref:
        np.testing.assert_allclose(ours[key], ref[key], rtol=1e-5, atol=1e-5, err_msg=f"{what}: {key}")


@pytest.mark.parametrize("weighted,listed", [(False, False), (True, False), (False, True)])
def test_library_metrics_updated_in_compute_loss_log_as_keras(weighted, listed):
    ours_h, ours_b, ours_e, ours_after, ours_w = _run(sk, weighted, listed)
    ref_h, ref_b, ref_e, ref_after, ref_w = _run(keras, weighted, listed)
    _close(ours_h, ref_h, "History")
    assert len(ours_b) == len(ref_b)
    for i, (a, b) in enumerate(zip(ours_b, ref_b)):
        _close(a, b, f"batch {i}")
    _close(ours_e, ref_e, "evaluate")
    if not listed:   # Keras's jax step only carries the variables of model.metrics
        _close(ours_after, ref_after, "result() after evaluate")
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert "auc" in ours_h and min(ours_h["auc"]) > 0.0   # a figure, not an untouched zero


def test_a_bad_metric_config_is_refused_naming_the_metric():
    """The library refuses an update it cannot make with the metric's name, not a crash."""
    class Broken(sk.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.out = sk.layers.Dense(1, activation="sigmoid")
            self.auc = sk.metrics.AUC(curve="NOPE", name="auc_bad")

        def call(self, x):
            return self.out(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            self.auc.update_state(y, y_pred)
            return sk.ops.mean(sk.ops.square(y - y_pred))

    model = Broken()
    model.compile("sgd", loss="mse")
    with pytest.raises(Exception, match="AUC|curve"):
        model.fit(X, Y, epochs=1, verbose=0)


def _python_metric_model(lib):
    class BinaryTruePositives(lib.metrics.Metric):   # keras.io's custom metric, with weights
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")

        def update_state(self, y_true, y_pred, sample_weight=None):
            ops = lib.ops
            values = ops.cast(ops.greater(y_pred, 0.5), "float32") * y_true
            if sample_weight is not None:
                values = values * ops.reshape(sample_weight, (-1, 1))
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return lib.ops.convert_to_tensor(self.true_positives)

    class MeanError(lib.metrics.Metric):   # a ratio of two variables, reset to zeros
        def __init__(self, name="mean_error", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            ops = lib.ops
            self.total.assign_add(ops.sum(ops.abs(y_true - y_pred)))
            self.count.assign_add(ops.cast(ops.shape(y_true)[0], "float32"))

        def result(self):
            return self.total / lib.ops.maximum(self.count, 1.0)

    class Custom(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.out = lib.layers.Dense(1, activation="sigmoid")
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.btp = BinaryTruePositives()
            self.err = MeanError()

        def call(self, x):
            return self.out(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = lib.ops.mean(lib.ops.square(y - y_pred))
            self.loss_tracker.update_state(loss)
            self.btp.update_state(y, y_pred, sample_weight=sample_weight)
            self.err.update_state(y, y_pred)
            return loss

    return _built_compiled(lib, Custom(), seed=5)


def test_python_metric_subclasses_updated_in_compute_loss_log_as_keras():
    """A `keras.metrics.Metric` subclass (add_variable, ops in update_state) updated inside the
    traced compute_loss: recorded as the library's metric of its class, whose updates call the
    object's own methods on each batch's arrays; History, batch logs, evaluate and result()."""
    got = []
    for lib in (sk, keras):
        model = _python_metric_model(lib)
        batches = []

        class Watch(lib.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                batches.append({k: float(v) for k, v in logs.items()})

        history = model.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0, sample_weight=W,
                            validation_data=(X[:20], Y[:20]), callbacks=[Watch()])
        as_dict = model.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
        after = {"btp": float(np.asarray(model.btp.result())),
                 "err": float(np.asarray(model.err.result()))}
        got.append(({k: [float(v) for v in vs] for k, vs in history.history.items()}, batches,
                    as_dict, after))
    (ours_h, ours_b, ours_e, ours_after), (ref_h, ref_b, ref_e, ref_after) = got
    _close(ours_h, ref_h, "History")
    assert len(ours_b) == len(ref_b)
    for i, (a, b) in enumerate(zip(ours_b, ref_b)):
        _close(a, b, f"batch {i}")
    _close(ours_e, ref_e, "evaluate")
    _close(ours_after, ref_after, "result() after evaluate")
    assert max(ours_h["binary_true_positives"]) > 0


@pytest.mark.parametrize("lib", [sk, keras], ids=["swiftkeras", "keras"])
def test_a_python_metric_of_other_arguments_is_called_as_written(lib):
    """The traced form takes (y_true, y_pred[, sample_weight]) updates; a metric whose
    update_state takes other arguments is called with them as written."""
    class Last(lib.metrics.Metric):
        def __init__(self, name="last"):
            super().__init__(name=name)
            self.value = self.add_variable(shape=(), initializer="zeros", name="value")

        def update_state(self, values, scale=1.0):
            self.value.assign(lib.ops.mean(values) * scale)

        def result(self):
            return lib.ops.convert_to_tensor(self.value)

    metric = Last()
    metric.update_state(np.array([1.0, 3.0], "float32"))
    assert float(np.asarray(metric.result())) == 2.0
    metric.update_state(np.array([1.0, 3.0], "float32"), scale=3.0)
    assert float(np.asarray(metric.result())) == 6.0
