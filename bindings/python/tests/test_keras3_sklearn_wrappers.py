"""Keras 3's keras.wrappers.SKLearnClassifier / SKLearnRegressor / SKLearnTransformer under
the same names in swiftkeras.wrappers, real Keras 3 the oracle; warm_start works here."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from conftest import CORE, needs, real_keras

import swiftkeras as keras
from swiftkeras.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

pytestmark = needs(*CORE, "keras_set_random_seed")


def build(X, y, hidden=8, loss="categorical_crossentropy", act="softmax", real=False):
    """The model function (module level, so that estimators pickle), swiftkeras or Keras."""
    if real:
        import keras as lib
    else:
        lib = keras
    model = lib.Sequential([lib.layers.Input((X.shape[1],)),
                            lib.layers.Dense(hidden, activation="relu"),
                            lib.layers.Dense(y.shape[1] if y.ndim == 2 else 1, activation=act)])
    model.compile(optimizer="adam", loss=loss)
    return model


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(x).astype(np.float32), y


def test_same_names_and_outputs_as_keras3(iris):
    x, y = iris
    import keras as real
    labels = np.array(["a", "b", "c"])[y]
    ours = SKLearnClassifier(build, model_kwargs={"hidden": 6},
                             fit_kwargs={"epochs": 3, "verbose": 0}).fit(x, labels)
    theirs = real.wrappers.SKLearnClassifier(build, model_kwargs={"hidden": 6, "real": True},
                                             fit_kwargs={"epochs": 3, "verbose": 0}).fit(x, labels)
    assert list(ours.classes_) == list(theirs.classes_)
    assert ours.predict(x).shape == theirs.predict(x).shape and ours.predict(x).dtype.kind == "U"
    assert ours.model_.layers[0].get_weights()[0].shape == (4, 6)
    assert set(SKLearnClassifier(build).get_params()) == \
        set(real.wrappers.SKLearnClassifier(build).get_params())
    with pytest.raises(ValueError, match="one class"):
        SKLearnClassifier(build).fit(x, np.zeros(150))
    reg = SKLearnRegressor(build, model_kwargs={"loss": "mse", "act": "linear"},
                           fit_kwargs={"epochs": 2, "verbose": 0}).fit(x, x[:, 0] * 2)
    assert reg.predict(x).shape == (150,)
    enc = SKLearnTransformer(build, model_kwargs={"loss": "mse", "act": "linear"},
                             fit_kwargs={"epochs": 2, "verbose": 0}).fit(x, x[:, 0])
    assert enc.transform(x).shape == (150, 1)


def test_warm_start_continues_and_clone_keeps_fit_kwargs(iris):
    x, y = iris
    clf = SKLearnClassifier(build, warm_start=True, fit_kwargs={"epochs": 2, "verbose": 0})
    clf.fit(x, y)
    first = clf.model_
    clf.fit(x, y)
    assert clf.model_ is first and clf.epoch_ == 4 and len(clf.history_.history["loss"]) == 4
    cold = SKLearnClassifier(build, fit_kwargs={"epochs": 2, "verbose": 0}).fit(x, y)
    model = cold.model_
    assert cold.fit(x, y).model_ is not model and cold.epoch_ == 2
    assert clone(cold).fit_kwargs == {"epochs": 2, "verbose": 0}


def test_fit_and_predict_run_on_the_library_estimator(iris, monkeypatch):
    """The wrappers' fit and predictions go through the library estimator
    (keras_estimator_fit_arrays / _predict_arrays, the one-hot targets taken as encoded) and
    give what model.fit and model.predict give the same model from the same seed, bit for bit
    (weights, history, decision_function); a pickled copy predicts alike through its own."""
    import pickle
    from swiftkeras import _lib
    x, y = iris
    calls = []
    for name in ("keras_estimator_fit_arrays", "keras_estimator_predict_arrays"):
        def counting(*args, real=getattr(_lib, name), name=name):
            calls.append(name)
            return real(*args)
        counting.available = True
        monkeypatch.setattr(_lib, name, counting)
    fit_kwargs = {"epochs": 3, "verbose": 0, "batch_size": 16, "shuffle": False,
                  "validation_split": 0.2}
    keras.utils.set_random_seed(3)
    ours = SKLearnClassifier(build, fit_kwargs=fit_kwargs).fit(x, y)
    scores = ours.decision_function(x)
    assert calls == ["keras_estimator_fit_arrays", "keras_estimator_predict_arrays"]
    keras.utils.set_random_seed(3)
    onehot = np.eye(3, dtype=np.float32)[y]
    model = build(x, onehot)
    history = model.fit(x, onehot, **fit_kwargs).history
    for a, b in zip(ours.model_.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert ours.history_.history == {k: list(v) for k, v in history.items()}
    np.testing.assert_array_equal(scores, model.predict(x, verbose=0))
    copy = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(copy.decision_function(x), scores)
    np.testing.assert_array_equal(copy.predict(x), ours.predict(x))


def _shuffled_fits(lib, wrappers, shuffle):
    """Two fits in a row of each Keras 3 wrapper from one seed, `shuffle` in fit_kwargs: their
    predictions and numpy's next number after them (a shuffled fit draws from np.random)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4)).astype("float32")
    y = (X @ np.arange(4.0) + 0.5).astype("float32")
    labels = (X[:, 0] > 0).astype(int)

    def make(X, y, units=1, act=None, loss="mse"):
        model = lib.Sequential([lib.Input((X.shape[1],)), lib.layers.Dense(units, activation=act)])
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss=loss)
        return model
    fit_kwargs = {"shuffle": shuffle, "epochs": 2, "batch_size": 8, "verbose": 0}
    lib.utils.set_random_seed(0)
    out = []
    for _ in range(2):
        out.append(wrappers.SKLearnRegressor(make, fit_kwargs=fit_kwargs).fit(X, y).predict(X[:4]))
        out.append(wrappers.SKLearnTransformer(make, fit_kwargs=fit_kwargs).fit(X, y).transform(X[:4]))
        clf = wrappers.SKLearnClassifier(make, model_kwargs={"units": 2, "act": "softmax",
                                                             "loss": "categorical_crossentropy"},
                                         fit_kwargs=fit_kwargs).fit(X, labels)
        out.append(clf.model_.predict(X[:4], verbose=0))
    return [np.asarray(o) for o in out], np.random.rand()


