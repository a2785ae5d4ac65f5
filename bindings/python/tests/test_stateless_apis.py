"""Keras 3's functional ("stateless") APIs and a metric's state, compared with real Keras on the
same values: `Layer.stateless_call` / `Model.stateless_call` (the outputs and the non-trainable
variables after the call, the layer's own variables unchanged), `Optimizer.stateless_apply`,
`Metric.stateless_update_state` / `stateless_result` / `stateless_reset_state`, a metric
variable's `assign` (`result()` and later updates start from it), and the metrics that Keras
reports per threshold (`Recall(thresholds=[0.3, 0.6])`: one value per threshold, standalone, in
evaluate and in fit's History)."""

import conftest
import numpy as np
import pytest

import swiftkeras as sk

pytestmark = conftest.needs("keras_metric_stateless_result")

_YB = np.array([[1.], [0], [1], [1], [0], [0]], np.float32)
_PB = np.array([[0.9], [0.2], [0.4], [0.7], [0.6], [0.1]], np.float32)
_Y2 = np.array([[1., 0], [0, 1], [1, 0], [0, 1]], np.float32)
_P2 = np.array([[0.6, 0.4], [0.3, 0.7], [0.2, 0.8], [0.55, 0.45]], np.float32)
_W = np.array([1., 2, 0.5, 1, 1, 3], np.float32)

# (class, constructor arguments, y_true, y_pred, sample_weight)
_METRICS = [
    ("Mean", {}, None, np.array([1., 2, 4]), None),
    ("MeanSquaredError", {}, _YB, _PB, _W),
    ("BinaryAccuracy", {}, _YB, _PB, None),
    ("AUC", {"num_thresholds": 5}, _YB, _PB, None),
    ("AUC", {"num_thresholds": 4, "multi_label": True, "num_labels": 2}, _Y2, _P2, None),
    ("Precision", {}, _YB, _PB, _W),
    ("Recall", {"thresholds": [0.3, 0.6]}, _YB, _PB, None),
    ("TruePositives", {"thresholds": [0.2, 0.5, 0.8]}, _YB, _PB, None),
    ("SensitivityAtSpecificity", {"specificity": 0.5, "num_thresholds": 5}, _YB, _PB, None),
    ("MeanIoU", {"num_classes": 3}, np.array([0., 1, 2, 2]), np.array([0., 2, 2, 1]), None),
    ("F1Score", {"average": None}, _Y2, _P2, None),
]


def _args(y_true, y_pred, sample_weight):
    return ((y_pred,) if y_true is None else (y_true, y_pred)), \
        ({} if sample_weight is None else {"sample_weight": sample_weight})


def _new_values(variables):
    """Values to assign: each variable's own plus a pattern (whole numbers for int32)."""
    out = []
    for i, v in enumerate(variables):
        value = np.asarray(v.numpy(), np.float64)
        out.append((value + np.arange(value.size).reshape(value.shape) % 3 + i + 1).astype(str(v.dtype)))
    return out


def _metric_runs(lib):
    """For each metric: the result and variables after an update, after assigning every
    variable, after another update; then the stateless forms from those values."""
    runs = []
    for cls, kwargs, yt, yp, sw in _METRICS:
        kwargs = dict(kwargs, name="state")   # (named: no automatic name taken from later tests)
        m = getattr(lib.metrics, cls)(**kwargs)
        args, kw = _args(yt, yp, sw)
        m.update_state(*args, **kw)
        run = {"updated": np.asarray(m.result(), np.float64)}
        values = _new_values(m.variables)
        for variable, value in zip(m.variables, values):
            variable.assign(value)
        run["assigned"] = (np.asarray(m.result(), np.float64), [v.numpy() for v in m.variables])
        m.update_state(*args, **kw)
        run["updated_again"] = (np.asarray(m.result(), np.float64), [v.numpy() for v in m.variables])
        fresh = getattr(lib.metrics, cls)(**kwargs)
        fresh.update_state(*args, **kw)   # (F1Score makes its variables at its first update)
        stateless = fresh.stateless_update_state(values, *args, **kw)
        run["stateless"] = ([np.asarray(v) for v in stateless],
                            np.asarray(fresh.stateless_result(stateless), np.float64),
                            [np.asarray(v) for v in fresh.stateless_reset_state()],
                            np.asarray(fresh.result(), np.float64))
        runs.append(run)
    return runs


