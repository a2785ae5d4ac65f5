"""swiftkeras.model_selection over scikit-learn Pipelines and N-D X: native (keras_pipeline_new)
when every step has a library counterpart, scikit-learn's search with a note otherwise; the
results equal scikit-learn's own search of the same estimator on the same folds."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.decomposition import PCA
from sklearn.model_selection import (GridSearchCV, KFold, ParameterGrid, RandomizedSearchCV,
                                     StratifiedKFold, cross_val_score)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import model_selection as native
from swiftkeras.wrappers import KerasClassifier, KerasRegressor

pytestmark = needs(*CORE, "keras_set_random_seed", "keras_pipeline_new")


def mlp(hidden=8, meta=None):
    classes = meta.get("n_classes_")
    return keras.Sequential([keras.layers.Input((meta["n_features_in_"],)),
                             keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(classes or 1,
                                                activation="softmax" if classes else "linear")])


def cnn(filters=4, meta=None):
    return keras.Sequential([keras.layers.Input(meta["X_shape_"][1:]),
                             keras.layers.Conv2D(filters, 3, activation="relu"),
                             keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                             keras.layers.Dense(meta["n_classes_"], activation="softmax")])


def classifier(**kw):
    params = dict(model=mlp, loss="sparse_categorical_crossentropy", optimizer="adam",
                  optimizer__learning_rate=0.05, epochs=15, batch_size=16, verbose=0,
                  random_state=0)
    params.update(kw)
    return KerasClassifier(**params)


def quiet_fit(search, x, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(x, y)
    return [str(w.message) for w in caught]


def assert_same_results(ours, theirs, n_splits):
    assert list(ours.cv_results_["params"]) == list(theirs.cv_results_["params"])
    for k in range(n_splits):
        np.testing.assert_allclose(ours.cv_results_[f"split{k}_test_score"],
                                   theirs.cv_results_[f"split{k}_test_score"], atol=1e-6)
    np.testing.assert_array_equal(ours.cv_results_["rank_test_score"],
                                  theirs.cv_results_["rank_test_score"])
    assert ours.best_params_ == theirs.best_params_


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)  # unscaled: the pipeline's scaler matters


def test_pipeline_grid_search_runs_natively_and_equals_sklearn(iris):
    x, y = iris
    pipe = Pipeline([("scale", StandardScaler()), ("clf", classifier())])
    grid = {"clf__model__hidden": [4, 8], "clf__optimizer__learning_rate": [0.01, 0.05],
            "scale__with_mean": [True, False]}
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    ours = native.GridSearchCV(pipe, grid, cv=folds, n_jobs=2)
    assert not [m for m in quiet_fit(ours, x, y) if "running sklearn" in m]
    assert ours.native_ and list(ours.cv_results_["params"]) == list(ParameterGrid(grid))
    theirs = GridSearchCV(pipe, grid, cv=folds).fit(x, y)
    assert_same_results(ours, theirs, 3)
    assert ours.best_score_ > 0.8
    assert isinstance(ours.best_estimator_, Pipeline) and ours.predict(x).shape == (150,)


def test_min_max_pipeline_randomized_search_of_a_regressor(iris):
    x, y = make_regression(n_samples=120, n_features=4, noise=1.0, random_state=0)
    x = x * [1, 10, 100, 1000]
    y = y / y.std()
    reg = KerasRegressor(model=mlp, loss="mse", optimizer="adam", optimizer__learning_rate=0.02,
                         epochs=20, batch_size=16, verbose=0, random_state=0)
    pipe = make_pipeline(MinMaxScaler(feature_range=(-1, 1)), reg)
    space = {"minmaxscaler__clip": [True, False], "kerasregressor__model__hidden": [4, 8, 16],
             "kerasregressor__epochs": [10, 20]}
    ours = native.RandomizedSearchCV(pipe, space, n_iter=4, cv=KFold(3), random_state=0)
    quiet_fit(ours, x, y)
    theirs = RandomizedSearchCV(pipe, space, n_iter=4, cv=KFold(3), random_state=0).fit(x, y)
    assert ours.native_
    assert_same_results(ours, theirs, 3)


def test_pipeline_cross_val_score_runs_natively_and_equals_sklearn(iris):
    x, y = iris
    pipe = Pipeline([("scale", StandardScaler()), ("skip", "passthrough"), ("clf", classifier())])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = native.cross_val_score(pipe, x, y, cv=3, n_jobs=2)
    assert not [w for w in caught if "running sklearn" in str(w.message)]
    np.testing.assert_allclose(ours, cross_val_score(pipe, x, y, cv=3), atol=1e-6)


def test_steps_and_parameters_without_library_counterparts_fall_back_with_a_note(iris):
    x, y = iris
    cases = [
        (Pipeline([("pca", PCA(2)), ("clf", classifier())]), {"clf__epochs": [5]},
         "the Pipeline step 'pca' (PCA) has no library counterpart"),
        (Pipeline([("scale", StandardScaler()), ("clf", classifier())]),
         {"scale": [StandardScaler(), MinMaxScaler()]}, "'scale' has no library counterpart"),
        (Pipeline([("scale", StandardScaler()), ("clf", classifier())]),
         {"scale__copy": [True]}, "'scale__copy' has no library counterpart"),
        (Pipeline([("scale", StandardScaler()), ("clf", classifier())]),
         {"clf__callbacks": [None]}, "'clf__callbacks' is not passed to native fits"),
    ]
    for pipe, grid, reason in cases:
        ours = native.GridSearchCV(pipe, grid, cv=3)
        notes = quiet_fit(ours, x, y)
        assert not ours.native_ and reason in ours.fallback_reason_, ours.fallback_reason_
        assert any(reason in m and "running sklearn.model_selection.GridSearchCV" in m
                   for m in notes)
        assert ours.cv_results_["mean_test_score"].shape == (len(ParameterGrid(grid)),)
    with pytest.warns(UserWarning, match="'pca' \\(PCA\\) has no library counterpart"):
        scores = native.cross_val_score(cases[0][0], x, y, cv=3)
    assert scores.shape == (3,)


def test_images_grid_search_runs_natively_and_equals_sklearn():
    x, y = load_digits(return_X_y=True)
    images, y = (x / 16.0).reshape(-1, 8, 8, 1)[:300], y[:300]
    clf = KerasClassifier(model=cnn, loss="sparse_categorical_crossentropy", optimizer="adam",
                          optimizer__learning_rate=0.01, epochs=6, batch_size=32, verbose=0,
                          random_state=0)
    grid = {"model__filters": [2, 4], "epochs": [3, 6]}
    ours = native.GridSearchCV(clf, grid, cv=3, n_jobs=2)
    assert not [m for m in quiet_fit(ours, images, y) if "running sklearn" in m]
    assert ours.native_
    theirs = GridSearchCV(clf, grid, cv=3).fit(images, y)
    assert_same_results(ours, theirs, 3)
    assert ours.best_score_ > 0.6 and ours.predict(images).shape == (300,)
