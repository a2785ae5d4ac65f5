"""Reference for SklearnBenchmarks.irisGridSearch: SciKeras + scikit-learn GridSearchCV on
standardized iris, grid {model__hidden: [8, 16], epochs: [50, 100], optimizer: [adam, sgd]},
stratified 3-fold, batch 16, accuracy, refit. Prints seconds and the best score as JSON.

SciKeras need not be installed: PYTHONPATH may point at an unpacked scikeras wheel.
"""
import json
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
from scikeras.wrappers import KerasClassifier  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def build(hidden=8, meta=None):
    model = keras.Sequential([keras.Input((meta["n_features_in_"],)),
                              keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(meta["n_classes_"], activation="softmax")])
    return model


def main():
    iris = load_iris()
    x = StandardScaler().fit_transform(iris.data)
    clf = KerasClassifier(model=build, loss="sparse_categorical_crossentropy", batch_size=16, verbose=0,
                          random_state=0, model__hidden=8)
    grid = {"model__hidden": [8, 16], "epochs": [50, 100], "optimizer": ["adam", "sgd"]}
    search = GridSearchCV(clf, grid, cv=StratifiedKFold(3), scoring="accuracy", n_jobs=1, refit=True)
    start = time.perf_counter()
    search.fit(x, iris.target)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "best_score": search.best_score_, "best_params": search.best_params_}))


if __name__ == "__main__":
    main()
