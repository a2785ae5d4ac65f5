"""Scale out: a grid search through joblib's Dask backend on a local distributed cluster of
two worker processes gives the same results as the same search run locally."""

import numpy as np
import pytest

from conftest import CORE, needs

pytestmark = needs(*CORE)
distributed = pytest.importorskip("distributed")


def test_grid_search_on_a_dask_cluster_matches_local():
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.model_selection import GridSearchCV
    from sklearn.preprocessing import StandardScaler

    import swiftkeras as keras
    from swiftkeras.wrappers import KerasClassifier

    def seeded_model(hidden=8, meta=None):
        # Seeded initializers and no shuffling: every fit is a pure function of its inputs,
        # wherever it runs.
        init = keras.initializers.GlorotUniform(seed=7)
        return keras.Sequential([
            keras.layers.Dense(hidden, activation="relu", kernel_initializer=init),
            keras.layers.Dense(meta["n_classes_"], activation="softmax", kernel_initializer=init)])

    def classifier(epochs):
        return KerasClassifier(model=seeded_model, loss="sparse_categorical_crossentropy",
                               optimizer="adam", epochs=epochs, batch_size=16, shuffle=False,
                               verbose=0)

    x, y = load_iris(return_X_y=True)
    x = StandardScaler().fit_transform(x)
    grid = {"model__hidden": [4, 8], "optimizer__learning_rate": [0.01, 0.05]}
    local = GridSearchCV(classifier(epochs=15), grid, cv=3, n_jobs=1).fit(x, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        with joblib.parallel_backend("dask"):
            remote = GridSearchCV(classifier(epochs=15), grid, cv=3, n_jobs=-1).fit(x, y)
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=1e-6)
    assert remote.best_params_ == local.best_params_
