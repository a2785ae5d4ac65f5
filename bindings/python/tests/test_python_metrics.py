"""Stateful metrics written in Python (`keras.metrics.Metric` subclasses, and subclasses of
`Mean`, `Sum` and `MeanMetricWrapper`): on arrays, and compiled into a model whose fit,
evaluate, train_on_batch and test_on_batch run in the library and call the metric once per
batch. Every figure is compared with real Keras 3 (jax backend) on the same model, initial
weights and data."""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = [needs(*CORE, "keras_register_metric_class"), pytest.mark.usefixtures("seeded")]

RS = np.random.RandomState(0)
X = RS.rand(40, 4).astype("float32")
Y = RS.randint(0, 3, size=(40, 1)).astype("float32")
SW = RS.rand(40).astype("float32") + 0.5


class Budget(Exception):
    """An exception of the user's own type, raised inside update_state."""


def _classes(lib):
    """The same metric classes written against `lib` (swiftkeras or keras)."""
    ops = lib.ops

    class CountPositives(lib.metrics.Metric):   # issue 16's example
        def __init__(self, name="count_pos", **kw):
            super().__init__(name=name, **kw)
            self.c = self.add_variable(shape=(), initializer="zeros", name="c")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.c.assign(self.c + ops.sum(ops.cast(y_pred > 0.5, "float32")))

        def result(self):
            return self.c.value

        def reset_state(self):
            self.c.assign(0.0)

    class CategoricalTruePositives(lib.metrics.Metric):   # keras.io, training_with_built_in_methods
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives.value

        def reset_state(self):
            self.true_positives.assign(0.0)

    class TopProbability(lib.metrics.Mean):   # a Mean subclass, weighted
        def update_state(self, y_true, y_pred, sample_weight=None):
            super().update_state(ops.max(y_pred, axis=-1), sample_weight=sample_weight)

    class PredictedClassSum(lib.metrics.Sum):
        def update_state(self, y_true, y_pred, sample_weight=None):
            super().update_state(ops.cast(ops.argmax(y_pred, axis=-1), "float32"),
                                 sample_weight=sample_weight)

    def hits(y_true, y_pred):
        return ops.cast(ops.argmax(y_pred, axis=-1) == ops.cast(ops.reshape(y_true, (-1,)), "int32"),
                        "float32")

    class Hits(lib.metrics.MeanMetricWrapper):
        def __init__(self, name="hits", dtype=None):
            super().__init__(fn=hits, name=name, dtype=dtype)

        def get_config(self):
            return {"name": self.name, "dtype": self.dtype}

    class FirstColumnMean(lib.metrics.Metric):   # Keras 2's add_weight, the default reset_state
        def __init__(self, name="first_column_mean", **kw):
            super().__init__(name=name, **kw)
            self.total = self.add_weight(name="total", initializer="zeros")
            self.n = self.add_weight(name="n", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(ops.sum(y_pred[:, 0]))
            self.n.assign_add(ops.cast(ops.shape(y_pred)[0], "float32"))

        def result(self):
            return ops.divide_no_nan(self.total.value, self.n.value)

    return {c.__name__: c for c in (CountPositives, CategoricalTruePositives, TopProbability,
                                    PredictedClassSum, Hits, FirstColumnMean)}


OURS, THEIRS = _classes(sk), _classes(keras)


def _model(lib):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(5, activation="relu"),
                           lib.layers.Dense(3, activation="softmax")])


def _pair():
    ours, ref = _model(sk), _model(keras)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    return ours, ref


def _metric_lists(classes):
    return ([classes["CategoricalTruePositives"](), classes["CountPositives"](), classes["Hits"](),
             classes["PredictedClassSum"](name="class_sum")],
            [classes["TopProbability"](name="top_p"), classes["FirstColumnMean"]()])


