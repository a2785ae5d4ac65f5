"""KerasClassifier / KerasRegressor.fit through the library's estimator
(keras_estimator_from_model): the model function's model is trained in place by the library's
KerasClassifier / KerasRegressor, which analyses and encodes y. The same fit through model_.fit
(the path kept for what the estimator does not take) is the oracle: same seed, same weights,
history and predictions, bit for bit."""

import io
import contextlib

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_regression

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import _lib
from swiftkeras._sk_base import BaseWrapper
from swiftkeras.wrappers import KerasClassifier, KerasRegressor

pytestmark = needs(*CORE, "keras_estimator_from_model", "keras_estimator_fit_weighted")


def dense_model(hidden=8, meta=None, units=None, activation="softmax"):
    return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                             keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(units or meta["n_classes_"],
                                                activation=activation)])


def reg_model(hidden=8, meta=None):
    return keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(meta["n_outputs_"])])


@pytest.fixture
def fits(monkeypatch):
    """Counts the library estimator fits (keras_estimator_fit_weighted calls)."""
    calls = []
    real = _lib.keras_estimator_fit_weighted

    def counting(*args):
        calls.append(args[0])
        return real(*args)
    counting.available = True
    monkeypatch.setattr(_lib, "keras_estimator_fit_weighted", counting)
    return calls


def through_model_fit(monkeypatch):
    monkeypatch.setattr(BaseWrapper, "_fit_through_estimator", lambda *a, **k: False)


def same_fit(monkeypatch, fits, make, X, y, **fit_kw):
    """Fits make() through the estimator and through model_.fit; checks both are equal bit for
    bit and returns the estimator-fitted one."""
    a = make().fit(X, y, **fit_kw)
    assert len(fits) == 1, "the fit did not go through keras_estimator_fit_weighted"
    with monkeypatch.context() as m:
        through_model_fit(m)
        b = make().fit(X, y, **fit_kw)
    assert len(fits) == 1
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert dict(a.history_) == dict(b.history_)
    assert a.current_epoch == b.current_epoch
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    for key in ("classes_", "n_classes_", "n_outputs_", "n_outputs_expected_", "target_type_",
                "X_shape_", "n_features_in_"):
        if hasattr(b, key):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    return a


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


def test_regressor(monkeypatch, fits):
    X, y = make_regression(n_samples=120, n_features=5, noise=0.1, random_state=0)
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


def test_what_the_estimator_does_not_take_stays_on_model_fit(fits):
    X, y = iris()
    base = dict(model=dense_model, optimizer="adam", epochs=1, verbose=0, random_state=0)
    # Python callbacks, fit arguments it does not take, text labels, a custom target encoder,
    # warm-started and partial fits.
    KerasClassifier(**base, callbacks=[keras.callbacks.EarlyStopping(monitor="loss")]).fit(X, y)
    KerasClassifier(**base, fit__validation_freq=1).fit(X, y)
    KerasClassifier(**base).fit(X, np.array(["a", "b", "c"])[y])
    KerasClassifier(**base).fit(X, y, validation_batch_size=8)

    class Own(KerasClassifier):
        @property
        def target_encoder(self):
            return super().target_encoder

    Own(**base).fit(X, y)
    assert fits == []
    warm = KerasClassifier(**base, warm_start=True).fit(X, y)
    assert len(fits) == 1
    warm.fit(X, y)
    warm.partial_fit(X, y)
    assert len(fits) == 1
    assert len(warm.history_["loss"]) == 2


def test_diverging_fit_keeps_the_history_as_scikeras(monkeypatch, fits):
    """SciKeras reports a diverged loss in history_; the library's own estimator fails such a
    fit, but not one that trains a binding's model: history_ is model_.fit's."""
    X, y = iris()
    make = lambda: KerasClassifier(dense_model, optimizer="sgd", optimizer__learning_rate=1e30,
                                   epochs=3, verbose=0, random_state=0)
    est = make().fit(X * 1e10, y)
    assert len(fits) == 1
    losses = est.history_["loss"]
    assert len(losses) == 3
    assert any(v is None or not np.isfinite(v) for v in losses)
    with monkeypatch.context() as m:
        through_model_fit(m)
        assert dict(make().fit(X * 1e10, y).history_) == dict(est.history_)
