"""KerasClassifier / KerasRegressor.fit through the library's estimator
(keras_estimator_from_model, keras_estimator_fit_arrays): the model function's model is trained
in place by the library's KerasClassifier / KerasRegressor, which analyses and encodes y (or
takes it as the Python target encoder encodes it), and predict, predict_proba and score decode
through the same estimator (keras_estimator_predict_arrays, _score_arrays). The oracle is the
fit the wrappers did before every fit went to the library: model_.fit and model_.predict with
the Python encoders (SciKeras's _fit_keras_model and _predict_raw, kept here): same seed, same
weights, history, predictions (values, shapes, dtypes) and scores, bit for bit."""

import io
import contextlib
import json
from collections import defaultdict

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_regression
from sklearn.preprocessing import FunctionTransformer

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import _lib
from sklearn.exceptions import NotFittedError

from swiftkeras._sk_base import BaseWrapper, _EncodedPrediction
from swiftkeras._sk_utils import route_params
from swiftkeras.wrappers import KerasClassifier, KerasRegressor

pytestmark = needs(*CORE, "keras_estimator_from_model", "keras_estimator_fit_arrays")


def dense_model(hidden=8, meta=None, units=None, activation="softmax"):
    return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                             keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(units or meta["n_classes_"],
                                                activation=activation)])


def reg_model(hidden=8, meta=None):
    return keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(meta["n_outputs_"])])


def counted(monkeypatch, *names):
    """The calls of _lib.<name> for each of names, recorded in one list (their first argument)
    as they go through."""
    calls = []
    for name in names:
        def counting(*args, real=getattr(_lib, name)):
            calls.append(args[0])
            return real(*args)
        counting.available = True
        monkeypatch.setattr(_lib, name, counting)
    return calls


def fit_calls(monkeypatch, partial=False):
    """The library estimator's fits (keras_estimator_fit_arrays calls, their handles) that are
    partial fits (partial=True), that are not (False), or all (None)."""
    calls, real = [], _lib.keras_estimator_fit_arrays

    def counting(*args):
        if partial is None or json.loads(args[11])["partial"] == partial:
            calls.append(args[0])
        return real(*args)
    counting.available = True
    monkeypatch.setattr(_lib, "keras_estimator_fit_arrays", counting)
    return calls


def predict_calls(monkeypatch):
    """The library estimator's predictions (keras_estimator_predict_arrays) by method, and its
    scores (keras_estimator_score_arrays), each a list of (handle, options)."""
    calls = {"predict": [], "predict_proba": [], "score": []}
    real_predict = _lib.keras_estimator_predict_arrays
    real_score = _lib.keras_estimator_score_arrays

    def predicting(*args):
        calls[args[1].decode()].append((args[0], json.loads(args[4])))
        return real_predict(*args)

    def scoring(*args):
        calls["score"].append((args[0], json.loads(args[5])))
        return real_score(*args)
    predicting.available = scoring.available = True
    monkeypatch.setattr(_lib, "keras_estimator_predict_arrays", predicting)
    monkeypatch.setattr(_lib, "keras_estimator_score_arrays", scoring)
    return calls


@pytest.fixture
def fits(monkeypatch):
    """Counts the library estimator's fits (keras_estimator_fit_arrays calls but partial fits)."""
    return fit_calls(monkeypatch)


def assert_same_history(a, b):
    """Equal histories, per-class metrics (one array per epoch) included."""
    assert sorted(a) == sorted(b)
    for key in a:
        assert len(a[key]) == len(b[key]), key
        for va, vb in zip(a[key], b[key]):
            np.testing.assert_array_equal(va, vb)


def _fit_on_model(self, X, y, sample_weight, epochs, initial_epoch, kwargs, fresh, partial,
                  warm_start):
    """The oracle: the wrappers' fit before it went to the library estimator (SciKeras's
    _fit_keras_model): the Python target encoder, then model_.fit."""
    y = self._adapt_target_to_model(self.target_encoder_.transform(y))
    self._check_model_compatibility(y)
    args = route_params(self.get_params(), "fit", self._fit_kwargs)
    args.update(sample_weight=sample_weight, epochs=initial_epoch + epochs,
                initial_epoch=initial_epoch)
    args.update(kwargs)
    first = X[0] if isinstance(X, (list, tuple)) else \
        next(iter(X.values())) if isinstance(X, dict) else X
    for key in ("batch_size", "validation_batch_size"):
        if args.get(key) == -1:
            args[key] = len(first)
    args["callbacks"] = self._callbacks_for("callbacks") + self._callbacks_for("fit__callbacks")
    hist = self.model_.fit(X, y, **args)
    if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
        self.history_ = defaultdict(list)
    for key, val in hist.history.items():
        self.history_[key] += list(val)
    vars(self).pop("_library_estimator", None)