@pytest.fixture(scope="module")
def keras_runs():
    return _metric_runs(conftest.real_keras())


@pytest.fixture(scope="module")
def our_runs():
    return _metric_runs(sk)


@pytest.mark.parametrize("index", range(len(_METRICS)))
def test_metric_assign_and_stateless_forms_like_keras(our_runs, keras_runs, index):
    """Assigning a metric's variables sets its state: result() and the next update start from
    it; stateless_update_state / stateless_result / stateless_reset_state give Keras's values
    and leave the metric as it was."""
    got, want = our_runs[index], keras_runs[index]
    what = f"{_METRICS[index][0]}{_METRICS[index][1]}"
    np.testing.assert_allclose(got["updated"], want["updated"], rtol=1e-5, atol=1e-6, err_msg=what)
    for key in ("assigned", "updated_again"):
        np.testing.assert_allclose(got[key][0], want[key][0], rtol=1e-5, atol=1e-6, err_msg=f"{what} {key}")
        for g, w in zip(got[key][1], want[key][1]):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=f"{what} {key} variables")
    (state, result, reset, own), (w_state, w_result, w_reset, w_own) = got["stateless"], want["stateless"]
    assert len(state) == len(w_state) and len(reset) == len(w_reset)
    for g, w in zip(state + reset, w_state + w_reset):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=f"{what} stateless variables")
    np.testing.assert_allclose(result, w_result, rtol=1e-5, atol=1e-6, err_msg=f"{what} stateless_result")
    np.testing.assert_allclose(own, w_own, rtol=1e-5, atol=1e-6, err_msg=f"{what} own result")


def test_metric_assign_and_stateless_bad_input():
    m = sk.metrics.AUC(num_thresholds=4, name="auc_state")
    with pytest.raises(ValueError, match="must match"):
        m.variables[0].assign(np.zeros(3))
    with pytest.raises(ValueError, match="expected 4 variables"):
        m.stateless_result([np.zeros(4)])
    with pytest.raises(ValueError, match="true_positives has shape"):
        m.stateless_update_state([np.zeros(3)] * 4, _YB, _PB)


def _threshold_runs(lib):
    lib.backend.clear_session()   # (layer and optimizer names as a fresh session's)
    x = np.random.RandomState(0).rand(12, 3).astype("float32")
    y = (x.sum(1, keepdims=True) > 1.5).astype("float32")
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(
        1, activation="sigmoid", kernel_initializer=lib.initializers.Constant(0.3),
        bias_initializer=lib.initializers.Constant(-0.2))])
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="binary_crossentropy",
                  metrics=[lib.metrics.Recall(thresholds=[0.3, 0.6], name="recall"),
                           lib.metrics.TruePositives(thresholds=[0.2, 0.5, 0.8], name="tp"),
                           lib.metrics.Precision(thresholds=[0.5], name="precision")])
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False).history
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    listed = model.evaluate(x, y, verbose=0)
    return history, logs, listed


def test_metrics_per_threshold_like_keras():
    """Several thresholds: one value each (an array), in fit's History, evaluate's dict and list;
    a list of one threshold stays one number, as in Keras."""
    got, want = _threshold_runs(sk), _threshold_runs(conftest.real_keras())
    assert sorted(got[0]) == sorted(want[0])
    for key in want[0]:
        np.testing.assert_allclose(np.asarray(got[0][key], np.float64), np.asarray(want[0][key], np.float64),
                                   rtol=1e-5, atol=1e-6, err_msg=key)
    assert sorted(got[1]) == sorted(want[1])
    for key in want[1]:
        assert np.shape(got[1][key]) == np.shape(want[1][key]), key
        np.testing.assert_allclose(got[1][key], want[1][key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert [np.shape(v) for v in got[2]] == [np.shape(v) for v in want[2]]
    for g, w in zip(got[2], want[2]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def _stateless_call_runs(lib):
    lib.backend.clear_session()   # (layer and optimizer names as a fresh session's)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3)).astype("float32")
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activity_regularizer="l2"),
                            lib.layers.BatchNormalization(), lib.layers.Dense(2)])
    trainable = [rng.normal(size=v.shape).astype("float32") for v in model.trainable_variables]
    other = [rng.uniform(0.5, 1.5, size=v.shape).astype("float32") for v in model.non_trainable_variables]
    before = [v.numpy() for v in model.variables]
    out = {}
    out["training"] = model.stateless_call(trainable, other, x, training=True)
    out["inference"] = model.stateless_call(trainable, other, x, return_losses=True)
    out["unchanged"] = all(np.array_equal(b, v.numpy()) for b, v in zip(before, model.variables))
    layer = lib.layers.BatchNormalization()   # a layer of its own
    layer(x)
    out["layer"] = layer.stateless_call([v.numpy() * 2 for v in layer.trainable_variables],
                                        [v.numpy() + 1 for v in layer.non_trainable_variables],
                                        x, training=True)
    out["unchanged"] &= all(np.array_equal(v.numpy(), np.zeros(3) if v.path.endswith("mean") else np.ones(3))
                            for v in layer.non_trainable_variables)
    return out