@pytest.mark.parametrize("shuffle", [True, False, "batch"])
def test_fit_kwargs_shuffle_trains_as_keras3_wrappers(shuffle):
    import keras as real
    import keras.wrappers as real_wrappers
    from swiftkeras import wrappers
    ours, our_next = _shuffled_fits(keras, wrappers, shuffle)
    theirs, their_next = _shuffled_fits(real, real_wrappers, shuffle)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert our_next == their_next   # np.random goes on as after Keras's fits


def test_scikeras_wrapper_shuffles_by_batch_as_keras_fit(iris):
    """SciKeras's KerasRegressor(shuffle="batch") hands Keras's fit its batch-wise shuffle: its
    fit draws from np.random what Keras's model.fit(shuffle="batch") of the same rows draws."""
    x, _ = iris
    from swiftkeras.wrappers import KerasRegressor

    def build(lib):
        return lib.Sequential([lib.Input((x.shape[1],)), lib.layers.Dense(1)])
    np.random.seed(3)
    KerasRegressor(lambda: build(keras), loss="mse", shuffle="batch", epochs=2, batch_size=32,
                   verbose=0).fit(x, x[:, 0])
    ours = np.random.rand()
    real = real_keras()
    np.random.seed(3)
    model = build(real)
    model.compile(optimizer="rmsprop", loss="mse")
    model.fit(x, x[:, 0], shuffle="batch", epochs=2, batch_size=32, verbose=0)
    assert ours == np.random.rand()
    np.random.seed(3)
    assert ours != np.random.rand()   # the fits drew: the test can fail


