"""KerasClassifier / KerasRegressor as scikit-learn estimators, and the native search."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import load_iris, make_regression
from sklearn.model_selection import (GridSearchCV, KFold, ParameterGrid, ParameterSampler,
                                     RandomizedSearchCV, StratifiedKFold, cross_val_score)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras.wrappers import KerasClassifier, KerasRegressor
from swiftkeras import _lib

pytestmark = needs(*CORE)


def iris_model(hidden=8, meta=None):
    return keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(meta["n_classes_"], activation="softmax")])


def reg_model(hidden=16, meta=None):
    return keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(1)])


def classifier(**kw):
    params = dict(model=iris_model, loss="sparse_categorical_crossentropy", optimizer="adam",
                  optimizer__learning_rate=0.05, epochs=40, batch_size=16, verbose=0,
                  random_state=0)
    params.update(kw)
    return KerasClassifier(**params)


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(x), y


def test_estimator_protocol(iris):
    x, y = iris
    clf = classifier()
    assert is_classifier(clf) and is_regressor(KerasRegressor(model=reg_model))
    assert not hasattr(clf, "model_")
    params = clf.get_params()
    assert params["optimizer__learning_rate"] == 0.05 and params["epochs"] == 40
    c2 = clone(clf).set_params(model__hidden=4)
    assert c2.get_params()["model__hidden"] == 4
    clf.fit(x, y)
    assert clf.n_features_in_ == 4 and list(clf.classes_) == [0, 1, 2]
    assert clf.score(x, y) > 0.85
    assert clf.predict_proba(x).shape == (150, 3)
    assert set(clf.history_) == {"loss"}
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    assert set(classifier().fit(x, names).predict(x[:5])) <= set(names)


def test_routed_model_parameter_reaches_the_model_function(iris):
    x, y = iris
    clf = classifier(model__hidden=5).fit(x, y)
    assert clf.model_.layers[0].get_weights()[0].shape == (4, 5)


@needs("keras_set_random_seed")
def test_deterministic_with_random_state(iris):
    x, y = iris
    a = classifier().fit(x, y).predict_proba(x)
    b = classifier().fit(x, y).predict_proba(x)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_pipeline_cross_val_score_stratifies(iris):
    x, y = iris
    pipe = Pipeline([("scale", StandardScaler()), ("clf", classifier())])
    scores = cross_val_score(pipe, *load_iris(return_X_y=True), cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8  # iris sorted by class: only stratified folds work


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_sklearn(iris, n_jobs):
    x, y = iris
    gs = GridSearchCV(classifier(epochs=20), {"model__hidden": [4, 8], "optimizer__learning_rate": [0.05]},
                      cv=3, n_jobs=n_jobs)
    gs.fit(x, y)
    assert set(gs.best_params_) == {"model__hidden", "optimizer__learning_rate"}
    assert gs.best_score_ > 0.7
    assert gs.predict(x).shape == (150,)


def test_randomized_search(iris):
    x, y = iris
    rs = RandomizedSearchCV(classifier(epochs=10), {"model__hidden": [2, 4, 8, 16]}, n_iter=2,
                            cv=3, random_state=0, n_jobs=2)
    rs.fit(x, y)
    assert len(rs.cv_results_["params"]) == 2


def test_regressor(iris):
    x, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    y = y / y.std()
    reg = KerasRegressor(model=reg_model, loss="mse", optimizer="adam", epochs=60, verbose=0,
                         random_state=0, optimizer__learning_rate=0.02)
    reg.fit(x, y)
    assert reg.predict(x).shape == (200,)
    assert reg.score(x, y) > 0.8


@needs("keras_set_random_seed")
def test_pickle_by_value(iris):
    x, y = iris
    clf = classifier().fit(x, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(x), clf.predict_proba(x), rtol=1e-6)
    unfitted = pickle.loads(pickle.dumps(classifier()))
    assert unfitted.get_params()["epochs"] == 40


def test_bad_targets_and_data_raise(iris):
    x, y = iris
    with pytest.raises(ValueError):
        classifier().fit(x, y[:10])
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        classifier().fit(bad, y)
    with pytest.raises(ValueError):
        classifier(model__nope=3).fit(x, y)


@needs("keras_grid_search_new")
def test_native_grid_search_matches_the_interface(iris):
    from swiftkeras.model_selection import GridSearchCV as NativeGridSearchCV
    x, y = iris
    grid = {"model__hidden": [4, 8]}
    native = NativeGridSearchCV(classifier(epochs=20), grid, cv=3, n_jobs=2).fit(x, y)
    assert list(native.cv_results_["params"]) == [{"model__hidden": 4}, {"model__hidden": 8}]
    assert {"mean_test_score", "std_test_score", "rank_test_score", "split2_test_score",
            "mean_fit_time"} <= set(native.cv_results_)
    assert native.best_score_ > 0.7 and native.predict(x).shape == (150,)
    reference = GridSearchCV(classifier(epochs=20), grid, cv=3, n_jobs=1).fit(x, y)
    np.testing.assert_allclose(native.cv_results_["mean_test_score"],
                               reference.cv_results_["mean_test_score"], atol=0.05)


@needs("keras_grid_search_new")
def test_native_grid_search_over_estimator_parameters(iris):
    from swiftkeras.model_selection import GridSearchCV as NativeGridSearchCV
    x, y = iris
    grid = {"optimizer__learning_rate": [0.001, 0.05]}
    native = NativeGridSearchCV(classifier(epochs=30), grid, cv=3, n_jobs=2).fit(x, y)
    assert [p["optimizer__learning_rate"] for p in native.cv_results_["params"]] == [0.001, 0.05]
    assert native.cv_results_["mean_test_score"].shape == (2,)
    assert native.best_params_ == {"optimizer__learning_rate": 0.05}
    assert native.best_score_ > 0.7 and native.predict(x).shape == (150,)


@needs("keras_grid_search_new")
def test_native_search_over_model_and_estimator_parameters_in_sklearn_order(iris):
    from swiftkeras.model_selection import GridSearchCV as NativeGridSearchCV
    from swiftkeras.model_selection import RandomizedSearchCV as NativeRandomizedSearchCV
    x, y = iris
    grid = [{"model__hidden": [4, 8], "epochs": [10, 20], "optimizer": ["adam", "sgd"]},
            {"model__hidden": [6], "optimizer__learning_rate": [0.05]}]
    native = NativeGridSearchCV(classifier(), grid, cv=3, n_jobs=2).fit(x, y)
    expected = list(ParameterGrid(grid))
    assert list(native.cv_results_["params"]) == expected
    assert native.cv_results_["split2_test_score"].shape == (len(expected),)
    assert np.all(np.isfinite(native.cv_results_["mean_test_score"]))
    assert native.best_params_ == expected[native.best_index_]
    assert native.best_estimator_.get_params()["model__hidden"] == native.best_params_["model__hidden"]
    from swiftkeras import _lib
    if not _lib.has("keras_randomized_search_new"):  # a library without explicit splits
        with pytest.raises(ValueError, match="cv="):
            NativeGridSearchCV(classifier(), {"epochs": [1]}, cv=KFold(3, shuffle=True)).fit(x, y)
    rs = NativeRandomizedSearchCV(classifier(), {"model__hidden": [2, 4, 8, 16],
                                                 "epochs": [5, 10, 15]},
                                  n_iter=4, cv=3, random_state=0).fit(x, y)
    assert list(rs.cv_results_["params"]) == list(
        ParameterSampler({"model__hidden": [2, 4, 8, 16], "epochs": [5, 10, 15]}, 4,
                         random_state=0))


@needs("keras_grid_search_new", "keras_estimator_model", "keras_search_best_estimator")
def test_native_search_refits_in_the_library(iris, monkeypatch):
    """With refit, the best estimator takes the library's refit (keras_estimator_model): no
    training runs in Python, and it predicts as a fitted estimator, its history_ that of the
    refit's epochs."""
    from swiftkeras.model_selection import GridSearchCV as NativeGridSearchCV
    from swiftkeras.wrappers import BaseWrapper
    x, y = iris

    def no_training(*_args, **_kwargs):
        raise AssertionError("the refit trained in Python")
    monkeypatch.setattr(BaseWrapper, "_fit_library_estimator", no_training)
    for n_jobs in (1, 2):
        search = NativeGridSearchCV(classifier(), {"model__hidden": [4, 8], "epochs": [10, 20]},
                                    cv=3, n_jobs=n_jobs).fit(x, y)
        best = search.best_estimator_
        assert best.get_params()["model__hidden"] == search.best_params_["model__hidden"]
        assert len(best.history_["loss"]) == search.best_params_["epochs"]
        assert list(best.classes_) == [0, 1, 2] and best.n_features_in_ == 4
        assert search.refit_time_ > 0
        untrained = clone(best).initialize(x, y)
        assert best.score(x, y) > 0.85 > untrained.score(x, y)
        np.testing.assert_array_equal(search.predict(x), best.predict(x))
        # schedule_: every fit once (candidates as in cv_results_), on a worker, and the refit
        # of the best candidate (on a worker only when n_jobs > 1).
        fits = sorted((e["candidate"], e["split"]) for e in search.schedule_ if e["split"] is not None)
        assert fits == [(c, k) for c in range(4) for k in range(3)]
        assert {e["worker"] for e in search.schedule_ if e["split"] is not None} <= set(range(n_jobs))
        refits = [e for e in search.schedule_ if e["split"] is None]
        assert refits[-1]["candidate"] == search.best_index_
        assert n_jobs > 1 or refits[-1]["worker"] is None
        assert all(0 <= e["start"] <= e["end"] and e["cpu"] > 0 for e in search.schedule_)
    with pytest.raises(AssertionError, match="trained in Python"):
        classifier().fit(x, y)


