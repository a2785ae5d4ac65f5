"""Writes the fixtures for metrics, activations, initializers, regularizers, constraints and
callbacks from real Keras 3 (JAX backend).

    KERAS_BACKEND=jax python scripts/make_vocab_fixtures.py

Outputs small JSON files under Tests/KerasTests/Fixtures/<family>/.
"""
import io
import json
import os
import contextlib

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras
from keras import activations, constraints, initializers, layers, metrics, regularizers

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures")


def write(family, name, obj):
    d = os.path.join(ROOT, family)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def arr(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "values": flat(a)}


rng = np.random.default_rng(7)

# ---------------------------------------------------------------- activations
x = np.concatenate([np.linspace(-6, 6, 49), [-20.0, -0.001, 0.0, 0.001, 20.0]]).astype("float32").reshape(2, -1)
names = ["linear", "relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "elu", "selu",
         "exponential", "hard_sigmoid", "gelu", "silu", "swish", "leaky_relu", "relu6",
         "log_softmax", "mish", "hard_silu", "hard_swish"]
acts = {}
for n in names:
    xin = np.clip(x, -6, 6) if n == "exponential" else x
    acts[n] = {"x": arr(xin), "y": arr(np.asarray(activations.get(n)(xin)))}
write("activations", "builtins.json", acts)

xl = rng.normal(size=(2, 3, 4)).astype("float32") * 3
cases = []
def layer_case(layer, weights=None):
    if weights is not None:
        layer.build(xl.shape)
        layer.set_weights(weights)
    y = np.asarray(layer(xl))
    cfg = layer.get_config()
    cfg.pop("dtype", None)
    cases.append({"class": layer.__class__.__name__, "config": cfg, "x": arr(xl), "y": arr(y),
                  "weights": [arr(w) for w in layer.get_weights()]})

layer_case(layers.ReLU(name="relu_a"))
layer_case(layers.ReLU(max_value=4.0, negative_slope=0.1, threshold=0.5, name="relu_b"))
layer_case(layers.LeakyReLU(name="leaky_a"))
layer_case(layers.LeakyReLU(negative_slope=0.05, name="leaky_b"))
layer_case(layers.ELU(name="elu_a"))
layer_case(layers.ELU(alpha=0.5, name="elu_b"))
layer_case(layers.Softmax(name="softmax_a"))
layer_case(layers.Softmax(axis=1, name="softmax_b"))
layer_case(layers.PReLU(name="prelu_a"), [rng.normal(size=(3, 4)).astype("float32")])
layer_case(layers.PReLU(shared_axes=[1], name="prelu_b"), [rng.normal(size=(1, 4)).astype("float32")])
write("activations", "layers.json", cases)

# ---------------------------------------------------------------- metrics
def batches_for(kind, n_batches=3, bs=5):
    out = []
    for b in range(n_batches):
        if kind == "binary":
            yt = rng.integers(0, 2, size=(bs, 1)).astype("float32")
            yp = rng.uniform(size=(bs, 1)).astype("float32")
        elif kind == "multilabel":
            yt = rng.integers(0, 2, size=(bs, 3)).astype("float32")
            yp = rng.uniform(size=(bs, 3)).astype("float32")
        elif kind == "categorical":
            yt = np.eye(4, dtype="float32")[rng.integers(0, 4, size=bs)]
            yp = rng.uniform(size=(bs, 4)).astype("float32")
            yp = yp / yp.sum(axis=1, keepdims=True)
        elif kind == "sparse":
            yt = rng.integers(0, 4, size=(bs, 1)).astype("float32")
            yp = rng.uniform(size=(bs, 4)).astype("float32")
            yp = yp / yp.sum(axis=1, keepdims=True)
        elif kind == "wide":
            yt = rng.normal(size=(bs, 6)).astype("float32")
            yp = (0.7 * yt + 0.6 * rng.normal(size=(bs, 6)) + 0.3).astype("float32")
        else:  # regression
            yt = rng.normal(size=(bs, 2)).astype("float32")
            yp = (yt + 0.5 * rng.normal(size=(bs, 2))).astype("float32")
        sw = rng.uniform(0.2, 2.0, size=(bs,)).astype("float32")
        out.append((yt, yp, sw))
    return out

