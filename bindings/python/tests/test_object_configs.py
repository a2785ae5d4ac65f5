"""`get_config()` of every public class in keras.losses, .metrics, .optimizers (and
.optimizers.schedules), .initializers, .regularizers and .constraints against real Keras 3:
the same keys in the same order, the same default values of the same types (float32 rounding
where Keras has it: an optimizer's learning_rate, L1's l1), with Keras's defaults and with
arguments given; `from_config(get_config())` makes an equal object, and a model compiled with
these objects writes Keras's compile config, which real Keras loads."""

import inspect
import json
import zipfile

import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_object_config")

MODULES = ["losses", "metrics", "optimizers", "optimizers.schedules", "initializers",
           "regularizers", "constraints"]

# The arguments a class cannot be made without (Keras's required ones), for its default config.
REQUIRED = {
    "metrics.IoU": dict(num_classes=3, target_class_ids=[0, 2]),
    "metrics.MeanIoU": dict(num_classes=3),
    "metrics.OneHotIoU": dict(num_classes=3, target_class_ids=[1]),
    "metrics.OneHotMeanIoU": dict(num_classes=4),
    "metrics.PrecisionAtRecall": dict(recall=0.5),
    "metrics.RecallAtPrecision": dict(precision=0.8),
    "metrics.SensitivityAtSpecificity": dict(specificity=0.5),
    "metrics.SpecificityAtSensitivity": dict(sensitivity=0.5),
    "optimizers.schedules.ExponentialDecay": dict(initial_learning_rate=0.1, decay_steps=10,
                                                  decay_rate=0.9),
    "optimizers.schedules.InverseTimeDecay": dict(initial_learning_rate=0.1, decay_steps=10,
                                                  decay_rate=0.5),
    "optimizers.schedules.PolynomialDecay": dict(initial_learning_rate=0.1, decay_steps=10),
    "optimizers.schedules.CosineDecay": dict(initial_learning_rate=0.1, decay_steps=10),
    "optimizers.schedules.CosineDecayRestarts": dict(initial_learning_rate=0.1,
                                                     first_decay_steps=10),
    "optimizers.schedules.PiecewiseConstantDecay": dict(boundaries=[10, 20],
                                                        values=[0.1, 0.01, 0.001]),
}

# Classes that are bases or wrappers, not objects a config describes by defaults alone.
BASES = {"losses.Loss", "losses.LossFunctionWrapper", "metrics.Metric", "metrics.MeanMetricWrapper",
         "metrics.Reduce", "optimizers.Optimizer", "optimizers.OptimizerMap",
         "optimizers.LossScaleOptimizer", "optimizers.MultiOptimizer",
         "optimizers.schedules.LearningRateSchedule", "initializers.Initializer",
         "regularizers.Regularizer", "constraints.Constraint"}


def _classes():
    found = []
    for module in MODULES:
        ref = keras
        for part in module.split("."):
            ref = getattr(ref, part)
        for name in sorted(dir(ref)):
            if name.startswith("_") or not inspect.isclass(getattr(ref, name)):
                continue
            if f"{module}.{name}" not in BASES:
                found.append(f"{module}.{name}")
    return found