def _regression_model(X, y, lib=None):
    """A linear model with one output per target column (Keras 3's sklearn_test dynamic_model
    in small), swiftkeras or Keras."""
    lib = lib or keras
    model = lib.Sequential([lib.layers.Input((X.shape[1],)),
                            lib.layers.Dense(y.shape[1] if y.ndim == 2 else 1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _real_regression_model(X, y):
    return _regression_model(X, y, real_keras())


def _outcome(call):
    """What a call gives: ("ok", value, warnings' categories) or ("raises", type, message)."""
    import warnings
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = call()
        return "ok", value, sorted({w.category.__name__ for w in caught
                                    if w.category.__module__.startswith("sklearn") or "feature names" in str(w.message)})
    except Exception as e:   # noqa: BLE001 - the exception is what is compared
        return "raises", type(e), str(e).split("\n")[0]


def _both(make):
    """`make(wrappers, model_function)` with ours and with real Keras's wrappers."""
    real = real_keras()
    from swiftkeras import wrappers
    return make(wrappers, _regression_model), make(real.wrappers, _real_regression_model)


def test_fitted_attributes_as_keras3():
    """Attribute by attribute after fit, as Keras 3.15's wrappers: history_ is model.fit's
    History (epoch, params, history), model_ the fitted model, n_features_in_, classes_, no
    feature_names_in_ for arrays, no __sklearn_is_fitted__, the tags and _more_tags, metadata
    routing and set_fit_request."""
    import sklearn
    from sklearn.utils.validation import _is_fitted
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 3)).astype(np.float32)
    y = X.sum(axis=1)
    labels = np.array(["cat", "dog", "eel"])[np.arange(24) % 3]
    fit_kwargs = {"epochs": 3, "verbose": 0}

    def fitted(wrappers, fn):
        return (wrappers.SKLearnRegressor(fn, fit_kwargs=dict(fit_kwargs)).fit(X, y),
                wrappers.SKLearnClassifier(_classifier_for(fn), fit_kwargs=dict(fit_kwargs)).fit(X, labels),
                wrappers.SKLearnTransformer(fn, fit_kwargs=dict(fit_kwargs)).fit(X, y))
    ours, theirs = _both(fitted)
    for o, t in zip(ours, theirs):
        name = type(o).__name__
        assert type(o.history_).__name__ == type(t.history_).__name__ == "History", name
        assert o.history_.epoch == t.history_.epoch == [0, 1, 2], name
        assert list(o.history_.history) == list(t.history_.history) == ["loss"], name
        assert len(o.history_.history["loss"]) == 3, name
        assert {k: o.history_.params[k] for k in ("epochs", "verbose")} == \
            {k: t.history_.params[k] for k in ("epochs", "verbose")}, name
        assert o.history_.model is o.model_ and t.history_.model is t.model_, name
        assert isinstance(o.model_, keras.Model) and o.n_features_in_ == t.n_features_in_ == 3, name
        assert not hasattr(o, "feature_names_in_") and not hasattr(t, "feature_names_in_"), name
        assert hasattr(o, "__sklearn_is_fitted__") == hasattr(t, "__sklearn_is_fitted__"), name
        assert _is_fitted(o) and _is_fitted(t), name
        assert o._more_tags() == t._more_tags(), name
        assert o.__sklearn_tags__() == t.__sklearn_tags__(), name
        assert str(o.get_metadata_routing()) == str(t.get_metadata_routing()), name
        assert o.fit_kwargs == t.fit_kwargs == fit_kwargs, name
        for enabled in (False, True):
            with sklearn.config_context(enable_metadata_routing=enabled):
                ro = _outcome(lambda: str(type(o)(o.model).set_fit_request(sample_weight=True)
                                          .get_metadata_routing()))
                rt = _outcome(lambda: str(type(t)(t.model).set_fit_request(sample_weight=True)
                                          .get_metadata_routing()))
                assert ro == rt, (name, enabled, ro, rt)
    assert list(ours[1].classes_) == list(theirs[1].classes_) == ["cat", "dog", "eel"]
    assert ours[1].decision_function(X).shape == theirs[1].decision_function(X).shape == (24, 3)
    assert ours[0].epoch_ == 3   # (Keras's epoch_ reads history_.get, which its History lacks)


def _classifier_for(fn):
    """A softmax classifier with one output per one-hot column, from the library `fn` uses."""
    real = fn is _real_regression_model

    def classifier(X, y):
        lib = real_keras() if real else keras
        model = lib.Sequential([lib.layers.Input((X.shape[1],)), lib.layers.Dense(y.shape[1], activation="softmax")])
        model.compile(optimizer="sgd", loss="categorical_crossentropy")
        return model
    return classifier


def test_input_checks_as_keras3():
    """The wrappers' answers to each kind of input, as Keras 3.15's: outcome, exception type
    and message (scikit-learn's validate_data without multi_output; DataConversionWarning for a
    column vector), predict before fit (NotFittedError), a wrong number of features, string
    labels, sample_weight."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3)).astype(np.float32)
    y = X.sum(axis=1)
    labels = np.array(["a", "b"])[np.arange(20) % 2]
    fk = {"epochs": 1, "verbose": 0}

    def shape(a):
        return np.asarray(a).shape

    def cases(wrappers, fn):
        R, C, T = wrappers.SKLearnRegressor, wrappers.SKLearnClassifier, wrappers.SKLearnTransformer
        c = _classifier_for(fn)
        return [
            _outcome(lambda: shape(R(fn, fit_kwargs=fk).fit(X, y[:, None]).predict(X))),
            _outcome(lambda: shape(T(fn, fit_kwargs=fk).fit(X, y[:, None]).transform(X))),
            _outcome(lambda: shape(C(c, fit_kwargs=fk).fit(X, labels[:, None]).predict(X))),
            _outcome(lambda: R(fn, fit_kwargs=fk).fit(X, np.stack([y, -y], 1))),
            _outcome(lambda: T(fn, fit_kwargs=fk).fit(X, np.stack([y, -y], 1))),
            _outcome(lambda: C(c, fit_kwargs=fk).fit(X, np.eye(2)[np.arange(20) % 2])),
            _outcome(lambda: C(c, fit_kwargs=fk).fit(X, y)),
            _outcome(lambda: C(c, fit_kwargs=fk).fit(X, np.zeros(20))),
            _outcome(lambda: list(C(c, fit_kwargs=fk).fit(X, labels).predict(X[:2]).dtype.str[1:2])),
            _outcome(lambda: shape(R(fn, fit_kwargs=fk).fit(X, y, sample_weight=np.ones(20)).predict(X))),
            _outcome(lambda: shape(C(c, fit_kwargs=fk).fit(X, labels, sample_weight=np.ones(20)).predict(X))),
            _outcome(lambda: R(fn).predict(X)),
            _outcome(lambda: T(fn).transform(X)),
            _outcome(lambda: C(c).decision_function(X)),
            _outcome(lambda: R(fn, fit_kwargs=fk).fit(X, y).predict(X[:, :2])),
            _outcome(lambda: T(fn, fit_kwargs=fk).fit(X, y).transform(X[:, :2])),
            _outcome(lambda: R(fn, fit_kwargs=fk).fit(X[:, 0], y)),
            _outcome(lambda: R(fn, fit_kwargs=fk).fit(X, y[:5])),
            _outcome(lambda: R(fn, fit_kwargs=fk).fit(X, y.reshape(20, 1, 1))),
        ]
    ours, theirs = _both(cases)
    assert len(ours) == len(theirs)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert o[:2] == t[:2], (i, o, t)
        if o[0] == "ok":
            assert o[2] == t[2], (i, o, t)   # the same scikit-learn warnings
        else:
            assert o[2].split(" by ")[0] == t[2].split(" by ")[0], (i, o, t)


@pytest.mark.parametrize("activation", ["softmax", "linear"])
def test_decision_function_argmax_is_predict_as_keras3_suite(activation):
    """Keras 3's sklearn_test.test_sklearn_estimator_decision_function on ours: the argmax of
    decision_function (the model's outputs) is the predicted class."""
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=10, n_features=10, n_informative=4, n_classes=2, random_state=42)

    def model(X, y):
        m = keras.Sequential([keras.layers.Input((X.shape[1],)), keras.layers.Dense(10, activation="relu"),
                              keras.layers.Dense(y.shape[1], activation=activation)])
        m.compile(loss="binary_crossentropy", optimizer="rmsprop")
        return m
    est = SKLearnClassifier(model, fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, y)
    scores = est.decision_function(X)
    assert scores.shape == (10, 2)
    np.testing.assert_array_equal(est.classes_[scores.argmax(axis=-1)], est.predict(X))


def test_feature_names_from_a_dataframe_as_keras3():
    """A DataFrame's columns become feature_names_in_; predicting on an array warns, on other
    columns raises, as with Keras 3.15's wrappers (scikit-learn's validate_data in both)."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20, 3)).astype(np.float32)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    y = X.sum(axis=1)

    def cases(wrappers, fn):
        est = wrappers.SKLearnRegressor(fn, fit_kwargs={"epochs": 1, "verbose": 0}).fit(frame, y)
        return [_outcome(lambda: list(est.feature_names_in_)), _outcome(lambda: est.n_features_in_),
                _outcome(lambda: est.predict(frame).shape),
                _outcome(lambda: est.predict(X).shape),
                _outcome(lambda: est.predict(frame.rename(columns={"c": "d"})))]
    ours, theirs = _both(cases)
    assert ours[0][1] == ["a", "b", "c"] and ours[3][2] == ["UserWarning"]
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert o[:2] == t[:2] and o[2:] == t[2:], (i, o, t)