metric_cases = []
def metric_case(label, m, kind, weighted=False):
    bs = batches_for(kind)
    fresh = m.__class__.from_config(m.get_config())
    for yt, yp, sw in bs:
        m.update_state(yt, yp, sample_weight=sw if weighted else None)
    cfg = m.get_config()
    metric_cases.append({
        "label": label, "class": m.__class__.__name__, "config": cfg, "weighted": weighted,
        "batches": [{"y_true": arr(yt), "y_pred": arr(yp), "sample_weight": flat(sw) if weighted else None}
                    for yt, yp, sw in bs],
        "result": flat(m.result()),
    })

for weighted in (False, True):
    w = "_w" if weighted else ""
    metric_case("binary_accuracy" + w, metrics.BinaryAccuracy(), "binary", weighted)
    metric_case("binary_accuracy_t" + w, metrics.BinaryAccuracy(threshold=0.7), "binary", weighted)
    metric_case("categorical_accuracy" + w, metrics.CategoricalAccuracy(), "categorical", weighted)
    metric_case("sparse_categorical_accuracy" + w, metrics.SparseCategoricalAccuracy(), "sparse", weighted)
    metric_case("top_k" + w, metrics.TopKCategoricalAccuracy(k=2), "categorical", weighted)
    metric_case("sparse_top_k" + w, metrics.SparseTopKCategoricalAccuracy(k=2), "sparse", weighted)
    metric_case("mse" + w, metrics.MeanSquaredError(), "regression", weighted)
    metric_case("rmse" + w, metrics.RootMeanSquaredError(), "regression", weighted)
    metric_case("mae" + w, metrics.MeanAbsoluteError(), "regression", weighted)
    metric_case("auc_roc" + w, metrics.AUC(), "binary", weighted)
    metric_case("auc_pr" + w, metrics.AUC(curve="PR"), "binary", weighted)
    metric_case("auc_roc_multi" + w, metrics.AUC(num_thresholds=50), "multilabel", weighted)
    metric_case("auc_roc_minoring" + w, metrics.AUC(summation_method="minoring"), "binary", weighted)
    metric_case("auc_pr_majoring" + w, metrics.AUC(curve="PR", summation_method="majoring"), "binary", weighted)
    metric_case("auc_multilabel" + w, metrics.AUC(multi_label=True), "multilabel", weighted)
    metric_case("precision" + w, metrics.Precision(), "binary", weighted)
    metric_case("precision_t" + w, metrics.Precision(thresholds=0.3), "multilabel", weighted)
    metric_case("recall" + w, metrics.Recall(), "binary", weighted)
    metric_case("recall_topk" + w, metrics.Recall(top_k=2), "categorical", weighted)
    metric_case("precision_class" + w, metrics.Precision(class_id=1), "categorical", weighted)
    metric_case("f1_macro" + w, metrics.F1Score(average="macro"), "categorical", weighted)
    metric_case("f1_micro" + w, metrics.F1Score(average="micro", threshold=0.3), "multilabel", weighted)
    metric_case("f1_weighted" + w, metrics.F1Score(average="weighted"), "multilabel", weighted)
    metric_case("f1_none" + w, metrics.F1Score(), "categorical", weighted)
    metric_case("r2" + w, metrics.R2Score(), "regression", weighted)
    metric_case("r2_var" + w, metrics.R2Score(class_aggregation="variance_weighted_average"), "regression", weighted)
    metric_case("r2_adj" + w, metrics.R2Score(num_regressors=2), "regression", weighted)
    metric_case("tp" + w, metrics.TruePositives(), "binary", weighted)
    metric_case("fn" + w, metrics.FalseNegatives(thresholds=0.3), "binary", weighted)
write("metrics", "stateful.json", metric_cases)

# Resolution of string metrics in compile, and log names
resolved = {}
for spec in ["accuracy", "acc", "mse", "mae", "mean_squared_error", "binary_crossentropy", "auc", "AUC",
             "precision", "recall", "binary_accuracy"]:
    m = keras.Sequential([keras.Input((3,)), layers.Dense(1, activation="sigmoid")])
    m.compile(loss="binary_crossentropy", metrics=[spec], optimizer="sgd")
    h = m.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0, epochs=1)
    resolved[spec] = sorted(h.history.keys())
write("metrics", "names.json", resolved)

