#!/usr/bin/env python3
"""Wall milliseconds of pickle.dumps / pickle.loads of a fitted Python KerasClassifier on iris (Dense
16 + softmax, adam, 5 epochs): median [min-max] of 20 of each, and the pickle's size. Compare
bindings as bench_estimator_calls.py does (PYTHONPATH and SWIFTKERAS_LIBRARY per checkout).

Usage: bench_estimator_pickle.py
"""
import pickle, time, statistics, numpy as np
import swiftkeras as keras
from swiftkeras.wrappers import KerasClassifier
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True); X = X.astype(np.float32)
def model(meta=None):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3, activation="softmax")])
est = KerasClassifier(model, optimizer="adam", epochs=5, verbose=0, random_state=0).fit(X, y)
d, l = [], []
for _ in range(20):
    t = time.perf_counter(); s = pickle.dumps(est); t1 = time.perf_counter(); o = pickle.loads(s); t2 = time.perf_counter()
    d.append((t1 - t) * 1e3); l.append((t2 - t1) * 1e3)
print("dumps ms median %.2f [%.2f-%.2f]  loads ms median %.2f [%.2f-%.2f]  bytes %d" % (statistics.median(d), min(d), max(d), statistics.median(l), min(l), max(l), len(s)))
