#!/usr/bin/env python3
"""Measures, in real Keras 3 (JAX backend), the figures that `make bench` measures in SwiftKeras.

Usage:
  bench_keras.py OUT.json [names...]
      every named figure in this process, written as JSON {name: value}.
  bench_keras.py --row NAME
      one round of an engine-issue row in this process (otto_epoch, iris_fit_300_epochs,
      predict_one_row, or iris_grid_search: SciKeras + GridSearchCV with n_jobs 1 and 2) or of a
      layer row (LAYER_ROWS: the median CPU time of 5 calls), printed as one JSON line;
      scripts/bench_families.py runs these in fresh processes, alternating with
      `KerasBench --row NAME`, for `make bench`.
"""
import json
import os
import resource
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np  # noqa: E402
import keras  # noqa: E402


def best(repeats, fn):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def otto_epoch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((61878, 93)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 9, 61878), 9)
    model = keras.Sequential([keras.Input((93,)), keras.layers.Dense(100), keras.layers.Dense(9),
                              keras.layers.Activation("softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(x, y, batch_size=128, epochs=1, verbose=0)
    return best(3, lambda: model.fit(x, y, batch_size=128, epochs=1, verbose=0))


def iris_fit():
    from sklearn import datasets
    iris = datasets.load_iris()
    x, y = iris.data.astype("float32"), iris.target

    def run():
        model = keras.Sequential([keras.layers.Dense(8), keras.layers.Activation("relu"),
                                  keras.layers.Dense(3), keras.layers.Activation("softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=300, validation_split=0.1, verbose=0)
    return best(1, run)


def predict_one_row():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    row = np.array([[5.1, 3.5, 1.4, 0.2]], dtype="float32")
    for _ in range(200):
        model.predict_on_batch(row)
    n = 2000
    return best(3, lambda: [model.predict_on_batch(row) for _ in range(n)]) / n


def iris_grid_search(n_jobs):
    """SciKeras + scikit-learn's GridSearchCV on the grid of the estimator issue. StratifiedKFold is
    passed explicitly: scikit-learn 1.9 does not recognise SciKeras as a classifier, so cv=3 would
    not stratify sorted iris."""
    from scikeras.wrappers import KerasClassifier
    from sklearn import datasets
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    iris = datasets.load_iris()
    x = StandardScaler().fit_transform(iris.data).astype("float32")
    y = iris.target

    def build(hidden=8):
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(hidden, activation="relu"),
                                 keras.layers.Dense(3, activation="softmax")])

    clf = KerasClassifier(model=build, loss="sparse_categorical_crossentropy", batch_size=16, verbose=0,
                          model__hidden=8, random_state=0)
    grid = {"model__hidden": [8, 16], "epochs": [50, 100], "optimizer": ["adam", "sgd"]}
    search = GridSearchCV(clf, grid, cv=StratifiedKFold(3), scoring="accuracy", n_jobs=n_jobs)
    t0 = time.perf_counter()
    search.fit(x, y)
    return time.perf_counter() - t0, search.best_score_


def iris_grid_search_1():
    seconds, score = iris_grid_search(1)
    print(f"scikeras n_jobs=1 best score {score:.4f}", file=sys.stderr)
    return seconds


def iris_grid_search_2():
    seconds, score = iris_grid_search(2)
    print(f"scikeras n_jobs=2 best score {score:.4f}", file=sys.stderr)
    return seconds


def cpu_median(fn):
    """The median CPU time (all threads) of 5 calls of `fn` after a warm-up call, as
    LayerBenchmarks.swift's cpuMedian: the machine is shared, wall time is not."""
    fn()
    times = []
    for _ in range(5):
        c0 = time.process_time()
        fn()
        times.append(time.process_time() - c0)
    return sorted(times)[len(times) // 2]


def random_rotation():
    images = np.random.default_rng(11).uniform(0, 255, (8, 224, 224, 3)).astype("float32")
    layer = keras.layers.RandomRotation(factor=0.2, seed=1)
    return cpu_median(lambda: np.asarray(layer(images, training=True)))


def pooling_step(pool, channels_first=False):
    """One training step (fit of one 64-image batch) through `pool` between 56x56x32 images and
    Flatten -> Dense(1), SGD, mean squared error, as LayerBenchmarks.swift's poolingStep."""
    shape = (32, 56, 56) if channels_first else (56, 56, 32)
    rng = np.random.default_rng(12)
    x = rng.uniform(size=(64,) + shape).astype("float32")
    y = rng.uniform(size=(64, 1)).astype("float32")
    model = keras.Sequential([keras.Input(shape), pool, keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mean_squared_error")
    return cpu_median(lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0))


def mel_spectrogram():
    signals = np.random.default_rng(14).uniform(0, 2, (32, 16000)).astype("float32")
    layer = keras.layers.MelSpectrogram()
    return cpu_median(lambda: np.asarray(layer(signals)))


def dense_predict(mode):
    """predict of 1024 rows in one batch through Input(784) -> Dense(512, relu) -> Dense(10,
    softmax), float or after quantize(mode) ("int8", "int4"), as LayerBenchmarks.swift's
    densePredict."""
    x = np.random.default_rng(15).uniform(size=(1024, 784)).astype("float32")
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    if mode:
        model.quantize(mode)
    return cpu_median(lambda: model.predict(x, batch_size=1024, verbose=0))


# The layer rows of Benchmarks/KerasBench/LayerBenchmarks.swift, the same workloads.
LAYER_ROWS = {
    "random_rotation_bilinear_8x224x224x3": random_rotation,
    "adaptive_max_pooling2d_step": lambda: pooling_step(keras.layers.AdaptiveMaxPooling2D((14, 14))),
    "max_pooling2d_step": lambda: pooling_step(keras.layers.MaxPooling2D(4)),
    "max_pooling2d_channels_first_step": lambda: pooling_step(
        keras.layers.MaxPooling2D(4, data_format="channels_first"), channels_first=True),
    "adaptive_average_pooling2d_step": lambda: pooling_step(keras.layers.AdaptiveAveragePooling2D((14, 14))),
    "average_pooling2d_step": lambda: pooling_step(keras.layers.AveragePooling2D(4)),
    "adaptive_max_pooling2d_channels_first_step": lambda: pooling_step(
        keras.layers.AdaptiveMaxPooling2D((14, 14), data_format="channels_first"), channels_first=True),
    "mel_spectrogram_32x16000": mel_spectrogram,
    "dense_784_512_10_predict": lambda: dense_predict(None),
    "int8_dense_predict": lambda: dense_predict("int8"),
    "int4_dense_predict": lambda: dense_predict("int4"),
}

BENCHES = {"iris_grid_search_n_jobs_1": iris_grid_search_1, "iris_grid_search_n_jobs_2": iris_grid_search_2,
"otto_epoch": otto_epoch, "iris_fit_300_epochs": iris_fit, "predict_one_row": predict_one_row, **LAYER_ROWS}

def row(name):
    """One JSON line for `--row NAME`: `seconds` (for iris_grid_search, n_jobs 2's, with `n_jobs_1`
    and `n_jobs_2`) and the process's peak RSS in MiB."""
    if name == "iris_grid_search":
        one, two = iris_grid_search_1(), iris_grid_search_2()
        line = {"name": name, "seconds": two, "n_jobs_1": one, "n_jobs_2": two}
    elif name in ("otto_epoch", "iris_fit_300_epochs", "predict_one_row", *LAYER_ROWS):
        line = {"name": name, "seconds": BENCHES[name]()}
    else:
        raise SystemExit(f"bench_keras.py --row: unknown row {name!r}")
    line["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(line))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--row"] and len(sys.argv) == 3:
        row(sys.argv[2])
        sys.exit(0)
    out = sys.argv[1]
    names = sys.argv[2:] or list(BENCHES)
    extra = {}
    if os.path.exists(out):
        with open(out) as f:
            extra = json.load(f)
    for name in names:
        if name in BENCHES:
            try:
                extra[name] = BENCHES[name]()
            except ImportError as error:  # scikeras missing: that row shows no reference
                print(f"skipping {name}: {error}", file=sys.stderr)
                continue
            print(f"keras {name}: {extra[name]:.6g}", file=sys.stderr)
    with open(out, "w") as f:
        json.dump(extra, f, indent=1)
