#!/usr/bin/env python3
"""The Python KerasClassifier.fit's two paths, A/B in one process with the same library: through
the library's estimator (keras_estimator_from_model, what fit does now) against model_.fit (the
path kept for what the estimator does not take, forced here), alternating, after one warm-up of
each. Iris (150x4, Dense 8 + softmax, 50 epochs, batch 16) and the digits CNN of
bench_sklearn_cnn.py (1797x8x8x1, Conv2D(4) + pool + softmax, 5 epochs, batch 32). Prints
medians and ranges of wall and process CPU seconds (CPU is the steadier figure on a shared
machine). The estimator path must be at least as fast (issue 15, point 3).

Usage: bench_estimator_fit_paths.py [ROUNDS]   (default 7; SWIFTKERAS_LIBRARY as for the tests)
"""
import os, sys, time, statistics
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings",
                                "python"))
import swiftkeras as keras
from swiftkeras._sk_base import BaseWrapper
from swiftkeras.wrappers import KerasClassifier
from sklearn.datasets import load_iris, load_digits

real = BaseWrapper._fit_through_estimator
def mlp(hidden=8, meta=None):
    return keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(meta["n_classes_"], activation="softmax")])
def cnn(meta=None):
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                             keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])
X, y = load_iris(return_X_y=True); X = X.astype(np.float32)
Xd, yd = load_digits(return_X_y=True); Xd = (Xd / 16).reshape(-1, 8, 8, 1).astype(np.float32)
cases = {"iris": (lambda: KerasClassifier(mlp, loss="sparse_categorical_crossentropy", optimizer="adam",
                                          epochs=50, batch_size=16, verbose=0, random_state=0), X, y),
         "digits_cnn": (lambda: KerasClassifier(cnn, loss="sparse_categorical_crossentropy", optimizer="adam",
                                                epochs=5, batch_size=32, verbose=0, random_state=0), Xd, yd)}
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
for name, (make, Xc, yc) in cases.items():
    t = {"new": [], "old": []}; cpu = {"new": [], "old": []}
    for path in ("new", "old"):  # warm-up
        BaseWrapper._fit_through_estimator = real if path == "new" else (lambda *a, **k: False)
        make().fit(Xc, yc)
    for _ in range(rounds):
        for path in ("new", "old"):
            BaseWrapper._fit_through_estimator = real if path == "new" else (lambda *a, **k: False)
            s, c = time.perf_counter(), time.process_time(); make().fit(Xc, yc)
            t[path].append(time.perf_counter() - s); cpu[path].append(time.process_time() - c)
    n, o = statistics.median(t["new"]), statistics.median(t["old"])
    print(f"{name}: estimator {n*1e3:.1f} ms [{min(t['new'])*1e3:.1f}-{max(t['new'])*1e3:.1f}], "
          f"model_.fit {o*1e3:.1f} ms [{min(t['old'])*1e3:.1f}-{max(t['old'])*1e3:.1f}], old/new {o/n:.3f}; "
          f"{rounds} rounds, load {os.getloadavg()[0]:.2f}; CPU s median new {statistics.median(cpu['new'])*1e3:.1f} ms "
          f"[{min(cpu['new'])*1e3:.1f}-{max(cpu['new'])*1e3:.1f}], old {statistics.median(cpu['old'])*1e3:.1f} ms "
          f"[{min(cpu['old'])*1e3:.1f}-{max(cpu['old'])*1e3:.1f}]")