def _resolve(lib, path):
    obj = lib
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _typed(value):
    """A config with the type of every value, so that 2 and 2.0 (and True and 1) differ."""
    if isinstance(value, dict):
        return [(k, _typed(v)) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


CLASSES = _classes()


def test_every_keras_class_is_here():
    assert len(CLASSES) > 90
    missing = [p for p in CLASSES if not hasattr(_resolve(sk, p.rsplit(".", 1)[0]), p.rsplit(".", 1)[1])]
    assert missing == []


@pytest.mark.parametrize("path", CLASSES)
def test_default_config_is_keras(path):
    args = REQUIRED.get(path, {})
    ref = _resolve(keras, path)(**args).get_config()
    ours = _resolve(sk, path)(**args).get_config()
    if path.split(".")[0] in ("optimizers", "metrics"):
        # Keras makes a default name unique per process (adam, adam_1), as this library does
        # (test_auto_names): the names without the number, which depends on the tests before.
        ref["name"], ours["name"] = _plain(ref["name"]), _plain(ours["name"])
    assert _typed(ours) == _typed(ref)


def _plain(name):
    """A default name without the per-process suffix Keras adds (auc_1 -> auc)."""
    return name.rsplit("_", 1)[0] if name.rsplit("_", 1)[-1].isdigit() else name


@pytest.mark.parametrize("path", [p for p in CLASSES if p.startswith(("metrics.", "losses."))])
def test_default_name_is_keras(path):
    """The name a metric or loss has when none is given (the History key of a compiled
    metric): Keras's, e.g. FBetaScore's fbeta_score and LogCoshError's logcosh."""
    args = REQUIRED.get(path, {})
    assert _plain(_resolve(sk, path)(**args).name) == _plain(_resolve(keras, path)(**args).name)


def _got(get, identifier):
    try:
        made = get(identifier)
    except (ValueError, TypeError) as e:
        return type(e).__name__
    return type(made).__name__, _plain(getattr(made, "name", None) or "")


def test_metrics_get_is_keras():
    """`metrics.get` of every name Keras's takes (a class name, its snake_case, an abbreviation)
    gives an instance of that class, and a function's name or an unknown one its ValueError."""
    from keras.src.metrics import ALL_OBJECTS_DICT
    needs_arguments = {p.split(".")[1] for p in REQUIRED if p.startswith("metrics.")}
    names = [n for n, c in sorted(ALL_OBJECTS_DICT.items()) if c.__name__ not in needs_arguments]
    ours = {n: _got(sk.metrics.get, n) for n in names + ["log_cosh", "Bce", "accuracy_x"]}
    ref = {n: _got(keras.metrics.get, n) for n in ours}
    assert ours == ref
    assert sk.metrics.get(None) is None
    auc = sk.metrics.AUC(name="a")
    assert sk.metrics.get(auc) is auc
    assert type(sk.metrics.get({"class_name": "AUC", "config": {"curve": "PR"}})).__name__ == "AUC"


# Arguments other than the defaults: floats Keras keeps as given or in float32, ints Keras keeps
# (MaxNorm(3)) or makes floats (regularizers), strings, lists, a schedule as a learning rate.
GIVEN = [
    ("losses.CategoricalCrossentropy", dict(from_logits=True, label_smoothing=0.1, axis=1)),
    ("losses.BinaryFocalCrossentropy", dict(apply_class_balancing=True, alpha=0.3, gamma=1)),
    ("losses.SparseCategoricalCrossentropy", dict(from_logits=True, ignore_class=0)),
    ("losses.Huber", dict(delta=2.0, reduction="sum", name="h")),
    ("losses.Tversky", dict(alpha=0.3, beta=0.7)),
    ("losses.MeanSquaredError", dict(reduction=None)),
    ("metrics.AUC", dict(num_thresholds=50, curve="PR", multi_label=True, num_labels=3,
                         from_logits=True, name="my_auc")),
    ("metrics.BinaryAccuracy", dict(threshold=0.7, name="acc")),
    ("metrics.Precision", dict(thresholds=[0.3, 0.6], top_k=None, class_id=1, name="p")),
    ("metrics.TopKCategoricalAccuracy", dict(k=3, name="top3")),
    ("metrics.BinaryCrossentropy", dict(from_logits=True, label_smoothing=0.2, name="bce")),
    ("metrics.F1Score", dict(average="macro", threshold=0.4, name="f1")),
    ("metrics.R2Score", dict(class_aggregation="variance_weighted_average", num_regressors=2,
                             name="r2")),
    ("optimizers.Adam", dict(learning_rate=0.01, beta_1=0.8, epsilon=1e-5, amsgrad=True,
                             clipnorm=1.0, name="opt")),
    ("optimizers.SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.001,
                            name="sgd_opt")),
    ("optimizers.RMSprop", dict(learning_rate=0.123456789, rho=0.123456789, name="rms")),
    ("optimizers.Adam", dict(epsilon=1, name="int_epsilon")),
    ("optimizers.AdamW", dict(weight_decay=0.01, use_ema=True, ema_momentum=0.9, name="w")),
    ("optimizers.schedules.PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=100,
                                                  end_learning_rate=0.01, power=2.0, cycle=True)),
    ("optimizers.schedules.CosineDecay", dict(initial_learning_rate=0.1, decay_steps=100,
                                              alpha=0.1, warmup_target=0.5, warmup_steps=10)),
    ("initializers.RandomNormal", dict(mean=1.0, stddev=1, seed=3)),
    ("initializers.VarianceScaling", dict(scale=2.0, mode="fan_avg", distribution="uniform")),
    ("initializers.Constant", dict(value=2)),
    ("initializers.Orthogonal", dict(gain=2.0, seed=1)),
    ("regularizers.L1", dict(l1=0.1)),
    ("regularizers.L2", dict(l2=1)),
    ("regularizers.L1L2", dict(l1=0.1)),
    ("regularizers.L1L2", dict(l1=1, l2=0.5)),
    ("regularizers.OrthogonalRegularizer", dict(factor=0.2, mode="columns")),
    ("constraints.MaxNorm", dict(max_value=3)),
    ("constraints.MaxNorm", dict(max_value=2.5, axis=1)),
    ("constraints.MinMaxNorm", dict(min_value=0.5, max_value=2, rate=0.5)),
    ("constraints.UnitNorm", dict(axis=-1)),
]


