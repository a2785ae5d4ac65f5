#!/usr/bin/env python3
"""Writes end-to-end training fixtures with real Keras 3 (JAX backend): fixed initial weights,
fixed data, shuffle=False, so that SwiftKeras's fit must reproduce Keras's history, final weights,
evaluate() and predict() numbers. Run: KERAS_BACKEND=jax python scripts/make_training_fixtures.py"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np  # noqa: E402
import keras  # noqa: E402
from sklearn import datasets  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "KerasTests" / "Fixtures" / "training"
OUT.mkdir(parents=True, exist_ok=True)


def tolist(a):
    return np.asarray(a, dtype=np.float64).tolist()


def build(initial=None):
    rng = np.random.default_rng(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    if initial is None:
        initial = [rng.normal(0, 0.5, (4, 8)).astype("float32"), rng.normal(0, 0.1, (8,)).astype("float32"),
                   rng.normal(0, 0.5, (8, 3)).astype("float32"), rng.normal(0, 0.1, (3,)).astype("float32")]
    model.set_weights(initial)
    return model, initial


iris = datasets.load_iris()
rng = np.random.default_rng(1)
order = rng.permutation(150)[:60]
x = ((iris.data[order] - iris.data.mean(0)) / iris.data.std(0)).astype("float32")
y = iris.target[order].astype("float32")

cases = {
    "sgd_sparse": dict(optimizer=lambda: keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                       fit=dict(batch_size=16, epochs=3)),
    "adam_val_split": dict(optimizer=lambda: keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                           fit=dict(batch_size=8, epochs=4, validation_split=0.25)),
    "rmsprop_class_weight": dict(optimizer=lambda: keras.optimizers.RMSprop(0.01), loss="sparse_categorical_crossentropy",
                                 fit=dict(batch_size=16, epochs=2, class_weight={0: 1.0, 1: 2.0, 2: 0.5})),
    "sgd_momentum_sample_weight": dict(optimizer=lambda: keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                                       fit=dict(batch_size=32, epochs=2, sample_weight=np.linspace(0.5, 1.5, 60).astype("float32"))),
    "categorical_onehot": dict(optimizer=lambda: keras.optimizers.SGD(0.1), loss="categorical_crossentropy", onehot=True,
                               fit=dict(batch_size=16, epochs=2)),
}

for name, case in cases.items():
    model, initial = build()
    model.compile(optimizer=case["optimizer"](), loss=case["loss"], metrics=["accuracy"])
    targets = keras.utils.to_categorical(y, 3) if case.get("onehot") else y
    fit = dict(case["fit"])
    history = model.fit(x, targets, shuffle=False, verbose=0, **fit)
    evaluation = model.evaluate(x, targets, verbose=0, return_dict=True)
    record = {
        "x": tolist(x), "y": tolist(targets), "initial_weights": [tolist(w) for w in initial],
        "optimizer": type(model.optimizer).__name__, "optimizer_config": {k: v for k, v in model.optimizer.get_config().items() if isinstance(v, (int, float, bool, str)) or v is None},
        "loss": case["loss"], "fit": {k: (tolist(v) if isinstance(v, np.ndarray) else ({str(kk): vv for kk, vv in v.items()} if isinstance(v, dict) else v)) for k, v in fit.items()},
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "final_weights": [tolist(w) for w in model.get_weights()],
        "evaluate": {k: float(v) for k, v in evaluation.items()},
        "predict": tolist(model.predict(x[:5], verbose=0)),
    }
    (OUT / f"{name}.json").write_text(json.dumps(record))
    print("wrote", name, {k: round(v[-1], 4) for k, v in record["history"].items()})
