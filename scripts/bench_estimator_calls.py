#!/usr/bin/env python3
"""CPU per call of the Python KerasClassifier on iris (150x4, Dense 16 + softmax, batch 16): fit
(20 epochs), predict, predict_proba and score (50 calls each on the fitted estimator) and
partial_fit (10 calls after a first), over ROUNDS estimators in one process. Prints one JSON
line: per call, [median, min, max] in CPU milliseconds. Compares bindings: run it with
PYTHONPATH set to each checkout's bindings/python (and SWIFTKERAS_LIBRARY to its library),
alternating processes, e.g. before and after the wrappers decode through the library estimator
(issue 15, point 3).

Usage: bench_estimator_calls.py [ROUNDS]   (default 5)
"""
import json, statistics, sys, time
import numpy as np
import swiftkeras as keras
from swiftkeras.wrappers import KerasClassifier
from sklearn.datasets import load_iris

X, y = load_iris(return_X_y=True)
X = X.astype(np.float32)


def model(meta=None):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])


def per_call(fn, calls):
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls


times = {k: [] for k in ("fit", "predict", "predict_proba", "score", "partial_fit")}
for r in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
    make = lambda: KerasClassifier(model, loss="sparse_categorical_crossentropy", optimizer="adam",
                                   epochs=20, batch_size=16, verbose=0, random_state=r)
    est = make()
    times["fit"].append(per_call(lambda: est.fit(X, y), 1))
    times["predict"].append(per_call(lambda: est.predict(X), 50))
    times["predict_proba"].append(per_call(lambda: est.predict_proba(X), 50))
    times["score"].append(per_call(lambda: est.score(X, y), 50))
    partial = make()
    partial.partial_fit(X, y)
    times["partial_fit"].append(per_call(lambda: partial.partial_fit(X, y), 10))
print(json.dumps({k: [round(statistics.median(v) * 1e3, 3), round(min(v) * 1e3, 3),
                      round(max(v) * 1e3, 3)] for k, v in times.items()}))