def _predict_on_model(self, method, X, kwargs):
    """The oracle's predictions (SciKeras's _predict_raw): model_.predict's outputs, which
    predict and predict_proba decode with the Python target encoder."""
    if not self.initialized_:
        raise NotFittedError("Estimator needs to be fit before `predict` can be called")
    X, _ = self._validate_data(X)
    X = self.feature_encoder_.transform(X)
    args = self._predict_args(kwargs)
    if args.get("batch_size") == -1:
        args["batch_size"] = len(X[0] if isinstance(X, list) else X)
    out = self.model_.predict(X, **{k: v for k, v in args.items() if k != "callbacks"})
    pred = _EncodedPrediction.__new__(_EncodedPrediction)
    pred.outputs = [np.asarray(o) for o in out] if isinstance(out, list) else np.asarray(out)
    return pred


def through_model_fit(monkeypatch):
    """Fits, predictions and scores as the oracle makes them (model_.fit, model_.predict)."""
    monkeypatch.setattr(BaseWrapper, "_fit_library_estimator", _fit_on_model)
    monkeypatch.setattr(BaseWrapper, "_library_predict", _predict_on_model)


def same_fit(monkeypatch, fits, make, X, y, **fit_kw):
    """Fits make() through the estimator and through model_.fit; checks both are equal bit for
    bit, predictions and scores included (through the library estimator), and returns the
    estimator-fitted one."""
    a = make().fit(X, y, **fit_kw)
    assert len(fits) == 1, "the fit did not go through keras_estimator_fit_arrays"
    with monkeypatch.context() as m:
        through_model_fit(m)
        b = make().fit(X, y, **fit_kw)
    assert len(fits) == 1
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert_same_history(a.history_, b.history_)
    assert a.current_epoch == b.current_epoch
    # predict, predict_proba and score: a's through the library estimator, b's decoded by the
    # Python encoders from model_.predict.
    same_decoding(monkeypatch, a, b, X, y)
    for key in ("classes_", "n_classes_", "n_outputs_", "n_outputs_expected_", "target_type_",
                "X_shape_", "n_features_in_"):
        if hasattr(b, key):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    return a


def same_decoding(monkeypatch, a, b, X, y):
    """a's predict, predict_proba and score (through its library estimator) equal b's (model_
    .predict and the Python encoders, the oracle's): values, shapes and dtypes."""
    w = np.linspace(0, 2, len(X))
    outputs = lambda est: [est.predict(X), est.predict(X[:1])] + (
        [est.predict_proba(X), est.predict_proba(X[:1])] if hasattr(est, "predict_proba") else [])
    scores = lambda est: [est.score(X, y), est.score(X, y, sample_weight=w)]
    with monkeypatch.context() as m:
        calls = predict_calls(m)
        got = outputs(a)
        n = 2
        assert len(calls["predict"]) == n
        assert len(calls["predict_proba"]) == (n if hasattr(a, "predict_proba") else 0)
        got = got, scores(a)
    # y that float32 would change is scored by the scorer (of predict's output).
    y = np.asarray(y)
    exact = y.dtype.kind in "biuf" and np.array_equal(y.astype(np.float32), y)
    assert len(calls["score"]) == (n if exact else 0)
    with monkeypatch.context() as m:
        through_model_fit(m)
        theirs = outputs(b), scores(b)
    for ours, expected in zip(got[0], theirs[0], strict=True):
        same_output(ours, expected)
    # Accuracy is exact; the library's R^2 sums in float64 where scikit-learn's r2_score sums
    # float32 targets in float32 (a difference of ~1e-7).
    tol = 1e-12 if hasattr(a, "predict_proba") else 1e-5
    np.testing.assert_allclose(got[1], theirs[1], rtol=tol, atol=tol)


def same_output(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
    np.testing.assert_array_equal(a, b)


def iris():
    X, y = load_iris(return_X_y=True)
    return X.astype(np.float32), y


def test_multiclass_fit_is_the_model_fit(monkeypatch, fits):
    X, y = iris()
    est = same_fit(monkeypatch, fits, lambda: KerasClassifier(
        dense_model, loss="sparse_categorical_crossentropy", optimizer="adam",
        optimizer__learning_rate=0.05, epochs=6, batch_size=16, verbose=0, random_state=0,
        metrics=["accuracy"], validation_split=0.2), X, y)
    assert sorted(est.history_) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(est.history_["loss"]) == 6
    proba = est.predict_proba(X)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(1), 1, atol=1e-5)


def test_default_loss_labels_and_weights(monkeypatch, fits):
    """No loss: the library's default; labels 10, 20, 30 (the estimator encodes them);
    class_weight and sample_weight as the sample weights of one fit."""
    X, y = iris()
    labels = np.array([10, 20, 30])[y]
    rng = np.random.RandomState(0)
    sw = rng.uniform(0.5, 2, len(y))
    est = same_fit(monkeypatch, fits, lambda: KerasClassifier(
        dense_model, optimizer="adam", epochs=3, batch_size=32, verbose=0, random_state=1,
        class_weight="balanced"), X, labels, sample_weight=sw)
    assert list(est.classes_) == [10, 20, 30]
    assert set(np.unique(est.predict(X))) <= {10, 20, 30}


