"""F1Score/FBetaScore(average=None) per class, the CTC loss and the rate-at-target metrics in
Python, against real Keras 3 (issue 18)."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

from swiftkeras import layers, losses, metrics
from swiftkeras.models import Sequential


def _classes(n=24, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.eye(k, dtype="float32")[rng.integers(0, k, size=n)]
    p = rng.uniform(size=(n, k)).astype("float32")
    return y, p / p.sum(axis=1, keepdims=True)


@needs(*CORE)
@pytest.mark.parametrize("make", [lambda m: m.F1Score(), lambda m: m.FBetaScore(beta=2.0, threshold=0.4)])
def test_average_none_reports_each_class_as_keras(make):
    keras = real_keras()
    y, p = _classes()
    ours, theirs = make(metrics), make(keras.metrics)
    ours.update_state(y, p)
    theirs.update_state(y, p)
    result = ours.result()
    assert result.shape == (3,)
    np.testing.assert_allclose(result, np.asarray(theirs.result()), rtol=1e-5, atol=1e-6)


@needs(*CORE)
def test_average_none_in_fit_and_evaluate():
    y, p = _classes(32)
    x = np.log(p)
    model = Sequential([layers.Input((3,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy",
                  metrics=[metrics.F1Score(), metrics.F1Score(average="macro", name="macro")])
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25).history
    assert len(history["f1_score"]) == 2 and history["f1_score"][0].shape == (3,)
    assert history["val_f1_score"][1].shape == (3,)
    np.testing.assert_allclose(history["macro"], [v.mean() for v in history["f1_score"]], rtol=1e-5)
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert results["f1_score"].shape == (3,)
    np.testing.assert_allclose(results["macro"], results["f1_score"].mean(), rtol=1e-5)
    loss, per_class, macro = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(per_class, results["f1_score"])


@needs(*CORE)
def test_ctc_matches_keras_on_variable_length_labels():
    keras = real_keras()
    rng = np.random.default_rng(3)
    labels = np.array([[2, 2, 3, 0], [4, 0, 0, 0], [1, 3, 1, 3]], dtype="float32")
    logits = rng.normal(size=(3, 9, 5)).astype("float32")
    sw = np.array([1.0, 0.5, 2.0], dtype="float32")
    for kwargs in ({}, {"reduction": "sum"}):
        np.testing.assert_allclose(losses.CTC(**kwargs)(labels, logits, sample_weight=sw),
                                   np.asarray(keras.losses.CTC(**kwargs)(labels, logits, sample_weight=sw)),
                                   rtol=1e-5)
    np.testing.assert_allclose(losses.ctc(labels, logits), np.asarray(keras.losses.ctc(labels, logits)), rtol=1e-5)
    assert losses.CTC().get_config() == keras.losses.CTC().get_config()   # name, reduction
    assert losses.get("ctc") is losses.ctc


@needs(*CORE)
@pytest.mark.parametrize("name,arg", [("PrecisionAtRecall", 0.6), ("RecallAtPrecision", 0.7),
                                      ("SensitivityAtSpecificity", 0.5), ("SpecificityAtSensitivity", 0.8)])
def test_rate_at_target_metrics_match_keras(name, arg):
    keras = real_keras()
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, size=(40, 1)).astype("float32")
    p = np.clip(y * 0.4 + rng.uniform(size=(40, 1)) * 0.6, 0, 1).astype("float32")
    ours, theirs = getattr(metrics, name)(arg, num_thresholds=50), getattr(keras.metrics, name)(arg, num_thresholds=50)
    ours.update_state(y, p)
    theirs.update_state(y, p)
    np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=1e-5, atol=1e-6)
