"""Writes Tests/KerasSklearnTests/Fixtures/*.json from real scikit-learn (run with /work/refvenv/bin/python).

What the Swift tests compare against: unshuffled KFold / StratifiedKFold fold assignment, the
train/test sizes of ShuffleSplit and train_test_split (with stratified per-class counts),
ParameterGrid order, and scoring-function values.
"""
import json
import os

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.datasets import load_iris
from sklearn.model_selection import KFold, ParameterGrid, ShuffleSplit, StratifiedKFold, train_test_split

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasSklearnTests", "Fixtures")


def write(name, data):
    data["sklearn_version"] = sklearn.__version__
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def splitters():
    kfold = []
    for n in (7, 10, 11, 150):
        for k in (2, 3, 5):
            folds = [test.tolist() for _, test in KFold(n_splits=k).split(np.zeros(n))]
            kfold.append({"n": n, "k": k, "test_folds": folds})
    rng = np.random.RandomState(0)
    label_sets = {
        "iris": load_iris().target.tolist(),
        "imbalanced": [2, 2, 0, 1, 0, 2, 2, 1, 2, 2, 0, 2, 1, 2, 2, 2, 0, 2, 1, 2],
        "random": rng.randint(0, 4, size=37).tolist(),
        "strings": ["b", "a", "c", "a", "b", "b", "c", "a", "a", "b", "c", "b", "a", "c", "b", "a"],
        "binary": rng.randint(0, 2, size=23).tolist(),
    }
    stratified = []
    for name, y in label_sets.items():
        for k in (2, 3, 5):
            _, counts = np.unique(y, return_counts=True)
            if k > counts.max():
                continue
            folds = [test.tolist() for _, test in StratifiedKFold(n_splits=k).split(np.zeros(len(y)), y)]
            stratified.append({"name": name, "y": y, "k": k, "test_folds": folds})
    shuffle = []
    for n, test, train in [(10, None, None), (150, 0.25, None), (151, 0.2, 0.5), (20, 3, None), (20, None, 0.7), (33, 0.3, 10)]:
        tr, te = next(ShuffleSplit(n_splits=1, test_size=test, train_size=train, random_state=0).split(np.zeros(n)))
        shuffle.append({"n": n, "test_size": test, "train_size": train, "n_train": len(tr), "n_test": len(te)})
    tts = []
    for n, test in [(150, None), (150, 0.15), (149, 0.3), (40, 9)]:
        x = np.arange(n).reshape(-1, 1)
        tr, te = train_test_split(x, test_size=test, random_state=0)
        tts.append({"n": n, "test_size": test, "n_train": len(tr), "n_test": len(te)})
    iris_y = load_iris().target
    strat = []
    for test in (0.2, 0.3, 30):
        _, _, ytr, yte = train_test_split(np.zeros((150, 1)), iris_y, test_size=test, random_state=0, stratify=iris_y)
        strat.append({"test_size": test, "train_counts": np.bincount(ytr).tolist(), "test_counts": np.bincount(yte).tolist()})
    grids = [
        {"grid": [{"model__hidden": [8, 16], "epochs": [50, 100], "optimizer": ["adam", "sgd"]}]},
        {"grid": [{"b": [1, 2], "a": ["x"]}, {"c": [0.5, 1.5, 2.5]}]},
    ]
    for g in grids:
        g["candidates"] = list(ParameterGrid(g["grid"]))
    write("splitters.json", {"kfold": kfold, "stratified_kfold": stratified, "shuffle_split": shuffle,
                             "train_test_split": tts, "stratified_train_test_split": strat, "parameter_grid": grids})


def scoring():
    rng = np.random.RandomState(1)
    n = 40
    y_true = rng.randint(0, 3, size=n)
    y_pred = np.where(rng.rand(n) < 0.7, y_true, rng.randint(0, 3, size=n))
    proba = rng.dirichlet([1, 1, 1], size=n).astype(np.float32)
    proba[np.arange(n), y_true] += 0.5
    proba /= proba.sum(axis=1, keepdims=True)
    sw = rng.uniform(0.5, 2.0, size=n)
    yb_true = rng.randint(0, 2, size=n)
    yb_score = np.round(rng.rand(n) * 0.6 + yb_true * 0.4, 1)  # ties on purpose
    yb_pred = (yb_score > 0.5).astype(int)
    r_true = rng.randn(n, 2)
    r_pred = r_true + 0.3 * rng.randn(n, 2)
    out = {
        "multiclass": {"y_true": y_true.tolist(), "y_pred": y_pred.tolist(), "proba": proba.tolist(), "sample_weight": sw.tolist(),
                       "accuracy": metrics.accuracy_score(y_true, y_pred),
                       "accuracy_weighted": metrics.accuracy_score(y_true, y_pred, sample_weight=sw),
                       "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
                       "f1_macro": metrics.f1_score(y_true, y_pred, average="macro"),
                       "f1_micro": metrics.f1_score(y_true, y_pred, average="micro"),
                       "f1_weighted": metrics.f1_score(y_true, y_pred, average="weighted"),
                       "log_loss": metrics.log_loss(y_true, proba),
                       "log_loss_weighted": metrics.log_loss(y_true, proba, sample_weight=sw),
                       "roc_auc_ovr": metrics.roc_auc_score(y_true, proba, multi_class="ovr")},
        "binary": {"y_true": yb_true.tolist(), "y_pred": yb_pred.tolist(), "score": yb_score.tolist(),
                   "f1": metrics.f1_score(yb_true, yb_pred), "roc_auc": metrics.roc_auc_score(yb_true, yb_score),
                   "roc_auc_weighted": metrics.roc_auc_score(yb_true, yb_score, sample_weight=sw),
                   "balanced_accuracy": metrics.balanced_accuracy_score(yb_true, yb_pred)},
        "regression": {"y_true": r_true.tolist(), "y_pred": r_pred.tolist(), "sample_weight": sw.tolist(),
                       "r2": metrics.r2_score(r_true, r_pred), "r2_first": metrics.r2_score(r_true[:, 0], r_pred[:, 0]),
                       "r2_weighted": metrics.r2_score(r_true, r_pred, sample_weight=sw),
                       "mse": metrics.mean_squared_error(r_true, r_pred),
                       "mae": metrics.mean_absolute_error(r_true, r_pred),
                       "mse_weighted": metrics.mean_squared_error(r_true, r_pred, sample_weight=sw)},
    }
    write("scoring.json", out)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    splitters()
    scoring()