def test_stateless_call_like_keras():
    """The outputs, the moving statistics a training call moves, the activity penalty with
    return_losses; the model's own variables unchanged."""
    got, want = _stateless_call_runs(sk), _stateless_call_runs(conftest.real_keras())
    assert got["unchanged"] and want["unchanged"]
    for key in ("training", "inference", "layer"):
        assert len(got[key]) == len(want[key]), key
        np.testing.assert_allclose(np.asarray(got[key][0]), np.asarray(want[key][0]), rtol=1e-5, atol=1e-5,
                                   err_msg=f"{key} outputs")
        for g, w in zip(got[key][1], want[key][1]):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{key} non-trainable variables")
    np.testing.assert_allclose([float(v) for v in got["inference"][2]],
                               [float(v) for v in want["inference"][2]], rtol=1e-5, err_msg="losses")


def _layer_in_model_runs(lib):
    lib.backend.clear_session()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 3)).astype("float32")
    h = rng.normal(1.0, 2.0, size=(5, 4)).astype("float32")
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4), lib.layers.BatchNormalization()])
    model.compile("sgd", "mse")
    model.predict(x, verbose=0)   # (built and run as a whole first)
    bn = model.layers[1]
    out = {"output": bn(h, training=True)}
    out["moved"] = [w for w in model.get_weights()[-2:]]   # the model's own moving statistics
    out["layer"] = [v.numpy() for v in bn.non_trainable_variables]
    out["stateless"] = bn.stateless_call([v.numpy() * 2 for v in bn.trainable_variables],
                                         [v.numpy() + 1 for v in bn.non_trainable_variables],
                                         h * 3, training=True)
    out["kept"] = [w for w in model.get_weights()[-2:]]
    return out


def test_layer_of_model_called_alone_moves_model_statistics():
    """`model.layers[i](x, training=True)` on a BatchNormalization of a built model moves the
    model's moving statistics (the layer's variables are the model's), and its stateless_call
    returns the moved statistics and keeps the model's, as Keras's."""
    got, want = _layer_in_model_runs(sk), _layer_in_model_runs(conftest.real_keras())
    np.testing.assert_allclose(np.asarray(got["output"]), np.asarray(want["output"]), rtol=1e-5, atol=1e-5)
    for key in ("moved", "layer", "kept"):
        for g, w in zip(got[key], want[key]):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(np.asarray(got["stateless"][0]), np.asarray(want["stateless"][0]),
                               rtol=1e-5, atol=1e-5)
    assert len(got["stateless"][1]) == len(want["stateless"][1]) == 2
    for g, w in zip(got["stateless"][1], want["stateless"][1]):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6, err_msg="stateless")


def test_stateless_call_bad_input():
    model = sk.Sequential([sk.Input((3,)), sk.layers.Dense(2)])
    with pytest.raises(ValueError, match="expected 2 variables"):
        model.stateless_call([np.zeros((3, 2))], [], np.zeros((1, 3)))
    with pytest.raises(ValueError, match="must be built"):
        sk.layers.Dense(2).stateless_call([], [], np.zeros((1, 3)))