@needs("keras_randomized_search_new", "keras_cross_validate")
def test_native_cross_validation_uses_sklearn_folds(iris):
    from swiftkeras.model_selection import GridSearchCV as NativeGridSearchCV
    from swiftkeras.model_selection import cross_val_score as native_cross_val_score
    from swiftkeras.model_selection import cross_validate as native_cross_validate
    x, y = iris
    folds = StratifiedKFold(4, shuffle=True, random_state=0)
    scores = native_cross_val_score(classifier(epochs=30), x, y, cv=folds, n_jobs=2)
    assert scores.shape == (4,) and np.all((scores > 0.5) & (scores <= 1.0))
    result = native_cross_validate(classifier(epochs=5), x, y, cv=3, return_train_score=True)
    assert {"fit_time", "score_time", "test_score", "train_score"} <= set(result)
    # Any scikit-learn splitter: the folds are scikit-learn's.
    search = NativeGridSearchCV(classifier(epochs=10), {"model__hidden": [4, 8]},
                                cv=KFold(3, shuffle=True, random_state=1)).fit(x, y)
    assert search.n_splits_ == 3 and search.cv_results_["split2_test_score"].shape == (2,)


@needs("keras_estimator_metadata", "keras_estimator_fit")
def test_library_estimator_metadata_matches_the_wrapper(iris):
    """keras_estimator_metadata: the Swift estimator's meta for the data the Python wrapper
    sends it equals the wrapper's own."""
    from swiftkeras import _native
    from swiftkeras.model_selection import _buf, _NativeEstimator
    x, y = iris
    reg_y = x[:, 0] * 2
    for est, target in ((classifier(epochs=3), y),
                        (KerasRegressor(model=reg_model, loss="mse", epochs=2, verbose=0), reg_y)):
        fitted = clone(est).fit(x, target)
        with _NativeEstimator(clone(est), x, target) as native:
            _native.check(_lib.keras_estimator_fit(native.handle, *_buf(native.x), *_buf(native.y)))
            meta = _native.take_json(_lib.keras_estimator_metadata, native.handle)
        for key in ("n_features_in_", "target_type_", "n_outputs_", "n_outputs_expected_"):
            assert meta[key] == getattr(fitted, key), key
        assert meta["n_classes_"] == getattr(fitted, "n_classes_", None)
        assert meta["output_units"] == fitted.model_.output_shape[-1]
        assert len(meta["history_"]["loss"]) == len(fitted.history_["loss"])
    with _NativeEstimator(classifier(), x, y) as native:
        with pytest.raises(_native.KerasError, match="not fitted"):
            _native.take_json(_lib.keras_estimator_metadata, native.handle)


