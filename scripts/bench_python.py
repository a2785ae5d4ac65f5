"""SwiftKeras from Python, for `make bench`: the seeds/003 iris fit and the seeds/004
Otto-shaped epoch run through the Python binding (to compare with the same fits from Swift,
KerasBench's iris_fit_300_epochs and otto_epoch), and the iris grid search three ways:
swiftkeras's native GridSearchCV, scikit-learn's GridSearchCV over swiftkeras's
KerasClassifier, and SciKeras + real Keras with GridSearchCV(n_jobs=2) when installed.

Usage: bench_python.py [OUT.json] [--swift .build/bench.json] [--skip-scikeras]
Prints (and writes) JSON {name: seconds, ..., "ratios": {...}}.
"""

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bindings" / "python"))

GRID = {"model__hidden": [4, 8, 16], "optimizer__learning_rate": [0.01, 0.05]}
GRID_EPOCHS = 100


def best(repeats, fn):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def iris():
    from sklearn.datasets import load_iris
    x, y = load_iris(return_X_y=True)
    return x.astype(np.float32), y.astype(np.float32)


def otto_like(n=61878, seed=42):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 9, size=n)
    rates = rng.gamma(0.5, 1.0, size=(9, 93)) + 0.3
    x = np.log1p(rng.poisson(rates[labels]).astype(np.float32))
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    return np.ascontiguousarray(x, np.float32), np.eye(9, dtype=np.float32)[labels]


def bench_swiftkeras(out):
    import swiftkeras as keras

    x, y = iris()

    def iris_fit():
        keras.utils.set_random_seed(2)
        model = keras.Sequential([keras.layers.Dense(8), keras.layers.Activation("relu"),
                                  keras.layers.Dense(3), keras.layers.Activation("softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=300, verbose=0, validation_split=0.1)

    out["iris_fit_300_epochs_python"] = best(3, iris_fit)

    ox, oy = otto_like()
    keras.utils.set_random_seed(1)
    mlp = keras.Sequential([keras.layers.Dense(100, input_shape=(93,)), keras.layers.Dense(9),
                            keras.layers.Activation("softmax")])
    mlp.compile(optimizer="sgd", loss="categorical_crossentropy")
    mlp.fit(ox, oy, batch_size=128, epochs=1, verbose=0)
    out["otto_epoch_python"] = best(5, lambda: mlp.fit(ox, oy, batch_size=128, epochs=1, verbose=0))

    from sklearn.model_selection import GridSearchCV as SkGridSearchCV

    from swiftkeras.model_selection import GridSearchCV
    from swiftkeras.wrappers import KerasClassifier

    def model_fn(hidden=8, meta=None):
        return keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                                 keras.layers.Dense(meta["n_classes_"], activation="softmax")])

    clf = KerasClassifier(model=model_fn, loss="sparse_categorical_crossentropy", optimizer="adam",
                          epochs=GRID_EPOCHS, verbose=0, random_state=0)
    xi, yi = iris()
    yi = yi.astype(int)
    try:
        out["iris_grid_search_native"] = best(
            1, lambda: GridSearchCV(clf, GRID, cv=3, n_jobs=2).fit(xi, yi))
    except Exception as e:  # the native search entry point may not be in this build
        out["iris_grid_search_native_error"] = str(e).splitlines()[0]
    out["iris_grid_search_sklearn_swiftkeras"] = best(
        1, lambda: SkGridSearchCV(clf, GRID, cv=3, n_jobs=2).fit(xi, yi))


def bench_scikeras(out):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
        from scikeras.wrappers import KerasClassifier
    except ImportError as e:
        out["iris_grid_search_scikeras_error"] = f"not installed: {e}"
        return
    from sklearn.model_selection import GridSearchCV

    def model_fn(hidden=8, meta=None):
        return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                                 keras.layers.Dense(hidden, activation="relu"),
                                 keras.layers.Dense(meta["n_classes_"], activation="softmax")])

    clf = KerasClassifier(model=model_fn, loss="sparse_categorical_crossentropy", optimizer="adam",
                          epochs=GRID_EPOCHS, verbose=0, random_state=0)
    x, y = iris()
    out["iris_grid_search_scikeras"] = best(
        1, lambda: GridSearchCV(clf, GRID, cv=3, n_jobs=2).fit(x, y.astype(int)))


def main(argv):
    swift_path = ROOT / ".build" / "bench.json"
    rest = list(argv)
    if "--swift" in rest:
        k = rest.index("--swift")
        swift_path = Path(rest[k + 1])
        del rest[k:k + 2]
    out_path = next((a for a in rest if a.endswith(".json") and not a.startswith("--")), None)
    out = {}
    bench_swiftkeras(out)
    if "--skip-scikeras" not in argv:
        bench_scikeras(out)
    ratios = {}
    if swift_path.exists():
        swift = json.loads(swift_path.read_text())
        values = swift if isinstance(swift, dict) else {}
        flat = {r["name"]: r["value"] for r in values.get("results", [])} if "results" in values else values
        for name in ("iris_fit_300_epochs", "otto_epoch"):
            if isinstance(flat.get(name), (int, float)):
                ratios[f"{name}_python_over_swift"] = out[f"{name}_python"] / flat[name]
    if "iris_grid_search_scikeras" in out:
        for mine in ("iris_grid_search_native", "iris_grid_search_sklearn_swiftkeras"):
            if mine in out:
                ratios[f"scikeras_over_{mine}"] = out["iris_grid_search_scikeras"] / out[mine]
    out["ratios"] = ratios
    text = json.dumps(out, indent=1)
    print(text)
    if out_path:
        Path(out_path).write_text(text)


if __name__ == "__main__":
    main(sys.argv[1:])
