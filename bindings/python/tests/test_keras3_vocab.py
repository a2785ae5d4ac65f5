"""Keras 3's activations, losses and metrics in Python (issue 18): names from the library's
catalogue, numpy activations against the Keras fixtures, and training with the new objects."""

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import CORE, needs

from swiftkeras import _catalog, activations, layers, losses, metrics
from swiftkeras.models import Sequential

FIXTURES = Path(__file__).resolve().parents[3] / "Tests" / "KerasTests" / "Fixtures"
NEW_ACTIVATIONS = ["celu", "glu", "hard_shrink", "hard_silu", "hard_swish", "hard_tanh", "log_sigmoid",
                   "soft_shrink", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink",
                   "threshold"]


@needs("keras_catalog_json")
def test_names_come_from_the_catalogue():
    cat = _catalog.catalog()
    for n in NEW_ACTIVATIONS:
        assert n in cat["activations"] and getattr(activations, n).__name__ == n
    for cls in ["BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy",
                "Dice", "Tversky", "Circle"]:
        assert cls in cat["losses"] and losses._CLASSES.count(cls) == 1
    assert sorted(losses._CLASSES) == sorted(c for c, e in cat["losses"].items() if not e.get("custom"))
    for fn in ["binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky", "circle",
               "categorical_generalized_cross_entropy"]:
        assert getattr(losses, fn).__name__ == fn
    for cls in ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation",
                "ConcordanceCorrelation", "Mean", "Sum", "PrecisionAtRecall", "RecallAtPrecision",
                "SensitivityAtSpecificity", "SpecificityAtSensitivity"]:
        assert cls in cat["metrics"] and isinstance(getattr(metrics, cls), type)
    for fn in ["binary_focal_crossentropy", "categorical_focal_crossentropy", "concordance_correlation",
               "pearson_correlation", "huber"]:
        assert getattr(metrics, fn).__name__ == fn
    # Positional arguments in Keras's order (the full configs: test_object_configs.py).
    assert metrics.PrecisionAtRecall(0.8).get_config()["recall"] == 0.8
    config = metrics.IoU(3, [0, 2]).get_config()
    assert (config["num_classes"], config["target_class_ids"]) == (3, [0, 2])
    assert losses.Tversky(0.3).get_config()["alpha"] == 0.3


@pytest.mark.parametrize("case", json.loads((FIXTURES / "activations" / "keras3.json").read_text()),
                         ids=lambda c: f"{c['name']}{c['args']}")
def test_numpy_activations_match_keras(case):
    x = np.asarray(case["x"]["values"], np.float32).reshape(case["x"]["shape"])
    y = np.asarray(case["y"]["values"], np.float32).reshape(case["y"]["shape"])
    np.testing.assert_allclose(activations._NUMPY[case["name"]](x, **case["args"]), y, rtol=1e-5, atol=1e-5)


@needs(*CORE)
def test_training_with_keras3_activation_loss_and_iou_metric():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = Sequential([layers.Input((4,)), layers.Dense(8, activation="celu"),
                        layers.Dense(8, activation=activations.squareplus), layers.Dense(1, activation="sigmoid")])
    # (Keras numbers these two classes' names per process: binary_io_u, binary_io_u_1, ...)
    iou, at_recall = metrics.BinaryIoU(), metrics.PrecisionAtRecall(0.5)
    assert iou.name.startswith("binary_io_u") and at_recall.name.startswith("precision_at_recall")
    model.compile(optimizer="adam", loss=losses.BinaryFocalCrossentropy(gamma=1.0),
                  metrics=[iou, at_recall, "binary_focal_crossentropy"])
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0).history
    assert {"loss", iou.name, at_recall.name, "binary_focal_crossentropy"} <= set(history)
    assert all(0 <= v <= 1 for v in history[iou.name])
    model.compile(optimizer="adam", loss="dice")
    assert np.isfinite(model.evaluate(x, y, verbose=0)).all()   # the metrics stay, as in Keras 3.15.1


def test_functional_output_shorter_than_its_declared_shape():
    """Keras's `Dense(6, activation="glu")` declares `(None, 6)` and gives 3 columns (glu halves
    the last axis after the Dense). A functional model's predict and call gave the declared 6
    columns, the last 3 of each row unwritten memory; they give what the library computed, as
    Keras (measured: predict `[(2, 3), (2, 2)]` for the two outputs below) and our Sequential do."""
    from swiftkeras import Input, Model
    i = Input((4,))
    dense = layers.Dense(6, activation="glu")
    a, b = dense(i), layers.Dense(2)(i)
    x = np.arange(8, dtype=np.float32).reshape(2, 4) / 8
    for model in (Model(i, [a, b]), Model(i, a)):
        outs = (model.predict(x, verbose=0), model(x))
        kernel, bias = dense.get_weights()
        z = x @ kernel + bias
        expected = z[:, :3] / (1 + np.exp(-z[:, 3:]))
        for out in outs:
            first = out[0] if isinstance(out, list) else out
            assert np.asarray(first).shape == (2, 3)
            np.testing.assert_allclose(np.asarray(first), expected, rtol=1e-5, atol=1e-6)