def _stateless_apply_runs(lib, optimizer):
    lib.backend.clear_session()   # (layer and optimizer names as a fresh session's)
    v1 = lib.Variable(np.ones((2, 2), "float32"))
    v2 = lib.Variable(np.zeros((3,), "float32"))
    optimizer.build([v1, v2])
    own = [np.asarray(v.numpy()) for v in optimizer.variables]
    grads = [np.full((2, 2), 0.5, "float32"), np.arange(3, dtype="float32")]
    values = [np.full((2, 2), 2.0, "float32"), np.ones(3, "float32")]
    steps = []
    state = own
    for _ in range(2):
        values, state = optimizer.stateless_apply(state, grads, values)
        steps.append(([np.asarray(v) for v in values], [np.asarray(v) for v in state]))
    unchanged = np.array_equal(v1.numpy(), np.ones((2, 2))) and all(
        np.array_equal(np.asarray(a.numpy()), b) for a, b in zip(optimizer.variables, own))
    return steps, unchanged


@pytest.mark.parametrize("name,kwargs", [("Adam", {"learning_rate": 0.1}),
                                         ("SGD", {"learning_rate": 0.1, "momentum": 0.9})])
def test_stateless_apply_like_keras(name, kwargs):
    """Two steps from given values: the updated variables and optimizer variables (iteration,
    learning_rate, slots); the optimizer and the variables it was built on unchanged."""
    K = conftest.real_keras()
    got = _stateless_apply_runs(sk, getattr(sk.optimizers, name)(**kwargs))
    want = _stateless_apply_runs(K, getattr(K.optimizers, name)(**kwargs))
    assert got[1] and want[1]
    for (values, state), (w_values, w_state) in zip(got[0], want[0]):
        for g, w in zip(values + state, w_values + w_state):
            np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64),
                                       rtol=1e-5, atol=1e-5)


def _fitted(lib, optimizer):
    """A small model fit with `optimizer` (Keras's initial weights: set_random_seed); the
    optimizer is built by the fit."""
    lib.backend.clear_session()
    lib.utils.set_random_seed(3)
    rows = np.random.RandomState(0)
    x, y = rows.rand(16, 3).astype("float32"), rows.rand(16, 2).astype("float32")
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="tanh"),
                            lib.layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    return model


def _stateless_apply_after_fit(lib, optimizer, given=None):
    """Two stateless steps of an optimizer built by fit, from `given` (optimizer variables,
    trainable values, gradients: ours, moved off the fit's values) or from its own; the steps,
    what was given, and whether the optimizer and the model kept their values."""
    model = _fitted(lib, optimizer)
    own = [np.asarray(v.numpy()) for v in optimizer.variables]
    weights = [np.asarray(v.numpy()) for v in model.trainable_variables]
    if given is None:
        draws = np.random.RandomState(5)
        state = [o + np.asarray(draws.rand(*o.shape) * 0.01, o.dtype) if o.dtype.kind == "f" else o
                 for o in own]
        given = (state, [w + 0.1 for w in weights],
                 [draws.randn(*w.shape).astype("float32") for w in weights])
    state, values, grads = given
    steps = []
    for _ in range(2):
        values, state = optimizer.stateless_apply(state, grads, values)
        steps.append(([np.asarray(v) for v in values], [np.asarray(v) for v in state]))
    unchanged = all(np.array_equal(np.asarray(a.numpy()), b) for a, b in
                    zip(list(optimizer.variables) + list(model.trainable_variables), own + weights))
    return steps, given, unchanged, [v.path for v in optimizer.variables]


@pytest.mark.parametrize("name,kwargs", [("Adam", {"learning_rate": 0.01}),
                                         ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
                                         ("Adafactor", {"learning_rate": 0.05})])
def test_stateless_apply_of_optimizer_built_by_fit_like_keras(name, kwargs):
    """An optimizer compiled into a model that has trained takes Keras's `optimizer.variables`
    list (iteration, learning_rate, each weight's slots in Keras's order): two steps from the
    same given values give Keras's updated weights and optimizer variables, and the optimizer
    and the model keep their values."""
    K = conftest.real_keras()
    got = _stateless_apply_after_fit(sk, getattr(sk.optimizers, name)(**kwargs))
    want = _stateless_apply_after_fit(K, getattr(K.optimizers, name)(**kwargs), got[1])
    assert got[2] and want[2]
    assert len(got[3]) == len(want[3])
    for (values, state), (w_values, w_state) in zip(got[0], want[0]):
        assert len(values) == len(w_values) and len(state) == len(w_state)
        for g, w in zip(values + state, w_values + w_state):
            assert np.shape(g) == np.shape(w)
            np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64),
                                       rtol=1e-5, atol=1e-5, err_msg=name)