@needs("keras_estimator_describe")
def test_target_decisions_come_from_the_library(iris):
    """keras_estimator_describe decides the wrappers' target type, classes, encoding, default
    loss and class weights; scikit-learn's encoders apply them."""
    from sklearn.utils.class_weight import compute_sample_weight
    from swiftkeras.wrappers import ClassifierLabelEncoder
    from swiftkeras._sk_utils import describe_target
    x, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    enc = ClassifierLabelEncoder(loss="sparse_categorical_crossentropy").fit(names)
    assert enc.classes_.dtype.kind == "U" and list(enc.classes_) == list(np.unique(names))
    np.testing.assert_array_equal(enc.transform(names).ravel(), y)
    assert enc.inverse_transform(np.eye(3)[y]).dtype.kind == "U"
    # Categorical cross-entropy one-hot encodes binary targets too (SciKeras passes codes).
    binary = ClassifierLabelEncoder(loss=keras.losses.CategoricalCrossentropy()).fit(y == 2)
    assert binary.transform(y == 2).shape == (150, 2)
    np.testing.assert_array_equal(binary.inverse_transform(binary.transform(y == 2)), y == 2)
    onehot = np.eye(3)[y]
    assert ClassifierLabelEncoder(loss="sparse_categorical_crossentropy").fit(onehot) \
        .transform(onehot).tolist() == y.tolist()
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        ClassifierLabelEncoder().fit(x[:, 0])
    for weights in ("balanced", {0: 1.0, 1: 3.0, 2: 0.5}):
        clf = classifier(class_weight=weights)
        np.testing.assert_allclose(clf._weighted(y[:120], None),
                                   compute_sample_weight(weights, y[:120]), rtol=1e-6)
    info = describe_target("KerasClassifier", y, x.shape, output_units=1)
    assert info["default_loss"] == "binary_crossentropy" and info["n_features_in_"] == 4
    assert describe_target("KerasRegressor", x[:, :2])["n_outputs_"] == 2