@pytest.mark.parametrize("path,args", GIVEN, ids=[f"{p}-{i}" for i, (p, _) in enumerate(GIVEN)])
def test_given_config_is_keras(path, args):
    ref = _resolve(keras, path)(**args).get_config()
    ours = _resolve(sk, path)(**args).get_config()
    assert _typed(ours) == _typed(ref)


def test_schedule_as_learning_rate_is_keras():
    def make(lib):
        schedule = lib.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
        return lib.optimizers.SGD(learning_rate=schedule, name="s").get_config()
    assert _typed(make(sk)) == _typed(make(keras))


@pytest.mark.parametrize("path", CLASSES)
def test_from_config_gives_an_equal_object(path):
    cls = _resolve(sk, path)
    obj = cls(**REQUIRED.get(path, {}))
    config = obj.get_config()
    again = cls.from_config(config)
    if isinstance(obj, sk._objects.KerasObject):   # (Keras's Mean and Sum compare as objects)
        assert again == obj
    assert again.get_config() == config
    # and real Keras makes its class from our config
    assert _typed(_resolve(keras, path).from_config(json.loads(json.dumps(config))).get_config()) \
        == _typed(config)


def test_module_serialization_is_keras():
    for lib in (sk, keras):
        assert lib.losses.serialize(lib.losses.CategoricalCrossentropy(from_logits=True))
    ours = sk.losses.serialize(sk.losses.CategoricalCrossentropy(from_logits=True))
    ref = keras.losses.serialize(keras.losses.CategoricalCrossentropy(from_logits=True))
    assert _typed(ours) == _typed(ref)
    ours = sk.saving.serialize_keras_object(sk.optimizers.Adam(name="a"))
    ref = keras.saving.serialize_keras_object(keras.optimizers.Adam(name="a"))
    assert _typed(ours) == _typed(ref)
    ours = sk.regularizers.serialize(sk.regularizers.L1())
    ref = keras.regularizers.serialize(keras.regularizers.L1())
    assert _typed(ours) == _typed(ref)
    back = sk.losses.deserialize(ours := sk.losses.serialize(sk.losses.Huber()))
    assert back.get_config() == ours["config"]