# Multi-batch fit: history figures are over the whole epoch.
def fit_case(label, loss, metric_specs, out_units, out_act, y, epochs=3, bs=4, val=True, extra=None):
    keras.utils.set_random_seed(3)
    m = keras.Sequential([keras.Input((5,)), layers.Dense(6, activation="tanh"),
                          layers.Dense(out_units, activation=out_act)])
    w = [rng.normal(scale=0.5, size=v.shape).astype("float32") for v in m.get_weights()]
    m.set_weights(w)
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss=loss, metrics=metric_specs)
    xs = rng.normal(size=(len(y), 5)).astype("float32")
    nval = 6
    h = m.fit(xs[:-nval], y[:-nval], batch_size=bs, epochs=epochs, shuffle=False, verbose=0,
              validation_data=(xs[-nval:], y[-nval:]) if val else None)
    return {"label": label, "loss": loss,
            "metrics": [s if isinstance(s, str) else getattr(s, "name", None) or s.__name__ for s in metric_specs],
            "weights": [arr(v) for v in w], "x": arr(xs), "y": arr(y), "n_val": nval if val else 0,
            "batch_size": bs, "epochs": epochs, "learning_rate": 0.1,
            "history": {k: [float(v) for v in vs] for k, vs in h.history.items()}}

def mean_pred(y_true, y_pred):
    """seeds/001's custom metric: a scalar per batch."""
    return keras.ops.mean(y_pred)

yb = rng.integers(0, 2, size=(23, 1)).astype("float32")
ys = rng.integers(0, 3, size=(23, 1)).astype("float32")
yc = np.eye(3, dtype="float32")[ys[:, 0].astype(int)]
yr = rng.normal(size=(23, 2)).astype("float32")
fits = [
    fit_case("binary", "binary_crossentropy", ["accuracy", "mse", "auc", "precision", "recall", mean_pred], 1, "sigmoid", yb),
    fit_case("categorical", "categorical_crossentropy",
             ["accuracy", "top_k_categorical_accuracy", metrics.F1Score(average="macro")], 3, "softmax", yc),
    fit_case("sparse", "sparse_categorical_crossentropy",
             ["accuracy", "sparse_top_k_categorical_accuracy"], 3, "softmax", ys),
    fit_case("regression", "mse", ["mae", metrics.RootMeanSquaredError(), metrics.R2Score()], 2, "linear", yr),
]
write("metrics", "fit_history.json", fits)

# ---------------------------------------------------------------- initializers (configs + structure)
inits = {}
for n in ["zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
          "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
          "variance_scaling", "orthogonal", "identity"]:
    i = initializers.Constant() if n == "constant" else initializers.get(n)
    inits[n] = {"class": i.__class__.__name__, "config": i.get_config(),
                "serialized": keras.saving.serialize_keras_object(i)}
o = np.asarray(initializers.Orthogonal(gain=2.0, seed=1)((6, 4)))
inits["_orthogonal_gram"] = flat(o.T @ o)
inits["_identity_3x5"] = flat(np.asarray(initializers.Identity(gain=1.5)((3, 5))))
write("initializers", "configs.json", inits)

# ---------------------------------------------------------------- regularizers
w = rng.normal(size=(4, 3)).astype("float32")
regs = []
for r in [regularizers.L1(0.02), regularizers.L2(0.03), regularizers.L1L2(0.01, 0.04),
          regularizers.OrthogonalRegularizer(0.1, "rows"), regularizers.OrthogonalRegularizer(0.2, "columns")]:
    regs.append({"class": r.__class__.__name__, "config": r.get_config(), "w": arr(w), "value": float(r(keras.ops.convert_to_tensor(w)))})
write("regularizers", "values.json", regs)

# ---------------------------------------------------------------- constraints
w = (rng.normal(size=(3, 4)) * 2).astype("float32")
cons = []
for c in [constraints.MaxNorm(1.5), constraints.MaxNorm(1.0, axis=1), constraints.NonNeg(),
          constraints.UnitNorm(), constraints.UnitNorm(axis=1), constraints.MinMaxNorm(0.5, 2.0),
          constraints.MinMaxNorm(1.0, 3.0, rate=0.5, axis=1)]:
    cons.append({"class": c.__class__.__name__, "config": c.get_config(), "w": arr(w), "out": arr(np.asarray(c(w)))})
write("constraints", "values.json", cons)

# ---------------------------------------------------------------- callbacks
class Dummy(keras.Model):
    pass