def _assert_logs_equal(ours, ref):
    assert sorted(ours) == sorted(ref)
    for k in ref:
        np.testing.assert_allclose(ours[k], np.asarray(ref[k], np.float64), rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("name", sorted(OURS))
def test_metric_on_arrays_matches_keras(name):
    mine, theirs = OURS[name](), THEIRS[name]()
    assert mine.name == theirs.name and mine.dtype == theirs.dtype
    assert mine.get_config() == theirs.get_config()
    assert [(v.path, v.name, tuple(v.shape), v.dtype, v.trainable) for v in mine.variables] == \
        [(v.path, v.name, tuple(v.shape), v.dtype, v.trainable) for v in theirs.variables]
    p = RS.dirichlet(np.ones(3), size=40).astype("float32")
    for rows, weighted in ((slice(0, 16), False), (slice(16, 40), True)):
        for m in (mine, theirs):
            if weighted:
                m.update_state(Y[rows], p[rows], SW[rows])
            else:
                m.update_state(Y[rows], p[rows])
        np.testing.assert_allclose(mine.result(), np.asarray(theirs.result()), rtol=1e-6)
    np.testing.assert_allclose([v.numpy() for v in mine.variables],
                               [np.asarray(v.numpy()) for v in theirs.variables], rtol=1e-6)
    mine.reset_state()
    theirs.reset_state()
    np.testing.assert_allclose(mine.result(), np.asarray(theirs.result()))
    np.testing.assert_allclose(mine(Y[:8], p[:8]), np.asarray(theirs(Y[:8], p[:8])), rtol=1e-6)
    again = type(mine).from_config(mine.get_config())
    assert again.name == mine.name and again.get_config() == mine.get_config()


def test_mean_and_sum_on_arrays_match_keras():
    values = RS.rand(6, 2).astype("float32")
    for cls in ("Mean", "Sum"):
        mine, theirs = getattr(sk.metrics, cls)(name="m"), getattr(keras.metrics, cls)(name="m")
        for m in (mine, theirs):
            m.update_state(values[:3])
            m.update_state(values[3:], sample_weight=np.array([0.5, 0.0, 2.0], np.float32))
        np.testing.assert_allclose(mine.result(), np.asarray(theirs.result()), rtol=1e-6)
        assert [v.path for v in mine.variables] == [v.path for v in theirs.variables]
        mine.reset_state()
        theirs.reset_state()
        assert float(mine.result()) == float(theirs.result()) == 0.0


def test_fit_evaluate_and_batch_calls_match_keras():
    ours, ref = _pair()
    mine, theirs = _metric_lists(OURS), _metric_lists(THEIRS)
    ours.compile(sk.optimizers.SGD(0.5), "sparse_categorical_crossentropy", metrics=mine[0],
                 weighted_metrics=mine[1])
    ref.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy", metrics=theirs[0],
                weighted_metrics=theirs[1])
    args = dict(sample_weight=SW, batch_size=8, epochs=3, validation_split=0.25, shuffle=False, verbose=0)
    h_ours, h_ref = ours.fit(X, Y, **args).history, ref.fit(X, Y, **args).history
    assert "val_count_pos" in h_ours and len(h_ours["count_pos"]) == 3
    _assert_logs_equal(h_ours, h_ref)
    # The objects given to compile hold the state the library left (the last validation).
    for a, b in zip(mine[0] + mine[1], theirs[0] + theirs[1]):
        np.testing.assert_allclose(a.result(), np.asarray(b.result()), rtol=1e-5, err_msg=a.name)
    _assert_logs_equal(ours.evaluate(X, Y, sample_weight=SW, batch_size=16, verbose=0, return_dict=True),
                       ref.evaluate(X, Y, sample_weight=SW, batch_size=16, verbose=0, return_dict=True))
    for call in ("train_on_batch", "test_on_batch", "train_on_batch"):
        _assert_logs_equal(getattr(ours, call)(X[:10], Y[:10], sample_weight=SW[:10], return_dict=True),
                           getattr(ref, call)(X[:10], Y[:10], sample_weight=SW[:10], return_dict=True))


def test_metrics_per_output_in_a_dict_match_keras():
    def model(lib):
        inputs = lib.Input((4,), name="x")
        hidden = lib.layers.Dense(4, activation="relu", name="h")(inputs)
        a = lib.layers.Dense(1, activation="sigmoid", name="a")(hidden)
        b = lib.layers.Dense(1, activation="sigmoid", name="b")(hidden)
        return lib.Model(inputs, {"a": a, "b": b})

    ours, ref = model(sk), model(keras)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    targets = {"a": (X[:, :1] > 0.5).astype("float32"), "b": (X[:, 1:2] > 0.3).astype("float32")}
    for m, classes, lib in ((ours, OURS, sk), (ref, THEIRS, keras)):
        m.compile(lib.optimizers.SGD(0.1), loss={"a": "binary_crossentropy", "b": "binary_crossentropy"},
                  metrics={"a": [classes["CountPositives"]()],
                           "b": [classes["CountPositives"](name="pos_b")]})
    args = dict(batch_size=10, epochs=2, shuffle=False, verbose=0)
    _assert_logs_equal(ours.fit(X, targets, **args).history, ref.fit(X, targets, **args).history)
    _assert_logs_equal(ours.evaluate(X, targets, verbose=0, return_dict=True),
                       ref.evaluate(X, targets, verbose=0, return_dict=True))


