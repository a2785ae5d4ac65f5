"""Keras objects used on their own, as keras.io's API pages show them, side by side with real
Keras: initializers called with a shape, constraints called on a weight, schedules called with
a step, and optimizers updating `keras.Variable`s of no model (`apply_gradients`, `apply`,
`build`, `variables`, `iterations`, `learning_rate`)."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import needs, real_keras

pytestmark = needs("keras_initializer_draw", "keras_constraint_apply", "keras_schedule_value",
                   "keras_optimizer_new", "keras_optimizer_apply")

RNG = np.random.default_rng(7)
W0 = RNG.normal(size=(3, 4)).astype("float32")
B0 = RNG.normal(size=(4,)).astype("float32")
GRADS = [(RNG.normal(size=(3, 4)).astype("float32") * s, RNG.normal(size=(4,)).astype("float32") * s)
         for s in (1.0, 3.0, 0.5)]

_PROBABILITIES = RNG.uniform(0.05, 1, size=(5, 3)).astype("float32")
_PROBABILITIES /= _PROBABILITIES.sum(1, keepdims=True)
_LABELS = np.eye(3, dtype="float32")[[0, 2, 1, 1, 0]]
_WEIGHTS = np.array([1.0, 0.5, 2.0, 1.0, 0.0], "float32")

SCHEDULES = [
    ("ExponentialDecay", (0.1, 10, 0.9), {}),
    ("ExponentialDecay", (0.1, 10, 0.9), {"staircase": True}),
    ("PiecewiseConstantDecay", ([3, 8], [0.1, 0.05, 0.01]), {}),
    ("InverseTimeDecay", (0.1, 4, 0.5), {}),
    ("PolynomialDecay", (0.1, 20, 0.001), {"power": 2.0}),
    ("PolynomialDecay", (0.1, 6, 0.001), {"cycle": True}),
    ("CosineDecay", (0.1, 20), {"alpha": 0.1}),
    ("CosineDecay", (0.0, 20), {"warmup_target": 0.1, "warmup_steps": 5}),
    ("CosineDecayRestarts", (0.1, 5), {"t_mul": 2.0, "m_mul": 0.5}),
]
STEPS = [0, 1, 4, 7, 19, 33]

CONSTRAINTS = [("MaxNorm", {"max_value": 1.0}), ("MaxNorm", {"max_value": 0.5, "axis": 1}),
               ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.5, "rate": 0.7}),
               ("NonNeg", {}), ("UnitNorm", {"axis": -1})]

OPTIMIZERS = {
    "sgd_momentum": ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    "sgd_nesterov": ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    "sgd_decay": ("SGD", {"learning_rate": 0.1, "weight_decay": 0.05}),
    "adam": ("Adam", {"learning_rate": 0.01}),
    "adam_clipnorm": ("Adam", {"learning_rate": 0.01, "clipnorm": 1.0}),
    "adamw": ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}),
    "rmsprop": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    "rmsprop_clipvalue": ("RMSprop", {"learning_rate": 0.01, "clipvalue": 0.3}),
    "adagrad": ("Adagrad", {"learning_rate": 0.1, "global_clipnorm": 2.0}),
    "sgd_schedule": ("SGD", {"momentum": 0.5, "learning_rate": ("ExponentialDecay", (0.1, 2, 0.5))}),
    "adam_schedule": ("Adam", {"learning_rate": ("CosineDecay", (0.01, 4))}),
    "adamw_excluding_b": ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1, "_exclude": ["b"]}),
    "sgd_ema_finalized": ("SGD", {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.5,
                                  "_finalize": True}),
    "nadam": ("Nadam", {"learning_rate": 0.01}),
}


def _optimizer(lib, name, config):
    config = dict(config)
    lr = config.get("learning_rate")
    if isinstance(lr, tuple):
        config["learning_rate"] = getattr(lib.optimizers.schedules, lr[0])(*lr[1])
    return getattr(lib.optimizers, name)(**config)


def _optimizer_run(lib, name, config):
    """Three steps on two variables (the second as `apply`, with the variables given again):
    the values after each, the iterations, the variables' paths and values, the rate. The
    optimizer is the first of its session in either library (its auto-name, `adam`, counts per
    process: the reference runs every optimizer in one fixture, ours one a test, after whatever
    ran before in this worker)."""
    lib.backend.clear_session()
    config = dict(config)
    exclude, finalize = config.pop("_exclude", None), config.pop("_finalize", False)
    opt = _optimizer(lib, name, config)
    w, b = lib.Variable(W0, name="w"), lib.Variable(B0, name="b")
    if exclude:
        opt.exclude_from_weight_decay(var_names=exclude)
    values = []
    for i, (gw, gb) in enumerate(GRADS):
        if i == 1:
            opt.apply([gw, gb], [w, b])
        else:
            opt.apply_gradients([(gw, w), (gb, b)])
        values.append((np.asarray(w.numpy()).copy(), np.asarray(b.numpy()).copy()))
    if finalize:
        opt.finalize_variable_values([w, b])
        values.append((np.asarray(w.numpy()).copy(), np.asarray(b.numpy()).copy()))
    variables = [(v.path, np.asarray(v.numpy())) for v in opt.variables]
    return {"values": values, "iterations": int(np.asarray(opt.iterations.numpy())),
            "variables": variables, "learning_rate": float(np.asarray(opt.learning_rate))}


ATTRIBUTES = [("optimizers", "Adam", {}, ("beta_1", "epsilon", "amsgrad", "clipnorm", "use_ema")),
              ("optimizers", "SGD", {"momentum": 0.5}, ("momentum", "nesterov")),
              ("constraints", "MaxNorm", {"max_value": 1.5}, ("max_value", "axis")),
              ("regularizers", "L1L2", {"l1": 0.1}, ("l1", "l2")),
              ("initializers", "HeNormal", {"seed": 2}, ("scale", "mode", "distribution", "seed")),
              ("losses", "BinaryCrossentropy", {}, ("from_logits", "label_smoothing", "reduction")),
              ("callbacks", "EarlyStopping", {"patience": 2}, ("monitor", "patience", "min_delta",
                                                            "mode", "restore_best_weights"))]


def _attributes(lib):
    """Each built-in object's attributes (its arguments, Keras's defaults for those not given),
    and optimizers' learning_rate before any step (a default, a schedule's first rate)."""
    out = [[getattr(getattr(getattr(lib, module), name)(**kwargs), a) for a in attrs]
           for module, name, kwargs, attrs in ATTRIBUTES]
    scheduled = lib.optimizers.SGD(lib.optimizers.schedules.ExponentialDecay(0.2, 2, 0.5))
    out.append([float(np.asarray(lib.optimizers.Adam().learning_rate)),
                float(np.asarray(scheduled.learning_rate))])
    return out


@pytest.fixture(scope="module")
def reference():
    """Every number of real Keras the tests compare with, computed once."""
    keras = real_keras()
    out = {"schedules": [[float(getattr(keras.optimizers.schedules, n)(*a, **k)(s)) for s in STEPS]
                         for n, a, k in SCHEDULES],
           "constraints": [np.asarray(getattr(keras.constraints, n)(**k)(W0)) for n, k in CONSTRAINTS],
           "optimizers": {key: _optimizer_run(keras, *spec) for key, spec in OPTIMIZERS.items()}}
    yt, yp, sw = _LABELS, _PROBABILITIES, _WEIGHTS
    out["losses"] = {
        "mse_none_weighted": np.asarray(keras.losses.MeanSquaredError(reduction=None)(yt, yp, sample_weight=sw)),
        "cce_call": np.asarray(keras.losses.CategoricalCrossentropy().call(yt, yp)),
        "dice_none": np.asarray(keras.losses.Dice(reduction=None)(yt, yp)),
        "gelu": np.asarray(keras.activations.gelu(yp - 0.5)),
        "gelu_tanh": np.asarray(keras.activations.gelu(yp - 0.5, approximate=True))}
    sparse = keras.metrics.SparseCategoricalAccuracy()
    sparse.update_state(yt.argmax(1), yp, sample_weight=sw)
    sparse.update_state(yt.argmax(1)[:2], yp[:2])
    out["sparse_accuracy"] = float(sparse.result())
    out["attributes"] = _attributes(keras)
    draws = {}
    for name in ("GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                 "LecunNormal", "RandomUniform", "RandomNormal", "TruncatedNormal", "Orthogonal"):
        draws[name] = np.asarray(getattr(keras.initializers, name)(seed=3)((60, 50)))
    out["draws"] = draws
    out["constant"] = {n: np.asarray(init((3, 4))) for n, init in (
        ("Zeros", keras.initializers.Zeros()), ("Ones", keras.initializers.Ones()),
        ("Constant", keras.initializers.Constant(2.5)), ("Identity", keras.initializers.Identity(2.0)))}
    out["int_zeros"] = keras.initializers.Zeros()((2,), dtype="int32")
    out["clone_config"] = keras.initializers.GlorotUniform(seed=5).clone().get_config()
    return out


def test_initializers_are_callable_with_keras_statistics(reference):
    for name, ref in reference["draws"].items():
        init = getattr(sk.initializers, name)(seed=3)
        value = init((60, 50))
        assert value.shape == ref.shape and value.dtype == np.float32, name
        np.testing.assert_array_equal(value, init(shape=(60, 50), dtype="float32"))   # seeded
        assert not np.array_equal(value, getattr(sk.initializers, name)(seed=4)((60, 50))), name
        # Keras's distribution: the same bounds, mean and spread (to the sampling error)
        assert abs(value.mean() - ref.mean()) < 0.1 * ref.std() + 1e-3, name
        assert abs(value.std() / ref.std() - 1) < 0.06, name
        assert value.min() >= ref.min() - 0.2 * ref.std() and value.max() <= ref.max() + 0.2 * ref.std(), name
    limit = np.sqrt(6 / (60 + 50))
    glorot = sk.initializers.GlorotUniform(seed=1)((60, 50))
    assert glorot.max() <= limit and glorot.min() >= -limit and glorot.max() > 0.95 * limit
    q = sk.initializers.Orthogonal(gain=2.0, seed=0)((6, 4))
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(4), atol=1e-5)
    unseeded = sk.initializers.HeNormal()
    np.testing.assert_array_equal(unseeded((3, 3)), unseeded((3, 3)))   # as Keras's make_default_seed
    assert not np.array_equal(unseeded((3, 3)), sk.initializers.HeNormal()((3, 3)))
    for name, ref in reference["constant"].items():
        init = {"Zeros": sk.initializers.Zeros(), "Ones": sk.initializers.Ones(),
                "Constant": sk.initializers.Constant(2.5), "Identity": sk.initializers.Identity(2.0)}[name]
        np.testing.assert_array_equal(init((3, 4)), ref)
    zeros = sk.initializers.Zeros()((2,), dtype="int32")
    assert zeros.dtype == np.asarray(reference["int_zeros"]).dtype
    with pytest.raises(ValueError, match=r"Identity matrix initializer can only be used for 2D matrices"):
        sk.initializers.Identity()((2, 3, 4))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        sk.initializers.Orthogonal()((3,))
    clone = sk.initializers.GlorotUniform(seed=5).clone()
    assert clone.get_config() == reference["clone_config"] and clone is not None


def test_constraints_project_as_keras(reference):
    for (name, kwargs), ref in zip(CONSTRAINTS, reference["constraints"]):
        got = getattr(sk.constraints, name)(**kwargs)(W0)
        np.testing.assert_array_equal(got, ref, err_msg=name)   # to the bit
    w = sk.Variable(W0)
    np.testing.assert_allclose(sk.constraints.NonNeg()(w), np.maximum(W0, 0))
    np.testing.assert_array_equal(w.numpy(), W0)   # a new value: the variable is not changed


def test_schedules_give_keras_rates(reference):
    for (name, args, kwargs), ref in zip(SCHEDULES, reference["schedules"]):
        schedule = getattr(sk.optimizers.schedules, name)(*args, **kwargs)
        got = [schedule(s) for s in STEPS]
        assert all(isinstance(g, np.float32) for g in got)
        # float32 in Keras's order of operations: Keras's rates to the bit
        np.testing.assert_array_equal(np.float32(got), np.float32(ref), err_msg=f"{name} {kwargs}")

    class Custom(sk.optimizers.schedules.LearningRateSchedule):
        pass
    with pytest.raises(NotImplementedError, match=r"'Custom' must override `__call__\(self, step\)`"):
        Custom()(1)


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_optimizer_updates_variables_as_keras(reference, key):
    ref, got = reference["optimizers"][key], _optimizer_run(sk, *OPTIMIZERS[key])
    for step, (ours, theirs) in enumerate(zip(got["values"], ref["values"])):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"{key} step {step + 1}")
    assert got["iterations"] == ref["iterations"] == 3
    assert [p for p, _ in got["variables"]] == [p for p, _ in ref["variables"]]
    for (path, a), (_, b) in zip(got["variables"], ref["variables"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"{key} {path}")
    np.testing.assert_allclose(got["learning_rate"], ref["learning_rate"], rtol=1e-6)


def test_optimizer_state_learning_rate_and_iterations():
    opt = sk.optimizers.Adam(0.1)
    assert [v.path for v in opt.variables] == [f"{opt.name}/iteration", f"{opt.name}/learning_rate"]
    w = sk.Variable(np.ones((2, 2), "float32"), name="k")
    opt.build([w])
    assert [v.path for v in opt.variables][2:] == [f"{opt.name}/k_momentum", f"{opt.name}/k_velocity"]
    assert int(opt.iterations.numpy()) == 0
    opt.apply([np.ones((2, 2), "float32")])          # the variables it was built on
    assert int(opt.iterations.numpy()) == 1
    np.testing.assert_allclose(w.numpy(), np.full((2, 2), 0.9), rtol=1e-5)
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
    opt.iterations.assign(10)
    assert int(opt.iterations.numpy()) == 10
    scheduled = sk.optimizers.SGD(sk.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5))
    scheduled.apply_gradients([(np.ones(2, "float32"), sk.Variable(np.zeros(2, "float32")))])
    assert [v.path for v in scheduled.variables] == [f"{scheduled.name}/iteration"]
    np.testing.assert_allclose(scheduled.learning_rate, 0.05)
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        scheduled.learning_rate = 0.1
    # set_weights / save_own_variables / load_own_variables: the state of another optimizer
    store = {}
    opt.save_own_variables(store)
    other = sk.optimizers.Adam(0.1)
    w2 = sk.Variable(np.ones((2, 2), "float32"), name="k")
    other.build([w2])
    other.load_own_variables(store)
    assert int(other.iterations.numpy()) == 10
    for a, b in zip(other.variables, opt.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(ValueError, match="not compatible with provided weight shape"):
        other.set_weights([v.numpy() for v in opt.variables][:-1] + [np.zeros((3,), "float32")])
    with pytest.raises(ValueError, match="can only be configured before the optimizer is built"):
        other.exclude_from_weight_decay(var_names=["k"])
    with pytest.raises(ValueError, match="same length"):
        opt.apply([np.ones((2, 2), "float32")], [w, sk.Variable(np.ones(2, "float32"))])


def test_losses_metrics_and_activations_on_arrays(reference):
    """Keras's loss API on arrays: `reduction=None` with sample weights (each value weighted),
    `loss.call` (the values before the reduction), Dice's one value for the batch; a sparse
    metric updated with 1-D class ids; gelu exact by default."""
    yt, yp, sw = _LABELS, _PROBABILITIES, _WEIGHTS
    ref = reference["losses"]
    np.testing.assert_allclose(sk.losses.MeanSquaredError(reduction=None)(yt, yp, sample_weight=sw),
                               ref["mse_none_weighted"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(sk.losses.CategoricalCrossentropy().call(yt, yp), ref["cce_call"],
                               rtol=1e-6)
    np.testing.assert_allclose(sk.losses.Dice(reduction=None)(yt, yp), ref["dice_none"], rtol=1e-6)
    np.testing.assert_allclose(sk.activations.gelu(yp - 0.5), ref["gelu"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(sk.activations.gelu(yp - 0.5, approximate=True), ref["gelu_tanh"],
                               rtol=1e-6, atol=1e-7)
    sparse = sk.metrics.SparseCategoricalAccuracy()
    sparse.update_state(yt.argmax(1), yp, sample_weight=sw)
    sparse.update_state(yt.argmax(1)[:2], yp[:2])
    np.testing.assert_allclose(sparse.result(), reference["sparse_accuracy"], rtol=1e-6)


def test_builtin_objects_attributes_are_keras_arguments(reference):
    got = _attributes(sk)
    for (module, name, _, attrs), ours, theirs in zip(ATTRIBUTES, got, reference["attributes"]):
        assert ours == theirs, f"{module}.{name} {attrs}"
    np.testing.assert_allclose(got[-1], reference["attributes"][-1], rtol=1e-7)


def test_bad_input_is_an_error_not_a_crash():
    import ctypes

    from swiftkeras import _lib
    from swiftkeras._native import check
    out = np.empty(4, np.float32)
    shape = (ctypes.c_int64 * 2)(2, 2)
    for bad in (b"{not json", b'{"class_name": "NoSuchInitializer"}'):
        with pytest.raises(Exception, match="keras_initializer_draw"):
            check(_lib.keras_initializer_draw(bad, 2, shape, out.ctypes.data_as(_lib.float_p), 4))
    with pytest.raises(Exception, match="4 floats, the buffer holds 3|needs 4"):
        check(_lib.keras_initializer_draw(b'"zeros"', 2, shape, out.ctypes.data_as(_lib.float_p), 3))
    with pytest.raises(Exception, match="not a live handle"):
        check(_lib.keras_optimizer_state(ctypes.c_void_p(12345), None, None))
    with pytest.raises(Exception, match="must be a finite number"):
        check(_lib.keras_schedule_value(b'"x"', float("nan"), ctypes.byref(ctypes.c_double())))
    opt, w = sk.optimizers.SGD(0.1), sk.Variable(np.ones((2, 2), "float32"))
    with pytest.raises(Exception, match=r"gradient 0 has shape \[3\]"):
        opt.apply([np.ones(3, "float32")], [w])
    np.testing.assert_array_equal(w.numpy(), np.ones((2, 2)))


def test_learning_rate_is_a_variable_as_in_keras():
    """`optimizer.learning_rate` of a number is a float32 variable in Keras (`<name>/learning_rate`):
    `round` gives an array, `float` its value, and `assign` sets the rate the next training step
    takes, before the model is built (after compile) and after."""
    x, y = np.array([[1.0, 2.0]], "float32"), np.zeros((1, 1), "float32")
    results = []
    for lib in (sk, real_keras()):
        opt = lib.optimizers.SGD(0.05, name="opt")
        rate = opt.learning_rate
        rounded = round(rate, 1)
        seen = {"variable": (rate.path, tuple(rate.shape), str(rate.dtype)),
                "rounded": (type(rounded) is float, str(rounded.dtype)),
                "values": [float(rate), float(rounded)]}
        opt.learning_rate.assign(0.5)
        seen["values"].append(float(opt.learning_rate))
        model = lib.models.Sequential([lib.layers.Input((2,)),
                                       lib.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
        model.compile(opt, loss="mse")
        model.optimizer.learning_rate.assign(0.25)      # compiled, not built
        model.fit(x, y, verbose=0)
        seen["values"] += [float(model.optimizer.learning_rate), *model.get_weights()[0].ravel()]
        model.optimizer.learning_rate.assign(0.125)     # built
        model.fit(x, y, verbose=0)
        seen["values"] += [float(model.optimizer.learning_rate), *model.get_weights()[0].ravel()]
        seen["path after fit"] = model.optimizer.learning_rate.path
        results.append(seen)
    got, want = results
    assert {k: v for k, v in got.items() if k != "values"} == {k: v for k, v in want.items() if k != "values"}
    assert got["variable"] == ("opt/learning_rate", (), "float32") and got["rounded"] == (False, "float32")
    np.testing.assert_allclose(got["values"], want["values"], rtol=1e-6)