def scripted(cb, values, key="val_loss", lr=None):
    """Runs a callback over a scripted series of epoch logs; records stops, lr and printed text."""
    m = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=lr or 0.01), loss="mse")
    cb.set_model(m)
    out = io.StringIO()
    stopped_at = None
    lrs = []
    with contextlib.redirect_stdout(out):
        cb.on_train_begin()
        for e, v in enumerate(values):
            cb.on_epoch_begin(e)
            logs = {key: v, "loss": v}
            cb.on_epoch_end(e, logs)
            lrs.append(float(np.asarray(m.optimizer.learning_rate)))
            if m.stop_training:
                stopped_at = e
                break
        cb.on_train_end()
    return {"values": values, "stopped_at": stopped_at, "printed": out.getvalue(), "learning_rates": lrs}

series = [1.0, 0.9, 0.91, 0.85, 0.86, 0.87, 0.88, 0.89, 0.84, 0.9, 0.95, 0.96, 0.97]
acc_series = [0.5, 0.6, 0.62, 0.61, 0.6, 0.63, 0.6, 0.59]
cbs = {
    "es_patience4": scripted(keras.callbacks.EarlyStopping(monitor="val_loss", patience=4, verbose=1), series),
    "es_patience0": scripted(keras.callbacks.EarlyStopping(patience=0, verbose=1), series),
    "es_min_delta": scripted(keras.callbacks.EarlyStopping(patience=2, min_delta=0.05, verbose=1), series),
    "es_baseline": scripted(keras.callbacks.EarlyStopping(patience=3, baseline=0.8, verbose=1), series),
    "es_start": scripted(keras.callbacks.EarlyStopping(patience=1, start_from_epoch=4, verbose=1), series),
    "es_max": scripted(keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=2, verbose=1),
                       acc_series, key="val_accuracy"),
    "rlr": scripted(keras.callbacks.ReduceLROnPlateau(patience=2, factor=0.5, verbose=1, cooldown=1, min_lr=0.002),
                    series, lr=0.01),
    "lrs": scripted(keras.callbacks.LearningRateScheduler(lambda e, lr: lr * 0.5 if e > 1 else lr, verbose=1),
                    series[:5]),
}
write("callbacks", "scripted.json", cbs)

# EarlyStopping inside a real fit, restore_best_weights, and CSVLogger file text.
keras.utils.set_random_seed(5)
m = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
w0 = [rng.normal(scale=0.8, size=v.shape).astype("float32") for v in m.get_weights()]
m.set_weights(w0)
m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="categorical_crossentropy", metrics=["accuracy"])
xs = rng.normal(size=(30, 4)).astype("float32")
yv = np.eye(3, dtype="float32")[rng.integers(0, 3, size=30)]
csv_path = "/tmp/vocab_fixture_log.csv"
out = io.StringIO()
with contextlib.redirect_stdout(out):
    h = m.fit(xs[:20], yv[:20], validation_data=(xs[20:], yv[20:]), epochs=30, batch_size=8, shuffle=False,
              verbose=0, callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, verbose=1,
                                                                  restore_best_weights=True),
                                    keras.callbacks.CSVLogger(csv_path)])
fit_es = {"weights": [arr(v) for v in w0], "x": arr(xs), "y": arr(yv), "n_train": 20,
          "history": {k: [float(v) for v in vs] for k, vs in h.history.items()},
          "printed": out.getvalue(), "csv": open(csv_path).read(),
          "final_weights": [arr(v) for v in m.get_weights()]}
write("callbacks", "fit_early_stopping.json", fit_es)
print("fixtures written to", os.path.abspath(ROOT))

# ---------------------------------------------------------------- losses reported as metrics
metric_cases = []
for weighted in (False, True):
    w = "_w" if weighted else ""
    metric_case("bce" + w, metrics.BinaryCrossentropy(), "binary", weighted)
    metric_case("bce_smooth" + w, metrics.BinaryCrossentropy(label_smoothing=0.1), "binary", weighted)
    metric_case("cce" + w, metrics.CategoricalCrossentropy(), "categorical", weighted)
    metric_case("scce" + w, metrics.SparseCategoricalCrossentropy(), "sparse", weighted)
    metric_case("kld" + w, metrics.KLDivergence(), "categorical", weighted)
    metric_case("poisson" + w, metrics.Poisson(), "categorical", weighted)
    metric_case("hinge" + w, metrics.Hinge(), "binary", weighted)
    metric_case("squared_hinge" + w, metrics.SquaredHinge(), "binary", weighted)
    metric_case("categorical_hinge" + w, metrics.CategoricalHinge(), "categorical", weighted)
    metric_case("logcosh" + w, metrics.LogCoshError(), "regression", weighted)
    metric_case("mape" + w, metrics.MeanAbsolutePercentageError(), "regression", weighted)
    metric_case("msle" + w, metrics.MeanSquaredLogarithmicError(), "categorical", weighted)
    metric_case("cosine" + w, metrics.CosineSimilarity(), "regression", weighted)
