"""Writes the loss fixtures used by Tests/KerasTests/Losses: for each loss class and options,
real Keras 3 (JAX backend) gives the reduced value, the gradient with respect to y_pred
(jax.grad; for reduction "none", of the sum of the values) and get_config().

    KERAS_BACKEND=jax /work/refvenv/bin/python scripts/make_loss_fixtures.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import losses  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "losses")


def f32(a):
    return np.asarray(a, dtype=np.float32)


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


def case(name, class_name, kwargs, y_true, y_pred, sample_weight=None):
    loss = getattr(losses, class_name)(**kwargs)
    y_true, y_pred = f32(y_true), f32(y_pred)
    sw = None if sample_weight is None else f32(sample_weight)

    def scalar(p):
        out = loss(jnp.asarray(y_true), p, sample_weight=None if sw is None else jnp.asarray(sw))
        return jnp.sum(out)

    value = loss(y_true, y_pred, sample_weight=sw)
    grad = jax.grad(scalar)(jnp.asarray(y_pred))
    return {
        "name": name,
        "class_name": class_name,
        "kwargs": kwargs,
        "config": loss.get_config(),
        "y_true": {"shape": list(y_true.shape), "values": flat(y_true)},
        "y_pred": {"shape": list(y_pred.shape), "values": flat(y_pred)},
        "sample_weight": None if sw is None else {"shape": list(sw.shape), "values": flat(sw)},
        "value": {"shape": list(np.shape(value)), "values": flat(value)},
        "gradient": flat(grad),
    }


def main():
    rng = np.random.default_rng(7)
    reg_true = rng.normal(size=(4, 3))
    reg_pred = rng.normal(size=(4, 3))
    pos_true = rng.uniform(0.1, 3, size=(4, 3))
    pos_pred = rng.uniform(0.1, 3, size=(4, 3))
    sw = [0.5, 1.0, 2.0, 0.0]

    def probs(shape):
        p = rng.uniform(0.05, 1, size=shape)
        return p / p.sum(axis=-1, keepdims=True)

    one_hot = np.eye(3)[[0, 2, 1, 2]]
    labels = np.array([0, 2, 1, 2])
    logits = rng.normal(size=(4, 3)) * 2
    raw_probs = rng.uniform(0.05, 1, size=(4, 3))  # not normalised: Keras renormalises
    bin_true = rng.integers(0, 2, size=(4, 3)).astype(np.float32)
    bin_pred = rng.uniform(0.05, 0.95, size=(4, 3))
    pm_true = bin_true * 2 - 1

    groups = {
        "regression": [
            case("mse", "MeanSquaredError", {}, reg_true, reg_pred),
            case("mse_weighted", "MeanSquaredError", {}, reg_true, reg_pred, sw),
            case("mae", "MeanAbsoluteError", {}, reg_true, reg_pred, sw),
            case("mape", "MeanAbsolutePercentageError", {}, reg_true, reg_pred),
            case("msle", "MeanSquaredLogarithmicError", {}, pos_true, pos_pred, sw),
            case("log_cosh", "LogCosh", {}, reg_true, reg_pred),
            case("huber", "Huber", {}, reg_true * 2, reg_pred * 2),
            case("huber_delta", "Huber", {"delta": 0.5}, reg_true, reg_pred, sw),
            case("cosine_similarity", "CosineSimilarity", {}, reg_true, reg_pred),
            case("cosine_similarity_axis0", "CosineSimilarity", {"axis": 0}, reg_true, reg_pred, [0.5, 1.0, 2.0]),
            # y_true of shape (4,) against y_pred of shape (4, 1): Keras expands the targets.
            case("mse_rank_mismatch", "MeanSquaredError", {}, reg_true[:, 0], reg_pred[:, :1]),
            # Targets (4, 1) against predictions (4, 3): Keras broadcasts.
            case("mae_broadcast_targets", "MeanAbsoluteError", {}, reg_true[:, :1], reg_pred),
        ],
        "probabilistic": [
            case("poisson", "Poisson", {}, pos_true, pos_pred, sw),
            case("kl_divergence", "KLDivergence", {}, probs((4, 3)), probs((4, 3))),
            case("kl_divergence_weighted", "KLDivergence", {}, probs((4, 3)), probs((4, 3)), sw),
        ],
        "hinge": [
            case("hinge_pm1", "Hinge", {}, pm_true, reg_pred),
            case("hinge_01", "Hinge", {}, bin_true, reg_pred, sw),
            case("squared_hinge_pm1", "SquaredHinge", {}, pm_true, reg_pred),
            case("squared_hinge_01", "SquaredHinge", {}, bin_true, reg_pred),
            case("categorical_hinge", "CategoricalHinge", {}, one_hot, reg_pred, sw),
        ],
        "crossentropy": [
            case("bce", "BinaryCrossentropy", {}, bin_true, bin_pred),
            case("bce_logits", "BinaryCrossentropy", {"from_logits": True}, bin_true, logits, sw),
            case("bce_smoothing", "BinaryCrossentropy", {"label_smoothing": 0.2}, bin_true, bin_pred),
            case("bce_logits_smoothing", "BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
                 bin_true, logits),
            case("cce", "CategoricalCrossentropy", {}, one_hot, raw_probs),
            case("cce_logits", "CategoricalCrossentropy", {"from_logits": True}, one_hot, logits, sw),
            case("cce_smoothing", "CategoricalCrossentropy", {"label_smoothing": 0.1}, one_hot, probs((4, 3))),
            case("scce", "SparseCategoricalCrossentropy", {}, labels, raw_probs),
            case("scce_logits", "SparseCategoricalCrossentropy", {"from_logits": True}, labels[:, None], logits, sw),
            case("scce_ignore_class", "SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 2},
                 labels, logits),
        ],
        "reductions": [
            case(f"mse_{r}", "MeanSquaredError", {"reduction": r}, reg_true, reg_pred, sw)
            for r in ["sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight"]
        ] + [
            case(f"mse_{r}_unweighted", "MeanSquaredError", {"reduction": r}, reg_true, reg_pred)
            for r in ["sum", "none", "mean_with_sample_weight"]
        ] + [
            # Sequences: per-timestep losses (2, 3) with per-timestep weights (2, 3).
            case("mae_temporal_weights", "MeanAbsoluteError", {}, rng.normal(size=(2, 3, 4)),
                 rng.normal(size=(2, 3, 4)), [[1.0, 0.5, 0.0], [2.0, 1.0, 1.0]]),
            case("cce_named", "CategoricalCrossentropy", {"name": "my_loss", "reduction": "sum"}, one_hot, raw_probs),
        ],
    }
    os.makedirs(OUT, exist_ok=True)
    for group, cases in groups.items():
        with open(os.path.join(OUT, f"{group}.json"), "w") as f:
            json.dump(cases, f, indent=1)
    print(f"wrote {sum(len(c) for c in groups.values())} loss cases to {OUT}")


if __name__ == "__main__":
    main()