def test_stateless_apply_after_fit_bad_input():
    optimizer = sk.optimizers.Adam()
    model = _fitted(sk, optimizer)
    state = [v.numpy() for v in optimizer.variables]
    values = [v.numpy() for v in model.trainable_variables]
    grads = [np.zeros_like(v) for v in values]
    with pytest.raises(ValueError, match=f"expected {len(state)} variables"):
        optimizer.stateless_apply(state[:-1], grads, values)
    with pytest.raises(ValueError, match="built with 4 variables"):
        optimizer.stateless_apply(state, grads, values[:3])
    with pytest.raises(ValueError, match="len.grads.=3"):
        optimizer.stateless_apply(state, grads[:3], values)
    with pytest.raises(ValueError):
        optimizer.stateless_apply(state, grads, [np.zeros((7, 7), "float32")] + values[1:])


def test_stateless_apply_bad_input():
    optimizer = sk.optimizers.Adam()
    with pytest.raises(ValueError, match="must be built"):
        optimizer.stateless_apply([], [], [])
    optimizer.build([sk.Variable(np.zeros(2, "float32"))])
    with pytest.raises(ValueError, match="expected 4 variables"):
        optimizer.stateless_apply([0], [np.zeros(2)], [np.zeros(2)])


def _updated_after_fit(lib):
    lib.backend.clear_session()
    x = np.random.RandomState(0).rand(12, 3).astype("float32")
    y = (x.sum(1, keepdims=True) > 1.5).astype("float32")
    auc, mae = lib.metrics.AUC(num_thresholds=4, name="a"), lib.metrics.MeanAbsoluteError(name="m")
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1, activation="sigmoid",
                                                              kernel_initializer="ones")])
    model.compile(lib.optimizers.SGD(0.0), "binary_crossentropy", metrics=[mae, auc])
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    for metric in (auc, mae):
        metric.update_state(y[:5], 1 - x[:5, :1])
    return [float(auc.result()), float(mae.result())] + \
        [np.asarray(v.numpy()) for m in (auc, mae) for v in m.variables]


def test_compiled_metric_object_updated_after_fit_adds_to_its_state():
    """A metric object given to compile holds the fit's state; an update after the fit adds to
    it, as Keras's object does."""
    got, want = _updated_after_fit(sk), _updated_after_fit(conftest.real_keras())
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


_ONE_HOT_TRUE = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]], np.float32)
_ONE_HOT_PRED = np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]], np.float32)
_IOU_CASES = [
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, np.array([0., 1, 2, 2]), np.array([0., 2, 2, 1])),
    ("BinaryIoU", {"target_class_ids": [0, 1], "threshold": 0.5}, _YB[:4, 0], _PB[:4, 0]),
    ("MeanIoU", {"num_classes": 3}, np.array([0., 1, 2, 2]), np.array([0., 2, 2, 1])),
    ("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 2]}, _ONE_HOT_TRUE, _ONE_HOT_PRED),
    ("OneHotMeanIoU", {"num_classes": 3}, _ONE_HOT_TRUE, _ONE_HOT_PRED),
]


def _iou_updates(lib):
    out = {}
    for name, kwargs, y_true, y_pred in _IOU_CASES:
        metric = getattr(lib.metrics, name)(**kwargs)
        first = metric.update_state(y_true, y_pred)
        second = metric.update_state(y_true, y_pred, sample_weight=np.array([1., 2, 3, 1]))
        out[name] = (first, second, metric.result())
    out["Mean"] = lib.metrics.Mean().update_state(np.array([1., 2]))
    return out


def test_iou_update_state_returns_confusion_matrix_like_keras():
    """The IoU metrics' update_state returns the updated confusion matrix (an int32 array, the
    sum of the updates so far), as Keras's `total_cm.assign(...)`; other metrics return None;
    results after the updates agree."""
    got, want = _iou_updates(sk), _iou_updates(conftest.real_keras())
    assert got["Mean"] is None and want["Mean"] is None
    for name, *_ in _IOU_CASES:
        for g, w in zip(got[name][:2], want[name][:2]):
            assert isinstance(g, np.ndarray), name
            assert g.dtype == np.asarray(w).dtype == np.int32, name
            np.testing.assert_array_equal(g, np.asarray(w), err_msg=name)
        np.testing.assert_allclose(got[name][2], np.asarray(want[name][2]), rtol=1e-6, err_msg=name)
