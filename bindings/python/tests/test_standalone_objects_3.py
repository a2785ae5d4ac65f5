"""Standalone Keras objects, third round: a metric's `variables` (names, shapes, dtypes, values;
fresh, after update_state, and `model.metrics` after evaluate and fit) and a built-in callback's
state after fit (EarlyStopping's stopped_epoch, wait, best, best_epoch, best_weights;
ReduceLROnPlateau's wait, best, cooldown_counter; ModelCheckpoint's best), each compared with
real Keras on the same values."""

import re

import conftest
import numpy as np
import pytest

import swiftkeras as keras

_Y2 = np.array([[1., 0], [0, 1], [1, 0], [0, 1]], np.float32)
_P2 = np.array([[0.6, 0.4], [0.3, 0.7], [0.2, 0.8], [0.55, 0.45]], np.float32)
_YB = np.array([[1.], [0], [1], [1], [0], [0]], np.float32)
_PB = np.array([[0.9], [0.2], [0.4], [0.7], [0.6], [0.1]], np.float32)
_W = np.array([1., 2, 0.5, 1, 1, 3], np.float32)

# (class, constructor arguments, updates: [(y_true, y_pred, sample_weight)])
_METRICS = [
    ("MeanSquaredError", {}, [(_YB, _PB, None), (_YB, _PB * 0.5, _W)]),
    ("BinaryAccuracy", {}, [(_YB, _PB, _W)]),
    ("AUC", {"num_thresholds": 5}, [(_YB, _PB, None), (_YB[:3], _PB[:3], None)]),
    ("AUC", {"num_thresholds": 4, "multi_label": True}, [(_Y2, _P2, None)]),
    ("Precision", {}, [(_YB, _PB, _W)]),
    ("Recall", {"thresholds": [0.3, 0.6]}, [(_YB, _PB, None)]),
    ("TruePositives", {}, [(_YB, _PB, None)]),
    ("SensitivityAtSpecificity", {"specificity": 0.5, "num_thresholds": 5}, [(_YB, _PB, None)]),
    ("MeanIoU", {"num_classes": 3}, [(np.array([0., 1, 2, 2]), np.array([0., 2, 2, 1]), None)]),
    ("R2Score", {}, [(_Y2, _P2, None)]),
    ("F1Score", {}, [(_Y2, _P2, None)]),
    ("F1Score", {"average": "micro", "threshold": 0.5}, [(_Y2, _P2, None)]),
]


def _state(variables):
    return [(v.path.split("/")[-1], tuple(v.shape), str(v.dtype), np.asarray(v.numpy(), np.float64))
            for v in variables]


def _fit_data():
    rng = np.random.RandomState(0)
    x = rng.rand(24, 3).astype("float32")
    y = (x.sum(1, keepdims=True) > 1.5).astype("float32")
    return x, y


def _fit(lib, callbacks, epochs=4, metrics=None, evaluate_only=False):
    """The same model in either library: zero kernel, a bias of 0.1, a learning rate of 0 (the
    figures repeat each epoch, the monitors see no improvement beyond min_delta)."""
    x, y = _fit_data()
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(
        1, activation="sigmoid", kernel_initializer="zeros",
        bias_initializer=lib.initializers.Constant(0.1))])
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy",
                  metrics=metrics or [])
    if evaluate_only:
        model.evaluate(x, y, batch_size=8, verbose=0)
    else:
        model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=callbacks)
    return model


def _callback_runs(lib, tmp):
    out = {}
    es = lib.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=10.0,
                                     restore_best_weights=True)
    seen = []

    class Reader(lib.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((es.wait, es.stopped_epoch))

    model = _fit(lib, [es, Reader()], epochs=6)
    out["early"] = (es.stopped_epoch, es.wait, es.best_epoch, es.best,
                    [np.asarray(w) for w in es.best_weights],
                    [np.asarray(w) for w in model.get_weights()])
    out["seen"] = seen
    plateau = lib.callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, cooldown=1,
                                              min_delta=10.0)
    _fit(lib, [plateau], epochs=5)
    out["plateau"] = (plateau.wait, plateau.best, plateau.cooldown_counter)
    checkpoint = lib.callbacks.ModelCheckpoint(str(tmp / "best.weights.h5"), monitor="loss",
                                               save_best_only=True, save_weights_only=True)
    _fit(lib, [checkpoint], epochs=2)
    out["checkpoint"] = checkpoint.best
    fresh = lib.callbacks.EarlyStopping()
    out["fresh"] = (fresh.wait, fresh.stopped_epoch, fresh.best_weights)
    return out