write("metrics", "loss_metrics.json", metric_cases)

# ---------------------------------------------------------------- seeds/004: EarlyStopping(monitor='val_loss', patience=4, verbose=1)
r4 = np.random.default_rng(103)
x4 = r4.normal(size=(160, 12)).astype("float32")
w4 = r4.normal(size=(12, 5))
y4 = np.eye(5, dtype="float32")[np.argmax(x4 @ w4 + 2.5 * r4.normal(size=(160, 5)), axis=1)]
keras.utils.set_random_seed(4)
m4 = keras.Sequential([keras.Input((12,)), layers.Dense(5), layers.Activation("softmax")])
init4 = m4.get_weights()
m4.compile(optimizer=keras.optimizers.SGD(learning_rate=0.3), loss="categorical_crossentropy")
out4 = io.StringIO()
with contextlib.redirect_stdout(out4):
    h4 = m4.fit(x4[:120], y4[:120], validation_data=(x4[120:], y4[120:]), epochs=20, batch_size=32, verbose=2,
                callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=4, verbose=1)], shuffle=False)
write("callbacks", "fit_seed004.json", {
    "x": arr(x4), "y": arr(y4), "n_train": 120, "weights": [arr(v) for v in init4],
    "history": {k: [float(v) for v in vs] for k, vs in h4.history.items()}, "printed": out4.getvalue()})

# ---------------------------------------------------------------- rates at a constraint
metric_cases = []
for weighted in (False, True):
    w = "_w" if weighted else ""
    metric_case("sens_at_spec" + w, metrics.SensitivityAtSpecificity(0.5), "binary", weighted)
    metric_case("spec_at_sens" + w, metrics.SpecificityAtSensitivity(0.6, num_thresholds=50), "binary", weighted)
    metric_case("prec_at_rec" + w, metrics.PrecisionAtRecall(0.4), "multilabel", weighted)
    metric_case("rec_at_prec" + w, metrics.RecallAtPrecision(0.3, class_id=2), "categorical", weighted)
    metric_case("sens_at_spec_1" + w, metrics.SensitivityAtSpecificity(0.2, num_thresholds=1), "binary", weighted)
write("metrics", "at_constraint.json", metric_cases)

# ---------------------------------------------------------------- seeds/004's ModelCheckpoint(save_best_only=True)
import tempfile
ck = {}
with tempfile.TemporaryDirectory() as tmp:
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        for label, cb in [("best", lambda: keras.callbacks.ModelCheckpoint("ckpt/best_model.h5", verbose=1, save_best_only=True)),
                          ("every", lambda: keras.callbacks.ModelCheckpoint("ckpt/w.{epoch:02d}-{val_loss:.2f}.weights.h5",
                                                                            verbose=1, save_weights_only=True))]:
            m5 = keras.Sequential([keras.Input((12,)), layers.Dense(5), layers.Activation("softmax")])
            m5.set_weights(init4)
            m5.compile(optimizer=keras.optimizers.SGD(learning_rate=3.0), loss="categorical_crossentropy")
            out5 = io.StringIO()
            with contextlib.redirect_stdout(out5):
                h5 = m5.fit(x4[:120], y4[:120], validation_data=(x4[120:], y4[120:]), epochs=6, batch_size=32, verbose=0,
                            callbacks=[cb()], shuffle=False)
            ck[label] = {"printed": out5.getvalue(), "files": sorted(os.listdir("ckpt")),
                         "val_loss": [float(v) for v in h5.history["val_loss"]]}
            for f in os.listdir("ckpt"):
                os.remove(os.path.join("ckpt", f))
    finally:
        os.chdir(cwd)
write("callbacks", "model_checkpoint.json", ck)

# ---------------------------------------------------------------- correlations
metric_cases = []
for weighted in (False, True):
    w = "_w" if weighted else ""
    metric_case("pearson" + w, metrics.PearsonCorrelation(), "wide", weighted)
    metric_case("concordance" + w, metrics.ConcordanceCorrelation(), "wide", weighted)
write("metrics", "correlation.json", metric_cases)