def _compiled(lib):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, activation="sigmoid")])
    model.compile(optimizer=lib.optimizers.Adam(learning_rate=0.01, name="adam"),
                  loss=lib.losses.BinaryCrossentropy(label_smoothing=0.1),
                  metrics=[lib.metrics.AUC(name="auc"), "mae",
                           lib.metrics.Precision(thresholds=0.3, name="precision")])
    return model


def test_compile_config_is_keras(tmp_path):
    ours, ref = _compiled(sk).get_compile_config(), _compiled(keras).get_compile_config()
    for key in ("optimizer", "loss", "metrics"):
        assert _typed(ours[key]) == _typed(ref[key]), key
    # The .keras file written here holds the same compile config and loads in real Keras.
    path = tmp_path / "m.keras"
    _compiled(sk).save(path)
    saved = json.loads(zipfile.ZipFile(path).read("config.json"))["compile_config"]
    for key in ("optimizer", "loss", "metrics"):
        assert _typed(saved[key]) == _typed(ref[key]), key
    loaded = keras.models.load_model(path)
    assert _typed(loaded.get_compile_config()["loss"]) == _typed(ref["loss"])
    assert loaded.optimizer.get_config()["learning_rate"] == ref["optimizer"]["config"]["learning_rate"]
    # and a file real Keras wrote loads here with its compile config
    path = tmp_path / "k.keras"
    _compiled(keras).save(path)
    back = sk.models.load_model(path)
    assert _typed(back.get_compile_config()["optimizer"]) == _typed(ref["optimizer"])
    assert _typed(back.optimizer.get_config()) == _typed(ref["optimizer"]["config"])


def test_huber_trains_with_the_delta_given():
    """Keras's Huber config leaves `delta` out; the loss compiled still uses the delta given."""
    import numpy as np
    y, p = np.array([[0.0], [4.0]]), np.array([[3.0], [0.0]])
    assert sk.losses.Huber(delta=2.0)(y, p) == pytest.approx(
        float(keras.losses.Huber(delta=2.0)(y, p)), rel=1e-6)
    model = sk.Sequential([sk.Input((1,)), sk.layers.Dense(1, kernel_initializer="ones",
                                                               bias_initializer="zeros")])
    model.compile(optimizer="sgd", loss=sk.losses.Huber(delta=2.0))
    assert model.evaluate(p, y, verbose=0) == pytest.approx(
        float(keras.losses.Huber(delta=2.0)(y, p)), rel=1e-5)


def test_loss_base_and_python_subclass_configs_are_keras():
    def configs(lib):
        class ScaledError(lib.losses.Loss):
            def __init__(self, k=2.0, **kwargs):
                super().__init__(**kwargs)
                self.k = k

            def call(self, y_true, y_pred):
                return lib.ops.mean(lib.ops.square(y_true - y_pred), axis=-1) * self.k

            def get_config(self):
                return {**super().get_config(), "k": self.k}

        base = lib.losses.Loss().get_config()
        # Keras makes a default name unique per process (loss, loss_1): the first one's.
        base["name"] = base["name"].rsplit("_", 1)[0] if base["name"][-1].isdigit() else base["name"]
        return [base, ScaledError().get_config(),
                ScaledError(k=3.0, name="s", reduction="sum").get_config(),
                ScaledError.from_config(ScaledError(k=0.5).get_config()).k]
    assert _typed(configs(sk)) == _typed(configs(keras))


def test_loss_scale_optimizer_config_is_keras():
    def config(lib):
        inner = lib.optimizers.SGD(learning_rate=0.05, momentum=0.5, name="inner")
        return lib.optimizers.LossScaleOptimizer(inner, dynamic_growth_steps=100,
                                                 name="ls").get_config()
    ours = config(sk)
    assert _typed(ours) == _typed(config(keras))
    again = sk.optimizers.LossScaleOptimizer.from_config(ours)
    assert _typed(again.get_config()) == _typed(ours)