def _user_metric_runs(lib):
    """The metric objects given to compile, after fit, fit with validation data (Keras's
    objects then hold the validation state) and evaluate: (result, variables) of each."""
    x, y = _fit_data()
    out = {}
    for mode in ("fit", "validation", "evaluate"):
        auc, mae = lib.metrics.AUC(num_thresholds=4), lib.metrics.MeanAbsoluteError()
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(
            1, activation="sigmoid", kernel_initializer="zeros",
            bias_initializer=lib.initializers.Constant(0.1))])
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy",
                      metrics=[mae, auc])
        if mode == "fit":
            model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        elif mode == "validation":
            model.fit(x[:16], y[:16], epochs=1, batch_size=8, verbose=0,
                      validation_data=(x[16:], y[16:]))
        else:
            model.evaluate(x[:10], y[:10], verbose=0)
        out[mode] = [(float(m.result()), _state(m.variables)) for m in (auc, mae)]
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Real Keras's answers, computed once for the module."""
    K = conftest.real_keras()
    out = {"metrics": []}
    for cls, args, updates in _METRICS:
        m = getattr(K.metrics, cls)(**args)
        fresh = _state(m.variables)
        for yt, yp, sw in updates:
            m.update_state(yt, yp, sample_weight=sw)
        result = np.asarray(m.result())
        out["metrics"].append((fresh, _state(m.variables), result))
    for mode in ("evaluate", "fit"):
        model = _fit(K, [], epochs=1, metrics=[K.metrics.MeanAbsoluteError(), K.metrics.AUC(num_thresholds=4)],
                     evaluate_only=mode == "evaluate")
        out[mode] = ([(m.name, _state(m.variables)) for m in model.metrics],
                     [v.path for v in model.metrics_variables])
    out["callbacks"] = _callback_runs(K, tmp_path_factory.mktemp("keras"))
    out["user_metrics"] = _user_metric_runs(K)
    return out


def _assert_same_state(got, expected, what):
    assert [g[:3] for g in got] == [e[:3] for e in expected], what
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g[3], e[3], rtol=1e-5, atol=1e-5, err_msg=f"{what}: {g[0]}")


@pytest.mark.parametrize("index", range(len(_METRICS)))
def test_metric_variables_as_keras(reference, index):
    """Fresh and after update_state: Keras's names, shapes, dtypes and values, in its order."""
    cls, args, updates = _METRICS[index]
    fresh, updated, result = reference["metrics"][index]
    m = getattr(keras.metrics, cls)(**args)
    _assert_same_state(_state(m.variables), fresh, f"{cls}{args} fresh")
    for yt, yp, sw in updates:
        m.update_state(yt, yp, sample_weight=sw)
    _assert_same_state(_state(m.variables), updated, f"{cls}{args} updated")
    assert all(v.path.startswith(m.name + "/") for v in m.variables)
    assert np.shape(m.result()) == np.shape(result)   # (one value per threshold: Recall's two)
    np.testing.assert_allclose(m.result(), result, rtol=1e-5, atol=1e-6)
    m.reset_state()
    assert all(not np.any(v.numpy()) for v in m.variables if v.dtype != "int32") or cls == "R2Score"


def test_compiled_model_metric_variable_assign_is_refused():
    """The state of a compiled model's metric is its library's: a copy's assign says so instead
    of changing nothing (a metric object's own variables take assign: test_stateless_apis)."""
    model = _fit(keras, [], epochs=1, evaluate_only=True)
    with pytest.raises(NotImplementedError, match="loss/total"):
        model.metrics[0].variables[0].assign(1.0)


@pytest.mark.parametrize("mode", ["evaluate", "fit"])
def test_model_metrics_variables_as_keras(reference, mode):
    """`model.metrics` after evaluate and after fit: the loss tracker's total and count, then
    every compiled metric's variables, with Keras's values; `model.metrics_variables` lists
    them in Keras's order."""
    expected, paths = reference[mode]
    model = _fit(keras, [], epochs=1, metrics=[keras.metrics.MeanAbsoluteError(),
                                               keras.metrics.AUC(num_thresholds=4)],
                 evaluate_only=mode == "evaluate")
    got = [(m.name, _state(m.variables)) for m in model.metrics]
    assert [g[0] for g in got] == [e[0] for e in expected]
    for (name, g), (_, e) in zip(got, expected):
        _assert_same_state(g, e, f"{mode}: model.metrics {name}")
    assert [v.path for v in model.metrics_variables] == paths


def test_compiled_metric_objects_hold_the_fit_state(reference):
    """The AUC and MeanAbsoluteError objects given to compile hold, after fit (the validation
    figures' state when there are some) and evaluate, Keras's variables and result."""
    got = _user_metric_runs(keras)
    for mode, expected in reference["user_metrics"].items():
        for (result, state), (want_result, want_state) in zip(got[mode], expected):
            np.testing.assert_allclose(result, want_result, rtol=1e-5, err_msg=mode)
            _assert_same_state(state, want_state, mode)