def test_binary_one_sigmoid_unit(monkeypatch, fits):
    X, y = iris()
    yb = (y == 2).astype(np.int64)
    est = same_fit(monkeypatch, fits, lambda: KerasClassifier(
        dense_model, model__units=1, model__activation="sigmoid", optimizer="adam",
        epochs=3, verbose=0, random_state=2), X, yb)
    assert est.predict_proba(X).shape == (150, 2)


def test_one_hot_target_and_categorical_loss(monkeypatch, fits):
    X, y = iris()
    onehot = np.eye(3, dtype=np.float32)[y]
    same_fit(monkeypatch, fits, lambda: KerasClassifier(
        dense_model, loss="categorical_crossentropy", optimizer="adam", epochs=3, verbose=0,
        random_state=3), X, onehot)
    # Ordinal labels with a categorical loss: the estimator one-hot encodes them.
    fits.clear()
    same_fit(monkeypatch, fits, lambda: KerasClassifier(
        dense_model, loss="categorical_crossentropy", optimizer="adam", epochs=3, verbose=0,
        random_state=3), X, y)


def test_outputs_are_the_model_functions(monkeypatch, fits):
    """The estimator trains the model function's outputs as they are, as SciKeras and
    model_.fit do: five softmax units for three classes."""
    X, y = iris()
    make = lambda: KerasClassifier(dense_model, model__units=5,
                                   loss="sparse_categorical_crossentropy", optimizer="adam",
                                   epochs=2, verbose=0, random_state=4)
    est = make().fit(X, y)
    assert len(fits) == 1
    with monkeypatch.context() as m:
        through_model_fit(m)
        other = make().fit(X, y)
    for wa, wb in zip(est.model_.get_weights(), other.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(est.predict_proba(X), other.predict_proba(X))
    assert est.predict_proba(X).shape == (150, 5)


def test_per_class_metric_in_history(monkeypatch, fits):
    """F1Score(average=None) gives one value per class and epoch in history_ (validation
    included) as model_.fit does, and as SciKeras on real Keras: the same keys, one array of
    n_classes values per epoch, the macro F1 their mean."""
    X, y = iris()

    def make(lib=keras, wrappers=None, model=dense_model):
        return (wrappers or KerasClassifier)(
            model, loss="categorical_crossentropy", optimizer="adam", epochs=3, batch_size=16,
            verbose=0, random_state=6, validation_split=0.2,
            metrics=[lib.metrics.F1Score(), lib.metrics.F1Score(average="macro", name="macro")])
    est = same_fit(monkeypatch, fits, make, X, y)
    assert sorted(est.history_) == ["f1_score", "loss", "macro", "val_f1_score", "val_loss",
                                    "val_macro"]
    for key in ("f1_score", "val_f1_score"):
        assert [v.shape for v in est.history_[key]] == [(3,)] * 3
        np.testing.assert_allclose(est.history_[key.replace("f1_score", "macro")],
                                   [v.mean() for v in est.history_[key]], rtol=1e-5)
    scikeras = pytest.importorskip("scikeras.wrappers")
    import keras as real

    def real_model(meta):
        return real.Sequential([real.Input((meta["n_features_in_"],)),
                                real.layers.Dense(8, activation="relu"),
                                real.layers.Dense(meta["n_classes_"], activation="softmax")])
    theirs = make(real, scikeras.KerasClassifier, real_model).fit(X, y).history_
    assert sorted(theirs) == sorted(est.history_)
    for key, values in theirs.items():
        assert [np.shape(v) for v in values] == [np.shape(v) for v in est.history_[key]], key


def test_copies_decode_as_the_library_estimator(monkeypatch, fits):
    """A pickled or deep-copied estimator predicts through a library estimator of its own
    (keras_estimator_restore; test_sklearn_restored_estimator) what the original predicts
    through its one, which it keeps. A fit with validation_data (y as the model takes it) goes
    to a new library estimator too."""
    import copy
    import pickle
    X, y = iris()
    labels = np.array([-3.0, 5.0, 40.0])[y]  # float64 classes_
    est = KerasClassifier(dense_model, optimizer="adam", epochs=2, verbose=0,
                          random_state=7).fit(X, labels)
    for other in (pickle.loads(pickle.dumps(est)), copy.deepcopy(est)):
        assert vars(est)["_library_estimator"].handle != vars(other)["_library_estimator"].handle
        same_decoding(monkeypatch, est, other, X, labels)
    est.fit(X, labels, validation_data=(X[:5], np.zeros((5, 1), np.float32)))  # encoded y
    assert len(fits) == 2 and vars(est)["_library_estimator"].handle == fits[1]
    assert est.predict(X).dtype == labels.dtype and "val_loss" in est.history_


def test_copies_keep_a_history_validated_every_other_epoch(monkeypatch, fits):
    """With fit__validation_freq=2 the validation lists of history_ are half as long as the
    others; a pickled copy (the library estimator rebuilt by keras_estimator_restore) keeps them
    so and predicts as the original. It was refused ("history_ lists must all have ...")."""
    import pickle
    X, y = iris()
    est = KerasClassifier(dense_model, optimizer="adam", epochs=4, verbose=0, random_state=3,
                          validation_split=0.2, fit__validation_freq=2).fit(X, y)
    assert len(est.history_["loss"]) == 4 and len(est.history_["val_loss"]) == 2
    other = pickle.loads(pickle.dumps(est))
    assert vars(est)["_library_estimator"].handle != vars(other)["_library_estimator"].handle
    assert {k: list(v) for k, v in other.history_.items()} == \
        {k: list(v) for k, v in est.history_.items()}
    same_decoding(monkeypatch, est, other, X, y)


def test_regressor(monkeypatch, fits):
    X, y = make_regression(n_samples=120, n_features=5, noise=0.1, random_state=0)
    # batch_size=-1 (the whole set): the library estimator predicts X in one batch too.
    est = same_fit(monkeypatch, fits, lambda: KerasRegressor(
        reg_model, optimizer="adam", epochs=4, batch_size=-1, verbose=0, random_state=0),
        X, y / 100)
    assert est.predict(X).shape == (120,)
    fits.clear()
    y2 = np.column_stack([y, -y]) / 100
    est = same_fit(monkeypatch, fits, lambda: KerasRegressor(
        reg_model, optimizer="adam", epochs=2, verbose=0, random_state=0, shuffle=False),
        X, y2)
    assert est.predict(X).shape == (120, 2)
    # float32 targets: R^2 through keras_estimator_score_arrays too.
    fits.clear()
    est = same_fit(monkeypatch, fits, lambda: KerasRegressor(
        reg_model, optimizer="adam", epochs=2, batch_size=16, verbose=0, random_state=0),
        X, (y / 100).astype(np.float32))
    assert est.predict(X).dtype == np.float32


def test_verbose_fit_prints_as_model_fit(monkeypatch, fits, capfd):
    X, y = iris()

    def run():
        KerasClassifier(dense_model, optimizer="adam", epochs=2, verbose=2,
                        random_state=0).fit(X, y)
        return capfd.readouterr().out

    printed = run()
    assert len(fits) == 1
    with monkeypatch.context() as m:
        through_model_fit(m)
        expected = run()
    assert "Epoch 2/2" in printed
    assert [line.split(" - ")[0] for line in printed.splitlines()] == \
        [line.split(" - ")[0] for line in expected.splitlines()]


class Recorder(keras.callbacks.Callback):
    """A Python callback that sees the model being trained and adds a figure to the logs."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append((epoch, round(float(logs["loss"]), 6), len(self.model.get_weights())))
        logs["double_loss"] = 2 * logs["loss"]


def test_callbacks_run_in_the_estimator_fit(monkeypatch, fits):
    """Built-in and Python callbacks (keras_estimator_fit_arrays): EarlyStopping ends the fit
    as in model_.fit, a Python callback reads the model it trains and its log entries reach
    history_, as SciKeras's `callbacks={"name": Class}` with routed arguments."""
    X, y = iris()
    recorders = []

    def make():
        recorders.append(Recorder())
        return KerasClassifier(dense_model, optimizer="sgd", optimizer__learning_rate=1e-6,
                               epochs=30, verbose=0, random_state=5,
                               callbacks={"es": keras.callbacks.EarlyStopping, "rec": recorders[-1]},
                               callbacks__es__monitor="loss", callbacks__es__min_delta=0.5,
                               callbacks__es__patience=2)
    est = same_fit(monkeypatch, fits, make, X, y)
    assert len(est.history_["loss"]) == 3 < 30
    assert est.history_["double_loss"] == [2 * v for v in est.history_["loss"]]
    assert recorders[0].seen == recorders[1].seen and len(recorders[0].seen) == 3
    assert recorders[0].seen[0][2] == 4


def test_a_failing_python_callback_fails_the_fit(fits):
    X, y = iris()

    class Broken(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("broken callback")

    with pytest.raises(RuntimeError, match="broken callback"):
        KerasClassifier(dense_model, epochs=3, verbose=0, callbacks=[Broken()]).fit(X, y)
    assert len(fits) == 1


def test_every_fit_goes_through_the_estimator(monkeypatch, fits):
    """What stayed on model_.fit before goes to the library estimator and trains as the
    oracle does, bit for bit: validation_data (y as the model takes it, with sample weights),
    fit__validation_data, verbose "auto" and True, Keras fit's class_weight given to fit, and a
    warm fit and partial_fit on a model that no library estimator trained (after initialize).
    An argument model.fit does not know is refused by name, as model.fit refuses it."""
    X, y = iris()
    base = dict(model=dense_model, optimizer="adam", epochs=2, batch_size=16, random_state=0,
                metrics=["accuracy"])
    held_out = (X[::10], y[::10, None].astype(np.float32), np.linspace(0.5, 1.5, 15))
    for kw, fit_kw in [(dict(verbose=0), dict(validation_data=held_out[:2])),
                       (dict(verbose=0, fit__validation_data=held_out), {}),
                       (dict(verbose=0, validation_batch_size=4), dict(validation_data=held_out)),
                       (dict(verbose=0), dict(class_weight={0: 1.0, 1: 3.0, 2: 0.5}))]:
        fits.clear()
        est = same_fit(monkeypatch, fits, lambda: KerasClassifier(**base, **kw), X, y, **fit_kw)
        assert ("val_loss" in est.history_) == ("class_weight" not in fit_kw)
    for verbose in ("auto", True):
        fits.clear()
        with contextlib.redirect_stdout(io.StringIO()):
            same_fit(monkeypatch, fits, lambda: KerasClassifier(**base, verbose=verbose), X, y)
    fits.clear()
    partials = fit_calls(monkeypatch, partial=True)
    make = lambda: KerasClassifier(**base, verbose=0, warm_start=True).initialize(X, y)
    a, b = run_both(monkeypatch, make, [lambda e: e.fit(X, y), lambda e: e.partial_fit(X, y)])
    assert len(fits) == 1 and len(partials) == 1 and fits[0] == partials[0]
    assert_same_state(a, b, X)
    assert len(a.history_["loss"]) == 3
    with pytest.raises(TypeError, match=r"Invalid keyword argument\(s\) in `fit\(\)`: \['bogus'\]"):
        KerasClassifier(**base, verbose=0).fit(X, y, bogus=1)


def test_regressor_class_weight_and_two_inputs(monkeypatch, fits):
    """A regressor's fit__class_weight (Keras's, by the integer value of y) and a model of two
    inputs (SciKeras's multi-input pattern: a feature encoder that splits X) train on the
    library estimator as the oracle trains them; predictions take both inputs."""
    X, y = make_regression(n_samples=90, n_features=5, noise=0.1, random_state=0)
    bins = np.digitize(y, [-50, 50]).astype(np.float32)
    same_fit(monkeypatch, fits, lambda: KerasRegressor(
        reg_model, optimizer="adam", epochs=2, batch_size=16, verbose=0, random_state=0,
        fit__class_weight={0: 2.0, 1: 1.0, 2: 0.5}), X, bins)

    class TwoInputs(KerasRegressor):
        @property
        def feature_encoder(self):
            return FunctionTransformer(lambda a: [a[:, :2], a[:, 2:]])

    def two_input_model(meta):
        a, b = keras.Input((2,)), keras.Input((3,))
        h = keras.layers.Concatenate()([keras.layers.Dense(4, activation="relu")(a), b])
        return keras.Model([a, b], keras.layers.Dense(1)(h))
    fits.clear()
    est = same_fit(monkeypatch, fits, lambda: TwoInputs(
        two_input_model, loss="mse", optimizer="adam", epochs=3, batch_size=16, verbose=0,
        random_state=1), X, y / 100)
    assert est.predict(X).shape == (90,)


def test_fit_arguments_on_the_estimator(monkeypatch, fits):
    """validation_freq, steps_per_epoch, validation_batch_size (SciKeras's parameter, routed, or
    -1 for the whole set), validation_steps and a non-zero initial_epoch go to the library
    estimator (its fit__ parameters) and train as model_.fit does, bit for bit; validation
    keys hold an entry every validation_freq epochs."""
    X, y = iris()
    base = dict(model=dense_model, optimizer="adam", epochs=4, batch_size=16, verbose=0,
                random_state=4, validation_split=0.2, metrics=["accuracy"])
    for kw, fit_kw in [(dict(fit__validation_freq=2), {}), (dict(fit__steps_per_epoch=3), {}),
                       (dict(validation_batch_size=8), {}),
                       (dict(fit__validation_batch_size=-1), dict(validation_steps=2)),
                       ({}, dict(validation_freq=3, steps_per_epoch=5))]:
        fits.clear()
        est = same_fit(monkeypatch, fits, lambda: KerasClassifier(**base, **kw), X, y, **fit_kw)
        freq = kw.get("fit__validation_freq", fit_kw.get("validation_freq", 1))
        assert len(est.history_["loss"]) == 4
        assert len(est.history_["val_accuracy"]) == 4 // freq
    # initial_epoch: `epochs` epochs numbered from it (SciKeras: Model.fit(epochs=initial_epoch
    # + epochs, initial_epoch=initial_epoch)); what a callback sees.
    recorders = []

    def make():
        recorders.append(Recorder())
        return KerasClassifier(**dict(base, epochs=2), callbacks=[recorders[-1]])
    fits.clear()
    est = same_fit(monkeypatch, fits, make, X, y, initial_epoch=3)
    assert len(est.history_["loss"]) == 2 and est.current_epoch == 2
    assert [e for e, *_ in recorders[0].seen] == [3, 4] and recorders[0].seen == recorders[1].seen


def test_initial_epoch_extends_a_warm_history(monkeypatch, fits):
    """A warm-started fit from a non-zero initial_epoch extends history_ (SciKeras); from 0 it
    starts a new one; both on the library estimator that trained the model."""
    X, y = iris()
    make = lambda: KerasClassifier(dense_model, optimizer="adam", epochs=2, verbose=0,
                                   random_state=5, warm_start=True)
    a, b = run_both(monkeypatch, make, [lambda e: e.fit(X, y),
                                        lambda e: e.fit(X, y, initial_epoch=2),
                                        lambda e: e.fit(X, y, initial_epoch=4, epochs=1)])
    assert len(fits) == 3 and fits[0] == fits[1] == fits[2]
    assert_same_state(a, b, X)
    assert len(a.history_["loss"]) == 5
    fits.clear()
    a.fit(X, y)
    assert len(fits) == 1 and len(a.history_["loss"]) == 2


def test_text_labels_on_the_estimator(monkeypatch, fits):
    """Text labels (str and object arrays) go to the library as labels
    (keras_estimator_fit_arrays' labels_json) and come back as labels in
    classes_'s dtype, as the Python encoders give them; partial_fit's text classes too."""
    X, y = iris()
    make = lambda: KerasClassifier(dense_model, optimizer="adam", epochs=2, batch_size=16,
                                   verbose=0, random_state=10)
    for labels in (np.array(["setosa", "versicolor", "virginica"])[y],
                   np.array(["b", "a", "c"], dtype=object)[y]):
        fits.clear()
        est = same_fit(monkeypatch, fits, make, X, labels)
        assert est.predict(X).dtype == labels.dtype and set(est.predict(X)) <= set(labels)
    partials = fit_calls(monkeypatch, partial=True)
    text = np.array(["x", "y", "z"])[y]
    first = text != "z"
    a, b = run_both(monkeypatch, make, [
        lambda e: e.partial_fit(X[first], text[first], classes=["x", "y", "z"]),
        lambda e: e.partial_fit(X, text)])
    assert len(partials) == 2
    assert_same_state(a, b, X)
    assert list(a.classes_) == ["x", "y", "z"]


def run_both(monkeypatch, make, steps):
    """make() put through steps (est -> None) through the library estimator, and again through
    model_.fit."""
    a = make()
    for step in steps:
        step(a)
    with monkeypatch.context() as m:
        through_model_fit(m)
        b = make()
        for step in steps:
            step(b)
    return a, b


def assert_same_state(a, b, X):
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert_same_history(a.history_, b.history_)
    assert a.current_epoch == b.current_epoch
    for key in ("classes_", "n_classes_", "target_type_", "n_outputs_"):
        if hasattr(b, key):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    same_output(a.predict(X), b.predict(X))


def test_partial_fit_continues_on_the_estimator(monkeypatch):
    """partial_fit through keras_estimator_fit_arrays: the first call's classes (y lacks one)
    count as seen, each call trains one epoch of the same model numbered after the last (what a
    Python callback sees), history_ grows, as model_.fit with initial_epoch does."""
    partials = fit_calls(monkeypatch, partial=True)
    X, y = iris()
    labels = np.array([3, 5, 9])[y]
    first = labels != 9
    recorders = []

    def make():
        recorders.append(Recorder())
        return KerasClassifier(dense_model, optimizer="adam", optimizer__learning_rate=0.05,
                               batch_size=16, verbose=0, random_state=8, metrics=["accuracy"],
                               callbacks=[recorders[-1]])
    steps = [lambda e: e.partial_fit(X[first], labels[first], classes=[3, 5, 9]),
             lambda e: e.partial_fit(X, labels), lambda e: e.partial_fit(X, labels)]
    a, b = run_both(monkeypatch, make, steps)
    assert len(partials) == 3 and all(h == partials[0] for h in partials)
    assert_same_state(a, b, X)
    assert list(a.classes_) == [3, 5, 9] and len(a.history_["loss"]) == 3
    assert [e for e, *_ in recorders[0].seen] == [0, 1, 2] and recorders[0].seen == recorders[1].seen
    assert a.history_["double_loss"] == [2 * v for v in a.history_["loss"]]
    same_decoding(monkeypatch, a, b, X, labels)


def test_warm_start_continues_the_model_on_the_estimator(monkeypatch, fits):
    """warm_start=True: the second fit trains the same model further through the same library
    estimator; history_ holds that fit's epochs, as SciKeras's (and model_.fit's). A
    partial_fit after it numbers its epoch after history_ (SciKeras's current_epoch), not after
    the epochs trained since the model was built: on the same estimator, from that epoch."""
    partials = fit_calls(monkeypatch, partial=True)
    X, y = iris()
    make = lambda: KerasClassifier(dense_model, optimizer="adam", epochs=2, verbose=0,
                                   random_state=9, warm_start=True)
    a, b = run_both(monkeypatch, make, [lambda e: e.fit(X, y), lambda e: e.fit(X, y, epochs=3)])
    assert len(fits) == 2 and fits[0] == fits[1]
    assert_same_state(a, b, X)
    assert len(a.history_["loss"]) == 3
    same_decoding(monkeypatch, a, b, X, y)
    fits.clear()
    recorders = []

    def recording():
        recorders.append(Recorder())
        return make().set_params(callbacks=[recorders[-1]])
    a, b = run_both(monkeypatch, recording, [
        lambda e: e.fit(X, y), lambda e: e.fit(X, y, epochs=3), lambda e: e.partial_fit(X, y),
        lambda e: e.partial_fit(X, y)])
    assert len(fits) == 2 and len(partials) == 2 and partials[0] == fits[0]
    assert len(a.history_["loss"]) == 5
    assert [e for e, *_ in recorders[0].seen] == [0, 1, 0, 1, 2, 3, 4]
    assert recorders[0].seen == recorders[1].seen
    assert_same_state(a, b, X)


def test_regressor_partial_fit(monkeypatch):
    partials = fit_calls(monkeypatch, partial=True)
    X, y = make_regression(n_samples=80, n_features=5, noise=0.1, random_state=1)
    y = (y / 100).astype(np.float32)
    make = lambda: KerasRegressor(reg_model, optimizer="adam", batch_size=8, verbose=0,
                                  random_state=3)
    a, b = run_both(monkeypatch, make, [lambda e: e.partial_fit(X, y)] * 3)
    assert len(partials) == 3
    assert_same_state(a, b, X)
    same_decoding(monkeypatch, a, b, X, y)


def test_diverging_fit_keeps_the_history_as_scikeras(monkeypatch, fits):
    """SciKeras reports a diverged loss in history_; the library's own estimator fails such a
    fit, but not one that trains a binding's model: history_ is model_.fit's."""
    X, y = iris()
    # (a linear output: a softmax's cross-entropy cannot diverge, its probabilities clipped to
    # [1e-7, 1 - 1e-7] give a saturated row no gradient, in Keras as here)
    # (random_state=0's start has every probability clipped, so no gradient at all: a dead
    # start, in Keras's arithmetic too; 1 starts where the steps diverge)
    make = lambda: KerasClassifier(dense_model, model__activation="linear", optimizer="sgd",
                                   optimizer__learning_rate=1e30, epochs=3, verbose=0,
                                   random_state=1)
    est = make().fit(X * 1e10, y)
    assert len(fits) == 1
    losses = est.history_["loss"]
    assert len(losses) == 3
    assert any(not np.isfinite(v) for v in losses)   # a float, as in Keras's History
    with monkeypatch.context() as m:
        through_model_fit(m)
        np.testing.assert_equal(dict(make().fit(X * 1e10, y).history_), dict(est.history_))


class OneHotLabels(FunctionTransformer):
    """A user's target encoder (SciKeras: override `target_encoder`): one-hot float rows for a
    softmax model; class indices (or, with return_proba, the probabilities) back."""

    def __init__(self):
        super().__init__(lambda t: np.eye(3, dtype=np.float32)[np.asarray(t, int)],
                         lambda p: np.argmax(p, axis=1), check_inverse=False)

    def inverse_transform(self, y, return_proba=False):
        return y if return_proba else super().inverse_transform(y)

    def get_metadata(self):
        return {"n_classes_": 3}


class OwnEncoder(KerasClassifier):
    @property
    def target_encoder(self):
        return OneHotLabels()


def same_user_decoding(monkeypatch, a, b, X, y, proba=True, score=True):
    """a's predict (and predict_proba) go through keras_estimator_predict_arrays and the
    user's inverse_transform; they, and score (the scorer of predict), equal b's (the
    oracle's): values, shapes, dtypes."""
    with monkeypatch.context() as m:
        calls = predict_calls(m)
        ours = [a.predict(X), a.predict(X[:1])] + (
            [a.predict_proba(X)] if proba and hasattr(a, "predict_proba") else [])
        assert len(calls["predict"]) + len(calls["predict_proba"]) == len(ours)
    with monkeypatch.context() as m:
        through_model_fit(m)
        theirs = [b.predict(X), b.predict(X[:1])] + (
            [b.predict_proba(X)] if proba and hasattr(b, "predict_proba") else [])
    for p, q in zip(ours, theirs, strict=True):
        same_output(p, q)
    if score:
        assert a.score(X, y) == b.score(X, y)


def test_user_target_encoder_on_the_estimator(monkeypatch, fits):
    """A user's target_encoder encodes y in Python; the library estimator takes the targets as
    encoded (target_encoder "passthrough") and trains as model_.fit does, bit for bit; the
    model's raw predictions go back through the user's inverse_transform."""
    X, y = iris()
    make = lambda: OwnEncoder(dense_model, loss="categorical_crossentropy", optimizer="adam",
                              epochs=3, batch_size=16, verbose=0, random_state=6)
    a, b = run_both(monkeypatch, make, [lambda e: e.fit(X, y)])
    assert len(fits) == 1
    assert_same_state(a, b, X)
    same_user_decoding(monkeypatch, a, b, X, y)
    assert a.n_classes_ == 3 and a.predict(X).dtype == np.int64
    # partial_fit continues on the same estimator.
    partials = fit_calls(monkeypatch, partial=True)
    a, b = run_both(monkeypatch, make, [lambda e: e.partial_fit(X, y)] * 2)
    assert len(partials) == 2
    assert_same_state(a, b, X)


def test_user_feature_and_target_encoders_of_a_regressor(monkeypatch, fits):
    """SciKeras's encoder hooks on a regressor: log1p targets and scaled features, encoded in
    Python, trained on the library estimator as model_.fit trains them."""
    X, y = make_regression(n_samples=60, n_features=4, noise=0.1, random_state=2)
    y = np.abs(y)

    class Custom(KerasRegressor):
        @property
        def target_encoder(self):
            return FunctionTransformer(np.log1p, np.expm1)

        @property
        def feature_encoder(self):
            return FunctionTransformer(lambda a: a * 0.5)
    def build():
        return keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    make = lambda: Custom(build, loss="mse", optimizer="adam", epochs=3, batch_size=8, verbose=0,
                          random_state=7)
    a, b = run_both(monkeypatch, make, [lambda e: e.fit(X, y)])
    assert len(fits) == 1
    assert_same_state(a, b, X)
    same_user_decoding(monkeypatch, a, b, X, y)


class Splitter(FunctionTransformer):
    """SciKeras's multi-output pattern: y's columns as a list, one target per model output."""

    def __init__(self):
        super().__init__(lambda t: [t[:, 0], t[:, 1:].astype(np.float32)],
                         lambda p: np.stack([np.argmax(p[0], 1), (p[1][:, 0] > 0.5).astype(int)], 1),
                         check_inverse=False)

    def get_metadata(self):
        return {"n_outputs_expected_": 2, "n_classes_": 3}


class MultiOutput(KerasClassifier):
    @property
    def target_encoder(self):
        return Splitter()


def two_heads(meta):
    inp = keras.Input((meta["n_features_in_"],))
    h = keras.layers.Dense(8, activation="relu")(inp)
    return keras.Model(inp, [keras.layers.Dense(3, activation="softmax", name="kind")(h),
                             keras.layers.Dense(1, activation="sigmoid", name="big")(h)])


def test_multi_output_targets_on_the_estimator(monkeypatch, fits):
    """A two-output model with a splitting target encoder: the library estimator takes the
    outputs' targets side by side (output_columns) and trains both heads as model_.fit does,
    bit for bit; predict's raw outputs are one array per head for the user's inverse_transform;
    a dict of targets keyed by output name too."""
    X, y = iris()
    y2 = np.stack([y, (X[:, 0] > 5.8).astype(int)], axis=1)
    make = lambda: MultiOutput(model=two_heads, optimizer="adam", epochs=3, batch_size=16,
                               loss=["sparse_categorical_crossentropy", "binary_crossentropy"],
                               verbose=0, random_state=0, metrics=["accuracy"])
    a, b = run_both(monkeypatch, make, [lambda e: e.fit(X, y2)])
    assert len(fits) == 1
    assert_same_state(a, b, X)
    # Splitter has no return_proba, and scikit-learn's accuracy no multiclass-multioutput.
    same_user_decoding(monkeypatch, a, b, X, y2, proba=False, score=False)
    assert a.predict(X).shape == (150, 2) and a.target_type_ == "multiclass-multioutput"
    assert "kind_loss" in a.history_ and "big_loss" in a.history_

    class ByName(Splitter):
        def __init__(self):
            FunctionTransformer.__init__(
                self, lambda t: {"big": t[:, 1:].astype(np.float32), "kind": t[:, 0]},
                lambda p: np.stack([np.argmax(p[0], 1), (p[1][:, 0] > 0.5).astype(int)], 1),
                check_inverse=False)

    class Named(MultiOutput):
        @property
        def target_encoder(self):
            return ByName()
    fits.clear()
    named = Named(**make().get_params()).fit(X, y2)
    assert len(fits) == 1
    assert_same_state(named, a, X)


def test_integer_labels_beyond_float32(monkeypatch, fits):
    """int64 ids that float32 cannot hold (2^24 + 1) go to the library as their exact text
    (label_order "numeric": classes sorted by value) and come back exactly, in y's dtype, as the
    Python encoders give them; partial_fit's classes too."""
    X, y = iris()
    ids = np.array([2 ** 24, 2 ** 24 + 1, 2 ** 40 + 3], dtype=np.int64)
    labels = ids[y]
    make = lambda: KerasClassifier(dense_model, optimizer="adam", epochs=2, batch_size=16,
                                   verbose=0, random_state=11)
    est = same_fit(monkeypatch, fits, make, X, labels)
    assert list(est.classes_) == list(ids) and est.classes_.dtype == np.int64
    assert est.predict(X).dtype == np.int64 and set(est.predict(X)) <= set(ids)
    partials = fit_calls(monkeypatch, partial=True)
    first = labels != ids[2]
    a, b = run_both(monkeypatch, make, [
        lambda e: e.partial_fit(X[first], labels[first], classes=ids[::-1]),
        lambda e: e.partial_fit(X, labels)])
    assert len(partials) == 2
    assert_same_state(a, b, X)
    assert list(a.classes_) == list(ids)
    # class_weight keys are the exact ids.
    fits.clear()
    weighted = KerasClassifier(dense_model, optimizer="adam", epochs=1, verbose=0,
                               random_state=11, class_weight={int(ids[1]): 4.0}).fit(X, labels)
    plain = make().set_params(epochs=1).fit(X, labels)
    assert len(fits) == 2
    assert not np.allclose(weighted.predict_proba(X), plain.predict_proba(X))
