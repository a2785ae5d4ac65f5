"""Writes the fixtures for the activations and losses Keras 3 added (issue 18) from real
Keras 3 (JAX backend): values, and gradients by jax.grad.

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_keras3_vocab_fixtures.py

Outputs Tests/KerasTests/Fixtures/activations/keras3.json and losses/keras3.json.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from keras import activations  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from make_loss_fixtures import case as loss_case  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures")


def write(family, name, obj):
    with open(os.path.join(ROOT, family, name), "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def arr(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "values": [float(v) for v in a.reshape(-1)]}


rng = np.random.default_rng(18)

# ---------------------------------------------------------------- activations
# Values on the grid builtins.json uses (kinks included); gradients at points away from kinks.
grid = np.concatenate([np.linspace(-6, 6, 49), [-20.0, -0.001, 0.0, 0.001, 20.0]]).astype("float32").reshape(2, -1)
kinks = np.array([0, 0.3, 0.5, 0.8, 1, 1.2])


def smooth_points(shape):
    x = rng.normal(size=shape) * 2
    while True:
        near = np.min(np.abs(np.abs(x)[..., None] - kinks), axis=-1) < 0.05
        if not near.any():
            return x.astype("float32")
        x[near] = rng.normal(size=near.sum()) * 2


act_cases = []


def act_case(name, kwargs, x_value, x_grad):
    fn = activations.get(name)
    y = np.asarray(fn(x_value, **kwargs))
    w = rng.normal(size=np.shape(fn(x_grad, **kwargs))).astype("float32")
    grad = jax.grad(lambda v: jnp.sum(fn(v, **kwargs) * w))(jnp.asarray(x_grad))
    act_cases.append({"name": name, "args": kwargs, "x": arr(x_value), "y": arr(y),
                      "grad_x": arr(x_grad), "grad_weights": arr(w), "grad": arr(grad)})


for n in ["celu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus",
          "sparse_sigmoid", "squareplus", "tanh_shrink", "hard_silu", "hard_swish"]:
    act_case(n, {}, grid, smooth_points((3, 8)))
act_case("celu", {"alpha": 0.5}, grid, smooth_points((3, 8)))
act_case("hard_shrink", {"threshold": 0.8}, grid, smooth_points((3, 8)))
act_case("soft_shrink", {"threshold": 1.2}, grid, smooth_points((3, 8)))
act_case("squareplus", {"b": 1.0}, grid, smooth_points((3, 8)))
act_case("threshold", {"threshold": 0.3, "default_value": -2.0}, grid, smooth_points((3, 8)))
x3 = (rng.normal(size=(2, 4, 6)) * 2).astype("float32")
act_case("glu", {}, x3, x3)
act_case("glu", {"axis": 1}, x3, x3)
act_case("glu", {"axis": 0}, x3, x3)
act_case("sparsemax", {}, x3, x3)
act_case("sparsemax", {"axis": 1}, x3, x3)
act_case("sparsemax", {}, grid[:, :6] / 4, grid[:, :6] / 4 + 0.013)
write("activations", "keras3.json", act_cases)

# ---------------------------------------------------------------- losses
bin_true = rng.integers(0, 2, size=(4, 3)).astype("float32")
bin_pred = rng.uniform(0.05, 0.95, size=(4, 3))
logits = rng.normal(size=(4, 3)) * 2
one_hot = np.eye(3)[[0, 2, 1, 2]]
labels = np.array([0, 2, 1, 2])
probs = rng.uniform(0.05, 1, size=(4, 3))
probs = probs / probs.sum(axis=-1, keepdims=True)
sw = [0.5, 1.0, 2.0, 0.0]
seg_true = rng.integers(0, 2, size=(2, 4, 4, 1)).astype("float32")
seg_pred = rng.uniform(0.05, 0.95, size=(2, 4, 4, 1))
emb = rng.normal(size=(6, 4))
emb = emb / np.linalg.norm(emb, axis=-1, keepdims=True)
emb_labels = np.array([0, 1, 0, 2, 1, 0])

loss_cases = [
    loss_case("bfce", "BinaryFocalCrossentropy", {}, bin_true, bin_pred),
    loss_case("bfce_weighted", "BinaryFocalCrossentropy", {}, bin_true, bin_pred, sw),
    loss_case("bfce_balanced", "BinaryFocalCrossentropy",
              {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5}, bin_true, bin_pred),
    loss_case("bfce_logits_smoothing", "BinaryFocalCrossentropy",
              {"from_logits": True, "label_smoothing": 0.1, "gamma": 3.0}, bin_true, logits, sw),
    loss_case("bfce_sum", "BinaryFocalCrossentropy", {"reduction": "sum", "apply_class_balancing": True},
              bin_true, bin_pred),
    loss_case("cfce", "CategoricalFocalCrossentropy", {}, one_hot, probs),
    loss_case("cfce_weighted", "CategoricalFocalCrossentropy", {"alpha": 0.4, "gamma": 1.0}, one_hot, probs, sw),
    loss_case("cfce_logits_smoothing", "CategoricalFocalCrossentropy",
              {"from_logits": True, "label_smoothing": 0.2}, one_hot, logits),
    loss_case("cfce_none", "CategoricalFocalCrossentropy", {"reduction": "none"}, one_hot, probs),
    loss_case("cgce", "CategoricalGeneralizedCrossEntropy", {}, labels, probs),
    loss_case("cgce_q", "CategoricalGeneralizedCrossEntropy", {"q": 0.7}, labels, probs, sw),
    loss_case("dice", "Dice", {}, bin_true, bin_pred),
    loss_case("dice_axis", "Dice", {"axis": [1, 2, 3]}, seg_true, seg_pred),
    loss_case("dice_axis_weighted", "Dice", {"axis": [1, 2]}, seg_true, seg_pred, [0.3, 1.5]),
    loss_case("tversky", "Tversky", {}, bin_true, bin_pred),
    loss_case("tversky_ab", "Tversky", {"alpha": 0.3, "beta": 0.7}, bin_true, bin_pred),
    loss_case("tversky_axis", "Tversky", {"axis": [1, 2, 3], "reduction": "sum"}, seg_true, seg_pred),
    loss_case("circle", "Circle", {}, emb_labels, emb),
    loss_case("circle_args", "Circle", {"gamma": 32.0, "margin": 0.4}, emb_labels, emb,
              [1.0, 0.5, 2.0, 1.0, 0.0, 1.0]),
    loss_case("circle_unnormalized", "Circle", {"remove_diagonal": False}, emb_labels, emb * 2),
]
write("losses", "keras3.json", loss_cases)
from make_optimizer_fixtures import signature_args  # noqa: E402
from keras import losses as keras_losses  # noqa: E402

write("losses", "catalogue_keras3.json", {c: signature_args(getattr(keras_losses, c)) for c in [
    "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy",
    "Dice", "Tversky", "Circle"]})

# ---------------------------------------------------------------- IoU metrics
from keras import metrics  # noqa: E402

metric_cases = []


def metric_case(label, m, make_batch, weighted=False):
    batches = []
    for _ in range(3):
        yt, yp = make_batch()
        # Keras's IoU metrics are int32: weights are truncated, so the fixture uses whole ones.
        sw = rng.integers(0, 3, size=(yt.shape[0],)).astype("float32") if weighted else None
        m.update_state(yt, yp, sample_weight=sw)
        batches.append({"y_true": arr(yt), "y_pred": arr(yp),
                        "sample_weight": None if sw is None else [float(v) for v in sw]})
    metric_cases.append({"label": label, "class": m.__class__.__name__, "config": m.get_config(),
                         "weighted": weighted, "batches": batches,
                         "result": [float(v) for v in np.asarray(m.result(), dtype=np.float64).reshape(-1)]})


def sparse_batch():
    return rng.integers(0, 4, size=(6,)).astype("float32"), rng.integers(0, 4, size=(6,)).astype("float32")


def sparse_2d_batch():
    return rng.integers(0, 4, size=(2, 3, 3)).astype("float32"), rng.integers(-1, 5, size=(2, 3, 3)).astype("float32")


def binary_batch():
    return rng.integers(0, 2, size=(6, 1)).astype("float32"), rng.uniform(size=(6, 1)).astype("float32")


def one_hot_batch():
    return np.eye(4, dtype="float32")[rng.integers(0, 4, size=6)], rng.uniform(size=(6, 4)).astype("float32")


for weighted in (False, True):
    w = "_w" if weighted else ""
    metric_case("iou" + w, metrics.IoU(num_classes=4, target_class_ids=[0, 2]), sparse_batch, weighted)
    metric_case("mean_iou" + w, metrics.MeanIoU(num_classes=4), sparse_batch, weighted)
    metric_case("binary_iou" + w, metrics.BinaryIoU(), binary_batch, weighted)
    metric_case("binary_iou_t" + w, metrics.BinaryIoU(target_class_ids=[1], threshold=0.3), binary_batch, weighted)
    metric_case("one_hot_iou" + w, metrics.OneHotIoU(num_classes=4, target_class_ids=[1, 3]), one_hot_batch, weighted)
    metric_case("one_hot_mean_iou" + w, metrics.OneHotMeanIoU(num_classes=4), one_hot_batch, weighted)
metric_case("mean_iou_ignore_out_of_range", metrics.MeanIoU(num_classes=4, ignore_class=0), sparse_2d_batch)
metric_case("iou_named", metrics.IoU(num_classes=4, target_class_ids=[3], name="my_iou"), sparse_batch)
write("metrics", "iou.json", metric_cases)
print(f"wrote {len(act_cases)} activation, {len(loss_cases)} loss and {len(metric_cases)} metric cases")

# ---------------------------------------------------------------- weighted_metrics in compile
import keras  # noqa: E402

wx = rng.normal(size=(10, 3)).astype("float32")
wy = rng.integers(0, 2, size=(10, 1)).astype("float32")
wsw = rng.uniform(0.1, 2.0, size=(10,)).astype("float32")
wmodel = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
wmodel.set_weights([rng.normal(size=(3, 1)).astype("float32"), np.array([0.1], "float32")])
wmodel.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["mae", "binary_accuracy"],
               weighted_metrics=["mae", "mse", keras.metrics.BinaryIoU(name="binary_iou")])
wresult = wmodel.evaluate(wx, wy, sample_weight=wsw, batch_size=4, verbose=0, return_dict=True)
write("metrics", "weighted_metrics.json", {
    "weights": [arr(w) for w in wmodel.get_weights()], "x": arr(wx), "y": arr(wy), "sample_weight": arr(wsw),
    "batch_size": 4, "result": {k: float(v) for k, v in wresult.items()},
    "compile_config": {k: wmodel.get_compile_config()[k] for k in ("metrics", "weighted_metrics")},
})

# ---------------------------------------------------------------- Dense with each new activation
# (DenseTests checks every built-in name; threshold has no defaults and glu needs an even width,
# so Keras's Dense(5) cannot use them either.)
import make_layer_fixtures as layer_fixtures  # noqa: E402

for act in ["celu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus", "sparse_sigmoid",
            "sparsemax", "squareplus", "tanh_shrink"]:
    layer_fixtures.layer_case(f"dense_{act}", keras.layers.Dense(5, activation=act, name=f"dense_{act}"),
                              layer_fixtures.uniform(4, 3, low=-3, high=3))