@pytest.fixture(scope="module")
def callback_runs(tmp_path_factory):
    return _callback_runs(keras, tmp_path_factory.mktemp("swiftkeras"))


def test_early_stopping_state_as_keras(reference, callback_runs):
    """stopped_epoch, wait, best_epoch and best after fit, best_weights (restored: the model's),
    and the state a callback of the same fit reads at each epoch end."""
    expected, got = reference["callbacks"]["early"], callback_runs["early"]
    assert got[:3] == expected[:3]
    np.testing.assert_allclose(got[3], expected[3], rtol=1e-6)
    assert len(got[4]) == len(expected[4])
    for g, e, w in zip(got[4], expected[4], got[5]):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(g, w)
    assert callback_runs["seen"] == reference["callbacks"]["seen"]
    assert callback_runs["fresh"] == reference["callbacks"]["fresh"]


def test_plateau_and_checkpoint_state_as_keras(reference, callback_runs):
    got, expected = callback_runs["plateau"], reference["callbacks"]["plateau"]
    assert (got[0], got[2]) == (expected[0], expected[2])
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)
    np.testing.assert_allclose(callback_runs["checkpoint"], reference["callbacks"]["checkpoint"],
                               rtol=1e-6)


def _adafactor_model(lib):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, kernel_initializer="ones",
                                                              name="d")], name="seq")
    model.compile(optimizer=lib.optimizers.Adafactor(learning_rate=0.01), loss="mse")
    return model


def _adafactor_fit(model):
    x = np.linspace(0, 1, 12, dtype="float32").reshape(4, 3)
    model.fit(x, x[:, :2] * 2, epochs=2, batch_size=2, verbose=0, shuffle=False)
    return model


@pytest.fixture(scope="module")
def adafactor(tmp_path_factory):
    """Real Keras's Adafactor variables after a fit, its .keras file, and its reading of ours."""
    K = conftest.real_keras()
    tmp = tmp_path_factory.mktemp("adafactor")
    model = _adafactor_fit(_adafactor_model(K))
    model.save(tmp / "keras.keras")
    ours = _adafactor_fit(_adafactor_model(keras))
    ours.save(tmp / "ours.keras")
    loaded = K.models.load_model(tmp / "ours.keras")
    reloaded = K.models.load_model(tmp / "keras.keras")
    return {"keras": [(v.path, np.asarray(v)) for v in model.optimizer.variables],
            "keras_loaded": [(v.path, np.asarray(v)) for v in reloaded.optimizer.variables],
            "file": tmp / "keras.keras",
            "ours": [(v.path, np.asarray(v.numpy())) for v in ours.optimizer.variables],
            "ours_in_keras": [(v.path, np.asarray(v)) for v in loaded.optimizer.variables]}


def test_adafactor_variables_as_keras(adafactor):
    """Adafactor's slot paths are Keras's (the factored means named after the variable, the
    placeholders of a bias outside the optimizer's scope), with its values after the same fit;
    a .keras file either library wrote loads in the other with the same optimizer state."""
    expected = adafactor["keras"]
    # (the optimizer's automatic name, `adafactor_2`, is numbered per process by each library:
    # by what the tests before this one made)
    unnumbered = lambda pairs: [re.sub(r"^adafactor_\d+/", "adafactor/", p) for p, _ in pairs]
    assert unnumbered(adafactor["ours"]) == unnumbered(expected)
    for (path, got), (_, want) in zip(adafactor["ours"], expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6, err_msg=path)
    loaded = keras.models.load_model(adafactor["file"])
    got = [(v.path, v.numpy()) for v in loaded.optimizer.variables]
    expected = adafactor["keras_loaded"]   # (a loaded model's slots: without the model's name)
    assert [p for p, _ in got] == [p for p, _ in expected]
    for (path, value), (_, want) in zip(got, expected):
        np.testing.assert_allclose(value, want, rtol=1e-6, err_msg=path)
    for (path, value), (_, want) in zip(adafactor["ours_in_keras"], adafactor["ours"]):
        np.testing.assert_allclose(value, want, rtol=1e-6, err_msg=path)


def test_early_stopping_state_after_a_python_train_step(reference):
    """A model whose train_step is Python's (the library's callbacks driven from a Python loop)
    leaves the same state as Keras's fit of the same figures."""

    class Stepped(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros",
                                            bias_initializer=keras.initializers.Constant(0.1))

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            return super().train_step(data)

    x, y = _fit_data()
    model = Stepped()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy")
    es = keras.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=10.0)
    model.fit(x, y, epochs=6, batch_size=8, verbose=0, callbacks=[es])
    expected = reference["callbacks"]["early"]
    assert (es.stopped_epoch, es.wait, es.best_epoch) == expected[:3]
    np.testing.assert_allclose(es.best, expected[3], rtol=1e-6)
    assert es.best_weights is None   # (restore_best_weights=False)