def test_the_issue_metric_returning_its_variable_trains_and_shows_in_the_progress_bar(capfd):
    class CountPositives(sk.metrics.Metric):
        def __init__(self, name="count_pos", **kw):
            super().__init__(name=name, **kw)
            self.c = self.add_variable(shape=(), initializer="zeros", name="c")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.c.assign(self.c + sk.ops.sum(sk.ops.cast(y_pred > 0.5, "float32")))

        def result(self):
            return self.c

        def reset_state(self):
            self.c.assign(0.0)

    ours, ref = _pair()
    ours.compile("sgd", "sparse_categorical_crossentropy", metrics=[CountPositives()])
    ref.compile("sgd", "sparse_categorical_crossentropy", metrics=[THEIRS["CountPositives"]()])
    capfd.readouterr()
    history = ours.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=1).history
    assert "count_pos:" in capfd.readouterr().out
    _assert_logs_equal(history, ref.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history)


def _registered(lib, base):
    @lib.saving.register_keras_serializable(package="Test")
    class RegisteredCount(base):
        pass
    return RegisteredCount


def test_compile_config_save_and_load_as_keras(tmp_path):
    RegisteredCount = _registered(sk, OURS["CountPositives"])
    RegisteredCountK = _registered(keras, THEIRS["CountPositives"])
    ours, ref = _pair()
    ours.compile("adam", "sparse_categorical_crossentropy",
                 metrics=[RegisteredCount(name="reg"), OURS["CategoricalTruePositives"]()])
    ref.compile("adam", "sparse_categorical_crossentropy",
                metrics=[RegisteredCountK(name="reg"), THEIRS["CategoricalTruePositives"]()])
    theirs_config = ref.get_compile_config()
    assert ours.get_compile_config()["metrics"] == theirs_config["metrics"]
    ours.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "m.keras")
    ours.save(path)
    with zipfile.ZipFile(path) as z:
        saved = json.loads(z.read("config.json"))["compile_config"]
    assert saved["metrics"] == theirs_config["metrics"]
    expected = ours.evaluate(X, Y, verbose=0, return_dict=True)
    custom = {"CategoricalTruePositives": OURS["CategoricalTruePositives"]}
    loaded = sk.models.load_model(path, custom_objects=custom)
    _assert_logs_equal(loaded.evaluate(X, Y, verbose=0, return_dict=True), expected)
    # In a process that never saw the classes, loading says how to make them known, in
    # Python's terms (this process keeps what compile registered, as for metric functions).
    script = ("import sys, swiftkeras as sk\n"
              "try:\n    sk.models.load_model(sys.argv[1])\n"
              "except Exception as e:\n    print(type(e).__name__, e)\n")
    out = subprocess.run([sys.executable, "-c", script, path], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert "RegisteredCount" in out.stdout or "CategoricalTruePositives" in out.stdout, out
    assert "register_keras_serializable" in out.stdout, out


def _failing(where):
    class Failing(sk.metrics.Metric):
        armed = False

        def __init__(self, name="failing", **kw):
            super().__init__(name=name, **kw)
            self.n = self.add_variable(shape=(), initializer="zeros", name="n")

        def update_state(self, y_true, y_pred, sample_weight=None):
            if self.armed and where == "update_state":
                raise Budget("update_state ran out of budget")
            self.n.assign_add(float(len(y_pred)))

        def result(self):
            if self.armed and where == "result":
                raise Budget("result ran out of budget")
            return self.n

        def reset_state(self):
            if self.armed and where == "reset_state":
                raise Budget("reset_state ran out of budget")
            self.n.assign(0.0)

    return Failing


@pytest.mark.parametrize("where", ["update_state", "result", "reset_state"])
def test_exceptions_in_the_metric_reach_the_caller_and_the_model_stays_usable(where):
    metric = _failing(where)()
    ours, _ = _pair()
    ours.compile("sgd", "sparse_categorical_crossentropy", metrics=[metric])
    before = ours.get_weights()
    metric.armed = True
    for call in (lambda: ours.fit(X, Y, batch_size=8, epochs=2, verbose=0),
                 lambda: ours.evaluate(X, Y, verbose=0),
                 lambda: ours.train_on_batch(X, Y)):
        with pytest.raises(Budget, match=f"{where} ran out of budget"):
            call()
    metric.armed = False
    history = ours.fit(X, Y, batch_size=8, epochs=2, verbose=0).history
    assert history["failing"] == [40.0, 40.0]
    assert ours.evaluate(X, Y, verbose=0, return_dict=True)["failing"] == 40.0
    assert all(w.shape == b.shape for w, b in zip(ours.get_weights(), before))


def test_a_metric_without_super_init_is_told_as_keras_tells_it():
    class Forgot(sk.metrics.Metric):
        def __init__(self):
            self.v = self.add_variable(shape=(), initializer="zeros", name="v")

    with pytest.raises(RuntimeError, match="super\\(\\).__init__"):
        Forgot()


def _shaped_results(lib):
    """Metrics whose result is a dict (Keras merges its keys into the logs) and a vector (logged
    as an array, as F1Score(average=None))."""
    ops = lib.ops

    class MeanAndCount(lib.metrics.Metric):
        def __init__(self, name="mean_and_count", **kw):
            super().__init__(name=name, **kw)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(ops.sum(ops.max(y_pred, axis=-1)))
            self.count.assign_add(ops.cast(ops.shape(y_pred)[0], "float32"))

        def result(self):
            return {"top_mean": self.total / self.count, "seen": self.count * 1.0}

    class ColumnSums(lib.metrics.Metric):
        def __init__(self, name="column_sums", **kw):
            super().__init__(name=name, **kw)
            self.sums = self.add_variable(shape=(3,), initializer="zeros", name="sums")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.sums.assign_add(ops.sum(y_pred, axis=0))

        def result(self):
            return self.sums * 1.0

    return [MeanAndCount(), ColumnSums(), lib.metrics.F1Score(average=None), lib.metrics.F1Score(average="macro", name="f1_macro")]


def test_dict_and_vector_results_are_logged_as_keras():
    ours, ref = _pair()
    y = np.eye(3, dtype="float32")[Y[:, 0].astype(int)]
    ours.compile(sk.optimizers.SGD(0.5), "categorical_crossentropy", metrics=_shaped_results(sk))
    ref.compile(keras.optimizers.SGD(0.5), "categorical_crossentropy", metrics=_shaped_results(keras))
    args = dict(batch_size=8, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    h_ours, h_ref = ours.fit(X, y, **args).history, ref.fit(X, y, **args).history
    assert {"top_mean", "seen", "val_top_mean", "val_seen"} <= set(h_ref) and "mean_and_count" not in h_ref
    assert h_ours["column_sums"][0].shape == (3,)
    _assert_logs_equal(h_ours, h_ref)
    _assert_logs_equal(ours.evaluate(X, y, batch_size=16, verbose=0, return_dict=True),
                       ref.evaluate(X, y, batch_size=16, verbose=0, return_dict=True))
    # As a list: loss and the metrics in compile order, then the dict's keys, sorted.
    listed, expected = ours.evaluate(X, y, verbose=0), ref.evaluate(X, y, verbose=0)
    assert len(listed) == len(expected) == 6
    for a, b in zip(listed, expected):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    _assert_logs_equal(ours.test_on_batch(X[:10], y[:10], return_dict=True),
                       ref.test_on_batch(X[:10], y[:10], return_dict=True))


def test_a_result_that_is_not_numbers_is_refused_naming_the_metric():
    class Words(sk.metrics.Metric):
        def update_state(self, y_true, y_pred, sample_weight=None):
            pass

        def result(self):
            return {"fine": 1.0, "verdict": "good"}

    ours, _ = _pair()
    ours.compile("sgd", "sparse_categorical_crossentropy", metrics=[Words()])
    with pytest.raises(TypeError, match="Words.result\\(\\)\\['verdict'\\] returned str"):
        ours.evaluate(X, Y, verbose=0)


def test_class_weights_reach_weighted_metrics_as_in_keras():
    ours, ref = _pair()
    for m, classes, lib in ((ours, OURS, sk), (ref, THEIRS, keras)):
        m.compile(lib.optimizers.SGD(0.2), "sparse_categorical_crossentropy",
                  metrics=[classes["PredictedClassSum"](name="plain")],
                  weighted_metrics=[classes["PredictedClassSum"](name="weighted"),
                                    classes["TopProbability"]()])
    args = dict(class_weight={0: 1.0, 1: 3.0, 2: 0.5}, batch_size=16, epochs=2, shuffle=False, verbose=0)
    _assert_logs_equal(ours.fit(X, Y, **args).history, ref.fit(X, Y, **args).history)


def test_a_registered_metric_class_is_found_by_its_name_in_compile():
    @sk.saving.register_keras_serializable(package="Named")
    class PositiveCount(OURS["CountPositives"]):
        def __init__(self, name="positive_count", **kw):
            super().__init__(name=name, **kw)

    ours, ref = _pair()
    ours.compile("sgd", "sparse_categorical_crossentropy", metrics=["PositiveCount"])
    ref.compile("sgd", "sparse_categorical_crossentropy",
                metrics=[THEIRS["CountPositives"](name="positive_count")])
    _assert_logs_equal(ours.evaluate(X, Y, verbose=0, return_dict=True),
                       ref.evaluate(X, Y, verbose=0, return_dict=True))
